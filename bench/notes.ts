/**
 * Notes benchmark on the labelled conversations in test/fixtures/notes/ (26 calls, see its README).
 *
 *   npm run bench:notes
 *   OPENAI_API_KEY=… [OPENAI_BASE_URL=…] [NOTES_MODEL=…] npm run bench:notes   (adds the LLM engine)
 *
 * Per engine:
 * - precision and recall of the extracted notes: a note counts when it matches an expected note of
 *   the same person and category with textSimilarity ≥ MATCH_SIMILARITY (Dice over content words,
 *   test/helpers/notes-fixtures.ts), each expected note matched at most once;
 * - category accuracy: among notes matching an expected note of the same person by text (any
 *   category), the share with the expected category; importance MAE over those pairs;
 * - duplicate rate across two runs of the same call: every call is stored twice (two interactions,
 *   same people) in an in-memory PGlite and the real NotesExtractionService runs on both; the rate
 *   is notes the second run added / notes the first run added (0 = nothing repeated). Reprocessing
 *   the first interaction must leave its AI note count unchanged (checked, printed);
 * - speed: ms of extraction per minute of transcript, a minute being 150 spoken words, on the
 *   calls one by one and on one long call made of all of them back to back.
 */
import pino from 'pino';
import { loadConfig } from '../src/infra/config/config.js';
import { openDatabase } from '../src/infra/db/database.js';
import { users } from '../src/infra/db/schema.js';
import { createEventBus } from '../src/infra/events/index.js';
import { InteractionsRepository } from '../src/modules/interactions/repository.js';
import { createNotesExtraction } from '../src/modules/notes/extraction.js';
import { RelationshipsRepository } from '../src/modules/relationships/repository.js';
import { createNotesEngine, type NotesEngine, type NotesInput } from '../src/pipeline/engines/notes/index.js';
import { createLocalNotesEngine } from '../src/pipeline/engines/notes/local.js';
import {
  inputOf,
  type LabelledCall,
  loadLabelledCalls,
  MATCH_SIMILARITY,
  scoreCall,
  totals,
} from '../test/helpers/notes-fixtures.js';
import { machineCpu } from './machine.js';

const WORDS_PER_MINUTE = 150;
const minutesOf = (input: NotesInput) =>
  input.turns.reduce((n, t) => n + t.text.split(/\s+/).filter(Boolean).length, 0) / WORDS_PER_MINUTE;

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

async function quality(engine: NotesEngine, calls: LabelledCall[]) {
  const scores = [];
  let ms = 0;
  let minutes = 0;
  for (const call of calls) {
    const input = inputOf(call);
    const t0 = performance.now();
    const result = await engine.extract(input, {});
    ms += performance.now() - t0;
    minutes += minutesOf(input);
    scores.push(scoreCall(call, result.notes));
  }
  return { ...totals(scores), msPerMinute: ms / minutes, minutes };
}

async function longCall(engine: NotesEngine, calls: LabelledCall[]) {
  // All calls as one conversation with every participant (names are unique across the set).
  const inputs = calls.map(inputOf);
  const participants = [...new Set(calls.flatMap((c) => c.participants))].map((name, i) => ({
    relationshipId: i + 1,
    name,
  }));
  const byName = new Map(participants.map((p) => [p.name, p]));
  const input: NotesInput = {
    occurredAt: new Date('2026-06-01T12:00:00Z'),
    participants,
    turns: inputs.flatMap((inp) =>
      inp.turns.map((t) => ({ ...t, speaker: t.speaker ? (byName.get(t.speaker.name) ?? null) : null })),
    ),
  };
  const t0 = performance.now();
  const result = await engine.extract(input, {});
  const ms = performance.now() - t0;
  return { minutes: minutesOf(input), ms, notes: result.notes.length };
}

async function duplicates(engine: NotesEngine, calls: LabelledCall[]) {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/tmp/rapport-bench-notes' });
  const database = await openDatabase({ voiceEmbeddingDim: config.voiceEmbeddingDim });
  const events = createEventBus(config, { logger: pino({ level: 'silent' }), prefix: 'bench:' });
  try {
    await database.migrate();
    const [user] = await database.db
      .insert(users)
      .values({ username: 'bench', passwordHash: 'x' })
      .returning({ id: users.id });
    const userId = user!.id;
    const interactions = new InteractionsRepository(database.db);
    const relationships = new RelationshipsRepository(database.db);
    const extraction = createNotesExtraction({
      config,
      database,
      events,
      log: pino({ level: 'silent' }),
      engine,
    });
    let first = 0;
    let second = 0;
    let reprocessStable = true;
    for (const call of calls) {
      const input = inputOf(call);
      const ids = new Map<number, number>();
      for (const p of input.participants) {
        ids.set(
          p.relationshipId,
          await relationships.create(userId, { name: p.name, relationshipType: 'FRIEND' }),
        );
      }
      const store = async () => {
        const id = await interactions.create(
          userId,
          { interactionType: 'PHONE_CALL', occurredAt: input.occurredAt },
          [...ids.values()],
        );
        await interactions.saveTranscript(userId, id, {
          transcription: call.transcript.join('\n'),
          segments: input.turns.map((t) => ({
            start: 0,
            end: 0,
            text: t.text,
            voiceSignatureId: null,
            speakerName: t.speakerName,
            relationshipId: t.speaker ? ids.get(t.speaker.relationshipId)! : null,
          })),
        });
        return id;
      };
      const a = await store();
      const runA = await extraction.extractAndStoreNotes(userId, a);
      const b = await store();
      const runB = await extraction.extractAndStoreNotes(userId, b);
      first += runA!.created.length;
      second += runB!.created.length;
      const again = await extraction.extractAndStoreNotes(userId, a);
      if (again!.created.length + again!.updated.length !== runA!.created.length) reprocessStable = false;
    }
    return { first, second, rate: second / Math.max(1, first), reprocessStable };
  } finally {
    await events.close();
    await database.close();
  }
}

async function main() {
  const calls = loadLabelledCalls();
  const before = machineCpu();
  // The local engine as the server runs it (a worker thread), and on this thread: the difference is
  // the cost of handing each call to the worker.
  const engines: { label: string; engine: NotesEngine }[] = [
    { label: 'local (worker thread)', engine: createLocalNotesEngine() },
    { label: 'local (same thread)', engine: createLocalNotesEngine({ inThread: true }) },
  ];
  if (process.env.OPENAI_API_KEY) {
    const config = loadConfig({ ...process.env, NOTES_ENGINE: 'llm', LOG_LEVEL: 'silent' });
    engines.push({
      label: `llm (${config.notes.model})`,
      engine: createNotesEngine(config, pino({ level: 'silent' })),
    });
  }
  console.log(
    `Labelled set: ${calls.length} calls, ${calls.reduce((n, c) => n + c.expected.length, 0)} expected notes; a match needs the same person and category and text similarity ≥ ${MATCH_SIMILARITY}.`,
  );
  const rows: string[] = [];
  for (const { label, engine } of engines) {
    // One warm-up pass (worker thread start, compromise's lexicon, JIT): a server has done this long before.
    if (engine.name === 'local') for (const call of calls) await engine.extract(inputOf(call), {});
    const q = await quality(engine, calls);
    const d = await duplicates(engine, calls);
    const long = engine.name === 'local' ? await longCall(engine, calls) : undefined;
    await engine.close?.();
    rows.push(
      `| ${label} | ${pct(q.precision)} | ${pct(q.recall)} | ${pct(q.f1)} | ${pct(q.categoryAccuracy)} | ${q.importanceMae.toFixed(2)} | ${q.extracted} / ${q.expected} | ${pct(d.rate)} (${d.second} of ${d.first})${d.reprocessStable ? '' : ' — REPROCESS CHANGED COUNTS'} | ${q.msPerMinute.toFixed(1)} | ${long ? `${(long.ms / long.minutes).toFixed(1)} (${long.minutes.toFixed(0)} min)` : '—'} |`,
    );
  }
  const after = machineCpu();
  console.log('');
  console.log(
    '| engine | precision | recall | F1 | category accuracy | importance MAE | notes extracted / expected | duplicates on a 2nd run of the same call | ms per transcript minute (calls) | ms per minute (one long call) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  if (before && after) {
    const busy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
    console.log(`\nMachine CPU busy during the run (all processes): ${pct(busy)}.`);
  }
}

await main();
