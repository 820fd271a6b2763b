import { and, asc, desc, eq, getTableColumns, inArray, ne, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import { notes } from '../../infra/db/schema.js';
import { totalCount } from '../../infra/db/sql.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { likePattern } from '../../infra/http/query.js';

export type NoteRow = typeof notes.$inferSelect;
export type NoteValues = Omit<typeof notes.$inferInsert, 'id' | 'userId' | 'createdAt' | 'updatedAt'>;

export type NoteFilter = {
  relationshipId?: number | undefined;
  interactionId?: number | undefined;
  /** `undefined` means every status but DELETED. */
  status?: NoteRow['status'] | undefined;
  category?: NoteRow['category'] | undefined;
  searchTerms: string[];
};

export const NOTE_ORDERING = ['importance', 'created_at'] as const;
export type NoteOrdering = { field: (typeof NOTE_ORDERING)[number]; desc: boolean }[];

export class NotesRepository {
  constructor(private readonly db: Database) {}

  private where(userId: number, filter: NoteFilter): SQL {
    const conditions: SQL[] = [eq(notes.userId, userId)];
    if (filter.relationshipId !== undefined) conditions.push(eq(notes.relationshipId, filter.relationshipId));
    if (filter.interactionId !== undefined) conditions.push(eq(notes.interactionId, filter.interactionId));
    conditions.push(filter.status ? eq(notes.status, filter.status) : ne(notes.status, 'DELETED'));
    if (filter.category) conditions.push(eq(notes.category, filter.category));
    for (const term of filter.searchTerms) conditions.push(sql`${notes.text} ilike ${likePattern(term)}`);
    return and(...conditions)!;
  }

  async list(
    userId: number,
    filter: NoteFilter,
    ordering: NoteOrdering,
    page: PageRequest,
  ): Promise<{ count: number; rows: NoteRow[] }> {
    const where = this.where(userId, filter);
    const orderBy = ordering.map(({ field, desc: d }) => {
      const column = field === 'importance' ? notes.importance : notes.createdAt;
      return d ? desc(column) : asc(column);
    });
    const rows = await this.db
      .select({ ...getTableColumns(notes), total: totalCount(notes, where) })
      .from(notes)
      .where(where)
      .orderBy(...orderBy, desc(notes.id))
      .limit(page.pageSize)
      .offset(page.offset);
    return { count: rows[0]?.total ?? 0, rows: rows.map(({ total: _total, ...row }) => row) };
  }

  async get(userId: number, id: number): Promise<NoteRow | undefined> {
    const [row] = await this.db
      .select()
      .from(notes)
      .where(and(eq(notes.userId, userId), eq(notes.id, id)));
    return row;
  }

  async create(userId: number, values: NoteValues): Promise<NoteRow> {
    const [row] = await this.db
      .insert(notes)
      .values({ ...values, userId })
      .returning();
    return row!;
  }

  async update(userId: number, id: number, values: Partial<NoteValues>): Promise<NoteRow | undefined> {
    const [row] = await this.db
      .update(notes)
      .set({ ...values, updatedAt: new Date() })
      .where(and(eq(notes.userId, userId), eq(notes.id, id)))
      .returning();
    return row;
  }

  // ---- what note extraction needs ----

  /** The ACTIVE notes of these people, to find what a new note would repeat. */
  async activeOf(userId: number, relationshipIds: number[]): Promise<NoteRow[]> {
    if (relationshipIds.length === 0) return [];
    return this.db
      .select()
      .from(notes)
      .where(
        and(
          eq(notes.userId, userId),
          inArray(notes.relationshipId, relationshipIds),
          eq(notes.status, 'ACTIVE'),
        ),
      )
      .orderBy(asc(notes.id));
  }

  /** A re-run replaces the AI notes an interaction produced; manual notes stay. */
  async deleteAiNotesOf(userId: number, interactionId: number): Promise<void> {
    await this.db
      .delete(notes)
      .where(and(eq(notes.userId, userId), eq(notes.interactionId, interactionId), eq(notes.source, 'AI')));
  }

  /** A note said again: it keeps the higher importance and counts as updated now. */
  async reinforce(userId: number, id: number, importance: number): Promise<NoteRow | undefined> {
    const [row] = await this.db
      .update(notes)
      .set({ importance: sql`greatest(${notes.importance}, ${importance})`, updatedAt: new Date() })
      .where(and(eq(notes.userId, userId), eq(notes.id, id)))
      .returning();
    return row;
  }
}
