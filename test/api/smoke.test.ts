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

  it('reports every engine and the event loop’s delay', async () => {
    const res = await ctx.anonymous.get('/api/health/');
    expect(Object.keys(res.body.engines).sort()).toEqual([
      'asr',
      'diarization',
      'face',
      'notes',
      'vad',
      'voice',
    ]);
    for (const engine of Object.values(res.body.engines))
      expect(engine).toMatchObject({ name: expect.any(String), available: expect.any(Boolean) });
    const delay = res.body.event_loop_delay_ms;
    expect(delay.window_seconds).toBe(10);
    expect(delay.p99).toBeGreaterThanOrEqual(delay.p50);
    expect(delay.max).toBeGreaterThanOrEqual(delay.p99);
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

describe('API documentation', () => {
  it('serves the OpenAPI document generated from the zod schemas', async () => {
    const res = await ctx.anonymous.get('/api/schema/');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/relationships/',
        '/api/relationships/{id}/',
        '/api/interactions/',
        '/api/notes/{id}/',
        '/api/signatures/faces/{id}/',
        '/api/auth/users/login/',
      ]),
    );
    const create = res.body.paths['/api/relationships/'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual([
      'name',
      'relationship_type',
    ]);
  });

  it('serves a browsable UI without auth', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
  });

  it('tags every response with a request id', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/health/',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(res.headers['x-request-id']).toBe('abc-123');
  });
});
