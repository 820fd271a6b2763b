import { createHash } from 'node:crypto';
import { and, asc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import { notes, relationships } from '../../infra/db/schema.js';

export type PersonRow = Pick<
  typeof relationships.$inferSelect,
  | 'id'
  | 'name'
  | 'relationshipType'
  | 'email'
  | 'phone'
  | 'company'
  | 'birthday'
  | 'howWeMet'
  | 'tags'
  | 'contactIntervalDays'
>;
export type PersonValues = Omit<PersonRow, 'id'>;

const personColumns = {
  id: relationships.id,
  name: relationships.name,
  relationshipType: relationships.relationshipType,
  email: relationships.email,
  phone: relationships.phone,
  company: relationships.company,
  birthday: relationships.birthday,
  howWeMet: relationships.howWeMet,
  tags: relationships.tags,
  contactIntervalDays: relationships.contactIntervalDays,
};

/** A short fingerprint of a note's text: re-importing a file must not add its notes twice. */
export const noteDigest = (text: string) =>
  createHash('sha256').update(text).digest('base64url').slice(0, 22);

export type ImportBatch = {
  creates: { id: number; values: PersonValues }[];
  updates: { id: number; values: Partial<PersonValues> }[];
  notes: { relationshipId: number; text: string }[];
};

export type ExportPerson = PersonRow & { notes: string[] };

export class ContactsRepository {
  constructor(private readonly db: Database) {}

  /** Everyone the user has, with the fields an import compares and fills in. */
  async people(userId: number): Promise<PersonRow[]> {
    return this.db.select(personColumns).from(relationships).where(eq(relationships.userId, userId));
  }

  /** Digests of the user's notes that are not deleted, by person. */
  async noteDigests(userId: number): Promise<Map<number, Set<string>>> {
    const rows = await this.db
      .select({ relationshipId: notes.relationshipId, text: notes.text })
      .from(notes)
      .where(and(eq(notes.userId, userId), ne(notes.status, 'DELETED')));
    const out = new Map<number, Set<string>>();
    for (const row of rows) {
      const set = out.get(row.relationshipId) ?? new Set<string>();
      set.add(noteDigest(row.text));
      out.set(row.relationshipId, set);
    }
    return out;
  }

  /** Ids for people about to be created, taken from the table's sequence (so they are known before the insert). */
  async reserveIds(count: number): Promise<number[]> {
    if (count === 0) return [];
    const rows = await this.db
      .select({
        id: sql<number>`nextval(pg_get_serial_sequence('relationships', 'id'))::int`.mapWith(Number),
      })
      .from(sql`generate_series(1, ${count})`);
    return rows.map((r) => r.id);
  }

  /** One batch of an import, all or nothing. */
  async writeBatch(userId: number, batch: ImportBatch): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (batch.creates.length > 0) {
        await tx
          .insert(relationships)
          .values(batch.creates.map(({ id, values }) => ({ ...values, id, userId })));
      }
      for (const { id, values } of batch.updates) {
        await tx
          .update(relationships)
          .set({ ...values, updatedAt: new Date() })
          .where(and(eq(relationships.userId, userId), eq(relationships.id, id)));
      }
      if (batch.notes.length > 0) {
        await tx.insert(notes).values(
          batch.notes.map((n) => ({
            userId,
            relationshipId: n.relationshipId,
            text: n.text,
            source: 'MANUAL' as const,
            category: 'OTHER' as const,
          })),
        );
      }
    });
  }

  /** The user's people in pages (keyset on id), each with their ACTIVE notes, oldest first. */
  async *exportPeople(userId: number, pageSize = 1000): AsyncGenerator<ExportPerson[]> {
    let after = 0;
    for (;;) {
      const page = await this.db
        .select(personColumns)
        .from(relationships)
        .where(and(eq(relationships.userId, userId), gt(relationships.id, after)))
        .orderBy(asc(relationships.id))
        .limit(pageSize);
      if (page.length === 0) return;
      const noteRows = await this.db
        .select({ relationshipId: notes.relationshipId, text: notes.text })
        .from(notes)
        .where(
          and(
            eq(notes.userId, userId),
            eq(notes.status, 'ACTIVE'),
            inArray(
              notes.relationshipId,
              page.map((p) => p.id),
            ),
          ),
        )
        .orderBy(asc(notes.createdAt), asc(notes.id));
      const byPerson = new Map<number, string[]>();
      for (const n of noteRows)
        byPerson.set(n.relationshipId, [...(byPerson.get(n.relationshipId) ?? []), n.text]);
      yield page.map((p) => ({ ...p, notes: byPerson.get(p.id) ?? [] }));
      after = page.at(-1)!.id;
    }
  }
}
