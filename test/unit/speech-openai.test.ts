import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiRecognizer, splitOnSilences } from '../../src/pipeline/engines/asr/openai.js';
import { JFK } from '../helpers/fixtures.js';
import { startOpenAiServer } from '../helpers/openai-server.js';
import { fixtureSamples } from '../helpers/speech.js';

let server: Awaited<ReturnType<typeof startOpenAiServer>>;
beforeAll(async () => {
  // The answer a whisper server gives for this audio: one segment per half.
  server = await startOpenAiServer((seconds) => [
    { start: 0, end: seconds / 2, text: ' And so my fellow Americans,' },
    { start: seconds / 2, end: seconds, text: ' ask not what your country can do for you.' },
  ]);
});
afterAll(() => server?.close());

const settings = () => ({
  enabled: true,
  apiKey: 'sk-test',
  baseUrl: server.baseUrl,
  timeoutMs: 10_000,
  model: 'whisper-1',
  language: 'en',
  maxBytes: 24 * 1024 * 1024,
});

describe('the OpenAI-compatible transcription engine', () => {
  it('posts the audio as multipart verbose_json and maps the segments', async () => {
    server.received.length = 0;
    const samples = await fixtureSamples(JFK);
    const segments = await new OpenAiRecognizer(settings()).transcribe(samples);
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request!.fields).toMatchObject({
      model: 'whisper-1',
      response_format: 'verbose_json',
      language: 'en',
    });
    expect(request!.fields['timestamp_granularities[]']).toBe('segment');
    expect(request!.auth).toBe('Bearer sk-test');
    expect(request!.seconds).toBeCloseTo(samples.length / 16_000, 2);
    expect(segments.map((s) => s.text)).toEqual([
      'And so my fellow Americans,',
      'ask not what your country can do for you.',
    ]);
    expect(segments[1]!.end).toBeCloseTo(samples.length / 16_000, 2);
  });

  it('splits audio over the size limit on silences, with times on the whole recording', async () => {
    server.received.length = 0;
    const samples = await fixtureSamples(JFK);
    // About 4 s per request.
    const recognizer = new OpenAiRecognizer({ ...settings(), maxBytes: 44 + 4 * 16_000 * 2 });
    const segments = await recognizer.transcribe(samples);
    expect(server.received.length).toBeGreaterThanOrEqual(3);
    const total = server.received.reduce((sum, r) => sum + r.seconds, 0);
    expect(total).toBeCloseTo(samples.length / 16_000, 1);
    for (const r of server.received) expect(r.seconds).toBeLessThanOrEqual(4.001);
    const starts = segments.map((s) => s.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(segments[segments.length - 1]!.end).toBeCloseTo(samples.length / 16_000, 1);
  });

  it('reports an API error with its status', async () => {
    server.failNext(429);
    await expect(new OpenAiRecognizer(settings()).transcribe(new Float32Array(16_000))).rejects.toThrow(
      /429/,
    );
  });

  it('cuts at the quietest point near the end of each piece', () => {
    // 10 s of tone with silence from 3.5 to 3.7 s: a 4 s limit cuts inside the silence.
    const samples = Float32Array.from({ length: 160_000 }, (_, i) =>
      i >= 56_000 && i < 59_200 ? 0 : 0.5 * Math.sin(i / 5),
    );
    const pieces = splitOnSilences(samples, 64_000);
    expect(pieces[0]![1]).toBeGreaterThanOrEqual(56_000);
    expect(pieces[0]![1]).toBeLessThanOrEqual(59_200);
    expect(pieces[pieces.length - 1]![1]).toBe(160_000);
    for (const [a, b] of pieces) expect(b - a).toBeLessThanOrEqual(64_000);
  });
});
