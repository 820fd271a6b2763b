import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceSignatures } from '../../src/infra/db/schema.js';
import { SignaturesRepository } from '../../src/modules/signatures/repository.js';
import { cosineDistance } from '../../src/pipeline/faces/vectors.js';
import { createTestContext, type TestContext } from '../helpers/app.js';

// Nearest-signature search on the real database: one user's rows only, through an index either
// way (EXPLAIN on the real plan), and the right answers.

const DIM = 128;
const BIG = 3000;
const EXACT_LIMIT = 1000;

/** Reproducible pseudo-random unit vectors. */
function* vectors(seed: number): Generator<number[]> {
  // mulberry32: exact 32-bit integer arithmetic (a float LCG loses precision and repeats itself).
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296 - 0.5;
  };
  for (;;) {
    const v = Array.from({ length: DIM }, next);
    const norm = Math.hypot(...v);
    yield v.map((x) => x / norm);
  }
}

let ctx: TestContext;
let repo: SignaturesRepository;
let big: { userId: number; rows: { id: number; embedding: number[] }[] };
let small: { userId: number; rows: { id: number; embedding: number[] }[] };

async function seed(userId: number, count: number, seedValue: number) {
  const source = vectors(seedValue);
  const rows: { id: number; embedding: number[] }[] = [];
  for (let done = 0; done < count; done += 500) {
    const batch = Array.from({ length: Math.min(500, count - done) }, () => source.next().value as number[]);
    const inserted = await ctx.database.db
      .insert(faceSignatures)
      .values(batch.map((embedding) => ({ userId, embedding })))
      .returning({ id: faceSignatures.id });
    for (const [i, row] of inserted.entries()) rows.push({ id: row.id, embedding: batch[i]! });
  }
  return rows;
}

beforeAll(async () => {
  ctx = await createTestContext();
  repo = new SignaturesRepository(ctx.database.db, EXACT_LIMIT);
  const a = await ctx.signUp();
  const b = await ctx.signUp();
  big = { userId: a.userId, rows: await seed(a.userId, BIG, 1) };
  small = { userId: b.userId, rows: await seed(b.userId, 5, 2) };
  await ctx.database.db.execute(sql`analyze face_signatures`);
}, 300_000);
afterAll(() => ctx?.close());

async function plan(userId: number, embedding: number[]) {
  const { viaIndex, query } = await repo.nearestQuery(userId, 'face', embedding, 1);
  const text = await ctx.database.db.transaction(async (tx) => {
    if (viaIndex) await tx.execute(sql`set local hnsw.iterative_scan = strict_order`);
    const result = (await tx.execute(sql`explain ${query}`)) as unknown as { rows: Record<string, string>[] };
    return result.rows.map((row) => Object.values(row)[0]).join('\n');
  });
  return { viaIndex, text };
}

describe('nearest face signature', () => {
  it('a user with many signatures is searched through the HNSW index, filtered on the user', async () => {
    const { viaIndex, text } = await plan(big.userId, big.rows[0]!.embedding);
    expect(viaIndex).toBe(true);
    expect(text).not.toMatch(/Seq Scan/);
    // On a server shared with other test files running at once, other users' rows can make the
    // user b-tree the cheaper plan; when this user owns most rows, it must be the HNSW index.
    const [{ total }] = (
      (await ctx.database.db.execute(sql`select count(*)::int as total from face_signatures`)) as unknown as {
        rows: { total: number }[];
      }
    ).rows as [{ total: number }];
    if (total < BIG * 2) {
      expect(text).toMatch(/Index Scan using face_signatures_embedding_idx/);
      expect(text).toMatch(/Filter: \(user_id = \d+\)/);
    } else {
      expect(text).toMatch(/face_signatures_embedding_idx|face_signatures_user_idx/);
    }
  });

  it('a user with few signatures is searched exactly through the user b-tree', async () => {
    const { viaIndex, text } = await plan(small.userId, small.rows[0]!.embedding);
    expect(viaIndex).toBe(false);
    expect(text).not.toMatch(/face_signatures_embedding_idx/);
    expect(text).toMatch(/face_signatures_user_idx/);
  });

  it('finds the nearest of the user’s own signatures, never another user’s', async () => {
    const noisy = vectors(3);
    for (const owner of [big, small]) {
      for (const target of owner.rows.slice(0, 5)) {
        // A query near one of the user's signatures (a new photo of the same person).
        const noise = noisy.next().value as number[];
        const query = target.embedding.map((x, i) => x + 0.05 * noise[i]!);
        const exact = owner.rows
          .map((row) => ({ id: row.id, distance: cosineDistance(row.embedding, query) }))
          .sort((a, b) => a.distance - b.distance)[0]!;
        const [found] = await repo.nearest(owner.userId, 'face', query, 1);
        expect(found!.id).toBe(exact.id);
        expect(found!.distance).toBeCloseTo(exact.distance, 4);
      }
    }
    // The small user's query right on the big user's row still only sees the small user's rows.
    const [other] = await repo.nearest(small.userId, 'face', big.rows[0]!.embedding, 3);
    expect(small.rows.map((r) => r.id)).toContain(other!.id);
  });
});
