import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/app.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx?.close());

describe('health', () => {
  it('answers without auth and reports the database', async () => {
    const res = await ctx.anonymous.get('/api/health/');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'ok', queue: 'inline' });
  });

  it('accepts the path without a trailing slash', async () => {
    expect((await ctx.anonymous.get('/api/health')).status).toBe(200);
  });
});

describe('relationships happy path', () => {
  it('creates and lists', async () => {
    const alice = await ctx.signUp();
    const created = await alice.post('/api/relationships/', {
      name: 'Emma',
      relationship_type: 'FAMILY',
      tags: ['x'],
    });
    expect(created.status).toBe(201);
    const list = await alice.get('/api/relationships/');
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(1);
    expect(list.body.results[0]).toMatchObject({ name: 'Emma', tags: ['x'], last_interaction_at: null });
  });
});
