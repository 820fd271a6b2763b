import { notFound } from '../../infra/http/errors.js';
import { ReferenceCheck } from '../../infra/http/ownership.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { parseOrdering, searchTerms } from '../../infra/http/query.js';
import type { InteractionsRepository } from '../interactions/repository.js';
import type { RelationshipsRepository } from '../relationships/repository.js';
import { NOTE_ORDERING, type NoteRow, type NotesRepository, type NoteValues } from './repository.js';
import type { NewNoteBody, NoteBody, NoteListQuery } from './schemas.js';

const DEFAULT_ORDERING = [
  { field: 'importance', desc: true },
  { field: 'created_at', desc: true },
] as const;

export class NotesService {
  constructor(
    private readonly repo: NotesRepository,
    private readonly relationships: RelationshipsRepository,
    private readonly interactions: InteractionsRepository,
  ) {}

  list(userId: number, query: Omit<NoteListQuery, 'page' | 'page_size'>, page: PageRequest) {
    return this.repo.list(
      userId,
      {
        relationshipId: query.relationship,
        interactionId: query.interaction,
        status: query.status,
        category: query.category,
        searchTerms: searchTerms(query.search),
      },
      parseOrdering(query.ordering, NOTE_ORDERING, [...DEFAULT_ORDERING]),
      page,
    );
  }

  /** A person's ACTIVE notes, most important first. */
  listForRelationship(userId: number, relationshipId: number, page: PageRequest) {
    return this.repo.list(
      userId,
      { relationshipId, status: 'ACTIVE', searchTerms: [] },
      [...DEFAULT_ORDERING],
      page,
    );
  }

  async get(userId: number, id: number): Promise<NoteRow> {
    const row = await this.repo.get(userId, id);
    if (!row) throw notFound();
    return row;
  }

  private async checkReferences(userId: number, body: NoteBody): Promise<void> {
    const check = new ReferenceCheck();
    if (body.relationship !== undefined) {
      const owned = await this.relationships.ownedIds(userId, [body.relationship]);
      check.missing('relationship', owned.has(body.relationship) ? [] : [body.relationship]);
    }
    if (body.interaction != null) {
      const owned = await this.interactions.ownedIds(userId, [body.interaction]);
      check.missing('interaction', owned.has(body.interaction) ? [] : [body.interaction]);
    }
    check.throwIfAny();
  }

  /** A note the user writes by hand. */
  async create(userId: number, body: NewNoteBody): Promise<NoteRow> {
    await this.checkReferences(userId, body);
    return this.repo.create(userId, { ...toValues(body), source: 'MANUAL' } as NoteValues);
  }

  async update(userId: number, id: number, body: NoteBody): Promise<NoteRow> {
    await this.get(userId, id);
    await this.checkReferences(userId, body);
    const row = await this.repo.update(userId, id, toValues(body));
    if (!row) throw notFound();
    return row;
  }

  /** Soft delete: the note stays retrievable with `?status=DELETED`. */
  async delete(userId: number, id: number): Promise<void> {
    if (!(await this.repo.update(userId, id, { status: 'DELETED' }))) throw notFound();
  }
}

function toValues(body: NoteBody): Partial<NoteValues> {
  const values: Partial<NoteValues> = {};
  if (body.relationship !== undefined) values.relationshipId = body.relationship;
  if (body.interaction !== undefined) values.interactionId = body.interaction;
  if (body.text !== undefined) values.text = body.text;
  if (body.category !== undefined) values.category = body.category;
  if (body.importance !== undefined) values.importance = body.importance;
  if (body.status !== undefined) values.status = body.status;
  return values;
}
