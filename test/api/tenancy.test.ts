import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ID } from '../../src/infra/http/query.js';
import { SignaturesRepository } from '../../src/modules/signatures/repository.js';
import { type Client, createTestContext, type Response, type TestContext } from '../helpers/app.js';
import { TEST_VOICE_DIM } from '../helpers/database.js';
import { multipartFile } from '../helpers/multipart.js';
import { readZip } from '../helpers/zip.js';

/**
 * Cross-tenant isolation, walked over every route the app registers: user A owns one of each
 * object; user B, signed in, must not be able to read, change, delete, list, search, filter by or
 * reference any of them. Another user's object answers exactly like one that does not exist.
 */

type Kind = 'relationship' | 'interaction' | 'note' | 'face' | 'voice';
type User = Client & { userId: number; username: string };

/** An id no row has (the largest Postgres `integer`): what "does not exist" looks like. */
const MISSING_ID = MAX_ID;
const FACE_DIM = 128;
const NOT_FOUND = { detail: 'Not found.' };
const invalidPk = (id: number | string) => `Invalid pk "${id}" - object does not exist.`;

function embedding(dim: number, seed: number): number[] {
  return Array.from({ length: dim }, (_, i) => Math.sin(seed * 7.31 + i * 0.17));
}

// ---------------------------------------------------------------------------------------------
// The app's routes, from the router itself and from the OpenAPI document.
// ---------------------------------------------------------------------------------------------

const normalizePath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1').replace(/\/+$/, '') || '/';

/** `METHOD /path` (no trailing slash) for every route Fastify's router knows. */
function routerRoutes(app: FastifyInstance): Set<string> {
  const routes = new Set<string>();
  const text = app.printRoutes({ commonPrefix: false });
  const lines = text.split('\n').filter((line) => line.includes('── '));
  const stack: string[] = [];
  let parsed = 0;
  for (const line of lines) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    parsed++;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(',')) {
      if (method.trim()) routes.add(`${method.trim()} ${normalizePath(path)}`);
    }
  }
  // If Fastify's tree format ever changes, fail loudly rather than walk nothing.
  expect(parsed, `could not parse app.printRoutes():\n${text}`).toBe(lines.length);
  return routes;
}

type OpenApiOperation = {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
};
type OpenApi = { paths: Record<string, Record<string, OpenApiOperation>> };

function openApiOperations(app: FastifyInstance): Map<string, OpenApiOperation> {
  const spec = app.swagger() as unknown as OpenApi;
  const out = new Map<string, OpenApiOperation>();
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      out.set(`${method.toUpperCase()} ${normalizePath(path)}`, operation);
    }
  }
  return out;
}

const methodOf = (route: string) => route.slice(0, route.indexOf(' '));
const pathOf = (route: string) => route.slice(route.indexOf(' ') + 1);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

type Owned = Record<Kind, number[]>;
type Fixtures = {
  relationship: number;
  interaction: number;
  note: number;
  face: number;
  voice: number;
};

let ctx: TestContext;
let signatures: SignaturesRepository;
let alice: User;
let bob: User;
/** Letters only, so full-text search treats it as one word; in every searchable field of A's data. */
const term = `zyxq${randomUUID()
  .replace(/[^a-f]/g, '')
  .slice(0, 8)}wort`;
const aliceTag = `tag-${term}`;
let a: Fixtures;
let aOwned: Owned;
let b: Fixtures;
let bOwned: Owned;

async function ok(res: Promise<Response>, status: number): Promise<any> {
  const r = await res;
  expect(r.status, r.raw).toBe(status);
  return r.body;
}

async function createOwn(user: User, kind: Kind, fx?: Partial<Fixtures>): Promise<number> {
  switch (kind) {
    case 'relationship':
      return (
        await ok(
          user.post('/api/relationships/', {
            name: `Extra ${randomUUID().slice(0, 6)}`,
            relationship_type: 'OTHER',
          }),
          201,
        )
      ).id;
    case 'interaction':
      return (
        await ok(
          user.post('/api/interactions/', {
            interaction_type: 'MESSAGE',
            participants: fx?.relationship ? [fx.relationship] : [],
          }),
          201,
        )
      ).id;
    case 'note':
      return (await ok(user.post('/api/notes/', { relationship: fx!.relationship, text: 'Extra note' }), 201))
        .id;
    case 'face':
    case 'voice': {
      const dim = kind === 'face' ? FACE_DIM : TEST_VOICE_DIM;
      const row = await signatures.create(user.userId, kind, {
        embedding: embedding(dim, Math.random() * 1000),
      });
      return row.id;
    }
  }
}

/** Everything A can see of A's own data, through the API: must not change whatever B does. */
async function aliceSnapshot(): Promise<Record<string, unknown>> {
  const detail: Record<Kind, string> = {
    relationship: '/api/relationships/',
    interaction: '/api/interactions/',
    note: '/api/notes/',
    face: '/api/signatures/faces/',
    voice: '/api/signatures/voices/',
  };
  const urls: string[] = [
    '/api/relationships/?page_size=200',
    '/api/interactions/?page_size=200',
    '/api/notes/?page_size=200',
    '/api/notes/?status=ARCHIVED&page_size=200',
    '/api/notes/?status=DELETED&page_size=200',
    '/api/signatures/faces/?page_size=200',
    '/api/signatures/voices/?page_size=200',
    `/api/relationships/${a.relationship}/notes/?page_size=200`,
  ];
  for (const kind of Object.keys(detail) as Kind[]) {
    for (const id of aOwned[kind]) urls.push(`${detail[kind]}${id}/`);
  }
  const snapshot: Record<string, unknown> = {};
  for (const url of urls) snapshot[url] = await ok(alice.get(url), 200);
  return snapshot;
}

beforeAll(async () => {
  ctx = await createTestContext();
  signatures = new SignaturesRepository(ctx.database.db);
  alice = await ctx.signUp();
  bob = await ctx.signUp();

  const rel = await ok(
    alice.post('/api/relationships/', {
      name: `Ada ${term}`,
      relationship_type: 'FRIEND',
      email: `${term}@example.com`,
      phone: '+44 20 7946 0000',
      company: 'Analytical Engines',
      how_we_met: `At the ${term} club`,
      birthday: '1815-12-10',
      tags: [aliceTag, 'shared-tag'],
    }),
    201,
  );
  const interaction = await ok(
    alice.post('/api/interactions/', {
      interaction_type: 'MEETING',
      title: `Lunch about ${term}`,
      occurred_at: '2026-01-15T12:00:00Z',
      duration_seconds: 3600,
      participants: [rel.id],
      summary: `We discussed ${term} at length.`,
      transcription: `Ada: I have been reading about ${term}.`,
    }),
    201,
  );
  const note = await ok(
    alice.post('/api/notes/', {
      relationship: rel.id,
      interaction: interaction.id,
      text: `Loves ${term}`,
      category: 'PREFERENCE',
      importance: 0.9,
    }),
    201,
  );
  const archived = await ok(
    alice.post('/api/notes/', { relationship: rel.id, text: `Used to like ${term}`, category: 'FACT' }),
    201,
  );
  await ok(alice.patch(`/api/notes/${archived.id}/`, { status: 'ARCHIVED' }), 200);
  const deleted = await ok(
    alice.post('/api/notes/', { relationship: rel.id, text: `Wrong about ${term}`, category: 'OTHER' }),
    201,
  );
  await ok(alice.delete(`/api/notes/${deleted.id}/`), 204);
  const faceKnown = await signatures.create(alice.userId, 'face', {
    embedding: embedding(FACE_DIM, 1),
    relationshipId: rel.id,
  });
  const faceUnknown = await signatures.create(alice.userId, 'face', { embedding: embedding(FACE_DIM, 2) });
  const voiceKnown = await signatures.create(alice.userId, 'voice', {
    embedding: embedding(TEST_VOICE_DIM, 3),
    relationshipId: rel.id,
  });
  const voiceUnknown = await signatures.create(alice.userId, 'voice', {
    embedding: embedding(TEST_VOICE_DIM, 4),
  });
  a = {
    relationship: rel.id,
    interaction: interaction.id,
    note: note.id,
    face: faceKnown.id,
    voice: voiceKnown.id,
  };
  aOwned = {
    relationship: [rel.id],
    interaction: [interaction.id],
    note: [note.id, archived.id, deleted.id],
    face: [faceKnown.id, faceUnknown.id],
    voice: [voiceKnown.id, voiceUnknown.id],
  };

  const bRel = await ok(
    bob.post('/api/relationships/', {
      name: 'Bob Builder',
      relationship_type: 'COLLEAGUE',
      tags: ['shared-tag'],
    }),
    201,
  );
  const bInteraction = await ok(
    bob.post('/api/interactions/', {
      interaction_type: 'PHONE_CALL',
      title: 'Call with Bob',
      participants: [bRel.id],
      occurred_at: '2026-01-16T09:00:00Z',
    }),
    201,
  );
  const bNote = await ok(
    bob.post('/api/notes/', { relationship: bRel.id, interaction: bInteraction.id, text: 'Bob builds' }),
    201,
  );
  const bFace = await signatures.create(bob.userId, 'face', { embedding: embedding(FACE_DIM, 5) });
  const bVoice = await signatures.create(bob.userId, 'voice', { embedding: embedding(TEST_VOICE_DIM, 6) });
  b = {
    relationship: bRel.id,
    interaction: bInteraction.id,
    note: bNote.id,
    face: bFace.id,
    voice: bVoice.id,
  };
  bOwned = {
    relationship: [bRel.id],
    interaction: [bInteraction.id],
    note: [bNote.id],
    face: [bFace.id],
    voice: [bVoice.id],
  };
});
afterAll(() => ctx?.close());

// ---------------------------------------------------------------------------------------------
// 1. Every route with an id in its path
// ---------------------------------------------------------------------------------------------

type Multipart = { field: string; filename: string; contentType: string; data: Buffer };

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** Three seconds of 16 kHz mono 16-bit silence. */
function wav(seconds = 3, rate = 16_000): Buffer {
  const data = rate * seconds * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

type RouteCase = {
  /** What kind of object `:id` names. */
  kind: Kind;
  /** Valid JSON bodies (checked on B's own object); none for GET and DELETE. */
  bodies?: (own: Fixtures) => unknown[];
  /** A multipart upload instead of JSON. */
  multipart?: Multipart;
  /**
   * What B gets doing the same on a fresh object of B's own, proving the body valid and the
   * route working; undefined where that needs the media pipeline (uploads, reprocessing).
   */
  ownStatus?: number;
};

/**
 * Every route with an object id in its path, and how to call it validly. Routes from the
 * contract that are not implemented yet are listed too; the walk only calls registered routes,
 * and fails on any registered one missing here.
 */
const ID_ROUTES: Record<string, RouteCase> = {
  'GET /api/relationships/:id': { kind: 'relationship', ownStatus: 200 },
  'PUT /api/relationships/:id': {
    kind: 'relationship',
    bodies: () => [
      { name: 'Taken over', relationship_type: 'OTHER', tags: ['mine'], email: 'b@example.com' },
    ],
    ownStatus: 200,
  },
  'PATCH /api/relationships/:id': {
    kind: 'relationship',
    bodies: () => [{ name: 'Taken over' }, { tags: [] }, { birthday: null }],
    ownStatus: 200,
  },
  'DELETE /api/relationships/:id': { kind: 'relationship', ownStatus: 204 },
  'GET /api/relationships/:id/notes': { kind: 'relationship', ownStatus: 200 },
  'POST /api/relationships/:id/faces': {
    kind: 'relationship',
    multipart: { field: 'image', filename: 'face.png', contentType: 'image/png', data: PNG },
  },
  'POST /api/relationships/:id/voices': {
    kind: 'relationship',
    multipart: { field: 'audio', filename: 'voice.wav', contentType: 'audio/wav', data: wav() },
  },
  'GET /api/interactions/:id': { kind: 'interaction', ownStatus: 200 },
  'PUT /api/interactions/:id': {
    kind: 'interaction',
    bodies: (own) => [
      {
        interaction_type: 'OTHER',
        title: 'Taken over',
        participants: [own.relationship],
        transcription: 'x',
      },
    ],
    ownStatus: 200,
  },
  'PATCH /api/interactions/:id': {
    kind: 'interaction',
    bodies: (own) => [
      { title: 'Taken over' },
      { participants: [] },
      { participants: [own.relationship] },
      { summary: '', transcription: '' },
    ],
    ownStatus: 200,
  },
  'DELETE /api/interactions/:id': { kind: 'interaction', ownStatus: 204 },
  'POST /api/interactions/:id/media': {
    kind: 'interaction',
    multipart: { field: 'file', filename: 'call.wav', contentType: 'audio/wav', data: wav() },
  },
  'POST /api/interactions/:id/reprocess': { kind: 'interaction', bodies: () => [{}] },
  'POST /api/interactions/:id/transcript': {
    kind: 'interaction',
    bodies: () => [
      { text: 'Bob: I moved to Lisbon last year.' },
      { text: 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Bob>Hello.</v>\n', format: 'VTT' },
    ],
    ownStatus: 202,
  },
  'GET /api/interactions/:id/media': { kind: 'interaction' },
  'POST /api/interactions/:id/media/link': { kind: 'interaction', bodies: () => [{}] },
  'GET /api/notes/:id': { kind: 'note', ownStatus: 200 },
  'PUT /api/notes/:id': {
    kind: 'note',
    bodies: (own) => [{ relationship: own.relationship, text: 'Taken over', status: 'ACTIVE' }],
    ownStatus: 200,
  },
  'PATCH /api/notes/:id': {
    kind: 'note',
    bodies: (own) => [
      { status: 'DELETED' },
      { text: 'Taken over', importance: 0 },
      { relationship: own.relationship },
      { interaction: own.interaction },
      { interaction: null },
    ],
    ownStatus: 200,
  },
  'DELETE /api/notes/:id': { kind: 'note', ownStatus: 204 },
  'GET /api/signatures/faces/:id': { kind: 'face', ownStatus: 200 },
  'PATCH /api/signatures/faces/:id': {
    kind: 'face',
    bodies: (own) => [{ relationship: own.relationship }, { relationship: null }],
    ownStatus: 200,
  },
  'DELETE /api/signatures/faces/:id': { kind: 'face', ownStatus: 204 },
  'GET /api/signatures/faces/:id/thumbnail': { kind: 'face' },
  'GET /api/signatures/voices/:id': { kind: 'voice', ownStatus: 200 },
  'GET /api/signatures/voices/:id/sample': { kind: 'voice' },
  'PATCH /api/signatures/voices/:id': {
    kind: 'voice',
    bodies: (own) => [{ relationship: own.relationship }, { relationship: null }],
    ownStatus: 200,
  },
  'DELETE /api/signatures/voices/:id': { kind: 'voice', ownStatus: 204 },
};

/**
 * Staff routes work on other users' accounts by design (admin.test.ts covers them): to everyone
 * else they answer 403, whatever the id. Checked below instead of in the ownership walk.
 */
const STAFF_ROUTES = [
  'GET /api/admin/users',
  'GET /api/admin/users/:id',
  'PATCH /api/admin/users/:id',
  'POST /api/admin/users/:id/reset-tokens',
];
const isStaffRoute = (route: string) =>
  STAFF_ROUTES.includes(methodOf(route) === 'HEAD' ? `GET ${pathOf(route)}` : route);

/** HEAD is answered by the GET route: walk it like that GET, without a body. */
function caseFor(route: string): RouteCase | undefined {
  const method = methodOf(route);
  return ID_ROUTES[method === 'HEAD' ? `GET ${pathOf(route)}` : route];
}

function allRoutes(): Set<string> {
  return new Set([...routerRoutes(ctx.app), ...openApiOperations(ctx.app).keys()]);
}

/** REST routes with an id; the live-call socket checks its user id itself (see live.test.ts). */
function idRoutes(): string[] {
  return [...allRoutes()]
    .filter(
      (route) => pathOf(route).startsWith('/api/') && pathOf(route).includes('/:') && !isStaffRoute(route),
    )
    .sort();
}

async function send(
  user: User,
  method: string,
  path: string,
  id: number,
  request: { body?: unknown; multipart?: Multipart },
): Promise<Response> {
  const url = `${path.replace(/:\w+/, String(id))}/`;
  if (!request.multipart) return user.request(method as 'GET', url, request.body);
  const { field, filename, contentType, data } = request.multipart;
  const form = multipartFile(data, filename, contentType, field);
  const res = await ctx.app.inject({
    method: method as 'POST',
    url,
    payload: form.payload,
    headers: { authorization: `Token ${user.token}`, ...form.headers },
  });
  let body: unknown;
  try {
    body = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, headers: res.headers, raw: res.body };
}

describe('every route with an id: another user’s object is Not found', () => {
  it('the walk knows every registered id route (add new ones to ID_ROUTES)', () => {
    const routes = idRoutes();
    // The enumeration itself works: these must be found.
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /api/relationships/:id',
        'HEAD /api/relationships/:id',
        'PATCH /api/signatures/voices/:id',
        'GET /api/relationships/:id/notes',
      ]),
    );
    const uncovered = routes.filter((route) => !caseFor(route));
    expect(uncovered, 'id routes the tenancy walk does not cover').toEqual([]);
  });

  it('B gets 404 on each of A’s objects with every method, exactly as for a missing id; A’s data is untouched', async () => {
    const before = await aliceSnapshot();
    const walked: string[] = [];
    for (const route of idRoutes()) {
      const rc = caseFor(route);
      if (!rc) continue; // reported by the test above
      const method = methodOf(route);
      const path = pathOf(route);
      const requests: { body?: unknown; multipart?: Multipart }[] =
        method === 'HEAD' || method === 'GET' || method === 'DELETE'
          ? [{}]
          : rc.multipart
            ? [{ multipart: rc.multipart }]
            : (rc.bodies?.(b) ?? [{}]).map((body) => ({ body }));
      for (const request of requests) {
        const label = `${route} ${JSON.stringify(request.body ?? request.multipart?.field ?? '')}`;
        const missing = await send(bob, method, path, MISSING_ID, request);
        for (const id of aOwned[rc.kind]) {
          const res = await send(bob, method, path, id, request);
          expect(res.status, `${label} on A's ${rc.kind} ${id}: ${res.raw}`).toBe(404);
          if (method !== 'HEAD') expect(res.body, label).toEqual(NOT_FOUND);
          expect({ status: res.status, body: res.body }, `${label}: differs from a missing id`).toEqual({
            status: missing.status,
            body: missing.body,
          });
        }
        // The same request on an object of B's own works: the 404 above is ownership, not a bad request.
        if (rc.ownStatus !== undefined) {
          const own = await createOwn(bob, rc.kind, b);
          const res = await send(bob, method, path, own, request);
          expect(res.status, `${label} on B's own ${rc.kind}: ${res.raw}`).toBe(rc.ownStatus);
        }
        walked.push(label);
      }
    }
    expect(walked.length).toBeGreaterThan(20);
    expect(await aliceSnapshot()).toEqual(before);
  });

  it('A still reaches every one of A’s objects (the snapshot is not vacuous)', async () => {
    const snapshot = await aliceSnapshot();
    expect((snapshot[`/api/relationships/${a.relationship}/`] as { name: string }).name).toBe(`Ada ${term}`);
    expect(snapshot[`/api/relationships/${a.relationship}/`]).toMatchObject({
      notes_count: 1,
      face_signatures_count: 1,
      voice_signatures_count: 1,
    });
    expect(snapshot[`/api/interactions/${a.interaction}/`]).toMatchObject({ participants: [a.relationship] });
    expect(snapshot[`/api/signatures/faces/${a.face}/`]).toMatchObject({ relationship: a.relationship });
    expect(snapshot[`/api/notes/${aOwned.note[2]}/`]).toMatchObject({ status: 'DELETED' });
  });
});

describe('staff routes: 403 to everyone who is not staff', () => {
  it('every /api/admin/ route is in STAFF_ROUTES, and answers B 403 for A’s account as for a missing one', async () => {
    const registered = [...allRoutes()].filter(
      (r) => pathOf(r).startsWith('/api/admin/') && methodOf(r) !== 'HEAD',
    );
    expect(registered.sort()).toEqual([...STAFF_ROUTES].sort());
    for (const route of STAFF_ROUTES) {
      for (const id of [alice.userId, MISSING_ID]) {
        const url = `${pathOf(route).replace(':id', String(id))}/`;
        const method = methodOf(route);
        const res = await bob.request(
          method as 'GET',
          url,
          method === 'GET' ? undefined : { is_active: false },
        );
        expect(res.status, `${route} ${id}: ${res.raw}`).toBe(403);
        expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' });
      }
    }
    expect((await alice.get('/api/auth/users/me/')).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Every list, with every filter
// ---------------------------------------------------------------------------------------------

const ORDERINGS: Record<string, string[]> = {
  '/api/relationships': ['name', 'created_at', 'last_interaction_at'],
  '/api/interactions': ['occurred_at', 'created_at'],
  '/api/notes': ['importance', 'created_at'],
  '/api/signatures/faces': ['last_seen_at', 'first_seen_at', 'created_at', 'sample_count'],
  '/api/signatures/voices': ['last_seen_at', 'first_seen_at', 'created_at', 'sample_count'],
};

type ListQuery = {
  query: string;
  /** A's own view of it includes these ids: the filter really matches A's data. */
  aliceSees: number[];
  /** Only A's data can match it: B must get an empty list, count 0. */
  aliceOnly?: boolean;
};

function listQueries(path: string): { kind: Kind; queries: ListQuery[] } {
  const q = (query: string, aliceSees: number[], aliceOnly = false): ListQuery => ({
    query,
    aliceSees,
    aliceOnly,
  });
  const ordering = (ids: number[]) =>
    (ORDERINGS[path] ?? []).flatMap((field) => [q(`ordering=${field}`, ids), q(`ordering=-${field}`, ids)]);
  const upper = term.toUpperCase();
  switch (path) {
    case '/api/relationships':
      return {
        kind: 'relationship',
        queries: [
          q('', [a.relationship]),
          q(`search=${term}`, [a.relationship], true),
          q(`search=${upper}`, [a.relationship], true),
          q(`search=Ada%20${term}`, [a.relationship], true),
          q(`search=${term}%40example.com`, [a.relationship], true),
          q('search=7946', [a.relationship]),
          q(`tag=${aliceTag}`, [a.relationship], true),
          q(`tag=${aliceTag.toUpperCase()}`, [a.relationship], true),
          q('tag=shared-tag', [a.relationship]),
          q('relationship_type=FRIEND', [a.relationship]),
          q(`relationship_type=FRIEND&search=${term}&tag=${aliceTag}&ordering=-name`, [a.relationship], true),
          ...ordering([a.relationship]),
        ],
      };
    case '/api/interactions':
      return {
        kind: 'interaction',
        queries: [
          q('', [a.interaction]),
          q(`participant=${a.relationship}`, [a.interaction], true),
          q(`search=${term}`, [a.interaction], true),
          q(`search=${upper}`, [a.interaction], true),
          q(`search=${term.slice(0, 2)}`, [a.interaction]),
          q(`search=lunch%20${term}`, [a.interaction], true),
          q('interaction_type=MEETING', [a.interaction]),
          q('processing_status=NONE', [a.interaction]),
          q('occurred_after=2026-01-15', [a.interaction]),
          q('occurred_before=2026-01-15T12:00:00Z', [a.interaction]),
          q(
            'occurred_after=2026-01-15T11:59:59Z&occurred_before=2026-01-15T12:00:01Z',
            [a.interaction],
            true,
          ),
          q(`participant=${a.relationship}&search=${term}&interaction_type=MEETING`, [a.interaction], true),
          ...ordering([a.interaction]),
        ],
      };
    case '/api/notes':
      return {
        kind: 'note',
        queries: [
          q('', [a.note]),
          q(`relationship=${a.relationship}`, [a.note], true),
          q(`interaction=${a.interaction}`, [a.note], true),
          q(`search=${term}`, [a.note], true),
          q(`search=${upper}`, [a.note], true),
          q('status=ACTIVE', [a.note]),
          q('status=ARCHIVED', [aOwned.note[1]!]),
          q('status=DELETED', [aOwned.note[2]!]),
          q(`status=DELETED&relationship=${a.relationship}`, [aOwned.note[2]!], true),
          q('category=PREFERENCE', [a.note]),
          q(
            `relationship=${a.relationship}&interaction=${a.interaction}&category=PREFERENCE`,
            [a.note],
            true,
          ),
          ...ordering([a.note]),
        ],
      };
    case '/api/signatures/faces':
    case '/api/signatures/voices': {
      const kind = path.endsWith('faces') ? 'face' : 'voice';
      const [known, unknown] = aOwned[kind] as [number, number];
      return {
        kind,
        queries: [
          q('', [known, unknown]),
          q(`relationship=${a.relationship}`, [known], true),
          q('unassigned=true', [unknown]),
          q('unassigned=True', [unknown]),
          q('unassigned=1', [unknown]),
          q('unassigned=false', [known]),
          q(`relationship=${a.relationship}&unassigned=false`, [known], true),
          ...ordering([known, unknown]),
        ],
      };
    }
    default:
      throw new Error(`no list queries for ${path}: add them to listQueries()`);
  }
}

/** Downloads of everything the user owns: checked in section 4. */
const EXPORTS = ['/api/relationships/export', '/api/auth/users/me/export'];

/**
 * GET routes that are not lists of the user's objects (the digest's isolation: digest.test.ts;
 * the event stream's: events.test.ts; `/*` is the web app).
 */
const NOT_LISTS = [
  '/api/health',
  '/api/schema',
  '/api/auth/users/me',
  '/api/digest',
  '/api/events',
  '*',
  '/*',
  ...EXPORTS,
];

function listRoutes(): string[] {
  return [...allRoutes()]
    .filter((route) => methodOf(route) === 'GET')
    .map(pathOf)
    .filter(
      (path) =>
        !path.includes('/:') &&
        !path.startsWith('/api/docs') &&
        !NOT_LISTS.includes(path) &&
        !isStaffRoute(`GET ${path}`),
    )
    .sort();
}

describe('every list, with every filter, shows B none of A’s rows', () => {
  it('covers every list route and every filter the app declares', () => {
    const operations = openApiOperations(ctx.app);
    const lists = listRoutes();
    expect(lists).toEqual(
      expect.arrayContaining(['/api/relationships', '/api/notes', '/api/signatures/faces']),
    );
    for (const path of lists) {
      const { queries } = listQueries(path);
      const declared = (operations.get(`GET ${path}`)?.parameters ?? [])
        .filter((p) => p.in === 'query' && p.name !== 'page' && p.name !== 'page_size')
        .map((p) => p.name);
      const used = new Set(queries.flatMap(({ query }) => [...new URLSearchParams(query).keys()]));
      expect(
        declared.filter((name) => !used.has(name)),
        `${path}: filters not exercised`,
      ).toEqual([]);
    }
  });

  it('A sees A’s rows; B, with the same query, sees only B’s and a count to match', async () => {
    for (const path of listRoutes()) {
      const { kind, queries } = listQueries(path);
      for (const { query, aliceSees, aliceOnly } of queries) {
        const url = `${path}/?${query}${query ? '&' : ''}page_size=200`;
        const mine = await ok(alice.get(url), 200);
        const mineIds = mine.results.map((r: { id: number }) => r.id);
        expect(mineIds, `A ${url}`).toEqual(expect.arrayContaining(aliceSees));

        const theirs = await ok(bob.get(url), 200);
        const theirIds: number[] = theirs.results.map((r: { id: number }) => r.id);
        expect(
          theirIds.filter((id) => aOwned[kind].includes(id)),
          `B ${url} shows A's rows`,
        ).toEqual([]);
        expect(theirs.count, `B ${url}: count leaks rows`).toBe(theirIds.length);
        if (aliceOnly) expect(theirs, `B ${url}`).toMatchObject({ count: 0, results: [] });
        for (const row of theirs.results as Record<string, unknown>[]) {
          for (const field of ['relationship', 'interaction'] as const) {
            const value = row[field];
            if (typeof value === 'number')
              expect(aOwned[field], `B ${url} refers to A's ${field}`).not.toContain(value);
          }
          if (Array.isArray(row.participants)) {
            expect((row.participants as number[]).filter((id) => aOwned.relationship.includes(id))).toEqual(
              [],
            );
          }
          expect(JSON.stringify(row)).not.toContain(term);
        }
      }
    }
  });

  it('paging through B’s lists never reaches A’s rows either', async () => {
    for (const path of listRoutes()) {
      const { kind } = listQueries(path);
      const seen: number[] = [];
      let url: string | null = `${path}/?page_size=1`;
      while (url) {
        const page: { next: string | null; results: { id: number }[] } = await ok(bob.get(url), 200);
        seen.push(...page.results.map((r) => r.id));
        url = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
      }
      expect(
        seen.filter((id) => aOwned[kind].includes(id)),
        path,
      ).toEqual([]);
      expect(seen.length).toBeGreaterThan(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Another user's ids in request bodies
// ---------------------------------------------------------------------------------------------

/** Body fields that name another object, in any write route. */
const REFERENCE_FIELDS: Record<string, Kind> = {
  relationship: 'relationship',
  participants: 'relationship',
  interaction: 'interaction',
};

type ReferenceCase = {
  route: string;
  field: string;
  /** The request B makes, with `ref` in the field; the target id (if any) is B's own. */
  body: (ref: number | string, own: Fixtures) => unknown;
  target?: Kind;
};

const REFERENCE_CASES: ReferenceCase[] = [
  {
    route: 'POST /api/interactions',
    field: 'participants',
    body: (ref) => ({ interaction_type: 'MEETING', participants: [ref] }),
  },
  {
    route: 'POST /api/interactions',
    field: 'participants',
    body: (ref, own) => ({ interaction_type: 'MEETING', participants: [own.relationship, ref] }),
  },
  {
    route: 'PUT /api/interactions/:id',
    field: 'participants',
    target: 'interaction',
    body: (ref) => ({ interaction_type: 'MEETING', participants: [ref] }),
  },
  {
    route: 'PATCH /api/interactions/:id',
    field: 'participants',
    target: 'interaction',
    body: (ref, own) => ({ participants: [ref, own.relationship] }),
  },
  { route: 'POST /api/notes', field: 'relationship', body: (ref) => ({ relationship: ref, text: 'Sneaky' }) },
  {
    route: 'POST /api/notes',
    field: 'interaction',
    body: (ref, own) => ({ relationship: own.relationship, interaction: ref, text: 'Sneaky' }),
  },
  {
    route: 'PUT /api/notes/:id',
    field: 'relationship',
    target: 'note',
    body: (ref) => ({ relationship: ref, text: 'Sneaky' }),
  },
  {
    route: 'PUT /api/notes/:id',
    field: 'interaction',
    target: 'note',
    body: (ref, own) => ({ relationship: own.relationship, interaction: ref, text: 'Sneaky' }),
  },
  {
    route: 'PATCH /api/notes/:id',
    field: 'relationship',
    target: 'note',
    body: (ref) => ({ relationship: ref }),
  },
  {
    route: 'PATCH /api/notes/:id',
    field: 'interaction',
    target: 'note',
    body: (ref) => ({ interaction: ref }),
  },
  {
    route: 'PATCH /api/signatures/faces/:id',
    field: 'relationship',
    target: 'face',
    body: (ref) => ({ relationship: ref }),
  },
  {
    route: 'PATCH /api/signatures/voices/:id',
    field: 'relationship',
    target: 'voice',
    body: (ref) => ({ relationship: ref }),
  },
];

describe('B cannot reference A’s ids in request bodies', () => {
  it('covers every write route with a reference field', () => {
    const needed: string[] = [];
    for (const [route, operation] of openApiOperations(ctx.app)) {
      if (!['POST', 'PUT', 'PATCH'].includes(methodOf(route))) continue;
      const properties = operation.requestBody?.content?.['application/json']?.schema?.properties ?? {};
      for (const field of Object.keys(properties)) {
        if (field in REFERENCE_FIELDS) needed.push(`${route} ${field}`);
      }
    }
    expect(needed.length).toBeGreaterThan(5);
    const covered = new Set(REFERENCE_CASES.map((c) => `${c.route} ${c.field}`));
    expect(
      needed.filter((n) => !covered.has(n)),
      'reference fields without a tenancy case',
    ).toEqual([]);
  });

  it('answers 400 "Invalid pk", word for word as for an id that does not exist, and changes nothing', async () => {
    const before = await aliceSnapshot();
    const bobBefore = {
      interactions: await ok(bob.get('/api/interactions/?page_size=200'), 200),
      notes: await ok(bob.get('/api/notes/?page_size=200'), 200),
      note: await ok(bob.get(`/api/notes/${b.note}/`), 200),
      interaction: await ok(bob.get(`/api/interactions/${b.interaction}/`), 200),
      face: await ok(bob.get(`/api/signatures/faces/${b.face}/`), 200),
      voice: await ok(bob.get(`/api/signatures/voices/${b.voice}/`), 200),
    };
    for (const { route, field, body, target } of REFERENCE_CASES) {
      const method = methodOf(route);
      const url = `${pathOf(route).replace(':id', String(target ? b[target] : 0))}/`;
      const kind = REFERENCE_FIELDS[field]!;
      for (const foreign of aOwned[kind]) {
        for (const [ref, missing] of [
          [foreign, MISSING_ID],
          [String(foreign), String(MISSING_ID)],
        ] as const) {
          const res = await bob.request(method as 'POST', url, body(ref, b));
          const label = `${route} ${JSON.stringify(body(ref, b))}`;
          expect(res.status, `${label}: ${res.raw}`).toBe(400);
          expect(res.body, label).toEqual({ [field]: [invalidPk(ref)] });
          const other = await bob.request(method as 'POST', url, body(missing, b));
          expect(other.status, label).toBe(400);
          expect(
            JSON.parse(res.raw.replaceAll(`\\"${ref}\\"`, `\\"${missing}\\"`)),
            `${label}: differs`,
          ).toEqual(other.body);
        }
      }
    }
    expect(await aliceSnapshot()).toEqual(before);
    expect({
      interactions: await ok(bob.get('/api/interactions/?page_size=200'), 200),
      notes: await ok(bob.get('/api/notes/?page_size=200'), 200),
      note: await ok(bob.get(`/api/notes/${b.note}/`), 200),
      interaction: await ok(bob.get(`/api/interactions/${b.interaction}/`), 200),
      face: await ok(bob.get(`/api/signatures/faces/${b.face}/`), 200),
      voice: await ok(bob.get(`/api/signatures/voices/${b.voice}/`), 200),
    }).toEqual(bobBefore);
  });

  it('the same bodies with B’s own ids are accepted (the 400s above are ownership)', async () => {
    const ownRef: Record<Kind, number> = { ...b };
    for (const { route, field, body, target } of REFERENCE_CASES) {
      const method = methodOf(route);
      const id = target ? await createOwn(bob, target, b) : 0;
      const url = `${pathOf(route).replace(':id', String(id))}/`;
      const res = await bob.request(method as 'POST', url, body(ownRef[REFERENCE_FIELDS[field]!], b));
      expect(res.status, `${route} ${field}: ${res.raw}`).toBe(method === 'POST' ? 201 : 200);
    }
  });
});

describe('B’s objects stay out of A’s view too', () => {
  it('A’s lists hold only A’s rows', async () => {
    for (const path of listRoutes()) {
      const { kind } = listQueries(path);
      const res = await ok(alice.get(`${path}/?page_size=200`), 200);
      const ids: number[] = res.results.map((r: { id: number }) => r.id);
      expect(
        ids.filter((id) => !aOwned[kind].includes(id)),
        path,
      ).toEqual([]);
      expect(
        ids.filter((id) => bOwned[kind].includes(id)),
        path,
      ).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Exports: B's downloads hold none of A's data
// ---------------------------------------------------------------------------------------------

/** The text of every export `user` can download (each file of the account ZIP, decoded). */
async function exportTexts(user: User): Promise<Record<string, string>> {
  const get = async (url: string) => {
    const res = await ctx.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Token ${user.token}` },
    });
    expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.rawPayload;
  };
  const out: Record<string, string> = {
    vcf: (await get('/api/relationships/export/?format=vcf')).toString('utf8'),
    csv: (await get('/api/relationships/export/?format=csv')).toString('utf8'),
  };
  for (const [name, bytes] of await readZip(await get('/api/auth/users/me/export/'))) {
    out[`zip:${name}`] = bytes.toString('utf8');
  }
  return out;
}

describe('every export shows B none of A’s data', () => {
  it('the walk knows every export route', () => {
    const downloads = [...allRoutes()]
      .filter((route) => methodOf(route) === 'GET' && pathOf(route).endsWith('/export'))
      .map(pathOf)
      .sort();
    expect(downloads).toEqual([...EXPORTS].sort());
  });

  it('A’s exports hold A’s data; B’s hold none of it', async () => {
    const mine = await exportTexts(alice);
    for (const key of ['vcf', 'csv', 'zip:relationships.json', 'zip:interactions.json', 'zip:notes.json']) {
      expect(mine[key], key).toContain(term);
    }
    const theirs = await exportTexts(bob);
    expect(theirs.vcf).toContain('Bob Builder');
    for (const [key, text] of Object.entries(theirs)) {
      expect(text, `B's ${key} holds A's data`).not.toContain(term);
      expect(text, `B's ${key} names A`).not.toContain(alice.username);
    }
    const ids = (name: string) =>
      (JSON.parse(theirs[`zip:${name}`]!) as { id: number }[]).map((row) => row.id);
    const files: Record<Kind, string> = {
      relationship: 'relationships.json',
      interaction: 'interactions.json',
      note: 'notes.json',
      face: 'face_signatures.json',
      voice: 'voice_signatures.json',
    };
    for (const [kind, file] of Object.entries(files) as [Kind, string][]) {
      expect(
        ids(file).filter((id) => aOwned[kind].includes(id)),
        `B's ${file} lists A's rows`,
      ).toEqual([]);
      expect(ids(file), `B's ${file} lists B's own rows`).toEqual(expect.arrayContaining(bOwned[kind]));
    }
  });
});
