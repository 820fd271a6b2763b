import { notFound } from '../../infra/http/errors.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { parseOrdering, searchTerms } from '../../infra/http/query.js';
import {
  RELATIONSHIP_ORDERING,
  type RelationshipDetail,
  type RelationshipFilter,
  type RelationshipsRepository,
  type RelationshipValues,
} from './repository.js';
import type { NewRelationshipBody, RelationshipBody } from './schemas.js';

export type RelationshipListQuery = {
  relationship_type?: RelationshipFilter['relationshipType'];
  tag?: string | undefined;
  search?: string | undefined;
  ordering?: string | undefined;
};

function toValues(body: RelationshipBody): Partial<RelationshipValues> {
  const values: Partial<RelationshipValues> = {};
  if (body.name !== undefined) values.name = body.name;
  if (body.relationship_type !== undefined) values.relationshipType = body.relationship_type;
  if (body.email !== undefined) values.email = body.email;
  if (body.phone !== undefined) values.phone = body.phone;
  if (body.company !== undefined) values.company = body.company;
  if (body.birthday !== undefined) values.birthday = body.birthday;
  if (body.how_we_met !== undefined) values.howWeMet = body.how_we_met;
  if (body.tags !== undefined) values.tags = body.tags;
  if (body.contact_interval_days !== undefined) values.contactIntervalDays = body.contact_interval_days;
  return values;
}

export class RelationshipsService {
  constructor(private readonly repo: RelationshipsRepository) {}

  list(userId: number, query: RelationshipListQuery, page: PageRequest) {
    const ordering = parseOrdering(query.ordering, RELATIONSHIP_ORDERING, [{ field: 'name', desc: false }]);
    return this.repo.list(
      userId,
      { relationshipType: query.relationship_type, tag: query.tag, searchTerms: searchTerms(query.search) },
      ordering,
      page,
    );
  }

  async get(userId: number, id: number): Promise<RelationshipDetail> {
    const row = await this.repo.get(userId, id);
    if (!row) throw notFound();
    return row;
  }

  async create(userId: number, body: NewRelationshipBody): Promise<RelationshipDetail> {
    const id = await this.repo.create(userId, toValues(body) as RelationshipValues);
    return this.get(userId, id);
  }

  async update(userId: number, id: number, body: RelationshipBody): Promise<RelationshipDetail> {
    if (!(await this.repo.update(userId, id, toValues(body)))) throw notFound();
    return this.get(userId, id);
  }

  async delete(userId: number, id: number): Promise<void> {
    if (!(await this.repo.delete(userId, id))) throw notFound();
  }

  /** The ids among these that are not the user's relationships. */
  async missingIds(userId: number, ids: number[]): Promise<number[]> {
    const owned = await this.repo.ownedIds(userId, ids);
    return ids.filter((id) => !owned.has(id));
  }
}
