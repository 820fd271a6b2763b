import { and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import {
  faceSignatures,
  interactionParticipants,
  interactions,
  notes,
  relationships,
  voiceSignatures,
} from '../../infra/db/schema.js';
import { qualified, totalCount } from '../../infra/db/sql.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { likePattern } from '../../infra/http/query.js';

export type RelationshipRow = typeof relationships.$inferSelect;
export type RelationshipValues = Omit<
  typeof relationships.$inferInsert,
  'id' | 'userId' | 'createdAt' | 'updatedAt'
>;
export type RelationshipListItem = RelationshipRow & { lastInteractionAt: Date | null };
export type RelationshipDetail = RelationshipListItem & {
  notesCount: number;
  faceSignaturesCount: number;
  voiceSignaturesCount: number;
};

export type RelationshipFilter = {
  relationshipType?: RelationshipRow['relationshipType'] | undefined;
  tag?: string | undefined;
  searchTerms: string[];
};

export const RELATIONSHIP_ORDERING = ['name', 'created_at', 'last_interaction_at'] as const;
export type RelationshipOrdering = { field: (typeof RELATIONSHIP_ORDERING)[number]; desc: boolean }[];

const col = qualified;

const relationshipId = col(relationships, relationships.id);

/** Derived, never stored: the latest interaction this person took part in. */
const lastInteractionAt = sql<Date | null>`(
  select max(${col(interactions, interactions.occurredAt)}) from ${interactionParticipants}
  join ${interactions} on ${col(interactions, interactions.id)} = ${col(interactionParticipants, interactionParticipants.interactionId)}
  where ${col(interactionParticipants, interactionParticipants.relationshipId)} = ${relationshipId})`.mapWith(
  (v) => (v === null ? null : new Date(v)),
);

const notesCount = sql<number>`(select count(*)::int from ${notes}
  where ${col(notes, notes.relationshipId)} = ${relationshipId} and ${col(notes, notes.status)} = 'ACTIVE')`;
const faceSignaturesCount = sql<number>`(select count(*)::int from ${faceSignatures}
  where ${col(faceSignatures, faceSignatures.relationshipId)} = ${relationshipId})`;
const voiceSignaturesCount = sql<number>`(select count(*)::int from ${voiceSignatures}
  where ${col(voiceSignatures, voiceSignatures.relationshipId)} = ${relationshipId})`;

export class RelationshipsRepository {
  constructor(private readonly db: Database) {}

  private where(userId: number, filter: RelationshipFilter): SQL {
    const conditions: SQL[] = [eq(relationships.userId, userId)];
    if (filter.relationshipType) conditions.push(eq(relationships.relationshipType, filter.relationshipType));
    if (filter.tag !== undefined) {
      conditions.push(
        sql`exists (select 1 from unnest(${col(relationships, relationships.tags)}) as t(tag) where lower(t.tag) = lower(${filter.tag}))`,
      );
    }
    // Terms hold no whitespace, so matching the joined text is matching any one field; the
    // expression is the one relationships_search_trgm_idx indexes.
    const searchText = sql`(${relationships.name} || ' ' || ${relationships.email} || ' ' || ${relationships.phone})`;
    for (const term of filter.searchTerms) conditions.push(sql`${searchText} ilike ${likePattern(term)}`);
    return and(...conditions)!;
  }

  async list(
    userId: number,
    filter: RelationshipFilter,
    ordering: RelationshipOrdering,
    page: PageRequest,
  ): Promise<{ count: number; rows: RelationshipListItem[] }> {
    const where = this.where(userId, filter);
    const orderBy = ordering.map(({ field, desc: d }) => {
      if (field === 'name')
        return d ? sql`lower(${relationships.name}) desc` : sql`lower(${relationships.name}) asc`;
      if (field === 'created_at') return d ? desc(relationships.createdAt) : asc(relationships.createdAt);
      return d ? sql`${lastInteractionAt} desc nulls last` : sql`${lastInteractionAt} asc nulls last`;
    });
    const rows = await this.db
      .select({ relationship: relationships, lastInteractionAt, total: totalCount(relationships, where) })
      .from(relationships)
      .where(where)
      .orderBy(...orderBy, asc(relationships.id))
      .limit(page.pageSize)
      .offset(page.offset);
    return {
      count: rows[0]?.total ?? 0,
      rows: rows.map((r) => ({ ...r.relationship, lastInteractionAt: r.lastInteractionAt })),
    };
  }

  async get(userId: number, id: number): Promise<RelationshipDetail | undefined> {
    const [row] = await this.db
      .select({
        relationship: relationships,
        lastInteractionAt,
        notesCount,
        faceSignaturesCount,
        voiceSignaturesCount,
      })
      .from(relationships)
      .where(and(eq(relationships.userId, userId), eq(relationships.id, id)));
    if (!row) return undefined;
    return {
      ...row.relationship,
      lastInteractionAt: row.lastInteractionAt,
      notesCount: row.notesCount,
      faceSignaturesCount: row.faceSignaturesCount,
      voiceSignaturesCount: row.voiceSignaturesCount,
    };
  }

  async create(userId: number, values: RelationshipValues): Promise<number> {
    const [row] = await this.db
      .insert(relationships)
      .values({ ...values, userId })
      .returning({ id: relationships.id });
    return row!.id;
  }

  async update(userId: number, id: number, values: Partial<RelationshipValues>): Promise<boolean> {
    const rows = await this.db
      .update(relationships)
      .set({ ...values, updatedAt: new Date() })
      .where(and(eq(relationships.userId, userId), eq(relationships.id, id)))
      .returning({ id: relationships.id });
    return rows.length > 0;
  }

  /** Notes and signatures go with the person (foreign keys cascade). */
  async delete(userId: number, id: number): Promise<boolean> {
    const rows = await this.db
      .delete(relationships)
      .where(and(eq(relationships.userId, userId), eq(relationships.id, id)))
      .returning({ id: relationships.id });
    return rows.length > 0;
  }

  /** Which of these ids are the user's relationships. */
  /** Names of the user's people among `ids` (others' and missing ids are left out). */
  async namesOf(userId: number, ids: number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .select({ id: relationships.id, name: relationships.name })
      .from(relationships)
      .where(and(eq(relationships.userId, userId), inArray(relationships.id, ids)));
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async ownedIds(userId: number, ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .select({ id: relationships.id })
      .from(relationships)
      .where(and(eq(relationships.userId, userId), inArray(relationships.id, ids)));
    return new Set(rows.map((r) => r.id));
  }
}
