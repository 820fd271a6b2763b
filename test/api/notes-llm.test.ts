import fs from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotesExtraction, type NotesExtractionService } from '../../src/modules/notes/extraction.js';
import { createLlmNotesEngine } from '../../src/pipeline/engines/notes/llm.js';
import { type Client, createTestContext, processingSettled, type TestContext } from '../helpers/app.js';
import { type FakeOpenAi, type RecordedRequest, startFakeOpenAi } from '../helpers/fake-openai.js';
import { JFK } from '../helpers/fixtures.js';
import { multipartFile } from '../helpers/multipart.js';

// The LLM notes engine against a real HTTP server speaking OpenAI's wire format: what Rapport
// sends (schema, participants, transcript, key), what it stores, and how it copes with 429, 5xx,
// client errors and malformed answers.

const KEY = 'sk-test-0123456789abcdefSECRET';
const CATEGORIES = ['EVENT', 'FACT', 'FAMILY', 'HEALTH', 'OTHER', 'PREFERENCE', 'TASK', 'WORK'];

type User = Client & { userId: number; username: string };

let fake: FakeOpenAi;
let ctx: TestContext;
let alice: User;
let ann: number;
let ben: number;
/** Every log line written by the extraction services built in this file. */
const logLines: string[] = [];
const capturingLogger = pino(
  { level: 'trace' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

const answer = (value: unknown) => ({ status: 200 as const, content: JSON.stringify(value) });

/** Deterministic 64-d embeddings: anything about Italian food is one direction, the rest spread out. */
function embeddingFor(text: string): number[] {
  if (/italian/i.test(text)) return Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0));
  let seed = 0;
  for (const c of text) seed = (seed * 31 + c.charCodeAt(0)) >>> 0;
  return Array.from({ length: 64 }, (_, i) => (Math.sin(seed * 0.001 + i * 12.9898) * 43758.5453) % 1);
}

function embeddingsFallback(request: RecordedRequest) {
  if (request.path.endsWith('/embeddings')) {
    return { status: 200 as const, embeddings: (request.body.input as string[]).map(embeddingFor) };
  }
  return undefined;
}

const FACTS = [
  '',
  'Grows San Marzano tomatoes.',
  'Keeps two beehives by the shed.',
  'Won a prize for her marrows last summer.',
  'Shares the plot with her neighbour Jill.',
  'Wants a water butt for her birthday.',
  'Started composting with worms.',
  'Planted an apple tree in memory of her mum.',
  'Sells surplus eggs at the gate.',
];

const chatRequests = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));

beforeAll(async () => {
  fake = await startFakeOpenAi();
  ctx = await createTestContext(
    {
      NOTES_ENGINE: 'llm',
      // Notes only: the pasted transcript stays (transcription would replace it; see speech-openai.test.ts).
      ASR_ENGINE: 'none',
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: fake.baseUrl,
      NOTES_MODEL: 'test-model',
      NOTES_MAX_RETRIES: '2',
      NOTES_EMBEDDING_MODEL: 'test-embed',
      JOB_ATTEMPTS: '1',
    },
    { workers: true },
  );
  alice = await ctx.signUp();
});
afterAll(async () => {
  await ctx?.close();
  await fake?.close();
});
beforeEach(async () => {
  fake.requests.length = 0;
  fake.fallback = embeddingsFallback;
  ann = (await alice.post('/api/relationships/', { name: 'Ann Baker', relationship_type: 'FRIEND' })).body.id;
  ben = (await alice.post('/api/relationships/', { name: 'Ben Ode', relationship_type: 'COLLEAGUE' })).body
    .id;
});

async function newCall(text: string): Promise<number> {
  const res = await alice.post('/api/interactions/', {
    interaction_type: 'VIDEO_CALL',
    participants: [ann, ben],
    occurred_at: '2026-03-04T18:30:00Z',
  });
  const id: number = res.body.id;
  // Stored without queuing (the service is called directly in most tests).
  await ctx.app.inject({
    method: 'PATCH',
    url: `/api/interactions/${id}/`,
    headers: { authorization: `Token ${alice.token}` },
    payload: { transcription: text },
  });
  return id;
}

/** The JFK fixture as a recording of the call (the stages before notes need real media). */
async function uploadMedia(id: number) {
  const body = multipartFile(fs.readFileSync(JFK), 'call.flac', 'audio/flac');
  return ctx.app.inject({
    method: 'POST',
    url: `/api/interactions/${id}/media/`,
    headers: { authorization: `Token ${alice.token}`, ...body.headers },
    payload: body.payload,
  });
}

async function notesOf(interaction: number) {
  return (await alice.get(`/api/notes/?interaction=${interaction}&page_size=100`)).body.results as {
    relationship: number;
    text: string;
    category: string;
    importance: number;
    source: string;
  }[];
}

function service(
  engineOptions: Partial<Parameters<typeof createLlmNotesEngine>[0]> = {},
): NotesExtractionService {
  const engine = createLlmNotesEngine({
    apiKey: KEY,
    baseUrl: fake.baseUrl,
    timeoutMs: 10_000,
    model: 'test-model',
    chunkChars: 12_000,
    maxRetries: 2,
    embeddingModel: undefined,
    log: capturingLogger,
    ...engineOptions,
  });
  return createNotesExtraction({
    config: ctx.config,
    database: ctx.database,
    events: ctx.runtime.events,
    log: capturingLogger,
    engine,
  });
}

const TRANSCRIPT = `Ann Baker: My daughter Emma starts university in Leeds in September.
Ben: I'm leading the Q3 launch, it's a lot.
Sam: I'll send you both the photos.`;

describe('LLM notes engine', () => {
  it('sends the transcript, participants and a strict JSON schema; stores the answer’s notes and summary', async () => {
    fake.script(
      answer({
        summary: 'Ann shared that Emma starts at Leeds; Ben is leading the Q3 launch.',
        notes: [
          {
            person_id: ann,
            text: 'Her daughter Emma starts university in Leeds in September 2026.',
            category: 'FAMILY',
            importance: 0.8,
          },
          { person_id: ben, text: 'Leading the Q3 launch at work.', category: 'WORK', importance: 0.6 },
          // The same fact twice, and a person who is not a participant: merged, dropped.
          {
            person_id: ann,
            text: 'Her daughter Emma starts university in Leeds in September 2026!',
            category: 'FAMILY',
            importance: 0.9,
          },
          { person_id: 987654, text: 'Someone else entirely.', category: 'FACT', importance: 0.5 },
        ],
      }),
    );
    const id = await newCall('');
    const res = await alice.post(`/api/interactions/${id}/transcript/`, { text: TRANSCRIPT });
    expect(res.status, res.raw).toBe(202);
    const detail = await processingSettled(alice, id);
    expect(detail.processing_status, detail.processing_error).toBe('COMPLETED');
    expect(detail.summary).toBe('Ann shared that Emma starts at Leeds; Ben is leading the Q3 launch.');

    const notes = await notesOf(id);
    expect(notes.map((n) => [n.relationship, n.category, n.source, n.importance]).sort()).toEqual(
      [
        [ann, 'FAMILY', 'AI', 0.9],
        [ben, 'WORK', 'AI', 0.6],
      ].sort(),
    );

    const [request] = chatRequests();
    expect(request!.method).toBe('POST');
    expect(request!.headers.authorization).toBe(`Bearer ${KEY}`);
    const body = request!.body;
    expect(body.model).toBe('test-model');
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.strict).toBe(true);
    const schema = body.response_format.json_schema.schema;
    expect(schema.required.sort()).toEqual(['notes', 'summary']);
    const noteSchema = schema.properties.notes.items;
    expect(noteSchema.required.sort()).toEqual(['category', 'importance', 'person_id', 'text']);
    expect([...noteSchema.properties.category.enum].sort()).toEqual(CATEGORIES);
    const user = body.messages.find((m: { role: string }) => m.role === 'user').content as string;
    expect(user).toContain('Conversation date: 2026-03-04');
    expect(user).toContain(`id ${ann}: Ann Baker`);
    expect(user).toContain(`id ${ben}: Ben Ode`);
    expect(user).toContain(
      `Ann Baker [id ${ann}]: My daughter Emma starts university in Leeds in September.`,
    );
    // Sam matched no participant: the user, named as the transcript names them.
    expect(user).toContain('Sam: I’ll send you both the photos.'.replace('’', "'"));
    expect(body.messages[0].role).toBe('system');
  });

  it('waits out 429 (Retry-After) and 5xx, retries a malformed answer once, and never logs the key', async () => {
    const id = await newCall(TRANSCRIPT);
    fake.script(
      { status: 429, error: 'Rate limit reached', headers: { 'retry-after': '1' } },
      { status: 500, error: 'The server had an error' },
      { status: 200, content: '{"summary": "cut off' },
      answer({
        summary: 'Short call.',
        notes: [{ person_id: ben, text: 'Leading the Q3 launch.', category: 'WORK', importance: 0.7 }],
      }),
    );
    logLines.length = 0;
    const started = Date.now();
    const result = await service().extractAndStoreNotes(alice.userId, id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // the Retry-After second was honoured
    expect(chatRequests()).toHaveLength(4);
    expect(result?.created.map((n) => n.text)).toEqual(['Leading the Q3 launch.']);
    expect((await alice.get(`/api/interactions/${id}/`)).body.summary).toBe('Short call.');
    const logs = logLines.join('\n');
    expect(logs).toContain('unusable answer');
    expect(logs).not.toContain(KEY);
    expect(logs).not.toContain('SECRET');
  });

  it('a second malformed answer fails the run with a readable reason, at once', async () => {
    const id = await newCall('');
    fake.script(
      { status: 200, content: 'Sure! Here are the notes: ...' },
      answer({ summary: 1, notes: 'none' }),
    );
    await alice.post(`/api/interactions/${id}/transcript/`, { text: TRANSCRIPT });
    const detail = await processingSettled(alice, id);
    expect(detail.processing_status).toBe('FAILED');
    expect(detail.processing_error).toMatch(
      /^The language model \(test-model\) gave an answer that does not match the schema \(summary: .*\), twice\.$/,
    );
    expect(chatRequests()).toHaveLength(2);
    expect(await notesOf(id)).toEqual([]);
  });

  it('a client error (unknown model) fails at once; a server that keeps failing fails after the retries', async () => {
    const first = await newCall('');
    fake.script({ status: 404, error: 'The model `test-model` does not exist' });
    await alice.post(`/api/interactions/${first}/transcript/`, { text: TRANSCRIPT });
    const refused = await processingSettled(alice, first);
    expect(refused.processing_status).toBe('FAILED');
    expect(refused.processing_error).toBe(
      'The language model endpoint answered 404: 404 The model `test-model` does not exist',
    );
    expect(chatRequests()).toHaveLength(1);

    fake.requests.length = 0;
    const second = await newCall('');
    fake.fallback = () => ({ status: 503, error: 'Overloaded' });
    await alice.post(`/api/interactions/${second}/transcript/`, { text: TRANSCRIPT });
    const down = await processingSettled(alice, second);
    expect(down.processing_status).toBe('FAILED');
    expect(down.processing_error).toBe(
      'Processing failed at the notes step: The language model endpoint answered 503: 503 Overloaded',
    );
    expect(chatRequests()).toHaveLength(3); // NOTES_MAX_RETRIES=2
  });

  it('splits a long transcript into chunks, merges their notes and summaries', async () => {
    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        `Ann Baker: Line ${i} of a long call about the allotment, the new greenhouse and the tomatoes we planted.`,
    );
    const id = await newCall(lines.join('\n'));
    fake.fallback = (request) => {
      const user = request.body.messages[1].content as string;
      if (request.body.messages[0].content.startsWith('You are given summaries')) {
        return answer({ summary: 'Merged: a long talk about the allotment.', notes: [] });
      }
      const part = /part (\d+) of (\d+)/.exec(user)!;
      return answer({
        summary: `Part ${part[1]}.`,
        notes: [
          // Every chunk repeats the same fact: stored once.
          {
            person_id: ann,
            text: 'Has an allotment with a new greenhouse.',
            category: 'FACT',
            importance: 0.5,
          },
          {
            person_id: ann,
            // A different fact per chunk: all kept.
            text: FACTS[Number(part[1])]!,
            category: 'OTHER',
            importance: 0.2,
          },
        ],
      });
    };
    const progress: number[] = [];
    const result = await service({ chunkChars: 1000 }).extractAndStoreNotes(alice.userId, id, {
      onProgress: (f) => progress.push(f),
    });
    const chats = chatRequests();
    const chunks = chats.length - 1;
    expect(chunks).toBeGreaterThanOrEqual(3);
    for (const chat of chats.slice(0, chunks))
      expect(chat.body.messages[1].content.length).toBeLessThan(1000 + 400);
    expect(chats.at(-1)!.body.messages[1].content).toContain('Part 1: Part 1.');
    expect(result?.summary).toBe('Merged: a long talk about the allotment.');
    const texts = (await notesOf(id)).map((n) => n.text);
    expect(texts.filter((t) => t.includes('greenhouse'))).toHaveLength(1);
    expect(chunks).toBeLessThan(FACTS.length);
    expect(texts.filter((t) => FACTS.includes(t)).sort()).toEqual(FACTS.slice(1, chunks + 1).sort());
    expect(progress.at(-1)).toBe(1);
  });

  it('with embeddings, a differently worded repeat of an existing note refreshes it instead of adding a copy', async () => {
    const manual = await alice.post('/api/notes/', {
      relationship: ann,
      text: 'Loves Italian food',
      category: 'PREFERENCE',
      importance: 0.3,
    });
    const id = await newCall(TRANSCRIPT);
    fake.script(
      answer({
        summary: 'Dinner plans.',
        notes: [
          { person_id: ann, text: 'Really enjoys Italian cuisine.', category: 'PREFERENCE', importance: 0.6 },
          {
            person_id: ann,
            text: 'Her daughter Emma starts at Leeds in September.',
            category: 'FAMILY',
            importance: 0.8,
          },
        ],
      }),
    );
    const result = await service({ embeddingModel: 'test-embed' }).extractAndStoreNotes(alice.userId, id);
    expect(result?.created.map((n) => n.text)).toEqual(['Her daughter Emma starts at Leeds in September.']);
    expect(result?.updated.map((n) => n.id)).toEqual([manual.body.id]);
    const refreshed = (await alice.get(`/api/notes/${manual.body.id}/`)).body;
    expect(refreshed.importance).toBe(0.6);
    expect(refreshed.source).toBe('MANUAL');
    const embeddingCall = fake.requests.find((r) => r.path.endsWith('/embeddings'))!;
    expect(embeddingCall.body.model).toBe('test-embed');
    expect(embeddingCall.body.input).toContain('Loves Italian food');
  });

  it('runs as the last stage of a recorded call: notes and summary from the stored transcript', async () => {
    const id = await newCall(TRANSCRIPT);
    fake.script(
      answer({
        summary: 'Family news from Ann.',
        notes: [
          { person_id: ann, text: 'Emma starts university in Leeds.', category: 'FAMILY', importance: 0.8 },
        ],
      }),
    );
    expect((await uploadMedia(id)).statusCode).toBe(202);
    const detail = await processingSettled(alice, id);
    expect(detail.processing_status, detail.processing_error).toBe('COMPLETED');
    expect(detail.summary).toBe('Family news from Ann.');
    expect((await notesOf(id)).map((n) => n.text)).toEqual(['Emma starts university in Leeds.']);
    expect(chatRequests()[0]!.body.messages[1].content).toContain(`Ann Baker [id ${ann}]: My daughter Emma`);

    // The engine cannot succeed: the recording ends FAILED at once, naming the notes step's reason.
    fake.requests.length = 0;
    fake.script({ status: 200, content: 'not json' }, { status: 200, content: 'still not json' });
    expect((await alice.post(`/api/interactions/${id}/reprocess/`)).status).toBe(202);
    const failed = await processingSettled(alice, id);
    expect(failed.processing_status).toBe('FAILED');
    expect(failed.processing_error).toBe(
      'The language model (test-model) gave an answer that is not JSON, twice.',
    );
    expect(chatRequests()).toHaveLength(2);
  });

  it('health reports the engine and its model', async () => {
    const res = await ctx.anonymous.get('/api/health/');
    expect(res.body.engines.notes).toEqual({
      name: 'llm',
      available: true,
      reason: `Model test-model at ${fake.baseUrl} (OpenAI-compatible Chat Completions).`,
    });
  });
});
