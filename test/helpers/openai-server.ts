import type { AddressInfo } from 'node:net';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { readWavBuffer } from '../../src/infra/media/wav.js';

export type TranscriptionRequest = {
  fields: Record<string, string>;
  seconds: number;
  auth: string | undefined;
};

/**
 * A real HTTP server speaking OpenAI's wire format for `POST /v1/audio/transcriptions`
 * (multipart in, `verbose_json` out): the one fake the tests allow, since the paid API cannot be
 * called. It answers `segments(seconds)` for each request and records what it received.
 */
export async function startOpenAiServer(
  segments: (seconds: number) => { start: number; end: number; text: string }[],
): Promise<{
  baseUrl: string;
  received: TranscriptionRequest[];
  failNext(status: number): void;
  close(): Promise<void>;
}> {
  const server: FastifyInstance = Fastify();
  const received: TranscriptionRequest[] = [];
  let failure: number | undefined;
  await server.register(multipart, { limits: { fileSize: 50 * 1024 * 1024 } });
  server.post('/v1/audio/transcriptions', async (request, reply) => {
    if (failure !== undefined) {
      const status = failure;
      failure = undefined;
      return reply.code(status).send({ error: { message: 'Rate limit reached', type: 'requests' } });
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
    const answer = segments(seconds);
    return {
      task: 'transcribe',
      language: 'english',
      duration: seconds,
      text: answer.map((s) => s.text).join(''),
      segments: answer.map((s, id) => ({ id, seek: 0, tokens: [], temperature: 0, ...s })),
    };
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/v1`,
    received,
    failNext: (status) => {
      failure = status;
    },
    close: () => server.close(),
  };
}
