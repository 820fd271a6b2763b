import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { count, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authTokens,
  faceSignatures,
  identifiedParticipants,
  interactionParticipants,
  interactionSegments,
  interactions,
  notes,
  relationships,
  users,
  voiceSignatures,
} from '../../src/infra/db/schema.js';
import { readWavBuffer } from '../../src/infra/media/wav.js';
import type { Storage } from '../../src/infra/storage/index.js';
import { InteractionsRepository } from '../../src/modules/interactions/repository.js';
import { SignaturesRepository } from '../../src/modules/signatures/repository.js';
import { createVoiceSignature } from '../../src/modules/signatures/voice-samples.js';
import { type Client, createTestContext, STRONG_PASSWORD, type TestContext } from '../helpers/app.js';
import { TEST_VOICE_DIM } from '../helpers/database.js';
import { JFK, PHOTO } from '../helpers/fixtures.js';
import { multipartFile } from '../helpers/multipart.js';
import { startS3Server } from '../helpers/s3-server.js';
import { readZip } from '../helpers/zip.js';

/**
 * The account export (a ZIP of everything the user owns) and account deletion (every row and
 * every file, counted before and after), on the real database and the real local storage.
 */

type User = Client & { userId: number; username: string };
type Owned = {
  user: User;
  relationship: number;
  interaction: number;
  /** Storage keys of the user's files. */
  mediaKey: string;
  thumbnailKey: string;
  /** A thumbnail stored outside the user's folder: deleted because a row points at it. */
  outsideKey: string;
  /** A voice's sample, kept outside users/ (where the pipeline keeps them). */
  voiceSampleKey: string;
  /** A file in the user's folder no row points at (an upload cut short). */
  strayKey: string;
};

/** The app on one storage backend. */
type Backend = { ctx: TestContext; storage: Storage };

let local: Backend;
const AUDIO = fs.readFileSync(JFK);
const FACE = fs.readFileSync(PHOTO);
/** Half a second of a tone: what a voice's sample holds does not matter to the export. */
const VOICE_SAMPLE = Float32Array.from(
  { length: 8_000 },
  (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16_000),
);

beforeAll(async () => {
  const ctx = await createTestContext();
  local = { ctx, storage: ctx.runtime.storage };
});
afterAll(() => local?.ctx.close());

const embedding = (dim: number, seed: number) => Array.from({ length: dim }, (_, i) => Math.sin(seed + i));

/** A user with one of everything: a person, a call with media, transcript, recognitions, notes, signatures. */
async function userWithEverything({ ctx, storage }: Backend, label: string): Promise<Owned> {
  const user = await ctx.signUp();
  const rel = await user.post('/api/relationships/', {
    name: `${label} Person`,
    relationship_type: 'FRIEND',
    email: `${label.toLowerCase()}@example.com`,
    birthday: '0001-03-04',
  });
  expect(rel.status).toBe(201);
  const interaction = await user.post('/api/interactions/', {
    interaction_type: 'VIDEO_CALL',
    title: `${label} call`,
    participants: [rel.body.id],
  });
  expect(interaction.status).toBe(201);
  const body = multipartFile(AUDIO, 'jfk speech.flac', 'audio/flac');
  const upload = await ctx.app.inject({
    method: 'POST',
    url: `/api/interactions/${interaction.body.id}/media/`,
    headers: { authorization: `Token ${user.token}`, ...body.headers },
    payload: body.payload,
  });
  expect(upload.statusCode, upload.body).toBe(202);
  await user.post('/api/notes/', { relationship: rel.body.id, text: `${label} likes tea` });

  const signatures = new SignaturesRepository(ctx.database.db);
  const thumbnailKey = `users/${user.userId}/faces/${randomUUID()}.jpg`;
  await storage.put(thumbnailKey, Readable.from([FACE]));
  const face = await signatures.create(user.userId, 'face', {
    embedding: embedding(128, 1),
    relationshipId: rel.body.id,
    thumbnailPath: thumbnailKey,
  });
  const outsideKey = `thumbnails/${randomUUID()}.jpg`;
  await storage.put(outsideKey, Readable.from([FACE]));
  await signatures.create(user.userId, 'face', { embedding: embedding(128, 2), thumbnailPath: outsideKey });
  const voice = await createVoiceSignature({ signatures, storage }, user.userId, {
    embedding: embedding(TEST_VOICE_DIM, 3),
    engine: 'test',
    sample: VOICE_SAMPLE,
  });

  const interactionsRepo = new InteractionsRepository(ctx.database.db);
  await interactionsRepo.saveTranscript(user.userId, interaction.body.id, {
    transcription: 'And so, my fellow Americans',
    segments: [{ start: 0, end: 2.5, text: 'And so, my fellow Americans', voiceSignatureId: voice.id }],
  });
  await interactionsRepo.addIdentifiedParticipants(user.userId, interaction.body.id, [
    {
      relationshipId: rel.body.id,
      faceSignatureId: face.id,
      voiceSignatureId: voice.id,
      confidence: 0.9,
      firstSeenAt: 1,
    },
  ]);

  const strayKey = `users/${user.userId}/interactions/${interaction.body.id}/media/${randomUUID()}.mp4`;
  await storage.put(strayKey, Readable.from([Buffer.from('half an upload')]));
  const [row] = await ctx.database.db
    .select({ mediaPath: interactions.mediaPath })
    .from(interactions)
    .where(eq(interactions.id, interaction.body.id));
  return {
    user,
    relationship: rel.body.id,
    interaction: interaction.body.id,
    mediaKey: row!.mediaPath!,
    thumbnailKey,
    outsideKey,
    voiceSampleKey: voice.samplePath!,
    strayKey,
  };
}

/** Rows of every table that belong to the user (child tables through the user's interactions). */
async function rowCounts(
  { ctx }: Backend,
  userId: number,
  interactionIds: number[],
): Promise<Record<string, number>> {
  const db = ctx.database.db;
  const n = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n;
  const inInteractions = <T extends { interactionId: unknown }>(column: T['interactionId']) =>
    inArray(column as typeof interactionSegments.interactionId, interactionIds);
  return {
    users: await n(db.select({ n: count() }).from(users).where(eq(users.id, userId))),
    auth_tokens: await n(db.select({ n: count() }).from(authTokens).where(eq(authTokens.userId, userId))),
    relationships: await n(
      db.select({ n: count() }).from(relationships).where(eq(relationships.userId, userId)),
    ),
    interactions: await n(
      db.select({ n: count() }).from(interactions).where(eq(interactions.userId, userId)),
    ),
    interaction_participants: await n(
      db
        .select({ n: count() })
        .from(interactionParticipants)
        .where(inInteractions(interactionParticipants.interactionId)),
    ),
    interaction_segments: await n(
      db
        .select({ n: count() })
        .from(interactionSegments)
        .where(inInteractions(interactionSegments.interactionId)),
    ),
    identified_participants: await n(
      db
        .select({ n: count() })
        .from(identifiedParticipants)
        .where(inInteractions(identifiedParticipants.interactionId)),
    ),
    notes: await n(db.select({ n: count() }).from(notes).where(eq(notes.userId, userId))),
    face_signatures: await n(
      db.select({ n: count() }).from(faceSignatures).where(eq(faceSignatures.userId, userId)),
    ),
    voice_signatures: await n(
      db.select({ n: count() }).from(voiceSignatures).where(eq(voiceSignatures.userId, userId)),
    ),
  };
}

async function filesOf({ storage }: Backend, owned: Owned): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list(`users/${owned.user.userId}/`)) keys.push(object.key);
  for (const key of [owned.outsideKey, owned.voiceSampleKey]) if (await storage.stat(key)) keys.push(key);
  return keys.sort();
}

async function download(user: Client, url: string) {
  return local.ctx.app.inject({ method: 'GET', url, headers: { authorization: `Token ${user.token}` } });
}

describe('GET /api/auth/users/me/export/', () => {
  it('a ZIP with a README, JSON of every object, the media and thumbnails, and no embeddings', async () => {
    const owned = await userWithEverything(local, 'Exporter');
    const res = await download(owned.user, '/api/auth/users/me/export/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(String(res.headers['content-disposition'])).toMatch(
      /^attachment; filename="rapport-\d+-\d{4}-\d{2}-\d{2}\.zip"$/,
    );
    const zip = await readZip(res.rawPayload);
    const [face1, face2] = await faceIds(owned.user.userId);
    const voiceId = Number(owned.voiceSampleKey.match(/(\d+)\.wav$/)![1]);
    const json = (name: string) => JSON.parse(zip.get(name)!.toString('utf8'));

    expect([...zip.keys()].sort()).toEqual(
      [
        'README.md',
        'account.json',
        'contacts.vcf',
        'face_signatures.json',
        `faces/${face1}.jpg`,
        `faces/${face2}.jpg`,
        'interactions.json',
        `media/${owned.interaction}/jfk speech.flac`,
        'notes.json',
        'relationships.json',
        'voice_signatures.json',
        `voices/${voiceId}.wav`,
      ].sort(),
    );
    expect(zip.get('README.md')!.toString()).toContain('# Your Rapport data');
    expect(zip.get(`media/${owned.interaction}/jfk speech.flac`)!.equals(AUDIO)).toBe(true);
    for (const name of [...zip.keys()].filter((n) => n.startsWith('faces/')))
      expect(zip.get(name)!.equals(FACE)).toBe(true);

    expect(json('account.json')).toMatchObject({ id: owned.user.userId, username: owned.user.username });
    expect(json('relationships.json')).toEqual([
      expect.objectContaining({ id: owned.relationship, name: 'Exporter Person', birthday: '0001-03-04' }),
    ]);
    const [interaction] = json('interactions.json');
    expect(interaction).toMatchObject({
      id: owned.interaction,
      title: 'Exporter call',
      participants: [owned.relationship],
      media_file: `media/${owned.interaction}/jfk speech.flac`,
      media_filename: 'jfk speech.flac',
      transcription: 'And so, my fellow Americans',
      segments: [
        expect.objectContaining({ start_seconds: 0, end_seconds: 2.5, text: 'And so, my fellow Americans' }),
      ],
      identified_participants: [
        expect.objectContaining({ relationship_id: owned.relationship, confidence: expect.any(Number) }),
      ],
    });
    expect(json('notes.json')).toEqual([
      expect.objectContaining({ relationship: owned.relationship, text: 'Exporter likes tea' }),
    ]);
    expect(json('face_signatures.json')).toHaveLength(2);
    expect(json('face_signatures.json')[0].thumbnail_file).toMatch(/^faces\/\d+\.jpg$/);
    expect(json('voice_signatures.json')).toEqual([
      expect.objectContaining({ id: voiceId, sample_file: `voices/${voiceId}.wav` }),
    ]);
    expect(readWavBuffer(zip.get(`voices/${voiceId}.wav`)!).samples).toHaveLength(VOICE_SAMPLE.length);
    expect(zip.get('contacts.vcf')!.toString()).toContain('FN:Exporter Person');

    // Nothing internal or biometric leaves: embeddings, password hashes, storage keys.
    const everything = [...zip.entries()]
      .filter(([name]) => name.endsWith('.json'))
      .map(([, bytes]) => bytes.toString())
      .join('\n');
    expect(everything).not.toMatch(/embedding|password|search_vector|media_path|thumbnail_path|user_id/);
    expect(everything).not.toContain(owned.mediaKey);
  });

  it('a stored file that has gone missing is listed, and the archive is still whole', async () => {
    const owned = await userWithEverything(local, 'Missing');
    await local.storage.delete(owned.mediaKey);
    const zip = await readZip((await download(owned.user, '/api/auth/users/me/export/')).rawPayload);
    expect(JSON.parse(zip.get('missing_files.json')!.toString())).toEqual([
      `media/${owned.interaction}/jfk speech.flac`,
    ]);
    expect(JSON.parse(zip.get('interactions.json')!.toString())[0].media_file).toBeNull();
  });
});

async function faceIds(userId: number): Promise<number[]> {
  const rows = await local.ctx.database.db
    .select({ id: faceSignatures.id })
    .from(faceSignatures)
    .where(eq(faceSignatures.userId, userId))
    .orderBy(faceSignatures.id);
  return rows.map((r) => r.id);
}

/** Deletion on local storage and on S3 (s3rver): the same rows and files must go. */
const BACKENDS: [string, () => Promise<{ backend: Backend; close: () => Promise<void> }>][] = [
  ['local storage', async () => ({ backend: local, close: async () => {} })],
  [
    'S3',
    async () => {
      const s3 = await startS3Server();
      const ctx = await createTestContext(s3.env);
      return {
        backend: { ctx, storage: ctx.runtime.storage },
        close: async () => {
          await ctx.close();
          await s3.close();
        },
      };
    },
  ],
];

describe.each(BACKENDS)('DELETE /api/auth/users/me/ (%s)', (_name, start) => {
  let backend: Backend;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ backend, close } = await start());
  });
  afterAll(() => close?.());

  it('with the password: every row and every file of the user is gone; another user keeps theirs', async () => {
    const doomed = await userWithEverything(backend, 'Doomed');
    const bystander = await userWithEverything(backend, 'Bystander');
    const rowsBefore = await rowCounts(backend, doomed.user.userId, [doomed.interaction]);
    const bystanderRows = await rowCounts(backend, bystander.user.userId, [bystander.interaction]);
    const bystanderFiles = await filesOf(backend, bystander);
    // One of everything, so "zero afterwards" means something.
    for (const [table, n] of Object.entries(rowsBefore)) expect(n, table).toBeGreaterThan(0);
    expect(await filesOf(backend, doomed)).toEqual(
      [
        doomed.mediaKey,
        doomed.thumbnailKey,
        doomed.outsideKey,
        doomed.voiceSampleKey,
        doomed.strayKey,
      ].sort(),
    );

    const res = await doomed.user.request('DELETE', '/api/auth/users/me/', {
      current_password: STRONG_PASSWORD,
    });
    expect(res.status, res.raw).toBe(204);

    const rowsAfter = await rowCounts(backend, doomed.user.userId, [doomed.interaction]);
    expect(rowsAfter).toEqual(Object.fromEntries(Object.keys(rowsBefore).map((t) => [t, 0])));
    expect(await filesOf(backend, doomed)).toEqual([]);
    for (const key of [
      doomed.mediaKey,
      doomed.thumbnailKey,
      doomed.outsideKey,
      doomed.voiceSampleKey,
      doomed.strayKey,
    ])
      expect(await backend.storage.stat(key), key).toBeUndefined();

    expect(await rowCounts(backend, bystander.user.userId, [bystander.interaction])).toEqual(bystanderRows);
    expect(await filesOf(backend, bystander)).toEqual(bystanderFiles);

    // The token died with the account, and the name cannot log in.
    expect((await doomed.user.get('/api/auth/users/me/')).status).toBe(401);
    const login = await backend.ctx.anonymous.post('/api/auth/users/login/', {
      username: doomed.user.username,
      password: STRONG_PASSWORD,
    });
    expect(login.status).toBe(400);
  });

  it('a wrong or missing password → 400 and nothing is deleted', async () => {
    const user = await backend.ctx.signUp();
    const wrong = await user.request('DELETE', '/api/auth/users/me/', {
      current_password: 'not-the-password',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({
      current_password: ['Your password was entered incorrectly. Please enter it again.'],
    });
    const missing = await user.request('DELETE', '/api/auth/users/me/', {});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ current_password: ['This field is required.'] });
    const noBody = await user.request('DELETE', '/api/auth/users/me/');
    expect(noBody.status).toBe(400);
    expect((await user.get('/api/auth/users/me/')).status).toBe(200);
  });
});
