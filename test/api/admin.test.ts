import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/modules/users/repository.js';
import { type Client, createTestContext, STRONG_PASSWORD, type TestContext } from '../helpers/app.js';

type User = Client & { userId: number; username: string };

let ctx: TestContext;
let staff: User;
let alice: User;
let bob: User;

beforeAll(async () => {
  ctx = await createTestContext();
  staff = await ctx.signUp();
  alice = await ctx.signUp();
  bob = await ctx.signUp();
  await new UsersRepository(ctx.database.db).update(staff.userId, { isStaff: true });
});
afterAll(() => ctx?.close());

describe('admin: users (staff only)', () => {
  it('answers 403 to a user who is not staff, on every admin route, and 401 without a token', async () => {
    for (const [method, url] of [
      ['GET', '/api/admin/users/'],
      ['GET', `/api/admin/users/${bob.userId}/`],
      ['PATCH', `/api/admin/users/${bob.userId}/`],
      ['POST', `/api/admin/users/${bob.userId}/reset-tokens/`],
    ] as const) {
      const res = await alice.request(method, url, method === 'GET' ? undefined : {});
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' });
      expect((await ctx.anonymous.request(method, url, method === 'GET' ? undefined : {})).status).toBe(401);
    }
  });

  it('lists every account with search, filters and ordering, never a password hash', async () => {
    const res = await staff.get(`/api/admin/users/?search=${alice.username}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 1, next: null, previous: null });
    expect(res.body.results[0]).toEqual({
      id: alice.userId,
      username: alice.username,
      email: `${alice.username}@example.com`,
      first_name: '',
      last_name: '',
      date_joined: expect.any(String),
      last_login: null,
      is_staff: false,
      is_active: true,
      tokens_count: 1,
    });
    expect(res.raw).not.toContain('argon2');

    for (const someone of [staff, bob]) {
      const found = await staff.get(`/api/admin/users/?search=${someone.username}`);
      expect(found.body.results.map((u: { id: number }) => u.id)).toEqual([someone.userId]);
    }
    // Ordering follows the database's collation; among this suite's `user_<hex>` names every
    // collation agrees (a shared PostgreSQL holds other suites' users too).
    const all = await staff.get('/api/admin/users/?page_size=200&ordering=-username');
    const names = all.body.results
      .map((u: { username: string }) => u.username)
      .filter((name: string) => /^user_[0-9a-f]+$/.test(name));
    expect(names).toEqual([...names].sort().reverse());

    const staffOnly = await staff.get('/api/admin/users/?is_staff=true&page_size=200');
    expect(staffOnly.body.results.map((u: { id: number }) => u.id)).toContain(staff.userId);
    expect(staffOnly.body.results.every((u: { is_staff: boolean }) => u.is_staff)).toBe(true);

    expect((await staff.get('/api/admin/users/?is_active=maybe')).status).toBe(400);
    expect((await staff.get('/api/admin/users/999999/')).status).toBe(404);
  });

  it('deactivating signs the user out at once and stops them logging in; reactivating lets them back', async () => {
    const victim = await ctx.signUp();
    const off = await staff.patch(`/api/admin/users/${victim.userId}/`, { is_active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: victim.userId, is_active: false });
    expect((await victim.get('/api/auth/users/me/')).status).toBe(401);
    const login = await ctx.anonymous.post('/api/auth/users/login/', {
      username: victim.username,
      password: STRONG_PASSWORD,
    });
    expect(login.status).toBe(400);

    const on = await staff.patch(`/api/admin/users/${victim.userId}/`, { is_active: true });
    expect(on.body.is_active).toBe(true);
    expect((await victim.get('/api/auth/users/me/')).status).toBe(200);
  });

  it('reset-tokens revokes every token of the user and says how many', async () => {
    const victim = await ctx.signUp();
    const second = await ctx.anonymous.post('/api/auth/users/login/', {
      username: victim.username,
      password: STRONG_PASSWORD,
    });
    expect(second.status).toBe(200);
    const res = await staff.post(`/api/admin/users/${victim.userId}/reset-tokens/`);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    expect((await victim.get('/api/auth/users/me/')).status).toBe(401);
    expect((await staff.get(`/api/admin/users/${victim.userId}/`)).body.tokens_count).toBe(0);
  });

  it('staff cannot deactivate themselves or drop their own staff status', async () => {
    for (const body of [{ is_active: false }, { is_staff: false }]) {
      const res = await staff.patch(`/api/admin/users/${staff.userId}/`, body);
      expect(res.status).toBe(400);
      expect(res.body.non_field_errors).toHaveLength(1);
    }
    expect((await staff.get('/api/auth/users/me/')).body.is_staff).toBe(true);
  });

  it('refuses bad bodies with field errors', async () => {
    const res = await staff.patch(`/api/admin/users/${bob.userId}/`, { is_active: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body).toHaveProperty('is_active');
  });
});
