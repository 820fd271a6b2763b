import { notFound } from '../../infra/http/errors.js';
import { ReferenceCheck } from '../../infra/http/ownership.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { parseOrdering } from '../../infra/http/query.js';
import { type GetResult, type Storage, StorageNotFoundError } from '../../infra/storage/index.js';
import type { InteractionsRepository } from '../interactions/repository.js';
import type { RelationshipsRepository } from '../relationships/repository.js';
import {
  SIGNATURE_ORDERING,
  type SignatureKind,
  type SignatureRow,
  type SignaturesRepository,
} from './repository.js';
import type { SignatureListQuery } from './schemas.js';

export class SignaturesService {
  constructor(
    private readonly repo: SignaturesRepository,
    private readonly relationships: RelationshipsRepository,
    private readonly interactions: InteractionsRepository,
    private readonly storage: Storage,
  ) {}

  list(
    userId: number,
    kind: SignatureKind,
    query: Omit<SignatureListQuery, 'page' | 'page_size'>,
    page: PageRequest,
  ) {
    return this.repo.list(
      userId,
      kind,
      { relationshipId: query.relationship, unassigned: query.unassigned },
      parseOrdering(query.ordering, SIGNATURE_ORDERING, [{ field: 'last_seen_at', desc: true }]),
      page,
    );
  }

  async get(userId: number, kind: SignatureKind, id: number): Promise<SignatureRow> {
    const row = await this.repo.get(userId, kind, id);
    if (!row) throw notFound();
    return row;
  }

  /** Names an unknown face or voice (merging with the person's existing signature), or unlinks it. */
  async assign(
    userId: number,
    kind: SignatureKind,
    id: number,
    relationshipId: number | null,
  ): Promise<SignatureRow> {
    await this.get(userId, kind, id);
    if (relationshipId !== null) {
      const owned = await this.relationships.ownedIds(userId, [relationshipId]);
      new ReferenceCheck()
        .missing('relationship', owned.has(relationshipId) ? [] : [relationshipId])
        .throwIfAny();
    }
    // A merge keeps one thumbnail or voice sample: the files of the signatures merged away go with them.
    const group = relationshipId === null ? [] : await this.repo.idsOf(userId, kind, relationshipId);
    const files = await this.repo.storedFiles(userId, kind, [id, ...group]);
    const row = await this.repo.assign(userId, kind, id, relationshipId);
    if (!row) throw notFound();
    if (kind === 'voice') {
      // Past calls this voice spoke in now read with the person's name, and count them in.
      const calls = await this.interactions.rebuildTranscriptions(userId, { voiceSignatureId: row.id });
      if (relationshipId !== null) {
        for (const interactionId of calls)
          await this.interactions.addParticipants(userId, interactionId, [relationshipId]);
      }
    }
    const kept = storedFileOf(row);
    for (const [signatureId, key] of files)
      if (signatureId !== row.id && key !== kept) await this.storage.delete(key);
    return row;
  }

  async delete(userId: number, kind: SignatureKind, id: number): Promise<void> {
    const row = await this.repo.delete(userId, kind, id);
    if (!row) throw notFound();
    const file = storedFileOf(row);
    if (file) await this.storage.delete(file);
  }

  /**
   * A signature's stored file — a face's JPEG thumbnail, a voice's WAV sample; 404 when the
   * signature is not the user's or has none.
   */
  async storedFile(userId: number, kind: SignatureKind, id: number): Promise<GetResult> {
    const file = storedFileOf(await this.get(userId, kind, id));
    if (!file) throw notFound();
    try {
      return await this.storage.get(file);
    } catch (error) {
      if (error instanceof StorageNotFoundError) throw notFound();
      throw error;
    }
  }
}

/** A face's thumbnail or a voice's sample. */
const storedFileOf = (row: SignatureRow) => row.thumbnailPath ?? row.samplePath;
