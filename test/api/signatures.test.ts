import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FACE_EMBEDDING_DIM,
  faceSignatures,
  identifiedParticipants,
  interactionSegments,
  voiceSignatures,
} from '../../src/infra/db/schema.js';
import { type SignatureKind, SignaturesRepository } from '../../src/modules/signatures/repository.js';
import { createVoiceSignature } from '../../src/modules/signatures/voice-samples.js';
import { type Client, createTestContext, type TestContext } from '../helpers/app.js';
import { TEST_VOICE_DIM } from '../helpers/database.js';

let ctx: TestContext;
let repo: SignaturesRepository;
beforeAll(async () => {
  ctx = await createTestContext();
  repo = new SignaturesRepository(ctx.database.db);
});
afterAll(() => ctx?.close());

type User = Awaited<ReturnType<TestContext['signUp']>>;

const FACES = '/api/signatures/faces/';
const VOICES = '/api/signatures/voices/';
const PATHS = { face: FACES, voice: VOICES } as const;
const TABLES = { face: faceSignatures, voice: voiceSignatures } as const;
const invalidPk = (id: number) => `Invalid pk "${id}" - object does not exist.`;

/** A deterministic, non-normalised embedding: different seeds point in different directions. */
function embedding(seed: number, dim: number): number[] {
  return Array.from({ length: dim }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * (1 + seed / 10));
}
const faceEmbedding = (seed: number) => embedding(seed, FACE_EMBEDDING_DIM);
const voiceEmbedding = (seed: number, dim = TEST_VOICE_DIM) => embedding(seed, dim);

const norm = (v: number[]) => Math.hypot(...v);
const unit = (v: number[]) => v.map((x) => x / norm(v));
/** What a merge must store: the normalised centroid of the unit embeddings, weighted by samples. */
function expectedCentroid(parts: { embedding: number[]; samples: number }[]): number[] {
  const sum = new Array<number>(parts[0]!.embedding.length).fill(0);
  for (const { embedding: e, samples } of parts) {
    for (const [i, x] of unit(e).entries()) sum[i]! += x * samples;
  }
  return unit(sum);
}

/** pgvector stores single-precision floats. */
function expectVectorClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, x] of actual.entries()) expect(x, `component ${i}`).toBeCloseTo(expected[i]!, 5);
}

async function person(client: Client, name = 'Emma'): Promise<number> {
  const res = await client.post('/api/relationships/', { name, relationship_type: 'FRIEND' });
  expect(res.status).toBe(201);
  return res.body.id;
}

type Options = { embedding?: number[]; relationshipId?: number; seenAt?: Date; samples?: number };
let seed = 0;
async function signature(user: User, kind: SignatureKind, options: Options = {}): Promise<number> {
  seed += 1;
  const row = await repo.create(user.userId, kind, {
    embedding: options.embedding ?? (kind === 'face' ? faceEmbedding(seed) : voiceEmbedding(seed)),
    ...(options.relationshipId !== undefined && { relationshipId: options.relationshipId }),
    ...(options.seenAt && { seenAt: options.seenAt }),
  });
  if (options.samples !== undefined) {
    const t = TABLES[kind];
    await ctx.database.db.update(t).set({ sampleCount: options.samples }).where(eq(t.id, row.id));
  }
  return row.id;
}

async function storedEmbedding(kind: SignatureKind, id: number): Promise<number[]> {
  const t = TABLES[kind];
  const [row] = await ctx.database.db.select({ embedding: t.embedding }).from(t).where(eq(t.id, id));
  return row!.embedding as number[];
}

async function listIds(client: Client, url: string): Promise<number[]> {
  const res = await client.get(url);
  expect(res.status, res.raw).toBe(200);
  return res.body.results.map((r: { id: number }) => r.id);
}

async function counts(client: Client, relationshipId: number) {
  const res = await client.get(`/api/relationships/${relationshipId}/`);
  expect(res.status).toBe(200);
  return { faces: res.body.face_signatures_count, voices: res.body.voice_signatures_count };
}

async function interaction(client: Client): Promise<number> {
  const res = await client.post('/api/interactions/', { interaction_type: 'VIDEO_CALL' });
  expect(res.status).toBe(201);
  return res.body.id;
}

const day = (d: string) => new Date(`${d}T12:00:00Z`);

describe.each(['face', 'voice'] as const)('%s signatures: reading', (kind) => {
  const base = PATHS[kind];

  it('needs auth', async () => {
    expect((await ctx.anonymous.get(base)).status).toBe(401);
    expect((await ctx.anonymous.patch(`${base}1/`, { relationship: null })).status).toBe(401);
    expect((await ctx.anonymous.delete(`${base}1/`)).status).toBe(401);
  });

  it('lists the documented fields, never the embedding, newest sighting first', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const old = await signature(alice, kind, { seenAt: day('2026-01-10') });
    const recent = await signature(alice, kind, { seenAt: day('2026-03-10'), relationshipId: emma });
    const middle = await signature(alice, kind, { seenAt: day('2026-02-10') });
    // Another user's signature never shows.
    await signature(await ctx.signUp(), kind);

    const res = await alice.get(base);
    expect(res.status).toBe(200);
    expect(res.raw).not.toContain('embedding');
    expect(res.body).toMatchObject({ count: 3, next: null, previous: null });
    expect(res.body.results.map((r: { id: number }) => r.id)).toEqual([recent, middle, old]);
    const fields = ['id', 'relationship', 'sample_count', 'first_seen_at', 'last_seen_at', 'created_at'];
    fields.push(kind === 'face' ? 'thumbnail_url' : 'sample_url');
    expect(Object.keys(res.body.results[0]).sort()).toEqual(fields.sort());
    expect(res.body.results[0]).toMatchObject({
      id: recent,
      relationship: emma,
      sample_count: 1,
      first_seen_at: '2026-03-10T12:00:00.000Z',
      last_seen_at: '2026-03-10T12:00:00.000Z',
      ...(kind === 'face' ? { thumbnail_url: null } : { sample_url: null }),
    });
    expect(Math.abs(Date.parse(res.body.results[0].created_at) - Date.now())).toBeLessThan(60_000);

    expect(await listIds(alice, `${base}?ordering=last_seen_at`)).toEqual([old, middle, recent]);
    expect(await listIds(alice, `${base}?ordering=-created_at`)).toEqual([middle, recent, old]);

    const page = await alice.get(`${base}?page_size=2&page=2`);
    expect(page.body).toMatchObject({ count: 3, next: null });
    expect(page.body.results.map((r: { id: number }) => r.id)).toEqual([old]);
    expect(new URL(page.body.previous).searchParams.get('page')).toBeNull();
    expect((await alice.get(`${base}?page=3&page_size=2`)).body).toEqual({ detail: 'Invalid page.' });
  });

  it('filters by relationship and unassigned', async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const emma = await person(alice, 'Emma');
    const noah = await person(alice, 'Noah');
    const bobs = await person(bob);
    await signature(bob, kind, { relationshipId: bobs });
    const emmas = await signature(alice, kind, { relationshipId: emma, seenAt: day('2026-01-01') });
    const noahs = await signature(alice, kind, { relationshipId: noah, seenAt: day('2026-01-02') });
    const unknown = await signature(alice, kind, { seenAt: day('2026-01-03') });

    expect(await listIds(alice, `${base}?relationship=${emma}`)).toEqual([emmas]);
    expect(await listIds(alice, `${base}?relationship=${noah}`)).toEqual([noahs]);
    expect(await listIds(alice, `${base}?relationship=${bobs}`)).toEqual([]);
    expect(await listIds(alice, `${base}?relationship=2000000000`)).toEqual([]);
    expect(await listIds(alice, `${base}?unassigned=true`)).toEqual([unknown]);
    expect(await listIds(alice, `${base}?unassigned=True`)).toEqual([unknown]);
    expect(await listIds(alice, `${base}?unassigned=1`)).toEqual([unknown]);
    // As a DRF BooleanFilter on relationship__isnull: false means "assigned ones".
    expect(await listIds(alice, `${base}?unassigned=false`)).toEqual([noahs, emmas]);
    expect(await listIds(alice, `${base}?unassigned=true&relationship=${emma}`)).toEqual([]);

    for (const query of ['unassigned=maybe', 'unassigned=yes', 'relationship=abc', 'relationship=1.5']) {
      const res = await alice.get(`${base}?${query}`);
      expect(res.status, query).toBe(400);
      expect(Object.keys(res.body)).toEqual([query.split('=')[0]]);
    }
  });

  it('shows one signature, and 404 for another user’s or a missing one', async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const mine = await signature(alice, kind, { seenAt: day('2026-05-05') });
    const bobs = await signature(bob, kind);
    const res = await alice.get(`${base}${mine}/`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: mine,
      relationship: null,
      sample_count: 1,
      first_seen_at: '2026-05-05T12:00:00.000Z',
      last_seen_at: '2026-05-05T12:00:00.000Z',
    });
    expect(res.raw).not.toContain('embedding');
    expect((await alice.get(`${base}${mine}`)).status).toBe(200);
    for (const url of [`${base}${bobs}/`, `${base}2000000000/`, `${base}abc/`]) {
      expect(await alice.get(url), url).toMatchObject({ status: 404, body: { detail: 'Not found.' } });
    }
  });
});

describe.each(['face', 'voice'] as const)('%s signatures: assigning', (kind) => {
  const base = PATHS[kind];
  const countKey = kind === 'face' ? 'faces' : 'voices';

  it('assigns an unknown signature to a person and unassigns it', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const id = await signature(alice, kind);
    const call = await interaction(alice);
    const column = kind === 'face' ? 'faceSignatureId' : 'voiceSignatureId';
    await ctx.database.db
      .insert(identifiedParticipants)
      .values({ interactionId: call, [column]: id, relationshipId: null, confidence: 0.9, firstSeenAt: 1 });
    const embeddingBefore = await storedEmbedding(kind, id);

    const res = await alice.patch(`${base}${id}/`, { relationship: emma });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, relationship: emma, sample_count: 1 });
    expect((await alice.get(`${base}${id}/`)).body.relationship).toBe(emma);
    expect(await counts(alice, emma)).toMatchObject({ [countKey]: 1 });
    expect(await storedEmbedding(kind, id)).toEqual(embeddingBefore);
    const detail = await alice.get(`/api/interactions/${call}/`);
    expect(detail.body.identified_participants[0]).toMatchObject({
      relationship_id: emma,
      [`${kind}_signature_id`]: id,
    });

    const asString = await alice.patch(`${base}${id}/`, { relationship: String(emma) });
    expect(asString).toMatchObject({ status: 200, body: { id, relationship: emma } });

    const unassigned = await alice.patch(`${base}${id}/`, { relationship: null });
    expect(unassigned.status).toBe(200);
    expect(unassigned.body).toMatchObject({ id, relationship: null });
    expect(await counts(alice, emma)).toMatchObject({ [countKey]: 0 });
    expect(await listIds(alice, `${base}?unassigned=true`)).toEqual([id]);
    const after = await alice.get(`/api/interactions/${call}/`);
    expect(after.body.identified_participants[0].relationship_id).toBeNull();
  });

  it("refuses another user's or a missing person, and another user's signature", async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const bobs = await person(bob);
    const id = await signature(alice, kind);
    const bobsSignature = await signature(bob, kind);

    for (const relationship of [bobs, 2_000_000_000]) {
      const res = await alice.patch(`${base}${id}/`, { relationship });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ relationship: [invalidPk(relationship)] });
    }
    const types: [unknown, string][] = [
      ['abc', 'str'],
      [1.5, 'float'],
      [true, 'bool'],
      [[1], 'list'],
    ];
    for (const [relationship, type] of types) {
      const res = await alice.patch(`${base}${id}/`, { relationship });
      expect(res.status, JSON.stringify(relationship)).toBe(400);
      expect(res.body).toEqual({ relationship: [`Incorrect type. Expected pk value, received ${type}.`] });
    }
    const missing = await alice.patch(`${base}${id}/`, {});
    expect(missing).toMatchObject({ status: 400, body: { relationship: ['This field is required.'] } });
    expect((await alice.get(`${base}${id}/`)).body.relationship).toBeNull();

    const alicesPerson = await person(alice);
    const foreign = await alice.patch(`${base}${bobsSignature}/`, { relationship: alicesPerson });
    expect(foreign).toMatchObject({ status: 404, body: { detail: 'Not found.' } });
    expect((await bob.get(`${base}${bobsSignature}/`)).body.relationship).toBeNull();
  });

  it("merges with the person's existing signature", async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const existingEmbedding = kind === 'face' ? faceEmbedding(101) : voiceEmbedding(101);
    const unknownEmbedding = kind === 'face' ? faceEmbedding(202) : voiceEmbedding(202);
    const existing = await signature(alice, kind, {
      embedding: existingEmbedding,
      relationshipId: emma,
      seenAt: day('2026-02-01'),
      samples: 3,
    });
    const unknown = await signature(alice, kind, {
      embedding: unknownEmbedding,
      seenAt: day('2026-04-01'),
      samples: 2,
    });
    // Seen first as the unknown one, last as the existing one.
    const t = TABLES[kind];
    await ctx.database.db
      .update(t)
      .set({ firstSeenAt: day('2026-01-15') })
      .where(eq(t.id, unknown));
    await ctx.database.db
      .update(t)
      .set({ lastSeenAt: day('2026-05-01') })
      .where(eq(t.id, existing));
    const createdAt = (await alice.get(`${base}${existing}/`)).body.created_at;

    // The unknown person was seen in a call.
    const call = await interaction(alice);
    const column = kind === 'face' ? 'faceSignatureId' : 'voiceSignatureId';
    await ctx.database.db.insert(identifiedParticipants).values([
      { interactionId: call, [column]: unknown, relationshipId: null, confidence: 0.7, firstSeenAt: 2 },
      { interactionId: call, [column]: existing, relationshipId: emma, confidence: 0.9, firstSeenAt: 1 },
    ]);
    if (kind === 'voice') {
      await ctx.database.db.insert(interactionSegments).values([
        { interactionId: call, startSeconds: 0, endSeconds: 1, text: 'Hi', voiceSignatureId: existing },
        { interactionId: call, startSeconds: 1, endSeconds: 2, text: 'Hello', voiceSignatureId: unknown },
      ]);
    }

    const res = await alice.patch(`${base}${unknown}/`, { relationship: emma });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: existing,
      relationship: emma,
      sample_count: 5,
      first_seen_at: '2026-01-15T12:00:00.000Z',
      last_seen_at: '2026-05-01T12:00:00.000Z',
      created_at: createdAt,
      ...(kind === 'face' ? { thumbnail_url: null } : { sample_url: null }),
    });
    expect(await alice.get(`${base}${unknown}/`)).toMatchObject({ status: 404 });
    expect(await alice.get(`${base}${existing}/`)).toMatchObject({ status: 200, body: res.body });
    expect(await listIds(alice, base)).toEqual([existing]);
    expect(await counts(alice, emma)).toMatchObject({ [countKey]: 1 });

    const merged = await storedEmbedding(kind, existing);
    const expected = expectedCentroid([
      { embedding: existingEmbedding, samples: 3 },
      { embedding: unknownEmbedding, samples: 2 },
    ]);
    expect(merged).toHaveLength(expected.length);
    expect(norm(merged)).toBeCloseTo(1, 5);
    expectVectorClose(merged, expected);

    const detail = (await alice.get(`/api/interactions/${call}/`)).body;
    expect(detail.identified_participants).toEqual([
      {
        relationship_id: emma,
        face_signature_id: kind === 'face' ? existing : null,
        voice_signature_id: kind === 'voice' ? existing : null,
        confidence: 0.9,
        first_seen_at: 1,
      },
      {
        relationship_id: emma,
        face_signature_id: kind === 'face' ? existing : null,
        voice_signature_id: kind === 'voice' ? existing : null,
        confidence: 0.7,
        first_seen_at: 2,
      },
    ]);
    if (kind === 'voice') {
      expect(detail.segments.map((s: { speaker: unknown }) => s.speaker)).toEqual([
        { voice_signature_id: existing, relationship_id: emma, name: null },
        { voice_signature_id: existing, relationship_id: emma, name: null },
      ]);
    }
  });

  it('keeps the older signature when the unknown one is older', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const olderEmbedding = kind === 'face' ? faceEmbedding(303) : voiceEmbedding(303);
    const newerEmbedding = kind === 'face' ? faceEmbedding(404) : voiceEmbedding(404);
    // Met many times before being named; enrolled later from one sample.
    const older = await signature(alice, kind, { embedding: olderEmbedding, samples: 7 });
    const newer = await signature(alice, kind, { embedding: newerEmbedding, relationshipId: emma });
    const call = await interaction(alice);
    const column = kind === 'face' ? 'faceSignatureId' : 'voiceSignatureId';
    await ctx.database.db
      .insert(identifiedParticipants)
      .values({ interactionId: call, [column]: newer, relationshipId: emma, confidence: 1, firstSeenAt: 0 });

    const res = await alice.patch(`${base}${older}/`, { relationship: emma });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: older, relationship: emma, sample_count: 8 });
    expect((await alice.get(`${base}${newer}/`)).status).toBe(404);
    expect(await listIds(alice, `${base}?relationship=${emma}`)).toEqual([older]);
    const merged = await storedEmbedding(kind, older);
    const expected = expectedCentroid([
      { embedding: olderEmbedding, samples: 7 },
      { embedding: newerEmbedding, samples: 1 },
    ]);
    expectVectorClose(merged, expected);
    const detail = (await alice.get(`/api/interactions/${call}/`)).body;
    expect(detail.identified_participants[0]).toMatchObject({
      relationship_id: emma,
      [`${kind}_signature_id`]: older,
    });
  });

  it('merges all of the person’s signatures into one', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const a = await signature(alice, kind, { relationshipId: emma, samples: 2 });
    const b = await signature(alice, kind, { relationshipId: emma, samples: 4 });
    const c = await signature(alice, kind);
    const embeddings = await Promise.all([a, b, c].map((id) => storedEmbedding(kind, id)));
    const res = await alice.patch(`${base}${c}/`, { relationship: emma });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: a, relationship: emma, sample_count: 7 });
    expect(await listIds(alice, base)).toEqual([a]);
    expect(await counts(alice, emma)).toMatchObject({ [countKey]: 1 });
    const expected = expectedCentroid([
      { embedding: embeddings[0]!, samples: 2 },
      { embedding: embeddings[1]!, samples: 4 },
      { embedding: embeddings[2]!, samples: 1 },
    ]);
    expectVectorClose(await storedEmbedding(kind, a), expected);
  });

  it('does not merge with a signature of another person or another user', async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const emma = await person(alice, 'Emma');
    const noah = await person(alice, 'Noah');
    const noahs = await signature(alice, kind, { relationshipId: noah });
    await signature(bob, kind, { relationshipId: await person(bob) });
    const unknown = await signature(alice, kind);
    const res = await alice.patch(`${base}${unknown}/`, { relationship: emma });
    expect(res.body).toMatchObject({ id: unknown, relationship: emma, sample_count: 1 });
    expect((await alice.get(`${base}${noahs}/`)).body).toMatchObject({ relationship: noah, sample_count: 1 });
  });
});

describe('face thumbnails', () => {
  it('are null without a thumbnail, and a merge keeps one', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const existing = await signature(alice, 'face', { relationshipId: emma });
    expect((await alice.get(`${FACES}${existing}/`)).body.thumbnail_url).toBeNull();
    const withThumb = await repo.create(alice.userId, 'face', {
      embedding: faceEmbedding(999),
      thumbnailPath: 'thumbnails/x.jpg',
    });
    const res = await alice.patch(`${FACES}${withThumb.id}/`, { relationship: emma });
    expect(res.body.id).toBe(existing);
    const [row] = await ctx.database.db
      .select({ thumbnailPath: faceSignatures.thumbnailPath })
      .from(faceSignatures)
      .where(eq(faceSignatures.id, existing));
    expect(row!.thumbnailPath).toBe('thumbnails/x.jpg');
    expect(res.raw).not.toContain('thumbnails/x.jpg');
  });
});

describe('voice samples', () => {
  const tone = (hz: number) =>
    Float32Array.from({ length: 16_000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / 16_000));
  const wavOf = async (user: User, url: string) => {
    const res = await ctx.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Token ${user.token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    return res.rawPayload;
  };

  it('a merge keeps the older voice’s sample and deletes the other; a voice without one gets it', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const storage = ctx.runtime.storage;
    const deps = { signatures: repo, storage };
    const [older, newer] = [
      await createVoiceSignature(deps, alice.userId, {
        embedding: voiceEmbedding(501),
        engine: 'test',
        relationshipId: emma,
        sample: tone(220),
      }),
      await createVoiceSignature(deps, alice.userId, {
        embedding: voiceEmbedding(502),
        engine: 'test',
        sample: tone(440),
      }),
    ];
    expect((await alice.get(`${VOICES}${newer.id}/`)).body.sample_url).toBe(`${VOICES}${newer.id}/sample/`);
    const olderWav = await wavOf(alice, `${VOICES}${older.id}/sample/`);
    expect(olderWav.equals(await wavOf(alice, `${VOICES}${newer.id}/sample/`))).toBe(false);

    const merged = await alice.patch(`${VOICES}${newer.id}/`, { relationship: emma });
    expect(merged.body).toMatchObject({ id: older.id, sample_url: `${VOICES}${older.id}/sample/` });
    expect((await wavOf(alice, merged.body.sample_url)).equals(olderWav)).toBe(true);
    expect(await storage.stat(newer.samplePath!)).toBeUndefined();

    // Naming a voice that has a sample after one that has none: the person gets the sample.
    const bob = await person(alice, 'Bob');
    const silent = await signature(alice, 'voice', { relationshipId: bob });
    const heard = await createVoiceSignature(deps, alice.userId, {
      embedding: voiceEmbedding(503),
      engine: '',
      sample: tone(330),
    });
    const named = await alice.patch(`${VOICES}${heard.id}/`, { relationship: bob });
    expect(named.body).toMatchObject({ id: silent, sample_url: `${VOICES}${silent}/sample/` });
    expect(await storage.stat(heard.samplePath!)).toBeDefined();
    expect((await alice.get(`${VOICES}${silent}/sample/`)).status).toBe(200);
  });

  it('a voice without a sample answers 404 for it', async () => {
    const alice = await ctx.signUp();
    const id = await signature(alice, 'voice');
    expect((await alice.get(`${VOICES}${id}/`)).body.sample_url).toBeNull();
    expect((await alice.get(`${VOICES}${id}/sample/`)).status).toBe(404);
  });
});

describe('voice signatures of different dimensions', () => {
  it('are assigned but never merged', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const wide = await signature(alice, 'voice', {
      embedding: voiceEmbedding(1, 256),
      relationshipId: emma,
      samples: 9,
    });
    const unknown = await signature(alice, 'voice', { embedding: voiceEmbedding(2) });
    const res = await alice.patch(`${VOICES}${unknown}/`, { relationship: emma });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: unknown, relationship: emma, sample_count: 1 });
    expect((await alice.get(`${VOICES}${wide}/`)).body).toMatchObject({
      relationship: emma,
      sample_count: 9,
    });
    expect(await storedEmbedding('voice', wide)).toHaveLength(256);
    expect(await storedEmbedding('voice', unknown)).toHaveLength(TEST_VOICE_DIM);
    expect(await counts(alice, emma)).toEqual({ faces: 0, voices: 2 });
  });

  it('merge with the person’s signature of the same dimension', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    // The wider one has more samples, so it must not hide the compatible one.
    const wide = await signature(alice, 'voice', {
      embedding: voiceEmbedding(3, 256),
      relationshipId: emma,
      samples: 9,
    });
    const same = await signature(alice, 'voice', { embedding: voiceEmbedding(4), relationshipId: emma });
    const unknown = await signature(alice, 'voice', { embedding: voiceEmbedding(5) });
    const res = await alice.patch(`${VOICES}${unknown}/`, { relationship: emma });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: same, relationship: emma, sample_count: 2 });
    expect((await alice.get(`${VOICES}${unknown}/`)).status).toBe(404);
    expect((await alice.get(`${VOICES}${wide}/`)).body.sample_count).toBe(9);
    expect(await counts(alice, emma)).toEqual({ faces: 0, voices: 2 });
  });
});

describe('deleting', () => {
  it.each(['face', 'voice'] as const)('deletes a %s signature: 204, then 404', async (kind) => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const emma = await person(alice);
    const id = await signature(alice, kind, { relationshipId: emma });
    const call = await interaction(alice);
    const column = kind === 'face' ? 'faceSignatureId' : 'voiceSignatureId';
    await ctx.database.db
      .insert(identifiedParticipants)
      .values({ interactionId: call, [column]: id, relationshipId: emma, confidence: 1, firstSeenAt: 0 });
    expect(await counts(alice, emma)).toMatchObject({ [kind === 'face' ? 'faces' : 'voices']: 1 });

    expect(await bob.delete(`${PATHS[kind]}${id}/`)).toMatchObject({
      status: 404,
      body: { detail: 'Not found.' },
    });
    const res = await alice.delete(`${PATHS[kind]}${id}/`);
    expect(res.status).toBe(204);
    expect(res.raw).toBe('');
    expect((await alice.get(`${PATHS[kind]}${id}/`)).status).toBe(404);
    expect((await alice.delete(`${PATHS[kind]}${id}/`)).status).toBe(404);
    expect((await alice.patch(`${PATHS[kind]}${id}/`, { relationship: null })).status).toBe(404);
    expect(await counts(alice, emma)).toEqual({ faces: 0, voices: 0 });
    // The sighting stays, without its signature.
    const detail = await alice.get(`/api/interactions/${call}/`);
    expect(detail.body.identified_participants[0]).toMatchObject({
      relationship_id: emma,
      [`${kind}_signature_id`]: null,
    });
  });

  it('deleting a person deletes their signatures, not the unknown ones', async () => {
    const alice = await ctx.signUp();
    const emma = await person(alice);
    const face = await signature(alice, 'face', { relationshipId: emma });
    const voice = await signature(alice, 'voice', { relationshipId: emma });
    const unknownFace = await signature(alice, 'face');
    expect(await counts(alice, emma)).toEqual({ faces: 1, voices: 1 });
    expect((await alice.delete(`/api/relationships/${emma}/`)).status).toBe(204);
    expect((await alice.get(`${FACES}${face}/`)).status).toBe(404);
    expect((await alice.get(`${VOICES}${voice}/`)).status).toBe(404);
    expect(await listIds(alice, FACES)).toEqual([unknownFace]);
    expect(await listIds(alice, VOICES)).toEqual([]);
  });
});

describe('vector indexes', () => {
  type Row = Record<string, unknown>;
  const rows = async (query: ReturnType<typeof sql>): Promise<Row[]> =>
    ((await ctx.database.db.execute(query)) as unknown as { rows: Row[] }).rows;

  it('has HNSW cosine indexes on face and voice embeddings', async () => {
    const indexes = await rows(sql`
      select indexname, indexdef from pg_indexes
      where schemaname = current_schema()
        and indexname in ('face_signatures_embedding_idx', ${`voice_signatures_embedding_${TEST_VOICE_DIM}_idx`})
      order by indexname`);
    expect(indexes.map((r) => r.indexname)).toEqual([
      'face_signatures_embedding_idx',
      `voice_signatures_embedding_${TEST_VOICE_DIM}_idx`,
    ]);
    const [face, voice] = indexes.map((r) => String(r.indexdef));
    expect(face).toContain('USING hnsw (embedding vector_cosine_ops)');
    expect(voice).toContain('USING hnsw');
    expect(voice).toContain(`(embedding)::vector(${TEST_VOICE_DIM})`);
    expect(voice).toContain('vector_cosine_ops');
    expect(voice).toContain(`WHERE (vector_dims(embedding) = ${TEST_VOICE_DIM})`);
  });

  it('finds the nearest voices by cosine distance with the indexed expression', async () => {
    const alice = await ctx.signUp();
    const axis = (i: number, j = -1) =>
      Array.from({ length: TEST_VOICE_DIM }, (_, k) => (k === i ? 1 : k === j ? 1 : 0));
    const exact = await signature(alice, 'voice', { embedding: axis(0) });
    const close = await signature(alice, 'voice', { embedding: axis(0, 1) });
    const far = await signature(alice, 'voice', { embedding: axis(2) });
    await signature(alice, 'voice', { embedding: voiceEmbedding(7, 256) });
    const query = JSON.stringify(axis(0).map((x) => x * 3));

    // The shared database holds other users' voices too: the per-user filter must not starve the
    // approximate index scan (SignaturesRepository.nearest scans iteratively).
    const found = await repo.nearest(
      alice.userId,
      'voice',
      axis(0).map((x) => x * 3),
      3,
    );
    expect(found.map((r) => r.id)).toEqual([exact, close, far]);
    const distances = found.map((r) => Number(r.distance));
    expect(distances[0]).toBeCloseTo(0, 6);
    expect(distances[1]).toBeCloseTo(1 - Math.SQRT1_2, 6);
    expect(distances[2]).toBeCloseTo(1, 6);

    // With few rows the planner prefers a sequential scan; forbidding it shows the query's
    // expression is the one the partial HNSW index covers.
    const plan = await ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const result = await tx.execute(sql`
        explain select id from voice_signatures
        where vector_dims(embedding) = ${sql.raw(String(TEST_VOICE_DIM))}
        order by (embedding::vector(${sql.raw(String(TEST_VOICE_DIM))})) <=> ${query}::vector(${sql.raw(String(TEST_VOICE_DIM))})
        limit 3`);
      return JSON.stringify((result as { rows: unknown[] }).rows);
    });
    expect(plan).toContain(`voice_signatures_embedding_${TEST_VOICE_DIM}_idx`);
  });
});
