import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/app.js';
import { JFK } from '../helpers/fixtures.js';
import { multipartFile } from '../helpers/multipart.js';
import { startOpenAiServer } from '../helpers/openai-server.js';

// With USE_OPENAI_APIS the speech stage sends the whole recording to OPENAI_BASE_URL (here a local
// server speaking OpenAI's wire format) and attributes its segments to the speakers it found.
let server: Awaited<ReturnType<typeof startOpenAiServer>>;
let ctx: TestContext;
beforeAll(async () => {
  server = await startOpenAiServer((seconds) => [
    { start: 0.3, end: 2.2, text: ' And so my fellow Americans,' },
    { start: 3.2, end: Math.min(seconds, 7.7), text: ' ask not what your country can do for you,' },
  ]);
  ctx = await createTestContext(
    { USE_OPENAI_APIS: 'true', OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: server.baseUrl },
    { workers: true },
  );
});
afterAll(async () => {
  await ctx?.close();
  await server?.close();
});

describe('the openai transcription engine in the pipeline', () => {
  it('is the engine reported and used', { timeout: 300_000 }, async () => {
    const health = await ctx.anonymous.get('/api/health/');
    expect(health.body.engines.asr).toMatchObject({ name: 'openai', available: true });

    const user = await ctx.signUp();
    const id = (await user.post('/api/interactions/', { interaction_type: 'PHONE_CALL' })).body.id;
    const form = multipartFile(fs.readFileSync(JFK), 'jfk.flac', 'audio/flac');
    const upload = await ctx.app.inject({
      method: 'POST',
      url: `/api/interactions/${id}/media/`,
      headers: { authorization: `Token ${user.token}`, ...form.headers },
      payload: form.payload,
    });
    expect(upload.statusCode).toBe(202);
    let detail: any;
    const deadline = Date.now() + 280_000;
    do {
      await new Promise((r) => setTimeout(r, 200));
      detail = (await user.get(`/api/interactions/${id}/`)).body;
    } while (!['COMPLETED', 'FAILED'].includes(detail.processing_status) && Date.now() < deadline);

    expect(detail.processing_status).toBe('COMPLETED');
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.fields.model).toBe('whisper-1');
    expect(server.received[0]!.auth).toBe('Bearer sk-local');
    expect(detail.transcription).toBe(
      'Speaker 1: And so my fellow Americans, ask not what your country can do for you,',
    );
    expect(detail.segments).toHaveLength(2);
    expect(detail.segments[1]).toMatchObject({
      start: 3.2,
      text: 'ask not what your country can do for you,',
    });
    expect(detail.segments[1].speaker.voice_signature_id).toEqual(expect.any(Number));
  });
});
