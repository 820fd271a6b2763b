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
    // A merge keeps one thumbnail: the files of the signatures merged away go with them.
    const group = relationshipId === null ? [] : await this.repo.idsOf(userId, kind, relationshipId);
    const thumbnails = kind === 'face' ? await this.repo.faceThumbnails(userId, [id, ...group]) : new Map();
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
    for (const [signatureId, key] of thumbnails)
      if (signatureId !== row.id && key !== row.thumbnailPath) await this.storage.delete(key);
    return row;
  }

  async delete(userId: number, kind: SignatureKind, id: number): Promise<void> {
    const row = await this.repo.delete(userId, kind, id);
    if (!row) throw notFound();
    if (row.thumbnailPath) await this.storage.delete(row.thumbnailPath);
  }

  /** The JPEG thumbnail of a face signature; 404 when it is not the user's or has none. */
  async thumbnail(userId: number, id: number): Promise<GetResult> {
    const row = await this.get(userId, 'face', id);
    if (!row.thumbnailPath) throw notFound();
    try {
      return await this.storage.get(row.thumbnailPath);
    } catch (error) {
      if (error instanceof StorageNotFoundError) throw notFound();
      throw error;
    }
  }
}
