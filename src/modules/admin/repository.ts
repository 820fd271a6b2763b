import { and, asc, count, desc, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import { authTokens, users } from '../../infra/db/schema.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { likePattern, parseOrdering, searchTerms } from '../../infra/http/query.js';
import { ADMIN_USER_ORDERINGS } from './schemas.js';

export type AdminUserRow = typeof users.$inferSelect & { tokensCount: number };

export type AdminUserFilters = {
  search?: string | undefined;
  isActive?: boolean | undefined;
  isStaff?: boolean | undefined;
  ordering?: string | undefined;
};

const orderColumns = { username: users.username, date_joined: users.dateJoined, last_login: users.lastLogin };

/**
 * Accounts across users, for staff. This is the one repository whose queries are not scoped to an
 * owner: the service lets only staff reach it.
 */
export class AdminRepository {
  constructor(private readonly db: Database) {}

  private tokensCount() {
    // Qualified by hand: inside a select Drizzle writes columns unqualified, and `id` would be the token's.
    return sql<number>`(select count(*)::int from auth_tokens where auth_tokens.user_id = "users"."id")`;
  }

  async listUsers(
    filters: AdminUserFilters,
    page: PageRequest,
  ): Promise<{ count: number; rows: AdminUserRow[] }> {
    const where: SQL[] = [];
    for (const term of searchTerms(filters.search)) {
      const pattern = likePattern(term);
      where.push(
        or(
          ilike(users.username, pattern),
          ilike(users.email, pattern),
          ilike(users.firstName, pattern),
          ilike(users.lastName, pattern),
        )!,
      );
    }
    if (filters.isActive !== undefined) where.push(eq(users.isActive, filters.isActive));
    if (filters.isStaff !== undefined) where.push(eq(users.isStaff, filters.isStaff));
    const ordering = parseOrdering(filters.ordering, ADMIN_USER_ORDERINGS, [
      { field: 'username', desc: false },
    ]);
    const condition = where.length > 0 ? and(...where) : undefined;
    const [total] = await this.db.select({ n: count() }).from(users).where(condition);
    const rows = await this.db
      .select({ user: users, tokensCount: this.tokensCount() })
      .from(users)
      .where(condition)
      .orderBy(
        ...ordering.map((o) => (o.desc ? desc(orderColumns[o.field]) : asc(orderColumns[o.field]))),
        asc(users.id),
      )
      .limit(page.pageSize)
      .offset(page.offset);
    return { count: total?.n ?? 0, rows: rows.map((r) => ({ ...r.user, tokensCount: r.tokensCount })) };
  }

  async findUser(id: number): Promise<AdminUserRow | undefined> {
    const [row] = await this.db
      .select({ user: users, tokensCount: this.tokensCount() })
      .from(users)
      .where(eq(users.id, id))
      .limit(1);
    return row && { ...row.user, tokensCount: row.tokensCount };
  }

  async updateUser(id: number, values: { isActive?: boolean; isStaff?: boolean }): Promise<void> {
    await this.db.update(users).set(values).where(eq(users.id, id));
  }

  /** Signs the user out of every device; answers how many tokens there were. */
  async deleteTokens(userId: number): Promise<number> {
    const deleted = await this.db
      .delete(authTokens)
      .where(eq(authTokens.userId, userId))
      .returning({ id: authTokens.id });
    return deleted.length;
  }
}
