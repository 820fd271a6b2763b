import { and, eq, ne, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import { authTokens, users } from '../../infra/db/schema.js';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

export class UsersRepository {
  constructor(private readonly db: Database) {}

  async create(values: NewUser): Promise<UserRow> {
    const [row] = await this.db.insert(users).values(values).returning();
    return row!;
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.username}) = lower(${username})`)
      .limit(1);
    return row;
  }

  async findById(id: number): Promise<UserRow | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    return row;
  }

  async update(
    id: number,
    values: Partial<
      Pick<UserRow, 'email' | 'firstName' | 'lastName' | 'passwordHash' | 'lastLogin' | 'isStaff'>
    >,
  ): Promise<UserRow> {
    const [row] = await this.db.update(users).set(values).where(eq(users.id, id)).returning();
    return row!;
  }

  async createToken(userId: number, keyHash: string, userAgent: string): Promise<void> {
    await this.db.insert(authTokens).values({ userId, keyHash, userAgent: userAgent.slice(0, 255) });
  }

  /** The active user a token belongs to, in one indexed query (this runs on every request). */
  async findUserByTokenHash(keyHash: string): Promise<UserRow | undefined> {
    const [row] = await this.db
      .select({ user: users })
      .from(authTokens)
      .innerJoin(users, eq(users.id, authTokens.userId))
      .where(eq(authTokens.keyHash, keyHash))
      .limit(1);
    return row?.user;
  }

  async deleteToken(keyHash: string): Promise<void> {
    await this.db.delete(authTokens).where(eq(authTokens.keyHash, keyHash));
  }

  async deleteOtherTokens(userId: number, keepKeyHash: string): Promise<void> {
    await this.db
      .delete(authTokens)
      .where(and(eq(authTokens.userId, userId), ne(authTokens.keyHash, keepKeyHash)));
  }
}
