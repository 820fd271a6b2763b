import { notFound } from '../../infra/http/errors.js';
import { ReferenceCheck } from '../../infra/http/ownership.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { parseOrdering, searchTerms } from '../../infra/http/query.js';
import type { RelationshipsRepository } from '../relationships/repository.js';
import type { MediaService } from './media-service.js';
import {
  INTERACTION_ORDERING,
  type InteractionDetail,
  type InteractionsRepository,
  type InteractionValues,
} from './repository.js';
import type { InteractionBody, InteractionListQuery, NewInteractionBody } from './schemas.js';

export class InteractionsService {
  constructor(
    private readonly repo: InteractionsRepository,
    private readonly relationships: RelationshipsRepository,
    private readonly media: MediaService,
  ) {}

  list(userId: number, query: Omit<InteractionListQuery, 'page' | 'page_size'>, page: PageRequest) {
    return this.repo.list(
      userId,
      {
        interactionType: query.interaction_type,
        participantId: query.participant,
        processingStatus: query.processing_status,
        occurredAfter: query.occurred_after,
        occurredBefore: query.occurred_before,
        searchTerms: searchTerms(query.search),
      },
      parseOrdering(query.ordering, INTERACTION_ORDERING, [{ field: 'occurred_at', desc: true }]),
      page,
    );
  }

  async get(userId: number, id: number): Promise<InteractionDetail> {
    const row = await this.repo.get(userId, id);
    if (!row) throw notFound();
    return row;
  }

  private async checkParticipants(userId: number, participants: number[] | undefined): Promise<void> {
    if (!participants?.length) return;
    const owned = await this.relationships.ownedIds(userId, participants);
    new ReferenceCheck()
      .missing(
        'participants',
        participants.filter((id) => !owned.has(id)),
      )
      .throwIfAny();
  }

  async create(userId: number, body: NewInteractionBody): Promise<InteractionDetail> {
    await this.checkParticipants(userId, body.participants);
    const id = await this.repo.create(userId, toValues(body) as InteractionValues, body.participants ?? []);
    return this.get(userId, id);
  }

  async update(userId: number, id: number, body: InteractionBody): Promise<InteractionDetail> {
    // Someone else's interaction is a 404 before anything about the body is said.
    if (!(await this.repo.ownedIds(userId, [id])).has(id)) throw notFound();
    await this.checkParticipants(userId, body.participants);
    if (!(await this.repo.update(userId, id, toValues(body), body.participants))) throw notFound();
    return this.get(userId, id);
  }

  /** Deletes the interaction and its media file. */
  async delete(userId: number, id: number): Promise<void> {
    const row = await this.repo.delete(userId, id);
    if (!row) throw notFound();
    await this.media.remove(row.mediaPath);
  }
}

function toValues(body: InteractionBody): Partial<InteractionValues> {
  const values: Partial<InteractionValues> = {};
  if (body.interaction_type !== undefined) values.interactionType = body.interaction_type;
  if (body.title !== undefined) values.title = body.title;
  if (body.occurred_at !== undefined) values.occurredAt = body.occurred_at;
  if (body.duration_seconds !== undefined) values.durationSeconds = body.duration_seconds;
  if (body.summary !== undefined) values.summary = body.summary;
  if (body.transcription !== undefined) values.transcription = body.transcription;
  return values;
}
