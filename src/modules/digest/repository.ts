import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import { interactionParticipants, interactions, relationships } from '../../infra/db/schema.js';

export type PersonSummary = {
  id: number;
  name: string;
  relationshipType: (typeof relationships.$inferSelect)['relationshipType'];
};

export class DigestRepository {
  constructor(private readonly db: Database) {}

  async withBirthdays(userId: number): Promise<(PersonSummary & { birthday: string })[]> {
    const rows = await this.db
      .select({
        id: relationships.id,
        name: relationships.name,
        relationshipType: relationships.relationshipType,
        birthday: relationships.birthday,
      })
      .from(relationships)
      .where(and(eq(relationships.userId, userId), isNotNull(relationships.birthday)));
    return rows.filter((r): r is typeof r & { birthday: string } => r.birthday !== null);
  }

  /**
   * People whose last contact (their latest past interaction, or when they were added) is older
   * than their interval: their own, else `defaultDays` (0 = no default), most overdue first.
   */
  async dueToContact(
    userId: number,
    defaultDays: number,
    now: Date,
    limit: number,
  ): Promise<(PersonSummary & { intervalDays: number; lastContactAt: Date | null; since: Date })[]> {
    const interval = sql<number>`coalesce(${relationships.contactIntervalDays}, ${defaultDays})`;
    const lastContact = sql<Date | null>`(
      select max(i.occurred_at) from ${interactionParticipants} p
      join ${interactions} i on i.id = p.interaction_id
      where p.relationship_id = ${relationships}.id and i.occurred_at <= ${now})`;
    const since = sql<Date>`coalesce(${lastContact}, ${relationships}.created_at)`;
    const rows = await this.db
      .select({
        id: relationships.id,
        name: relationships.name,
        relationshipType: relationships.relationshipType,
        intervalDays: interval.mapWith(Number),
        lastContactAt: lastContact.mapWith((v) => (v === null ? null : new Date(v))),
        since: since.mapWith((v) => new Date(v)),
      })
      .from(relationships)
      .where(
        and(
          eq(relationships.userId, userId),
          sql`${interval} > 0`,
          sql`${since} < ${now}::timestamptz - make_interval(days => ${interval})`,
        ),
      )
      .orderBy(sql`${since} + make_interval(days => ${interval})`, relationships.id)
      .limit(limit);
    return rows;
  }
}
