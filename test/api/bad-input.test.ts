import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignaturesRepository } from '../../src/modules/signatures/repository.js';
import { UsersRepository } from '../../src/modules/users/repository.js';
import {
  type Client,
  createTestContext,
  type Response,
  STRONG_PASSWORD,
  type TestContext,
  uniqueName,
} from '../helpers/app.js';
import { importFile } from '../helpers/contacts.js';
import { TEST_VOICE_DIM } from '../helpers/database.js';

/**
 * Bad input on every write route and every list: malformed or oversize bodies, wrong types,
 * impossible values, foreign ids no row can have. Whatever arrives, the answer is a 4xx in DRF's
 * shape, never a 500. Ends with property-based tests throwing random JSON and query strings.
 */

type User = Client & { userId: number; username: string };
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const KB100 = 'x'.repeat(100_000);
const FACE_DIM = 128;

let ctx: TestContext;
let user: User;
/** Signs in and has their password changed by the tests; kept apart from `user`. */
let pwUser: User;
/** A staff account, for the admin routes. */
let staff: User;
let ids: {
  relationship: number;
  interaction: number;
  note: number;
  face: number;
  voice: number;
  user: number;
};

// ---------------------------------------------------------------------------------------------
// The write routes and their fields
// ---------------------------------------------------------------------------------------------

type FieldType =
  | 'text'
  | 'username'
  | 'email'
  | 'password'
  | 'enum'
  | 'int?'
  | 'number'
  | 'fk'
  | 'fk?'
  | 'fk[]'
  | 'tags'
  | 'date?'
  | 'datetime'
  | 'transcription'
  | 'bool';

type WriteRoute = {
  route: string;
  as: 'anonymous' | 'user' | 'pwUser' | 'staff';
  /** The object the path's `:id` names. */
  target?: keyof typeof ids;
  /** A body the route accepts (fresh on every call). */
  valid: () => Record<string, unknown>;
  okStatus: number;
  fields: Record<string, FieldType>;
  /** Fields the route cannot do without. */
  required?: string[];
  enums?: Record<string, readonly string[]>;
};

const RELATIONSHIP_TYPES = ['FAMILY', 'FRIEND', 'COLLEAGUE', 'BUSINESS', 'ACQUAINTANCE', 'OTHER'];
const INTERACTION_TYPES = ['VIDEO_CALL', 'PHONE_CALL', 'MEETING', 'IN_PERSON', 'MESSAGE', 'EMAIL', 'OTHER'];
const NOTE_CATEGORIES = ['FACT', 'PREFERENCE', 'EVENT', 'TASK', 'FAMILY', 'WORK', 'HEALTH', 'OTHER'];
const NOTE_STATUSES = ['ACTIVE', 'ARCHIVED', 'DELETED'];

const relationshipFields: Record<string, FieldType> = {
  name: 'text',
  relationship_type: 'enum',
  email: 'email',
  phone: 'text',
  company: 'text',
  birthday: 'date?',
  how_we_met: 'text',
  tags: 'tags',
  contact_interval_days: 'int?',
};
const interactionFields: Record<string, FieldType> = {
  interaction_type: 'enum',
  title: 'text',
  occurred_at: 'datetime',
  duration_seconds: 'int?',
  participants: 'fk[]',
  summary: 'text',
  transcription: 'transcription',
};
const noteFields: Record<string, FieldType> = {
  relationship: 'fk',
  text: 'text',
  interaction: 'fk?',
  category: 'enum',
  importance: 'number',
  status: 'enum',
};

const WRITE_ROUTES: WriteRoute[] = [
  {
    route: 'POST /api/auth/users/register',
    as: 'anonymous',
    valid: () => {
      const username = uniqueName('bad_input');
      return {
        username,
        email: `${username}@example.com`,
        password: STRONG_PASSWORD,
        password_confirm: STRONG_PASSWORD,
      };
    },
    okStatus: 201,
    fields: {
      username: 'username',
      email: 'email',
      password: 'password',
      password_confirm: 'password',
      first_name: 'text',
      last_name: 'text',
    },
    required: ['username', 'email', 'password', 'password_confirm'],
  },
  {
    route: 'POST /api/auth/users/login',
    as: 'anonymous',
    valid: () => ({ username: pwUser.username, password: STRONG_PASSWORD }),
    okStatus: 200,
    fields: { username: 'text', password: 'password' },
    required: ['username', 'password'],
  },
  {
    route: 'PATCH /api/auth/users/me',
    as: 'user',
    valid: () => ({ first_name: 'Ann', last_name: 'Other', email: `${user.username}@example.com` }),
    okStatus: 200,
    fields: { first_name: 'text', last_name: 'text', email: 'email' },
  },
  {
    route: 'POST /api/auth/users/change-password',
    as: 'pwUser',
    valid: () => ({
      current_password: STRONG_PASSWORD,
      new_password: STRONG_PASSWORD,
      new_password_confirm: STRONG_PASSWORD,
    }),
    okStatus: 200,
    fields: { current_password: 'password', new_password: 'password', new_password_confirm: 'password' },
    required: ['current_password', 'new_password'],
  },
  ...(['POST', 'PUT', 'PATCH'] as const).map(
    (method): WriteRoute => ({
      route: `${method} /api/relationships${method === 'POST' ? '' : '/:id'}`,
      as: 'user',
      ...(method !== 'POST' && { target: 'relationship' as const }),
      valid: () => ({ name: 'Grace Hopper', relationship_type: 'COLLEAGUE' }),
      okStatus: method === 'POST' ? 201 : 200,
      fields: relationshipFields,
      required: method === 'PATCH' ? [] : ['name', 'relationship_type'],
      enums: { relationship_type: RELATIONSHIP_TYPES },
    }),
  ),
  ...(['POST', 'PUT', 'PATCH'] as const).map(
    (method): WriteRoute => ({
      route: `${method} /api/interactions${method === 'POST' ? '' : '/:id'}`,
      as: 'user',
      ...(method !== 'POST' && { target: 'interaction' as const }),
      valid: () => ({ interaction_type: 'MEETING', participants: [ids.relationship] }),
      okStatus: method === 'POST' ? 201 : 200,
      fields: interactionFields,
      required: method === 'PATCH' ? [] : ['interaction_type'],
      enums: { interaction_type: INTERACTION_TYPES },
    }),
  ),
  ...(['POST', 'PUT', 'PATCH'] as const).map(
    (method): WriteRoute => ({
      route: `${method} /api/notes${method === 'POST' ? '' : '/:id'}`,
      as: 'user',
      ...(method !== 'POST' && { target: 'note' as const }),
      valid: () => ({ relationship: ids.relationship, text: 'Likes tea', interaction: ids.interaction }),
      okStatus: method === 'POST' ? 201 : 200,
      fields: noteFields,
      required: method === 'PATCH' ? [] : ['relationship', 'text'],
      enums: { category: NOTE_CATEGORIES, status: NOTE_STATUSES },
    }),
  ),
  {
    route: 'POST /api/interactions/:id/transcript',
    as: 'user',
    target: 'interaction',
    valid: () => ({ text: 'Ada: I started a new job at the observatory.' }),
    okStatus: 202,
    fields: { text: 'transcription', format: 'enum' },
    required: ['text'],
    enums: { format: ['VTT', 'SRT', 'TEXT'] },
  },
  ...(['faces', 'voices'] as const).map(
    (kind): WriteRoute => ({
      route: `PATCH /api/signatures/${kind}/:id`,
      as: 'user',
      target: kind === 'faces' ? 'face' : 'voice',
      valid: () => ({ relationship: ids.relationship }),
      okStatus: 200,
      fields: { relationship: 'fk?' },
      required: ['relationship'],
    }),
  ),
  {
    route: 'PATCH /api/admin/users/:id',
    as: 'staff',
    target: 'user',
    valid: () => ({ is_active: true, is_staff: false }),
    okStatus: 200,
    fields: { is_active: 'bool', is_staff: 'bool' },
  },
];

/** POST routes that take no JSON body. */
const NO_JSON_BODY = ['POST /api/auth/users/logout'];

const methodOf = (route: string) => route.slice(0, route.indexOf(' ')) as Method;
const pathOf = (route: string) => route.slice(route.indexOf(' ') + 1);

function clientFor(w: WriteRoute): Client {
  return { anonymous: ctx.anonymous, pwUser, staff, user }[w.as];
}

function urlFor(w: WriteRoute, id?: number | string): string {
  const path = pathOf(w.route);
  return `${w.target ? path.replace(':id', String(id ?? ids[w.target])) : path}/`;
}

/** Any JSON text (or none), with a JSON content type unless told otherwise. */
function sendRaw(
  client: Client,
  method: string,
  url: string,
  payload: string | undefined,
  contentType: string | null = 'application/json',
): Promise<Response> {
  return client.request(method as Method, url, payload, contentType ? { 'content-type': contentType } : {});
}

function sendJson(w: WriteRoute, value: unknown, id?: number | string): Promise<Response> {
  return sendRaw(clientFor(w), methodOf(w.route), urlFor(w, id), JSON.stringify(value));
}

// ---------------------------------------------------------------------------------------------
// The answers
// ---------------------------------------------------------------------------------------------

/** `{"detail": "..."}` or `{"field": ["message", ...], ...}`. */
function isDrfError(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const entries = Object.entries(body);
  if (entries.length === 0) return false;
  if (entries.length === 1 && entries[0]![0] === 'detail') return typeof entries[0]![1] === 'string';
  return entries.every(
    ([, v]) => Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'string' && m.length > 0),
  );
}

function expectDrfError(res: Response, status: number, label = ''): void {
  expect(res.status, `${label} ${res.raw.slice(0, 500)}`).toBe(status);
  expect(String(res.headers['content-type']), label).toMatch(/^application\/json/);
  expect(isDrfError(res.body), `${label} not DRF-shaped: ${res.raw.slice(0, 500)}`).toBe(true);
}

/** 400 naming exactly these fields. */
function expectFieldErrors(res: Response, fields: string[], label = ''): void {
  expectDrfError(res, 400, label);
  expect(Object.keys(res.body).sort(), `${label} ${res.raw.slice(0, 500)}`).toEqual([...fields].sort());
}

/** Never a 500; a JSON answer, DRF-shaped when it is an error. */
function expectSane(res: Response, label: string): void {
  expect(res.status, `${label} → ${res.raw.slice(0, 500)}`).toBeLessThan(500);
  if (res.status === 204) {
    expect(res.raw, label).toBe('');
    return;
  }
  expect(String(res.headers['content-type']), label).toMatch(/^application\/json/);
  expect(res.body, `${label}: not JSON: ${res.raw.slice(0, 200)}`).toBeTypeOf('object');
  if (res.status >= 400) expect(isDrfError(res.body), `${label}: ${res.raw.slice(0, 500)}`).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Routes from the app itself, so a new write route or list cannot go untested
// ---------------------------------------------------------------------------------------------

type OpenApiOperation = {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
};

function operations(app: FastifyInstance): Map<string, OpenApiOperation> {
  const spec = app.swagger() as unknown as { paths: Record<string, Record<string, OpenApiOperation>> };
  const out = new Map<string, OpenApiOperation>();
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      out.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1').replace(/\/+$/, '')}`, op);
    }
  }
  return out;
}

/** `METHOD /path` for every route in the router (HEAD included), from `printRoutes`. */
function routerRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack[depth] = (stack[depth - 1] ?? '') + m[2]!;
    for (const method of (m[3] ?? '').split(',').filter((s) => s.trim())) {
      routes.push(`${method.trim()} ${stack[depth]!.replace(/\/+$/, '')}`);
    }
  }
  return routes;
}

const LIST_FILTERS: Record<string, { ids: string[]; filters: Record<string, string>; staffOnly?: boolean }> =
  {
    '/api/relationships': { ids: [], filters: { relationship_type: 'FRIEND', tag: 'x', search: 'x' } },
    '/api/interactions': {
      ids: ['participant'],
      filters: {
        interaction_type: 'MEETING',
        processing_status: 'NONE',
        occurred_after: '2026-01-01',
        occurred_before: '2026-01-01T00:00:00Z',
        search: 'x',
      },
    },
    '/api/notes': {
      ids: ['relationship', 'interaction'],
      filters: { status: 'ACTIVE', category: 'FACT', search: 'x' },
    },
    '/api/signatures/faces': { ids: ['relationship'], filters: { unassigned: 'true' } },
    '/api/signatures/voices': { ids: ['relationship'], filters: { unassigned: 'true' } },
    '/api/relationships/:id/notes': { ids: [], filters: {} },
    '/api/admin/users': {
      ids: [],
      filters: { is_active: 'true', is_staff: 'false', search: 'x' },
      staffOnly: true,
    },
  };

/** Who reads a list: staff for the admin lists, the ordinary user otherwise. */
const listClient = (path: string): Client => (LIST_FILTERS[path]?.staffOnly ? staff : user);

function listUrl(path: string): string {
  return `${path.replace(':id', String(ids.relationship))}/`;
}

beforeAll(async () => {
  // Failed logins are part of the test: the throttle must not turn them into 429s.
  ctx = await createTestContext({
    LOGIN_MAX_FAILURES_PER_USER: '1000000',
    LOGIN_MAX_FAILURES_PER_IP: '1000000',
  });
  user = await ctx.signUp(uniqueName('bad_input'));
  pwUser = await ctx.signUp(uniqueName('bad_input_pw'));
  staff = await ctx.signUp(uniqueName('bad_input_staff'));
  await new UsersRepository(ctx.database.db).update(staff.userId, { isStaff: true });
  const rel = await user.post('/api/relationships/', {
    name: 'Ada',
    relationship_type: 'FRIEND',
    tags: ['x'],
  });
  const interaction = await user.post('/api/interactions/', {
    interaction_type: 'MEETING',
    participants: [rel.body.id],
    occurred_at: '2026-01-01T10:00:00Z',
  });
  const note = await user.post('/api/notes/', {
    relationship: rel.body.id,
    interaction: interaction.body.id,
    text: 'Likes tea',
  });
  const signatures = new SignaturesRepository(ctx.database.db);
  const face = await signatures.create(user.userId, 'face', { embedding: Array(FACE_DIM).fill(0.1) });
  const voice = await signatures.create(user.userId, 'voice', { embedding: Array(TEST_VOICE_DIM).fill(0.1) });
  ids = {
    relationship: rel.body.id,
    interaction: interaction.body.id,
    note: note.body.id,
    face: face.id,
    voice: voice.id,
    user: pwUser.userId,
  };
});
afterAll(() => ctx?.close());

describe('the tables below cover the app', () => {
  it('every route taking a JSON body is in WRITE_ROUTES, with every field it declares', () => {
    const ops = operations(ctx.app);
    const writes = new Set(
      [...routerRoutes(ctx.app), ...ops.keys()].filter((r) => ['POST', 'PUT', 'PATCH'].includes(methodOf(r))),
    );
    expect(writes.size).toBeGreaterThan(10);
    const known = new Map(WRITE_ROUTES.map((w) => [w.route, w]));
    for (const route of writes) {
      const properties = ops.get(route)?.requestBody?.content?.['application/json']?.schema?.properties;
      if (!properties) {
        // Uploads and body-less actions (logout, reprocess) are not JSON write routes.
        if (!NO_JSON_BODY.includes(route)) expect(known.has(route), `${route} has a JSON body?`).toBe(false);
        continue;
      }
      const w = known.get(route);
      expect(w, `${route}: add it to WRITE_ROUTES`).toBeDefined();
      expect(Object.keys(properties).sort(), route).toEqual(Object.keys(w!.fields).sort());
    }
  });

  it('every list and every filter is in LIST_FILTERS', () => {
    const ops = operations(ctx.app);
    for (const [route, op] of ops) {
      const params = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      if (methodOf(route) !== 'GET' || !params.includes('page')) continue;
      const list = LIST_FILTERS[pathOf(route)];
      expect(list, `${route}: add it to LIST_FILTERS`).toBeDefined();
      const covered = [...list!.ids, ...Object.keys(list!.filters), 'page', 'page_size', 'ordering'];
      expect(
        params.filter((p) => !covered.includes(p)),
        route,
      ).toEqual([]);
    }
  });

  it('every valid body in the tables is accepted', async () => {
    for (const w of WRITE_ROUTES) {
      const res = await sendJson(w, w.valid());
      expect(res.status, `${w.route} ${res.raw}`).toBe(w.okStatus);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Bodies that are not a JSON object
// ---------------------------------------------------------------------------------------------

describe.each(WRITE_ROUTES.map((w) => [w.route, w] as const))('%s', (_route, w) => {
  const client = () => clientFor(w);
  const method = methodOf(w.route);

  it('malformed JSON → 400 {"detail": "JSON parse error - ..."}', async () => {
    for (const payload of [
      '{"name": ',
      '{name: "x"}',
      '{"a": 1,}',
      '[1, 2',
      'nul',
      "{'a': 1}",
      '{"a": "\u0001"}',
      '   ',
    ]) {
      const res = await sendRaw(client(), method, urlFor(w), payload);
      expectDrfError(res, 400, payload);
      expect(res.body.detail, payload).toMatch(/^JSON parse error - ./);
    }
  });

  it('an empty body with a JSON content type → 400', async () => {
    const res = await sendRaw(client(), method, urlFor(w), '');
    expectDrfError(res, 400);
    expect(res.body.detail).toMatch(/^JSON parse error - /);
  });

  it('a JSON value that is not an object → 400 non_field_errors', async () => {
    for (const value of [[], [w.valid()], 'a string', '', 42, 1.5, true, false, null]) {
      const res = await sendJson(w, value);
      expectFieldErrors(res, ['non_field_errors'], JSON.stringify(value));
    }
  });

  it('a body that is not JSON → 415; over the size limit → 413', async () => {
    for (const contentType of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/xml',
      'application/x-www-form-urlencoded',
      'application/json-patch+json',
      'application/octet-stream',
    ]) {
      const res = await sendRaw(client(), method, urlFor(w), JSON.stringify(w.valid()), contentType);
      expectDrfError(res, 415, contentType);
    }
    const res = await sendRaw(
      client(),
      method,
      urlFor(w),
      JSON.stringify({ pad: 'x'.repeat(ctx.config.bodyLimitBytes) }),
    );
    expectDrfError(res, 413);
  });

  it('unknown and read-only fields are ignored', async () => {
    const res = await sendJson(w, {
      ...w.valid(),
      id: 999_999,
      user: 1,
      user_id: 1,
      is_staff: true,
      is_superuser: true,
      created_at: '2000-01-01T00:00:00Z',
      source: 'AI',
      processing_status: 'COMPLETED',
      sample_count: 99,
      notes_count: 99,
      date_joined: '2000-01-01T00:00:00Z',
      'not a field': { nested: [1, 2, 3] },
    });
    expect(res.status, res.raw).toBe(w.okStatus);
    const out = res.body.user ?? res.body;
    if ('id' in out) expect(out.id).not.toBe(999_999);
    for (const [field, bad] of Object.entries({
      is_staff: true,
      created_at: '2000-01-01T00:00:00.000Z',
      source: 'AI',
      processing_status: 'COMPLETED',
      sample_count: 99,
      notes_count: 99,
      date_joined: '2000-01-01T00:00:00.000Z',
    })) {
      // Read-only here unless the route writes it (staff may set is_staff on the admin route).
      if (field in out && !(field in w.fields)) expect(out[field], field).not.toEqual(bad);
    }
    expect(out).not.toHaveProperty('not a field');
  });

  // -------------------------------------------------------------------------------------------
  // Field by field
  // -------------------------------------------------------------------------------------------

  it('a wrong type or impossible value in any field → 400 naming that field', async () => {
    for (const [field, type] of Object.entries(w.fields)) {
      const enumValues = w.enums?.[field] ?? [];
      const wrong: unknown[] = wrongValues(type, enumValues);
      for (const value of wrong) {
        const res = await sendJson(w, { ...w.valid(), [field]: value });
        expectFieldErrors(res, [field], `${w.route} ${field}=${JSON.stringify(value)?.slice(0, 80)}`);
      }
    }
  });

  it('a 100 kB string in any field → 400 naming that field (transcription: 1,000,000 characters)', async () => {
    for (const [field, type] of Object.entries(w.fields)) {
      if (type === 'transcription') {
        for (const length of [100_000, 1_000_000]) {
          const res = await sendJson(w, { ...w.valid(), [field]: 't'.repeat(length) });
          expect(res.status, `${field} of ${length}: ${res.raw.slice(0, 300)}`).toBe(w.okStatus);
          expect(res.body.transcription).toHaveLength(length);
        }
        const res = await sendJson(w, { ...w.valid(), [field]: 't'.repeat(1_000_001) });
        expectFieldErrors(res, [field]);
        expect(res.body[field]).toEqual(['Ensure this field has no more than 1000000 characters.']);
        continue;
      }
      const value = type === 'tags' || type === 'fk[]' ? [KB100] : KB100;
      const res = await sendJson(w, { ...w.valid(), [field]: value });
      expectFieldErrors(res, [field], `${w.route} ${field}`);
      // Only a choice field quotes the value back, as DRF's does ('"…" is not a valid choice.').
      if (type !== 'enum')
        expect(res.raw.length, `${field}: the answer echoes 100 kB back`).toBeLessThan(2000);
    }
  });

  if (w.required?.length) {
    it('a missing required field → 400 "This field is required."', async () => {
      for (const field of w.required!) {
        const body = w.valid();
        delete body[field];
        const res = await sendJson(w, body);
        expectFieldErrors(res, [field], field);
        expect(res.body[field]).toEqual(['This field is required.']);
      }
    });
  }

  const fkFields = Object.entries(w.fields).filter(([, t]) => t === 'fk' || t === 'fk?' || t === 'fk[]');
  if (fkFields.length > 0) {
    it('a foreign key no row can have (99999999999, -1, 0, 2^31) → 400 "Invalid pk"', async () => {
      for (const [field, type] of fkFields) {
        for (const id of [99_999_999_999, -1, 0, 2_147_483_648, '99999999999', '-1', '0', 1e20]) {
          const res = await sendJson(w, { ...w.valid(), [field]: type === 'fk[]' ? [id] : id });
          expectFieldErrors(res, [field], `${field}=${id}`);
          const message = `Invalid pk "${String(id)}" - object does not exist.`;
          expect(res.body[field], `${field}=${id}`).toEqual([message]);
        }
      }
    });
  }

  if (w.target) {
    it('an id in the path that is not an object id → 404', async () => {
      for (const id of [
        '99999999999',
        '-1',
        '0',
        '2147483648',
        '1.5',
        'abc',
        '1e3',
        '0x1',
        '+1',
        '%201',
        '1%00',
      ]) {
        const res = await sendJson(w, w.valid(), id);
        expect(res.status, `${id}: ${res.raw}`).toBe(404);
        expect(res.body, id).toEqual({ detail: 'Not found.' });
      }
    });
  }
});

function wrongValues(type: FieldType, enumValues: readonly string[]): unknown[] {
  const notString = [123, 1.5, true, {}, [], ['a'], { a: 'b' }];
  switch (type) {
    case 'text':
    case 'password':
    case 'transcription':
      return [...notString, null, 'nul\u0000char'];
    case 'username':
      return [...notString, null, '', 'has space', 'semi;colon', 'nul\u0000char'];
    case 'email':
      return [...notString, null, 'not-an-email', 'a@', '@b.com', 'nul\u0000@example.com'];
    case 'enum':
      return [
        123,
        true,
        {},
        [],
        [enumValues[0]],
        null,
        'NOPE',
        '',
        enumValues[0]!.toLowerCase(),
        `${enumValues[0]} `,
        `${enumValues[0]}\u0000`,
      ];
    case 'int?':
      return ['abc', 1.5, true, {}, [], -1, 365 * 24 * 3600 + 1, 1e300, '1e3'];
    case 'bool':
      return ['true', 'yes', 1, 0, null, {}, [], [true]];
    case 'number':
      return ['abc', true, {}, [], null, -0.1, 1.1, 1e300, '0.5x'];
    case 'fk':
      return ['abc', 1.5, true, {}, [], [1], null, '', '1.5', '0x1'];
    case 'fk?':
      return ['abc', 1.5, true, {}, [], [1], '', '1.5', '0x1'];
    case 'fk[]':
      return ['1', 5, {}, null, ['abc'], [1.5], [true], [null], [{}], [[1]], Array(501).fill(1)];
    case 'tags':
      return [
        'x',
        5,
        {},
        null,
        [1],
        [null],
        [{}],
        [''],
        ['   '],
        ['a'.repeat(51)],
        ['nul\u0000'],
        tagsOf(51),
      ];
    case 'date?':
      return [
        '2026-13-01',
        '2026-02-30',
        '2025-02-29',
        '0000-01-01',
        '26-01-01',
        '2026-1-1',
        'yesterday',
        '2026-01-01T00:00:00Z',
        20260101,
        true,
        {},
        [],
      ];
    case 'datetime':
      return [
        'yesterday',
        '2026-02-30T10:00:00Z',
        '2026-01-01T24:00:00Z',
        '2026-01-01T23:60:00Z',
        '2026-01-01T10:00:00+25:00',
        '0000-01-01T00:00:00Z',
        '0001-01-01T00:00:00+01:00',
        '9999-12-31T23:59:59-01:00',
        '+012026-01-01T00:00:00Z',
        12345,
        true,
        {},
        [],
        null,
      ];
  }
}

function tagsOf(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `tag${i}`);
}

describe('multipart uploads: POST /api/relationships/:id/faces', () => {
  const url = () => `/api/relationships/${ids.relationship}/faces/`;
  const form = (parts: string[], boundary = 'rapport-bad-input') => ({
    payload: `${parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('')}--${boundary}--\r\n`,
    contentType: `multipart/form-data; boundary=${boundary}`,
  });
  const field = (name: string, value: string) =>
    `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
  const file = (name: string, content: string) =>
    `Content-Disposition: form-data; name="${name}"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\n${content}`;
  const send = (body: { payload: string; contentType: string }) =>
    sendRaw(user, 'POST', url(), body.payload, body.contentType);

  it('a body that is not multipart → 415', async () => {
    for (const contentType of ['application/json', 'text/plain', 'application/octet-stream']) {
      expectDrfError(await sendRaw(user, 'POST', url(), '{"image": "x"}', contentType), 415, contentType);
    }
  });

  it('a malformed multipart body → 400 detail', async () => {
    const body = form([file('image', 'xx')]);
    expectDrfError(await send({ ...body, payload: body.payload.slice(0, -12) }), 400);
  });

  it('no image, not an image, a face_index that is not one → 400 naming the field', async () => {
    expectFieldErrors(await send(form([field('face_index', '0')])), ['image']);
    expectFieldErrors(await send(form([file('photo', 'xx')])), ['image']);
    expectFieldErrors(await send(form([file('image', 'not a photo at all')])), ['image']);
    for (const value of ['-1', 'one', '1.5', '99999999999', '0x1']) {
      expectFieldErrors(
        await send(form([field('face_index', value), file('image', 'xx')])),
        ['face_index'],
        value,
      );
    }
  });
});

describe('numbers at the edge of JSON', () => {
  it('1e309 (Infinity once parsed) in a number field → 400', async () => {
    const res = await sendRaw(
      user,
      'POST',
      '/api/notes/',
      `{"relationship": ${ids.relationship}, "text": "x", "importance": 1e309}`,
    );
    expectFieldErrors(res, ['importance']);
    const res2 = await sendRaw(
      user,
      'POST',
      '/api/interactions/',
      '{"interaction_type": "OTHER", "duration_seconds": -1e309}',
    );
    expectFieldErrors(res2, ['duration_seconds']);
    const res3 = await sendRaw(user, 'POST', '/api/notes/', '{"relationship": 1e309, "text": "x"}');
    expectFieldErrors(res3, ['relationship']);
  });

  it('an object where a choice is expected, even one whose toString is not a function → 400', async () => {
    const res = await user.post('/api/relationships/', { name: 'x', relationship_type: { toString: 0 } });
    expectFieldErrors(res, ['relationship_type']);
  });

  it('prototype-poisoning keys → 400 detail, never merged', async () => {
    for (const payload of ['{"__proto__": {"is_staff": true}}', '{"constructor": {"prototype": {"x": 1}}}']) {
      const res = await sendRaw(user, 'PATCH', '/api/auth/users/me/', payload);
      expectDrfError(res, 400, payload);
      expect(res.body.detail).toMatch(/^JSON parse error - /);
    }
  });

  it('a byte-order mark or a charset parameter does not break JSON', async () => {
    const res = await sendRaw(user, 'PATCH', '/api/auth/users/me/', '\ufeff{"first_name": "Bom"}');
    expect(res.status, res.raw).toBe(200);
    const res2 = await sendRaw(
      user,
      'PATCH',
      '/api/auth/users/me/',
      '{"first_name": "Cs"}',
      'application/json; charset=utf-8',
    );
    expect(res2.status, res2.raw).toBe(200);
  });

  it('a body-less route takes an empty body with a JSON content type', async () => {
    const throwaway = await user.post('/api/relationships/', { name: 'Gone', relationship_type: 'OTHER' });
    const res = await sendRaw(user, 'DELETE', `/api/relationships/${throwaway.body.id}/`, '');
    expect(res.status, res.raw).toBe(204);
    const session = await ctx.signUp(uniqueName('bad_input_out'));
    const out = await sendRaw(session, 'POST', '/api/auth/users/logout/', '');
    expect(out.status, out.raw).toBe(204);
  });
});

// ---------------------------------------------------------------------------------------------
// Lists: filters and pages
// ---------------------------------------------------------------------------------------------

describe.each(Object.keys(LIST_FILTERS).map((path) => [path] as const))('GET %s', (path) => {
  const { ids: idFilters, filters } = LIST_FILTERS[path]!;

  it('a page that is not a page → 404 {"detail": "Invalid page."}', async () => {
    for (const page of ['0', '-1', 'abc', '1.5', '99999', '99999999999', '1e3', '2']) {
      const res = await listClient(path).get(`${listUrl(path)}?page=${page}&page_size=200`);
      expect(res.status, `page=${page}: ${res.raw}`).toBe(404);
      expect(res.body).toEqual({ detail: 'Invalid page.' });
    }
    for (const query of [
      'page=1',
      'page=',
      'page_size=0',
      'page_size=-1',
      'page_size=abc',
      'page_size=99999999999',
    ]) {
      const res = await listClient(path).get(`${listUrl(path)}?${query}`);
      expect(res.status, `${query}: ${res.raw}`).toBe(200);
    }
  });

  if (idFilters.length > 0) {
    it('a filter id that is not an integer → 400 naming the filter', async () => {
      for (const filter of idFilters) {
        for (const value of ['abc', '1.5', '1e3', '0x1', '%201', '1%20', '%D9%A1', 'null', 'true', '%00']) {
          const res = await listClient(path).get(`${listUrl(path)}?${filter}=${value}`);
          expectFieldErrors(res, [filter], `${filter}=${value}`);
        }
      }
    });

    it('a filter id no row can have (99999999999, -1, 0, 2^31, 10^23) → 200 and empty', async () => {
      for (const filter of idFilters) {
        for (const value of ['99999999999', '-1', '0', '2147483648', '100000000000000000000000', '-0']) {
          const res = await listClient(path).get(`${listUrl(path)}?${filter}=${value}`);
          expect(res.status, `${filter}=${value}: ${res.raw}`).toBe(200);
          expect(res.body).toEqual({ count: 0, next: null, previous: null, results: [] });
        }
      }
    });
  }

  it('a bad value in any other filter → 400 naming it, or ignored — never a 500', async () => {
    for (const filter of [...Object.keys(filters), 'ordering', 'search']) {
      for (const value of [
        'NOPE',
        'x'.repeat(600),
        '%00',
        '2026-02-30',
        '0000-01-01',
        'a%00b',
        '%ZZ',
        '%E0%A4%A',
      ]) {
        const res = await listClient(path).get(`${listUrl(path)}?${filter}=${value}`);
        expectSane(res, `${filter}=${value}`);
        if (res.status !== 200) expectFieldErrors(res, [filter], `${filter}=${value}`);
      }
    }
    // Repeated parameters are a list, not a string.
    const declared = (operations(ctx.app).get(`GET ${path}`)?.parameters ?? []).map((p) => p.name);
    if (declared.includes('ordering')) {
      const repeated = await listClient(path).get(`${listUrl(path)}?ordering=a&ordering=b`);
      expectFieldErrors(repeated, ['ordering']);
    }
  });

  it('an empty id, boolean or date filter applies no filter (django-filter)', async () => {
    const all = await listClient(path).get(listUrl(path));
    expect(all.status).toBe(200);
    const query = [...idFilters, ...Object.keys(filters).filter((f) => /^(unassigned|occurred_|is_)/.test(f))]
      .map((f) => `${f}=`)
      .join('&');
    const res = await listClient(path).get(`${listUrl(path)}?${query}`);
    expect(res.status, `${query}: ${res.raw}`).toBe(200);
    expect(res.body.count).toBe(all.body.count);
  });
});

describe('paths the router cannot decode', () => {
  // The router answers these itself, before any handler: `frameworkErrors` (error-handler.ts) shapes them.
  it('a bad percent-encoding or an over-long id in the path → 404 in DRF shape', async () => {
    for (const url of ['/api/relationships/%zz/', `/api/relationships/${'9'.repeat(150)}/`]) {
      const res = await user.get(url);
      expect(res.status, `${url}: ${res.raw}`).toBe(404);
      expect(res.body).toEqual({ detail: 'Not found.' });
    }
  });

  it('even so, never a 500', async () => {
    for (const url of [
      '/api/relationships/%zz/',
      `/api/relationships/${'9'.repeat(150)}/`,
      '/api/notes/%E0%A4%A/',
    ]) {
      const res = await user.get(url);
      expect(res.status, `${url}: ${res.raw}`).toBeLessThan(500);
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('every id route answers 404 for an id that is not one, whatever the method', async () => {
    // REST routes; the live-call socket checks its user id itself (see live.test.ts).
    const routes = routerRoutes(ctx.app).filter(
      (r) => pathOf(r).startsWith('/api/') && pathOf(r).includes('/:'),
    );
    expect(routes.length).toBeGreaterThan(10);
    const writes = new Map(WRITE_ROUTES.map((w) => [w.route, w]));
    for (const route of routes) {
      const method = methodOf(route);
      for (const id of ['99999999999', '-1', '0', '1.5', 'abc']) {
        const url = `${pathOf(route).replace(/:\w+/, id)}/`;
        const w = writes.get(route);
        const res = w
          ? await sendRaw(user, method, url, JSON.stringify(w.valid()))
          : await user.request(method, url);
        expect(res.status, `${route} id=${id}: ${res.raw}`).toBe(404);
        if (method !== 'HEAD') expect(res.body).toEqual({ detail: 'Not found.' });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based: random bodies and query strings never make a 500
// ---------------------------------------------------------------------------------------------

/** Runs per property; raise it for a deeper hunt: `RAPPORT_FUZZ_RUNS=5000 npx vitest run …`. */
const RUNS = Number(process.env.RAPPORT_FUZZ_RUNS) || 120;

/** Full Unicode, NUL and lone surrogates included. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', 'null', '-1', '0', '1e309', 'x'.repeat(300)),
);

const isoDateTime = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

function fieldArbitrary(type: FieldType, enumValues: readonly string[]): fc.Arbitrary<unknown> {
  const fk = fc.oneof(
    fc.constantFrom(...Object.values(ids)),
    fc.integer(),
    fc.integer().map(String),
    fc.constantFrom(0, -1, 2_147_483_648, 99_999_999_999, 1.5, null),
  );
  switch (type) {
    case 'enum':
      return fc.oneof(fc.constantFrom(...enumValues), anyString);
    case 'int?':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null));
    case 'number':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null));
    case 'fk':
    case 'fk?':
      return fk;
    case 'fk[]':
      return fc.array(fk, { maxLength: 5 });
    case 'tags':
      return fc.array(anyString, { maxLength: 8 });
    case 'date?':
      return fc.oneof(
        isoDateTime.map((s) => s.slice(0, 10)),
        anyString,
        fc.constant(null),
      );
    case 'datetime':
      return fc.oneof(
        isoDateTime,
        fc
          .tuple(isoDateTime, fc.integer({ min: -30, max: 30 }), fc.integer({ min: 0, max: 99 }))
          .map(
            ([s, h, m]) =>
              `${s.slice(0, 19)}${h < 0 ? '-' : '+'}${String(Math.abs(h)).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
          ),
        anyString,
      );
    case 'email':
      return fc.oneof(fc.emailAddress(), anyString);
    case 'bool':
      return fc.oneof(fc.boolean(), anyString, fc.integer(), fc.constant(null));
    default:
      return anyString;
  }
}

function bodyArbitrary(w: WriteRoute): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(w.fields).map(([field, type]) => {
      const typed = fieldArbitrary(type, w.enums?.[field] ?? []);
      // (jsonValue's doubles include 5e-324: see fieldArbitrary's 'number'.)
      if (type === 'number') return [field, typed];
      return [field, fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: fc.jsonValue() })];
    }),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.record(fields, { requiredKeys: [] }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.record(fields, { requiredKeys: [] }),
          fc.dictionary(anyString, fc.jsonValue(), { maxKeys: 3 }),
        )
        .map(([known, extra]) => ({ ...extra, ...known })),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
}

/** Percent-encodes anything, lone surrogates included (as bytes that are not UTF-8). */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\s\S]/g, (c) => {
      try {
        return encodeURIComponent(c);
      } catch {
        return '%ED%A0%80';
      }
    });
  }
}

function queryArbitrary(path: string): fc.Arbitrary<string> {
  const { ids: idFilters, filters } = LIST_FILTERS[path]!;
  const names = [...idFilters, ...Object.keys(filters), 'page', 'page_size', 'ordering', 'search'];
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'page[]', 'a.b', 'toString', '') },
    { weight: 1, arbitrary: anyString },
  );
  const value = fc.oneof(
    anyString,
    fc.integer().map(String),
    fc.constantFrom(
      'true',
      'false',
      '',
      '-1',
      '99999999999',
      'last',
      '0',
      '2026-01-01',
      '-created_at',
      'name,-x',
    ),
    fc.constantFrom(...Object.values(filters), ...Object.values(ids).map(String)),
  );
  const raw = fc.string({
    unit: fc.constantFrom('%', '&', '=', '+', '[', ']', ';', ',', '.', 'a', '1', '-', '0', 'F'),
  });
  return fc
    .tuple(fc.array(fc.tuple(key, value), { maxLength: 6 }), fc.oneof(fc.constant(''), raw))
    .map(([pairs, tail]) =>
      [...pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`), tail].filter(Boolean).join('&'),
    );
}

describe('property: random bodies on every write route', () => {
  for (const w of WRITE_ROUTES) {
    it(`${w.route}: status < 500, DRF-shaped errors`, async () => {
      await fc.assert(
        fc.asyncProperty(bodyArbitrary(w), async (body) => {
          const res = await sendJson(w, body);
          expectSane(res, `${w.route} ${JSON.stringify(body)?.slice(0, 300)}`);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('property: random query strings on every list', () => {
  for (const path of Object.keys(LIST_FILTERS)) {
    it(`GET ${path}: status < 500, DRF-shaped errors`, async () => {
      await fc.assert(
        fc.asyncProperty(queryArbitrary(path), async (query) => {
          const res = await listClient(path).get(`${listUrl(path)}?${query}`);
          expectSane(res, `GET ${path}?${query}`);
          if (res.status === 200)
            expect(Object.keys(res.body).sort()).toEqual(['count', 'next', 'previous', 'results']);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('property: random ids in every id route', () => {
  it('status is 404 or a success, never a 500', async () => {
    const routes = routerRoutes(ctx.app).filter(
      (r) => pathOf(r).includes('/:') && ['GET', 'HEAD'].includes(methodOf(r)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), anyString, async (route, id) => {
        const res = await user.request(methodOf(route), `${pathOf(route).replace(/:\w+/, encode(id))}/`);
        expect(res.status, `${route} id=${JSON.stringify(id)} ${res.raw.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('numbers a float4 column cannot hold', () => {
  // notes.importance is a float4 (`real`) column, and a number in (0, ~1e-45) underflows it
  // (PostgreSQL error 22003): the schema rounds importance to 6 decimals before storing.
  it('a number too small for float4 (5e-324, 1e-46) → 201 rounded to 0, or 400 — not a 500', async () => {
    for (const value of ['5e-324', '1e-46']) {
      const res = await sendRaw(
        user,
        'POST',
        '/api/notes/',
        `{"relationship": ${ids.relationship}, "text": "x", "importance": ${value}}`,
      );
      expect(res.status, `${value}: ${res.raw}`).toBeLessThan(500);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Routes whose input is not a JSON body of a POST/PUT/PATCH: account deletion, the contacts import
// ---------------------------------------------------------------------------------------------

describe('DELETE /api/auth/users/me (a JSON body with the password)', () => {
  it('malformed, non-object, wrongly typed or oversize bodies → 4xx in DRF shape; the account stays', async () => {
    const victim = await ctx.signUp(uniqueName('bad_input_delete'));
    const raw: [string | undefined, number][] = [
      ['{"current_password": ', 400],
      ['[1, 2', 400],
      ['   ', 400],
      ['[]', 400],
      ['"a string"', 400],
      ['null', 400],
      ['{}', 400],
      ['{"current_password": null}', 400],
      ['{"current_password": 12345678}', 400],
      ['{"current_password": ["x"]}', 400],
      ['{"current_password": ""}', 400],
      ['{"current_password": "nul\\u0000char"}', 400],
      ['{"__proto__": {"current_password": "x"}}', 400],
      [JSON.stringify({ current_password: 'x'.repeat(5000) }), 400],
      [JSON.stringify({ current_password: 'wrong-password' }), 400],
    ];
    for (const [payload, status] of raw) {
      const res = await sendRaw(victim, 'DELETE', '/api/auth/users/me/', payload);
      expectDrfError(res, status, String(payload).slice(0, 80));
    }
    expectDrfError(
      await sendRaw(victim, 'DELETE', '/api/auth/users/me/', STRONG_PASSWORD, 'text/plain'),
      415,
    );
    expectDrfError(
      await sendRaw(
        victim,
        'DELETE',
        '/api/auth/users/me/',
        JSON.stringify({ pad: 'x'.repeat(ctx.config.bodyLimitBytes) }),
      ),
      413,
    );
    expect((await victim.get('/api/auth/users/me/')).status).toBe(200);
  });
});

/** Lines an address book file might hold, good and broken, to build random files from. */
const ADDRESS_BOOK_LINES = [
  'BEGIN:VCARD',
  'END:VCARD',
  'VERSION:2.1',
  'VERSION:3.0',
  'VERSION:4.0',
  'FN:Ada',
  'N:Lovelace;Ada;;;',
  'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=',
  'NOTE;ENCODING=QUOTED-PRINTABLE:soft=',
  'EMAIL:ada@example.com',
  'EMAIL;TYPE=pref:not an email',
  'TEL;WORK;VOICE:+44 20 7946 0000',
  'TEL;VALUE=uri:tel:',
  'BDAY:--13-45',
  'BDAY:0000-00-00',
  'BDAY;X-APPLE-OMIT-YEAR=1604:1604-02-29',
  'PHOTO;ENCODING=b;TYPE=JPEG:@@@notbase64',
  'PHOTO:data:image/png;base64,',
  'CATEGORIES:a,,b',
  'X-RAPPORT-CONTACT-INTERVAL-DAYS:-5',
  'X-RAPPORT-RELATIONSHIP-TYPE:NOPE',
  ' folded continuation',
  'name,email,phone,birthday,tags',
  'First Name,Last Name,E-mail Address,Birthday,Categories',
  '"Ada ""Countess"" Lovelace",ada@example.com,,1815-12-10,a;b',
  '"unterminated,quote',
  'x,y,z,1/45/2000',
  ';;;',
  '',
];

describe('POST /api/relationships/import (a multipart file)', () => {
  it('property: random files never make a 500; errors are DRF-shaped', async () => {
    const importer = await ctx.signUp(uniqueName('bad_input_import'));
    const line = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...ADDRESS_BOOK_LINES) },
      { weight: 1, arbitrary: anyString },
    );
    const file = fc.oneof(
      fc.array(line, { maxLength: 12 }).map((lines) => Buffer.from(lines.join('\r\n'))),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.constantFrom('', '?dry_run=true', '?dry_run=nope'),
        async (content, query) => {
          const res = await importFile(ctx, importer, content, 'contacts.vcf', query);
          expectSane(res, `${query} ${content.toString('utf8').slice(0, 300)}`);
          if (res.status === 200)
            expect(res.body.created + res.body.updated + res.body.skipped).toBeGreaterThanOrEqual(0);
          else expect(res.status).toBe(400);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('?dry_run that is not a boolean → 400 naming it', async () => {
    const res = await importFile(ctx, user, Buffer.from('name\r\nAda\r\n'), 'x.csv', '?dry_run=perhaps');
    expectFieldErrors(res, ['dry_run']);
  });
});
