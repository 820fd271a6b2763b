import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authTokens, users } from '../../src/infra/db/schema.js';
import {
  Client,
  createTestContext,
  type Response,
  STRONG_PASSWORD,
  type TestContext,
  uniqueName,
} from '../helpers/app.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const REGISTER = '/api/auth/users/register/';
const LOGIN = '/api/auth/users/login/';
const LOGOUT = '/api/auth/users/logout/';
const ME = '/api/auth/users/me/';
const CHANGE_PASSWORD = '/api/auth/users/change-password/';

const NEW_PASSWORD = 'quiet-meadow-77-compass';
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const TOKEN_KEY = /^[0-9a-f]{40}$/;
const BAD_CREDENTIALS = { non_field_errors: ['Unable to log in with provided credentials.'] };

/** The User fields of the contract; `is_staff` is an extra the CLI's tests rely on. */
const USER_FIELDS = ['date_joined', 'email', 'first_name', 'id', 'is_staff', 'last_name', 'username'];

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx?.close());

function registerBody(overrides: Record<string, unknown> = {}) {
  const username = uniqueName('reg');
  return {
    username,
    email: `${username}@example.com`,
    password: STRONG_PASSWORD,
    password_confirm: STRONG_PASSWORD,
    ...overrides,
  };
}

function register(overrides: Record<string, unknown> = {}) {
  return ctx.anonymous.post(REGISTER, registerBody(overrides));
}

function login(username: string, password: string, app: FastifyInstance = ctx.app) {
  return new Client(app).post(LOGIN, { username, password });
}

/** Logs in and returns a client holding the new token. */
async function loginClient(username: string, password = STRONG_PASSWORD): Promise<Client> {
  const res = await login(username, password);
  expect(res.status).toBe(200);
  return new Client(ctx.app, res.body.token);
}

/** No response may carry a password or its hash. */
function expectNoSecrets(res: Response) {
  expect(res.raw).not.toMatch(/argon2/i);
  expect(res.raw).not.toMatch(/password_hash|passwordHash/);
  expect(res.raw).not.toContain(STRONG_PASSWORD);
  expect(res.raw).not.toContain(NEW_PASSWORD);
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

async function tokenRows(userId: number) {
  return ctx.database.db.select().from(authTokens).where(eq(authTokens.userId, userId));
}

// ---------------------------------------------------------------------------------------------
// Register
// ---------------------------------------------------------------------------------------------

describe('register', () => {
  it('creates the user and returns it with a 40-hex token that works', async () => {
    const body = registerBody({ first_name: 'Ada', last_name: 'Lovelace' });
    const res = await ctx.anonymous.post(REGISTER, body);
    expect(res.status).toBe(201);
    expectNoSecrets(res);
    expect(Object.keys(res.body).sort()).toEqual(['token', 'user']);
    expect(Object.keys(res.body.user).sort()).toEqual(USER_FIELDS);
    expect(res.body.user).toEqual({
      id: expect.any(Number),
      username: body.username,
      email: body.email,
      first_name: 'Ada',
      last_name: 'Lovelace',
      date_joined: expect.stringMatching(ISO_TIMESTAMP),
      is_staff: false,
    });
    expect(Math.abs(Date.parse(res.body.user.date_joined) - Date.now())).toBeLessThan(60_000);
    expect(res.body.token).toMatch(TOKEN_KEY);

    const me = await new Client(ctx.app, res.body.token).get(ME);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('defaults first and last name to ""', async () => {
    const res = await register();
    expect(res.status).toBe(201);
    expect(res.body.user.first_name).toBe('');
    expect(res.body.user.last_name).toBe('');
  });

  it('stores an argon2 hash, never the password', async () => {
    const res = await register();
    const [row] = await ctx.database.db.select().from(users).where(eq(users.id, res.body.user.id));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row!.passwordHash).not.toContain(STRONG_PASSWORD);
  });

  it('refuses a username already taken, case-insensitively', async () => {
    const first = await register();
    expect(first.status).toBe(201);
    const taken = first.body.user.username as string;
    for (const username of [taken, taken.toUpperCase(), ` ${taken} `]) {
      const res = await register({ username, email: 'other@example.com' });
      expect(res.status, username).toBe(400);
      expect(res.body).toEqual({ username: ['A user with that username already exists.'] });
    }
  });

  it('refuses an invalid username', async () => {
    const res = await register({ username: 'has space!' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      username: [
        'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
      ],
    });
  });

  it('refuses an invalid email', async () => {
    for (const email of ['not-an-email', 'a@', '@example.com', '']) {
      const res = await register({ email });
      expect(res.status, email).toBe(400);
      expect(res.body).toEqual({ email: ['Enter a valid email address.'] });
    }
  });

  it('names every missing required field', async () => {
    const res = await ctx.anonymous.post(REGISTER, {});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      username: ['This field is required.'],
      email: ['This field is required.'],
      password: ['This field is required.'],
      password_confirm: ['This field is required.'],
    });
  });

  it('refuses blank passwords as blank, before the password rules', async () => {
    const res = await register({ password: '', password_confirm: '' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      password: ['This field may not be blank.'],
      password_confirm: ['This field may not be blank.'],
    });
  });

  it('refuses malformed JSON with a detail', async () => {
    const res = await ctx.anonymous.request('POST', REGISTER, '{"username": ', {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['detail']);
    expect(res.body.detail).toMatch(/^JSON parse error/);
  });

  describe('password rules (Django validators and messages)', () => {
    async function expectPasswordErrors(password: string, messages: string[], extra = {}) {
      const body = registerBody({ password, password_confirm: password, ...extra });
      const res = await ctx.anonymous.post(REGISTER, body);
      expect(res.status, password).toBe(400);
      expect(Object.keys(res.body)).toEqual(['password']);
      expect([...res.body.password].sort()).toEqual([...messages].sort());
      // Nothing was created.
      const rows = await ctx.database.db.select().from(users).where(eq(users.username, body.username));
      expect(rows).toHaveLength(0);
    }

    it('refuses fewer than 8 characters', async () => {
      await expectPasswordErrors('k9#Vq2x', [
        'This password is too short. It must contain at least 8 characters.',
      ]);
    });

    it('accepts exactly 8 characters', async () => {
      const res = await register({ password: 'k9#Vq2xZ', password_confirm: 'k9#Vq2xZ' });
      expect(res.status).toBe(201);
    });

    it('refuses an entirely numeric password', async () => {
      await expectPasswordErrors('4829163057', ['This password is entirely numeric.']);
    });

    it('refuses a common password', async () => {
      await expectPasswordErrors('password123', ['This password is too common.']);
      await expectPasswordErrors('PassWord123', ['This password is too common.']);
    });

    it('refuses a short, common, numeric password with every message', async () => {
      await expectPasswordErrors('1234567', [
        'This password is too short. It must contain at least 8 characters.',
        'This password is too common.',
        'This password is entirely numeric.',
      ]);
    });

    it('refuses a password too similar to the username', async () => {
      const username = uniqueName('lanternfish');
      await expectPasswordErrors(`${username}!`, ['The password is too similar to the username.'], {
        username,
        email: 'someone@example.com',
      });
    });

    it('refuses a password too similar to the email address', async () => {
      await expectPasswordErrors('copperkettle99', ['The password is too similar to the email address.'], {
        email: 'copperkettle99@example.com',
      });
    });

    it('refuses a password too similar to the first name', async () => {
      await expectPasswordErrors('Bartholomew1', ['The password is too similar to the first name.'], {
        first_name: 'Bartholomew',
      });
    });

    it('refuses a password_confirm that does not match', async () => {
      const body = registerBody({ password_confirm: `${STRONG_PASSWORD}x` });
      const res = await ctx.anonymous.post(REGISTER, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ password_confirm: ["The two password fields didn't match."] });
      expect((await login(body.username, STRONG_PASSWORD)).status).toBe(400);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------------------------

describe('login', () => {
  it('returns the user and a new token on each login; every token works', async () => {
    const alice = await ctx.signUp();
    const first = await login(alice.username, STRONG_PASSWORD);
    const second = await login(alice.username, STRONG_PASSWORD);
    for (const res of [first, second]) {
      expect(res.status).toBe(200);
      expectNoSecrets(res);
      expect(res.body.token).toMatch(TOKEN_KEY);
      expect(res.body.user).toMatchObject({ id: alice.userId, username: alice.username });
      expect(Object.keys(res.body.user).sort()).toEqual(USER_FIELDS);
    }
    const tokens = new Set([alice.token, first.body.token, second.body.token]);
    expect(tokens.size).toBe(3);
    for (const token of tokens) {
      const me = await new Client(ctx.app, token).get(ME);
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(alice.userId);
    }
    expect(await tokenRows(alice.userId)).toHaveLength(3);
  });

  it('refuses a wrong password with DRF non_field_errors', async () => {
    const alice = await ctx.signUp();
    const res = await login(alice.username, `${STRONG_PASSWORD}!`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(BAD_CREDENTIALS);
    expect(await tokenRows(alice.userId)).toHaveLength(1);
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    const res = await login(uniqueName('ghost'), STRONG_PASSWORD);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(BAD_CREDENTIALS);
  });

  it('names missing and blank fields', async () => {
    const res = await ctx.anonymous.post(LOGIN, {});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      username: ['This field is required.'],
      password: ['This field is required.'],
    });
    const blank = await ctx.anonymous.post(LOGIN, { username: '', password: '' });
    expect(blank.status).toBe(400);
    expect(blank.body).toEqual({
      username: ['This field may not be blank.'],
      password: ['This field may not be blank.'],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Login rate limiting (own app: small limits; each test uses its own client IP)
// ---------------------------------------------------------------------------------------------

describe('login rate limiting', () => {
  let throttled: TestContext;
  beforeAll(async () => {
    throttled = await createTestContext({
      LOGIN_MAX_FAILURES_PER_USER: '3',
      LOGIN_MAX_FAILURES_PER_IP: '5',
      LOGIN_FAILURE_WINDOW_SECONDS: '120',
    });
  });
  afterAll(() => throttled?.close());

  async function loginFrom(ip: string, username: string, password: string) {
    const res = await throttled.app.inject({
      method: 'POST',
      url: LOGIN,
      remoteAddress: ip,
      payload: { username, password },
    });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  }

  function expectThrottled(res: Awaited<ReturnType<typeof loginFrom>>) {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(res.body).toEqual({
      detail: `Request was throttled. Expected available in ${retryAfter} seconds.`,
    });
  }

  it('refuses a username with 429 and Retry-After after N failures, even with the right password', async () => {
    const bob = await throttled.signUp();
    const ip = '10.0.1.1';
    for (let i = 0; i < 3; i++) {
      const res = await loginFrom(ip, bob.username, 'wrong-password-here');
      expect(res.status, `failure ${i + 1}`).toBe(400);
      expect(res.body).toEqual(BAD_CREDENTIALS);
    }
    expectThrottled(await loginFrom(ip, bob.username, 'wrong-password-here'));
    expectThrottled(await loginFrom(ip, bob.username, STRONG_PASSWORD));
    // From another address too: the limit is per username.
    expectThrottled(await loginFrom('10.0.1.2', bob.username, STRONG_PASSWORD));
    const rows = await throttled.database.db
      .select()
      .from(authTokens)
      .where(eq(authTokens.userId, bob.userId));
    expect(rows).toHaveLength(1); // only the sign-up token
    // The existing token is not affected.
    expect((await bob.get(ME)).status).toBe(200);
  });

  it('counts username variants that differ only in case together', async () => {
    const carol = await throttled.signUp();
    const ip = '10.0.2.1';
    for (const name of [carol.username, carol.username.toUpperCase(), ` ${carol.username}`]) {
      expect((await loginFrom(ip, name, 'wrong-password-here')).status).toBe(400);
    }
    expectThrottled(await loginFrom(ip, carol.username, STRONG_PASSWORD));
  });

  it('does not throttle other usernames', async () => {
    const dave = await throttled.signUp();
    const erin = await throttled.signUp();
    const ip = '10.0.3.1';
    for (let i = 0; i < 3; i++) await loginFrom(ip, dave.username, 'wrong-password-here');
    expectThrottled(await loginFrom(ip, dave.username, STRONG_PASSWORD));
    const ok = await loginFrom('10.0.3.2', erin.username, STRONG_PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.body.token).toMatch(TOKEN_KEY);
  });

  it('a successful login clears the username count', async () => {
    const frank = await throttled.signUp();
    const ip = '10.0.4.1';
    for (let i = 0; i < 2; i++)
      expect((await loginFrom(ip, frank.username, 'nope-nope-nope')).status).toBe(400);
    expect((await loginFrom(ip, frank.username, STRONG_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await loginFrom(ip, frank.username, 'nope-nope-nope')).status).toBe(400);
    expect((await loginFrom(ip, frank.username, STRONG_PASSWORD)).status).toBe(200);
  });

  it('refuses a client address after N failures across usernames', async () => {
    const grace = await throttled.signUp();
    const ip = '10.0.5.1';
    for (let i = 0; i < 5; i++) {
      expect((await loginFrom(ip, uniqueName('guess'), 'wrong-password-here')).status).toBe(400);
    }
    expectThrottled(await loginFrom(ip, grace.username, STRONG_PASSWORD));
    // The same user from another address is fine.
    expect((await loginFrom('10.0.5.2', grace.username, STRONG_PASSWORD)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------------------------

describe('logout', () => {
  it('revokes only the token of the request', async () => {
    const alice = await ctx.signUp();
    const phone = await loginClient(alice.username);
    const laptop = await loginClient(alice.username);

    const res = await phone.post(LOGOUT);
    expect(res.status).toBe(204);
    expect(res.raw).toBe('');

    const after = await phone.get(ME);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ detail: 'Invalid token.' });
    expect((await laptop.get(ME)).status).toBe(200);
    expect((await alice.get(ME)).status).toBe(200);

    const rows = await tokenRows(alice.userId);
    expect(rows.map((r) => r.keyHash).sort()).toEqual([sha256(alice.token!), sha256(laptop.token!)].sort());
    // Logging out again with the revoked token is a 401.
    expect((await phone.post(LOGOUT)).status).toBe(401);
  });

  it('needs a token', async () => {
    const res = await ctx.anonymous.post(LOGOUT);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });
});

// ---------------------------------------------------------------------------------------------
// Me
// ---------------------------------------------------------------------------------------------

describe('me', () => {
  it('returns the current user and nothing secret', async () => {
    const alice = await ctx.signUp();
    const res = await alice.get(ME);
    expect(res.status).toBe(200);
    expectNoSecrets(res);
    expect(res.body).toEqual({
      id: alice.userId,
      username: alice.username,
      email: `${alice.username}@example.com`,
      first_name: '',
      last_name: '',
      date_joined: expect.stringMatching(ISO_TIMESTAMP),
      is_staff: false,
    });
  });

  it('PATCH updates names and email and ignores read-only fields', async () => {
    const alice = await ctx.signUp();
    const before = (await alice.get(ME)).body;
    const res = await alice.patch(ME, {
      first_name: '  Alice ',
      last_name: 'Liddell',
      email: 'alice.liddell@example.org',
      username: 'hijacked',
      id: 1,
      date_joined: '2000-01-01T00:00:00Z',
      is_staff: true,
      password: 'sneaky-new-password-1',
    });
    expect(res.status).toBe(200);
    expectNoSecrets(res);
    const expected = {
      ...before,
      first_name: 'Alice',
      last_name: 'Liddell',
      email: 'alice.liddell@example.org',
    };
    expect(res.body).toEqual(expected);
    expect((await alice.get(ME)).body).toEqual(expected);
    // The password was not changed through PATCH.
    expect((await login(alice.username, STRONG_PASSWORD)).status).toBe(200);
  });

  it('PATCH with one field leaves the others', async () => {
    const alice = await ctx.signUp();
    await alice.patch(ME, { first_name: 'Alice', last_name: 'Liddell' });
    const res = await alice.patch(ME, { last_name: 'Hargreaves' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ first_name: 'Alice', last_name: 'Hargreaves' });
  });

  it('PATCH with nothing to change (or only read-only fields) returns the user unchanged', async () => {
    const alice = await ctx.signUp();
    const before = (await alice.get(ME)).body;
    for (const body of [{}, { username: 'someone-else' }]) {
      const res = await alice.patch(ME, body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.body).toEqual(before);
    }
  });

  it('PATCH validates the email and name lengths', async () => {
    const alice = await ctx.signUp();
    const bad = await alice.patch(ME, { email: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ email: ['Enter a valid email address.'] });

    const long = await alice.patch(ME, { first_name: 'x'.repeat(151) });
    expect(long.status).toBe(400);
    expect(long.body).toEqual({ first_name: ['Ensure this field has no more than 150 characters.'] });

    const wrongType = await alice.patch(ME, { last_name: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toEqual({ last_name: ['Not a valid string.'] });

    expect((await alice.get(ME)).body).toMatchObject({
      email: `${alice.username}@example.com`,
      first_name: '',
      last_name: '',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Change password
// ---------------------------------------------------------------------------------------------

describe('change password', () => {
  it('refuses a wrong current password', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(CHANGE_PASSWORD, {
      current_password: 'not-my-password',
      new_password: NEW_PASSWORD,
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      current_password: ['Your old password was entered incorrectly. Please enter it again.'],
    });
    expect((await login(alice.username, STRONG_PASSWORD)).status).toBe(200);
    expect((await login(alice.username, NEW_PASSWORD)).status).toBe(400);
  });

  it('refuses a weak new password with Django messages', async () => {
    const alice = await ctx.signUp();
    const cases: [string, string[]][] = [
      ['short1!', ['This password is too short. It must contain at least 8 characters.']],
      ['password123', ['This password is too common.']],
      ['4829163057', ['This password is entirely numeric.']],
      [`${alice.username}`, ['The password is too similar to the username.']],
    ];
    for (const [password, messages] of cases) {
      const res = await alice.post(CHANGE_PASSWORD, {
        current_password: STRONG_PASSWORD,
        new_password: password,
      });
      expect(res.status, password).toBe(400);
      expect(res.body).toEqual({ new_password: messages });
    }
    expect((await login(alice.username, STRONG_PASSWORD)).status).toBe(200);
  });

  it('refuses a new_password_confirm that does not match', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(CHANGE_PASSWORD, {
      current_password: STRONG_PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: `${NEW_PASSWORD}x`,
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ new_password_confirm: ["The two password fields didn't match."] });
  });

  it('changes the password, revokes every other token and keeps the calling one', async () => {
    const alice = await ctx.signUp();
    const other = await loginClient(alice.username);
    const caller = await loginClient(alice.username);

    const res = await caller.post(CHANGE_PASSWORD, {
      current_password: STRONG_PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ detail: 'Password changed.' });
    expectNoSecrets(res);

    expect((await caller.get(ME)).status).toBe(200);
    for (const revoked of [alice, other]) {
      const me = await revoked.get(ME);
      expect(me.status).toBe(401);
      expect(me.body).toEqual({ detail: 'Invalid token.' });
    }
    expect((await tokenRows(alice.userId)).map((r) => r.keyHash)).toEqual([sha256(caller.token!)]);

    const old = await login(alice.username, STRONG_PASSWORD);
    expect(old.status).toBe(400);
    expect(old.body).toEqual(BAD_CREDENTIALS);
    const fresh = await login(alice.username, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    expect(fresh.body.user.id).toBe(alice.userId);
  });

  it('needs a token', async () => {
    const res = await ctx.anonymous.post(CHANGE_PASSWORD, {
      current_password: STRONG_PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(res.status).toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------
// Token authentication
// ---------------------------------------------------------------------------------------------

describe('token authentication', () => {
  async function meWith(authorization: string | undefined) {
    return ctx.anonymous.request('GET', ME, undefined, authorization === undefined ? {} : { authorization });
  }

  function expect401(res: Response, detail: string) {
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail });
    expect(res.headers['www-authenticate']).toBe('Token');
  }

  it('a missing token is 401 with WWW-Authenticate on every protected endpoint', async () => {
    for (const url of [ME, '/api/relationships/', '/api/notes/', '/api/interactions/']) {
      expect401(await ctx.anonymous.get(url), 'Authentication credentials were not provided.');
    }
  });

  it('an unknown token is 401 Invalid token', async () => {
    expect401(await meWith(`Token ${'0'.repeat(40)}`), 'Invalid token.');
    expect401(await meWith('Token not-even-hex'), 'Invalid token.');
  });

  it('malformed Token headers are 401 with DRF messages', async () => {
    expect401(await meWith('Token'), 'Invalid token header. No credentials provided.');
    expect401(await meWith('Token abc def'), 'Invalid token header. Token string should not contain spaces.');
  });

  it('another auth scheme is treated as no credentials', async () => {
    expect401(await meWith('Basic dXNlcjpwYXNz'), 'Authentication credentials were not provided.');
  });

  it('the scheme is case-insensitive', async () => {
    const alice = await ctx.signUp();
    const res = await meWith(`token ${alice.token}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(alice.userId);
  });

  it('register, login and health need no token', async () => {
    expect((await ctx.anonymous.get('/api/health/')).status).toBe(200);
    expect((await register()).status).toBe(201);
    expect((await login(uniqueName('ghost'), STRONG_PASSWORD)).status).toBe(400);
  });
});

// ---------------------------------------------------------------------------------------------
// Token storage
// ---------------------------------------------------------------------------------------------

describe('token storage', () => {
  it('stores only a SHA-256 hash of each key', async () => {
    const alice = await ctx.signUp();
    const second = await loginClient(alice.username);
    const keys = [alice.token!, second.token!];
    const rows = await tokenRows(alice.userId);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        for (const key of keys) expect(String(value)).not.toContain(key);
      }
    }
    expect(rows.map((r) => r.keyHash).sort()).toEqual(keys.map(sha256).sort());
  });
});
