/**
 * A queue worker in a process of its own, for the crash tests: `node --import tsx` this file.
 * It takes `process-media` jobs and never finishes them (the test SIGKILLs it mid-job).
 *
 * Environment: the usual REDIS_URL / DATABASE_URL / QUEUE_* variables, plus
 *   QT_KIND       bullmq | embedded
 *   QT_PREFIX     BullMQ key prefix
 *   QT_SCHEMA     pg-boss schema (embedded)
 *   QT_PGLITE_DIR PGlite data directory (embedded without DATABASE_URL)
 *   QT_ENQUEUE    JSON data: enqueue one job before working
 * Prints one JSON line per event: ready, enqueued {id}, started {id, attempt}.
 */
import { loadConfig } from '../../src/infra/config/config.js';
import { openDatabase } from '../../src/infra/db/database.js';
import { createBullmqQueue } from '../../src/infra/queue/bullmq.js';
import { createEmbeddedQueue } from '../../src/infra/queue/embedded.js';
import type { JobQueue } from '../../src/infra/queue/queue.js';

const say = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, pid: process.pid, ...fields })}\n`);

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
let queue: JobQueue;
if (process.env.QT_KIND === 'bullmq') {
  queue = await createBullmqQueue(config, { prefix: process.env.QT_PREFIX });
} else {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: process.env.QT_PGLITE_DIR,
    poolSize: 2,
    voiceEmbeddingDim: 192,
  });
  queue = await createEmbeddedQueue(config, database, { schema: process.env.QT_SCHEMA });
}
if (process.env.QT_ENQUEUE) {
  const id = await queue.enqueue('process-media', JSON.parse(process.env.QT_ENQUEUE));
  say('enqueued', { id });
}
await queue.work('process-media', async (job) => {
  say('started', { id: job.id, attempt: job.attempt, data: job.data });
  await new Promise(() => {}); // "processing" until killed
});
say('ready');
