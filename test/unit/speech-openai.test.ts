import type { AddressInfo } from 'node:net';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiRecognizer, splitOnSilences } from '../../src/pipeline/engines/asr/openai.js';
import { readWavBuffer } from '../../src/pipeline/speech/wav.js';
import { JFK } from '../helpers/fixtures.js';
import { fixtureSamples, JFK_TRANSCRIPT } from '../helpers/speech.js';

// A real HTTP server speaking OpenAI's wire format for POST /v1/audio/transcriptions (multipart,
// verbose_json): the only fake allowed, since the paid API cannot be called from tests.
type Received = { fields: Record<string, string>; seconds: number; auth: string | undefined };
let server: FastifyInstance;
let baseUrl: string;
const received: Received[] = [];
let failNext = false;

beforeAll(async () => {
  server = Fastify();
  await server.register(multipart, { limits: { fileSize: 50 * 1024 * 1024 } });
  server.post('/v1/audio/transcriptions', async (request, reply) => {
    if (failNext) {
      failNext = false;
      return reply.code(429).send({ error: { message: 'Rate limit reached', type: 'requests' } });
    }
    const fields: Record<string, string> = {};
    let audio: Buffer | undefined;
    for await (const part of request.parts()) {
      if (part.type === 'file') audio = await part.toBuffer();
      else fields[part.fieldname] = String(part.value);
    }
    if (!audio) return reply.code(400).send({ error: { message: "'file' is required" } });
    const { samples, sampleRate } = readWavBuffer(audio);
    const seconds = samples.length / sampleRate;
    received.push({ fields, seconds, auth: request.headers.authorization });
    // The answer a whisper server gives for this audio: one segment per half.
    return {
      task: 'transcribe',
      language: 'english',
      duration: seconds,
      text: JFK_TRANSCRIPT,
      segments: [
        {
          id: 0,
          seek: 0,
          start: 0,
          end: seconds / 2,
          text: ' And so my fellow Americans,',
          tokens: [],
          temperature: 0,
        },
        {
          id: 1,
          seek: 0,
          start: seconds / 2,
          end: seconds,
          text: ' ask not what your country can do for you.',
        },
      ],
    };
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/v1`;
});
afterAll(() => server?.close());

const settings = () => ({
  enabled: true,
  apiKey: 'sk-test',
  baseUrl,
  timeoutMs: 10_000,
  model: 'whisper-1',
  language: 'en',
  maxBytes: 24 * 1024 * 1024,
});

describe('the OpenAI-compatible transcription engine', () => {
  it('posts the audio as multipart verbose_json and maps the segments', async () => {
    received.length = 0;
    const samples = await fixtureSamples(JFK);
    const segments = await new OpenAiRecognizer(settings()).transcribe(samples);
    expect(received).toHaveLength(1);
    expect(received[0]!.fields).toMatchObject({
      model: 'whisper-1',
      response_format: 'verbose_json',
      language: 'en',
    });
    expect(received[0]!.fields['timestamp_granularities[]']).toBe('segment');
    expect(received[0]!.auth).toBe('Bearer sk-test');
    expect(received[0]!.seconds).toBeCloseTo(samples.length / 16_000, 2);
    expect(segments.map((s) => s.text)).toEqual([
      'And so my fellow Americans,',
      'ask not what your country can do for you.',
    ]);
    expect(segments[1]!.end).toBeCloseTo(samples.length / 16_000, 2);
  });

  it('splits audio over the size limit on silences, with times on the whole recording', async () => {
    received.length = 0;
    const samples = await fixtureSamples(JFK);
    // About 4 s per request.
    const recognizer = new OpenAiRecognizer({ ...settings(), maxBytes: 44 + 4 * 16_000 * 2 });
    const segments = await recognizer.transcribe(samples);
    expect(received.length).toBeGreaterThanOrEqual(3);
    const total = received.reduce((sum, r) => sum + r.seconds, 0);
    expect(total).toBeCloseTo(samples.length / 16_000, 1);
    for (const r of received) expect(r.seconds).toBeLessThanOrEqual(4.001);
    const starts = segments.map((s) => s.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(segments[segments.length - 1]!.end).toBeCloseTo(samples.length / 16_000, 1);
  });

  it('reports an API error with its status', async () => {
    failNext = true;
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
