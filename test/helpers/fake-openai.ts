import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server speaking the OpenAI wire format (Chat Completions and Embeddings), for the
 * paid API only. Each test scripts the answers; every request is recorded (headers and JSON body)
 * so tests can assert what Rapport sends.
 */
export type RecordedRequest = {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
};

export type FakeAnswer =
  | { status: 200; content: string }
  | { status: number; error: string; headers?: Record<string, string> }
  | { status: 200; embeddings: number[][] };

export type FakeOpenAi = {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order; when none is left, `fallback` answers. */
  script(...answers: FakeAnswer[]): void;
  fallback: ((request: RecordedRequest) => FakeAnswer | undefined) | undefined;
  close(): Promise<void>;
};

function completion(model: string, content: string) {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content, refusal: null },
      },
    ],
    usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
  };
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const queue: FakeAnswer[] = [];
  const fake: FakeOpenAi = {
    baseUrl: '',
    requests: [],
    script: (...answers) => {
      queue.push(...answers);
    },
    fallback: undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      fake.requests.push(request);
      const answer = queue.shift() ??
        fake.fallback?.(request) ?? { status: 500, error: 'no answer scripted' };
      if ('error' in answer) {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
        res.end(JSON.stringify({ error: { message: answer.error, type: 'server_error', code: null } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if ('embeddings' in answer) {
        res.end(
          JSON.stringify({
            object: 'list',
            model: request.body?.model,
            data: answer.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
            usage: { prompt_tokens: 10, total_tokens: 10 },
          }),
        );
        return;
      }
      res.end(JSON.stringify(completion(request.body?.model ?? 'model', answer.content)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
