import path from 'node:path';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { badRequest } from '../../infra/http/errors.js';
import type { Storage } from '../../infra/storage/index.js';
import { toVcard } from '../contacts/vcard.js';
import { verifyPassword } from '../users/passwords.js';
import type { UserRow } from '../users/repository.js';
import type { AccountData, AccountRepository } from './repository.js';

export const EXPORT_README = `# Your Rapport data

This archive holds everything your Rapport account owns, as it was when you downloaded it.

| File | What it holds |
| --- | --- |
| \`account.json\` | Your account: username, email, names, when you joined (no password). |
| \`relationships.json\` | The people you keep in touch with, every field. |
| \`contacts.vcf\` | The same people as vCard 3.0, to open in any address book (with their active notes). |
| \`interactions.json\` | Calls, meetings and messages, with \`participants\` (relationship ids), the transcript \`segments\` and \`identified_participants\`; \`media_file\` names the recording in \`media/\`. |
| \`notes.json\` | Every note, whatever its status (ACTIVE, ARCHIVED, DELETED) or source (AI, MANUAL). |
| \`face_signatures.json\`, \`voice_signatures.json\` | The faces and voices Rapport has met, linked to people or not; \`thumbnail_file\` names the face picture in \`faces/\`, \`sample_file\` the voice's recording in \`voices/\`. |
| \`media/<interaction id>/<file name>\` | Your recordings, byte for byte as uploaded. |
| \`faces/<signature id>.<ext>\` | Face thumbnails. |
| \`voices/<signature id>.wav\` | A few seconds of each voice. |

JSON files are UTF-8 arrays of objects with the field names of the API (snake_case); times are
ISO 8601 in UTC; a birthday in year 0001 means the year is unknown. Ids are the ones Rapport used,
so \`relationship\`, \`interaction_id\` and the like refer to objects in the other files.

Face and voice *embeddings* (the numbers Rapport compares to recognise someone) are not included:
they are only meaningful to the model that made them, and they are biometric data. Deleting your
account deletes them, with every row and file listed here.
`;

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A row as JSON with the API's field names; dates as ISO strings; internal columns left out. */
function jsonRow(row: Record<string, unknown>, rename: Record<string, string> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 'userId') continue;
    const name = rename[key] ?? snake(key);
    out[name] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

/** Map.groupBy, which Node 20 does not have. */
function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/** A file name for inside the archive: the original name's safe characters. */
function safeName(name: string | null | undefined, fallback: string): string {
  const cleaned = (name ?? '')
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .replace(/^\.+/, '')
    .slice(0, 120);
  return cleaned || fallback;
}

export type DeletionResult = { filesDeleted: number; fileErrors: { key: string; error: unknown }[] };

export class AccountService {
  constructor(
    private readonly repo: AccountRepository,
    private readonly storage: Storage,
  ) {}

  /**
   * The whole account as a ZIP, streamed: rows are read first (JSON, held in memory), files are
   * opened one at a time while the archive is being written. A file missing from storage is
   * listed in `missing_files.json` instead of breaking the archive.
   */
  async exportArchive(userId: number): Promise<Readable> {
    const data = await this.repo.everything(userId);
    const zip = new yazl.ZipFile();
    const missing: string[] = [];
    const addStored = async (key: string, archivePath: string): Promise<string | null> => {
      if (!(await this.storage.stat(key))) {
        missing.push(archivePath);
        return null;
      }
      zip.addReadStreamLazy(archivePath, { compress: false }, (callback) => {
        this.storage.get(key).then(
          (found) => callback(null, found.stream),
          (error: Error) => callback(error, undefined as unknown as Readable),
        );
      });
      return archivePath;
    };

    const mediaFiles = new Map<number, string | null>();
    for (const i of data.interactions) {
      if (!i.mediaPath) continue;
      const name = safeName(i.mediaFilename, `recording${path.posix.extname(i.mediaPath)}`);
      mediaFiles.set(i.id, await addStored(i.mediaPath, `media/${i.id}/${name}`));
    }
    /** A signature's file goes in `folder/<signature id>.<ext>`; the map gives each its name. */
    const signatureFiles = async (rows: { id: number; key: string | null }[], folder: string) => {
      const names = new Map<number, string | null>();
      for (const { id, key } of rows)
        if (key) names.set(id, await addStored(key, `${folder}/${id}${path.posix.extname(key)}`));
      return names;
    };
    const thumbnailFiles = await signatureFiles(
      data.faceSignatures.map((f) => ({ id: f.id, key: f.thumbnailPath })),
      'faces',
    );
    const sampleFiles = await signatureFiles(
      data.voiceSignatures.map((v) => ({ id: v.id, key: v.samplePath })),
      'voices',
    );

    zip.addBuffer(Buffer.from(EXPORT_README), 'README.md');
    zip.addBuffer(json(jsonRow(data.user)), 'account.json');
    zip.addBuffer(json(data.relationships.map((r) => jsonRow(r))), 'relationships.json');
    zip.addBuffer(json(this.interactionsJson(data, mediaFiles)), 'interactions.json');
    zip.addBuffer(
      json(
        data.notes.map((n) => jsonRow(n, { relationshipId: 'relationship', interactionId: 'interaction' })),
      ),
      'notes.json',
    );
    zip.addBuffer(
      json(
        data.faceSignatures.map(({ thumbnailPath: _key, ...f }) => ({
          ...jsonRow(f, { relationshipId: 'relationship' }),
          thumbnail_file: thumbnailFiles.get(f.id) ?? null,
        })),
      ),
      'face_signatures.json',
    );
    zip.addBuffer(
      json(
        data.voiceSignatures.map(({ samplePath: _key, ...v }) => ({
          ...jsonRow(v, { relationshipId: 'relationship' }),
          sample_file: sampleFiles.get(v.id) ?? null,
        })),
      ),
      'voice_signatures.json',
    );
    zip.addBuffer(Buffer.from(this.vcards(data)), 'contacts.vcf');
    if (missing.length > 0) zip.addBuffer(json(missing), 'missing_files.json');
    zip.end();
    return zip.outputStream as Readable;
  }

  private interactionsJson(data: AccountData, mediaFiles: Map<number, string | null>) {
    const participants = groupBy(data.participants, (p) => p.interactionId);
    const segments = groupBy(data.segments, (s) => s.interactionId);
    const identified = groupBy(data.identifiedParticipants, (p) => p.interactionId);
    return data.interactions.map(({ mediaPath: _key, ...i }) => ({
      ...jsonRow(i),
      media_file: mediaFiles.get(i.id) ?? null,
      participants: (participants.get(i.id) ?? []).map((p) => p.relationshipId),
      segments: (segments.get(i.id) ?? []).map(({ interactionId: _i, ...s }) => jsonRow(s)),
      identified_participants: (identified.get(i.id) ?? []).map(({ interactionId: _i, ...p }) => jsonRow(p)),
    }));
  }

  private vcards(data: AccountData): string {
    const notesByPerson = groupBy(
      data.notes.filter((n) => n.status === 'ACTIVE'),
      (n) => n.relationshipId,
    );
    return data.relationships
      .map((r) =>
        toVcard({
          ...r,
          notes: (notesByPerson.get(r.id) ?? []).map((n) => n.text),
        }),
      )
      .join('');
  }

  /**
   * Deletes the account for good after checking the password: every row (the database cascades
   * from the user), then every stored file the rows pointed at and anything else under the user's
   * storage folder. Rows go first so that nothing can point at a deleted file; a file that cannot
   * be deleted is returned (the caller logs it; maintenance removes unreferenced media later).
   */
  async deleteAccount(user: UserRow, password: string): Promise<DeletionResult> {
    if (!(await verifyPassword(user.passwordHash, password))) {
      throw badRequest({
        current_password: ['Your password was entered incorrectly. Please enter it again.'],
      });
    }
    const keys = await this.repo.storageKeys(user.id);
    await this.repo.deleteUser(user.id);
    const result: DeletionResult = { filesDeleted: 0, fileErrors: [] };
    for (const key of keys) {
      try {
        await this.storage.delete(key);
        result.filesDeleted++;
      } catch (error) {
        result.fileErrors.push({ key, error });
      }
    }
    const folder = `users/${user.id}/`;
    try {
      result.filesDeleted += await this.storage.deletePrefix(folder);
    } catch (error) {
      result.fileErrors.push({ key: folder, error });
    }
    return result;
  }
}
