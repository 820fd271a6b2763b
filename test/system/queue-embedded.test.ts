import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/infra/db/database.js';
import { createEmbeddedQueue } from '../../src/infra/queue/embedded.js';
import type { JobQueue } from '../../src/infra/queue/queue.js';
import { testConfig } from '../helpers/app.js';
import { TEST_VOICE_DIM } from '../helpers/database.js';
import {
  QUEUE_TEST_ENV,
  queueContract,
  sleep,
  spawnQueueWorker,
  waitFor,
} from '../helpers/queue-contract.js';

/**
 * The queue without Redis: pg-boss in-process on PGlite, and on a PostgreSQL server when
 * TEST_DATABASE_URL is set. Each queue gets a pg-boss schema of its own.
 */
const runId = randomUUID().slice(0, 8);
let schemaCount = 0;
const newSchema = () => `pgboss_${runId}_${schemaCount++}`;

describe('embedded queue on PGlite (in-process)', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openDatabase({ voiceEmbeddingDim: TEST_VOICE_DIM });
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
  });

  queueContract('embedded/pglite', (env) =>
    createEmbeddedQueue(testConfig(env), database, { schema: newSchema() }),
  );

  it('refuses a second queue on the same PGlite and schema (its start-up recovery would break the first)', async () => {
    const schema = newSchema();
    const queue = await createEmbeddedQueue(testConfig(QUEUE_TEST_ENV), database, { schema });
    try {
      await expect(createEmbeddedQueue(testConfig(QUEUE_TEST_ENV), database, { schema })).rejects.toThrow(
        /already open/,
      );
    } finally {
      await queue.close();
    }
    const again = await createEmbeddedQueue(testConfig(QUEUE_TEST_ENV), database, { schema });
    await again.close();
  });

  it('lives beside the Drizzle schema: its own pgboss schema, migrations still apply', async () => {
    const queue = await createEmbeddedQueue(testConfig(QUEUE_TEST_ENV), database);
    try {
      await queue.enqueue('maintenance', {});
      await database.migrate(); // idempotent, untroubled by the pgboss schema
      const tables = await database.pglite!.query<{ schema: string; table: string }>(
        `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
         WHERE table_schema IN ('pgboss', 'public', 'drizzle') AND table_name IN ('job', 'version', 'users', '__drizzle_migrations')
         ORDER BY 1, 2`,
      );
      expect(tables.rows.map((r) => `${r.schema}.${r.table}`)).toEqual(
        expect.arrayContaining(['drizzle.__drizzle_migrations', 'pgboss.job', 'pgboss.version']),
      );
    } finally {
      await queue.close();
    }
  });
});

describe('embedded queue on a PGlite data dir: durable across restarts', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-queue-'));
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (dir: string) => {
    const database = await openDatabase({
      pgliteDir: path.join(dir, 'pglite'),
      voiceEmbeddingDim: TEST_VOICE_DIM,
    });
    const queue = await createEmbeddedQueue(testConfig(QUEUE_TEST_ENV), database);
    return { database, queue };
  };

  it('re-runs a job that was running when the queue was closed, after reopening', async () => {
    const dir = path.join(dataDir, 'graceful');
    const first = await open(dir);
    let started = false;
    await first.queue.work('process-media', async () => {
      started = true;
      await new Promise(() => {}); // blocked: ignores its abort signal
    });
    const id = await first.queue.enqueue('process-media', { interactionId: 5 });
    await waitFor('the job to start', () => started);
    await first.queue.close(300);
    await first.database.close();

    const second = await open(dir);
    try {
      const runs: Array<{ id: string; attempt: number; data: unknown }> = [];
      const reopenedAt = Date.now();
      await second.queue.work('process-media', async (job) => {
        runs.push({ id: job.id, attempt: job.attempt, data: job.data });
      });
      await waitFor('the re-run', () => runs.length > 0, 10_000);
      console.log(
        `[embedded/pglite] job interrupted by close() re-ran ${Date.now() - reopenedAt} ms after reopening`,
      );
      expect(runs).toEqual([{ id, attempt: 2, data: { interactionId: 5 } }]);
      await waitFor('completion', async () => (await second.queue.depth()).active === 0);
      expect(await second.queue.depth()).toEqual({ waiting: 0, active: 0, failed: 0 });
    } finally {
      await second.queue.close();
      await second.database.close();
    }
  });

  it('puts a job a shutdown interrupted back in the queue without spending an attempt', async () => {
    const dir = path.join(dataDir, 'interrupted-honouring-abort');
    const first = await open(dir);
    let started = false;
    await first.queue.work('process-media', async (job) => {
      started = true;
      await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)));
    });
    const id = await first.queue.enqueue('process-media', { interactionId: 6 });
    await waitFor('the job to start', () => started);
    await first.queue.close(300);
    await first.database.close();

    const second = await open(dir);
    try {
      const runs: Array<{ id: string; attempt: number }> = [];
      await second.queue.work('process-media', async (job) => {
        runs.push({ id: job.id, attempt: job.attempt });
      });
      await waitFor('the re-run', () => runs.length > 0, 10_000);
      expect(runs).toEqual([{ id, attempt: 1 }]);
      await waitFor('completion', async () => (await second.queue.depth()).active === 0);
      expect(await second.queue.depth()).toEqual({ waiting: 0, active: 0, failed: 0 });
    } finally {
      await second.queue.close();
      await second.database.close();
    }
  });

  it('reports a job interrupted on its last attempt as failed, through the restart', async () => {
    const dir = path.join(dataDir, 'last-attempt');
    const env = { ...QUEUE_TEST_ENV, JOB_ATTEMPTS: '1' };
    const database = await openDatabase({
      pgliteDir: path.join(dir, 'pglite'),
      voiceEmbeddingDim: TEST_VOICE_DIM,
    });
    const first = await createEmbeddedQueue(testConfig(env), database);
    let started = false;
    await first.work('process-media', async () => {
      started = true;
      await new Promise(() => {});
    });
    const id = await first.enqueue('process-media', { interactionId: 11 });
    await waitFor('the job to start', () => started);
    await first.close(200);
    await database.close();

    const reopened = await openDatabase({
      pgliteDir: path.join(dir, 'pglite'),
      voiceEmbeddingDim: TEST_VOICE_DIM,
    });
    const second = await createEmbeddedQueue(testConfig(env), reopened);
    try {
      const failures: unknown[] = [];
      second.onFailed((failure) => {
        failures.push(failure);
      });
      let reruns = 0;
      await second.work('process-media', async () => {
        reruns++;
      });
      await waitFor('the failure report', () => failures.length > 0);
      expect(failures).toEqual([
        {
          id,
          name: 'process-media',
          data: { interactionId: 11 },
          error: 'interrupted: the queue closed while the job was running',
        },
      ]);
      await sleep(500);
      expect(reruns).toBe(0);
      expect(failures).toHaveLength(1);
      expect(await second.depth()).toEqual({ waiting: 0, active: 0, failed: 1 });
    } finally {
      await second.close();
      await reopened.close();
    }
  });

  it('re-runs a job whose process was SIGKILLed mid-job, promptly at the next start', async () => {
    const dir = path.join(dataDir, 'crash');
    const worker = spawnQueueWorker({
      ...QUEUE_TEST_ENV,
      QT_KIND: 'embedded',
      QT_PGLITE_DIR: path.join(dir, 'pglite'),
      QT_ENQUEUE: JSON.stringify({ interactionId: 6 }),
      DATABASE_URL: '',
      REDIS_URL: '',
    });
    try {
      const { id } = await worker.waitForEvent('enqueued');
      expect(await worker.waitForEvent('started')).toMatchObject({ id, attempt: 1 });
      await sleep(300);
      await worker.kill();
    } finally {
      await worker.kill();
    }

    const restartedAt = Date.now();
    const second = await open(dir); // takes over the dead process' lock, recovers the database
    try {
      const runs: Array<{ id: string; attempt: number }> = [];
      await second.queue.work('process-media', async (job) => {
        runs.push({ id: job.id, attempt: job.attempt });
      });
      await waitFor('the re-run', () => runs.length > 0, 10_000);
      console.log(
        `[embedded/pglite] SIGKILLed job re-ran ${Date.now() - restartedAt} ms after the restart began`,
      );
      expect(runs).toHaveLength(1);
      expect(runs[0]?.attempt).toBe(2);
      await sleep(1_000);
      expect(runs).toHaveLength(1);
      await waitFor('completion', async () => (await second.queue.depth()).active === 0);
      expect(await second.queue.depth()).toEqual({ waiting: 0, active: 0, failed: 0 });
    } finally {
      await second.queue.close();
      await second.database.close();
    }
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;
if (!serverUrl) {
  console.warn(
    '[rapport] TEST_DATABASE_URL is not set: the embedded queue tests on a PostgreSQL server are SKIPPED',
  );
}

describe.skipIf(!serverUrl)('embedded queue on a PostgreSQL server', () => {
  let database: DatabaseHandle;
  const schemas: string[] = [];
  const schema = () => {
    const name = newSchema();
    schemas.push(name);
    return name;
  };
  const config = (env: Record<string, string> = {}) => testConfig({ DATABASE_URL: serverUrl!, ...env });
  beforeAll(async () => {
    database = await openDatabase({ databaseUrl: serverUrl, poolSize: 2, voiceEmbeddingDim: TEST_VOICE_DIM });
  });
  afterAll(async () => {
    await database?.close();
    if (!serverUrl) return;
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    for (const name of schemas) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await client.end();
  });

  queueContract('embedded/postgres', (env) =>
    createEmbeddedQueue(config(env), database, { schema: schema() }),
  );

  it('re-runs a job whose worker process was SIGKILLed, after about lockDuration + stalledInterval', async () => {
    const name = schema();
    const worker = spawnQueueWorker({
      ...QUEUE_TEST_ENV,
      QT_KIND: 'embedded',
      QT_SCHEMA: name,
      DATABASE_URL: serverUrl!,
      REDIS_URL: '',
    });
    let queue: JobQueue | undefined;
    try {
      await worker.waitForEvent('ready');
      queue = await createEmbeddedQueue(config(QUEUE_TEST_ENV), database, { schema: name });
      const id = await queue.enqueue('process-media', { interactionId: 8 });
      expect(await worker.waitForEvent('started', 10_000)).toMatchObject({ id, attempt: 1 });
      await sleep(500);
      await worker.kill();
      const killedAt = Date.now();

      const runs: Array<{ id: string; attempt: number; at: number }> = [];
      await queue.work('process-media', async (job) => {
        runs.push({ id: job.id, attempt: job.attempt, at: Date.now() });
      });
      await waitFor('the re-run', () => runs.length > 0, 20_000);
      const recovery = runs[0]!.at - killedAt;
      console.log(
        `[embedded/postgres] SIGKILLed job re-ran ${recovery} ms after the kill (lockDuration 3000, stalledInterval 2000, backoff 1000)`,
      );
      expect(runs[0]).toMatchObject({ id, attempt: 2 });
      await sleep(3_000);
      expect(runs).toHaveLength(1);
    } finally {
      await worker.kill();
      await queue?.close(2_000);
    }
  });
});
