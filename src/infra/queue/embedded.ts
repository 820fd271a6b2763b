import { randomUUID } from 'node:crypto';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { AppConfig } from '../config/config.js';
import type { DatabaseHandle } from '../db/database.js';
import { createLogger, type Logger } from '../logging/logger.js';
import {
  ABORT_GRACE_MS,
  type EnqueueOptions,
  errorMessage,
  type FailureListener,
  JOB_NAMES,
  type JobHandler,
  type JobName,
  type JobQueue,
  type QueueDepth,
  settlesWithin,
} from './queue.js';

export type EmbeddedQueueOptions = {
  /** PostgreSQL schema pg-boss keeps its tables in (default `pgboss`; Drizzle never touches it). */
  schema?: string;
  /** How often an idle worker looks for due jobs (retries, jobs from other processes). */
  pollIntervalMs?: number;
  logger?: Logger;
};

// biome-ignore lint/suspicious/noExplicitAny: rows are whatever pg-boss' own SQL returns
type Rows = { rows: any[] };
type Sql = { executeSql(text: string, values?: unknown[]): Promise<Rows> };
type SqlBackend = Sql & {
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

/** What a pg-boss job row carries: the caller's payload plus our id (dead letters keep it). */
type Envelope = { id: string; data: Record<string, unknown> };

type RunningJob = {
  name: string;
  id: string;
  controller: AbortController;
  lost: boolean;
  abandoned: boolean;
  heartbeat: NodeJS.Timeout | undefined;
};

const deadLetterQueue = (name: JobName) => `${name}__failed`;

/** The pg-boss schemas with an open queue, per PGlite client: one queue per database and schema. */
const pgliteQueues = new WeakMap<PGlite, Set<string>>();

/**
 * The job queue without Redis: pg-boss on the application's database.
 *
 * - On PGlite it runs in-process through pg-boss' `executeSql` adapter over the same PGlite
 *   client (which serialises every query, so pg-boss never lands inside a Drizzle transaction).
 *   One process owns a PGlite data directory, so at start every job still marked active was
 *   interrupted by the previous process dying: it is failed over at once (a retry that runs
 *   immediately, counting as an attempt, so a job that keeps killing its process ends) — durable
 *   across restarts and crashes. A job a graceful shutdown interrupts goes back to the queue
 *   without spending an attempt.
 * - On a PostgreSQL server it uses a small pool of its own. A running job holds a lease of
 *   lockDuration that its worker renews every lockDuration/2 (pg-boss' `expire_in`); pg-boss'
 *   maintenance, every stalledInterval, fails over jobs whose lease ran out, so a job whose process
 *   died runs again after about lockDuration + stalledInterval, as with BullMQ.
 * Retries back off exponentially with jitter (pg-boss: backoff × 2^n × [1, 2), whole seconds).
 * A job that fails for good goes to a dead-letter queue (`<name>__failed`) that `onFailed`
 * listeners consume, so failures are reported even when they happen by expiry or at a restart.
 */
export async function createEmbeddedQueue(
  config: AppConfig,
  database: DatabaseHandle,
  options: EmbeddedQueueOptions = {},
): Promise<JobQueue> {
  const log = options.logger ?? createLogger(config);
  const schema = options.schema ?? 'pgboss';
  if (!/^[a-z_][a-z0-9_]{0,49}$/i.test(schema)) throw new Error(`invalid queue schema name: ${schema}`);
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const { concurrency, attempts, backoffMs, lockDurationMs, stalledIntervalMs } = config.queue;
  const leaseSeconds = Math.max(1, Math.ceil(lockDurationMs / 1000));
  const heartbeatMs = Math.max(500, Math.floor(lockDurationMs / 2));
  const sendOptions = {
    retryLimit: attempts - 1,
    retryDelay: Math.max(1, Math.round(backoffMs / 1000)),
    retryBackoff: true,
    expireInSeconds: leaseSeconds,
  };

  if (database.pglite) {
    // The start-up recovery below assumes no other queue of this process uses the same tables.
    const owned = pgliteQueues.get(database.pglite) ?? new Set<string>();
    if (owned.has(schema))
      throw new Error(`an embedded queue is already open on this PGlite (schema ${schema})`);
    owned.add(schema);
    pgliteQueues.set(database.pglite, owned);
  }
  const releaseOwnership = () => database.pglite && pgliteQueues.get(database.pglite)?.delete(schema);

  const sql = openSqlBackend(database, concurrency);
  const boss = new PgBoss({
    db: sql as PgBoss.Db,
    schema,
    migrate: true,
    schedule: false, // pg-boss cron is minute-grained: schedules are timers here
    supervise: true,
    maintenanceIntervalSeconds: Math.max(1, Math.ceil(stalledIntervalMs / 1000)),
    archiveCompletedAfterSeconds: 60 * 60,
    archiveFailedAfterSeconds: 7 * 24 * 60 * 60,
    deleteAfterDays: 7,
  });
  boss.on('error', (error) => log.error({ err: error }, 'job queue maintenance error'));
  try {
    await boss.start();
    for (const name of JOB_NAMES) {
      await boss.createQueue(deadLetterQueue(name));
      await boss.createQueue(name, { name, deadLetter: deadLetterQueue(name) });
    }
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => {});
    await sql.close();
    releaseOwnership();
    throw error;
  }

  const bells = new Map<string, Doorbell>();
  const bell = (queue: string) => {
    let b = bells.get(queue);
    if (!b) {
      b = new Doorbell();
      bells.set(queue, b);
    }
    return b;
  };
  const loops: Promise<void>[] = [];
  const running = new Set<RunningJob>();
  const working = new Set<JobName>();
  const failureListeners = new Set<FailureListener>();
  const timers = new Map<JobName, NodeJS.Timeout>();
  // Held follow-ups whose run ended where this process could not see it (expiry by maintenance).
  const sweeper = setInterval(
    () => {
      for (const name of JOB_NAMES) {
        releaseHeld(name).catch((error) =>
          log.warn({ err: error, queue: name }, 'releasing held jobs failed'),
        );
      }
    },
    Math.max(1_000, stalledIntervalMs),
  );
  sweeper.unref();
  let deadLettersConsumed = false;
  let stopping = false;
  let closing: Promise<void> | undefined;

  /** Fails jobs over as interrupted: a retry due now, or FAILED (dead letter) if none is left. */
  async function interrupt(queue: string, ids: string[], message: string): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) await boss.fail(queue, id, { message });
    await sql.executeSql(
      `UPDATE ${schema}.job SET start_after = now() WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'retry'`,
      [queue, ids],
    );
    await releaseHeld(queue); // if that was their last attempt
    log.warn({ queue, jobIds: ids }, message);
  }

  if (database.kind === 'pglite') {
    // Nothing else can be running jobs of this database: whatever is marked active was cut short.
    try {
      const queues = JOB_NAMES.flatMap((name) => [name, deadLetterQueue(name)]);
      const { rows } = await sql.executeSql(
        `SELECT name, id FROM ${schema}.job WHERE state = 'active' AND name = ANY($1::text[])`,
        [queues],
      );
      for (const queue of queues) {
        const ids = rows.filter((row) => row.name === queue).map((row) => String(row.id));
        await interrupt(queue, ids, 'interrupted: the process stopped while the job was running');
      }
    } catch (error) {
      clearInterval(sweeper);
      await boss.stop({ graceful: false }).catch(() => {});
      releaseOwnership();
      throw error;
    }
  }

  /** Serialises everything that decides about one key (several processes on a PostgreSQL server). */
  function keyLock(tx: Sql, name: string, key: string) {
    return tx.executeSql('SELECT pg_advisory_xact_lock(hashtext($1))', [`${schema}:${name}:${key}`]);
  }

  /**
   * Adds a job; with a `key`, at most one job of that key is queued and one runs:
   * - one is queued (or waiting out a retry): nothing is added, its id is returned;
   * - one is running: a follow-up is added but held (start_after = infinity) until that run ends,
   *   then released; asking again meanwhile replaces the held follow-up's data (the last wins);
   *   the running job's id is returned. BullMQ's deduplication with keepLastIfActive does the same.
   * With `scheduled`, a running job does not get a follow-up: one more is simply queued.
   */
  async function insert(name: JobName, data: Record<string, unknown>, key?: string, scheduled = false) {
    const id = randomUUID();
    const envelope: Envelope = { id, data };
    if (key === undefined) {
      await boss.send(name, envelope, { ...sendOptions, id });
      return { id, added: true };
    }
    return sql.transaction(async (tx) => {
      await keyLock(tx, name, key);
      const { rows } = await tx.executeSql(
        `SELECT id, state::text AS state, start_after = 'infinity' AS held FROM ${schema}.job
         WHERE name = $1 AND singleton_key = $2 AND state < 'completed' ORDER BY created_on`,
        [name, key],
      );
      const queued = rows.find((row) => row.state !== 'active' && !row.held);
      if (queued) return { id: String(queued.id), added: false };
      const active = rows.find((row) => row.state === 'active');
      const held = rows.find((row) => row.held);
      if (held) {
        await tx.executeSql(
          `UPDATE ${schema}.job SET data = jsonb_set(data, '{data}', $3::jsonb) WHERE name = $1 AND id = $2`,
          [name, held.id, JSON.stringify(data)],
        );
        if (active) return { id: String(active.id), added: false };
        // Its run ended without releasing it (it expired): release it now.
        await tx.executeSql(`UPDATE ${schema}.job SET start_after = now() WHERE name = $1 AND id = $2`, [
          name,
          held.id,
        ]);
        return { id: String(held.id), added: true };
      }
      await boss.send(name, envelope, { ...sendOptions, id, singletonKey: key, db: tx as PgBoss.Db });
      if (!active || scheduled) return { id, added: true };
      await tx.executeSql(`UPDATE ${schema}.job SET start_after = 'infinity' WHERE name = $1 AND id = $2`, [
        name,
        id,
      ]);
      return { id: String(active.id), added: false };
    });
  }

  /** Releases held follow-ups whose key has nothing queued or running any more. */
  async function releaseHeld(queue: string, key?: string) {
    const unhold = (tx: Sql) =>
      tx.executeSql(
        `UPDATE ${schema}.job h SET start_after = now()
         WHERE h.name = $1 AND h.state = 'created' AND h.start_after = 'infinity'
           AND ($2::text IS NULL OR h.singleton_key = $2)
           AND NOT EXISTS (
             SELECT 1 FROM ${schema}.job a
             WHERE a.name = h.name AND a.singleton_key = h.singleton_key
               AND a.state < 'completed' AND a.start_after <> 'infinity')
         RETURNING h.id`,
        [queue, key ?? null],
      );
    const { rows } =
      key === undefined
        ? await unhold(sql)
        : await sql.transaction(async (tx) => {
            await keyLock(tx, queue, key);
            return unhold(tx);
          });
    if (rows.length > 0) bell(queue).ring();
  }

  type Process = (job: PgBoss.JobWithMetadata<Envelope>, signal: AbortSignal) => Promise<void>;

  async function runJob(queue: string, job: PgBoss.JobWithMetadata<Envelope>, process: Process) {
    const entry: RunningJob = {
      name: queue,
      id: job.id,
      controller: new AbortController(),
      lost: false,
      abandoned: false,
      heartbeat: undefined,
    };
    running.add(entry);
    entry.heartbeat = setInterval(() => {
      sql
        .executeSql(
          // retry_count identifies this run: a failed-over job fetched again has a higher one.
          `UPDATE ${schema}.job SET expire_in = (now() - started_on) + $4 * interval '1 second'
           WHERE name = $1 AND id = $2 AND retry_count = $3 AND state = 'active' RETURNING 1`,
          [queue, job.id, job.retryCount, leaseSeconds],
        )
        .then(({ rows }) => {
          if (rows.length === 0 && !entry.lost && !entry.abandoned) {
            entry.lost = true;
            entry.controller.abort(new Error('the job lease was lost (it will run again)'));
            log.warn({ queue, jobId: job.id }, 'job lease lost: another run will take over');
          }
        })
        .catch((error) => log.warn({ err: error, queue, jobId: job.id }, 'job lease renewal failed'));
    }, heartbeatMs);
    try {
      await process(job, entry.controller.signal);
      if (entry.lost || entry.abandoned) return;
      await sql.executeSql(
        `UPDATE ${schema}.job SET completed_on = now(), state = 'completed'
         WHERE name = $1 AND id = $2 AND retry_count = $3 AND state = 'active'`,
        [queue, job.id, job.retryCount],
      );
      if (job.singletonKey) await releaseHeld(queue, job.singletonKey);
    } catch (error) {
      if (entry.lost || entry.abandoned) return;
      if (stopping && entry.controller.signal.aborted) {
        // Stopped by a shutdown, not by the job: back to the queue without spending an attempt
        // (pg-boss counts a run when it fetches a job that has started before, so clear that).
        await sql.executeSql(
          `UPDATE ${schema}.job SET state = 'created', started_on = NULL, start_after = now()
           WHERE name = $1 AND id = $2 AND retry_count = $3 AND state = 'active'`,
          [queue, job.id, job.retryCount],
        );
        log.warn(
          { queue, jobId: job.id },
          'job interrupted by the shutdown: it runs again, as the same attempt',
        );
        return;
      }
      const final = job.retryCount >= job.retryLimit;
      log.warn({ queue, jobId: job.id, attempt: job.retryCount + 1, final, err: error }, 'job failed');
      await boss.fail(queue, job.id, {
        message: errorMessage(error),
        ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
      });
      if (final) {
        bell(`${queue}__failed`).ring();
        if (job.singletonKey) await releaseHeld(queue, job.singletonKey);
      } else {
        await wakeAtRetry(queue, job.id);
      }
    } finally {
      clearInterval(entry.heartbeat);
      running.delete(entry);
    }
  }

  /** Rings when a retry is due rather than at the next poll after it. */
  async function wakeAtRetry(queue: string, id: string) {
    const { rows } = await sql.executeSql(
      `SELECT greatest(0, extract(epoch FROM start_after - now()) * 1000)::int AS ms
       FROM ${schema}.job WHERE name = $1 AND id = $2 AND state = 'retry'`,
      [queue, id],
    );
    if (rows[0]) setTimeout(() => bell(queue).ring(), Number(rows[0].ms) + 5).unref();
  }

  function startLoop(queue: string, process: Process) {
    const loop = async () => {
      while (!stopping) {
        let job: PgBoss.JobWithMetadata<Envelope> | undefined;
        try {
          [job] = await boss.fetch<Envelope>(queue, { batchSize: 1, includeMetadata: true });
        } catch (error) {
          log.error({ err: error, queue }, 'fetching jobs failed');
        }
        if (!job) {
          if (!stopping) await bell(queue).wait(pollIntervalMs);
          continue;
        }
        // A job fetched as close() began still runs: close() waits for it like for the others.
        try {
          await runJob(queue, job, process);
        } catch (error) {
          if (!stopping) log.error({ err: error, queue, jobId: job.id }, 'recording a job outcome failed');
        }
      }
    };
    loops.push(loop());
  }

  function consumeDeadLetters() {
    if (deadLettersConsumed) return;
    deadLettersConsumed = true;
    for (const name of JOB_NAMES) {
      startLoop(deadLetterQueue(name), async (letter) => {
        // A dead letter carries the failed job's envelope and its last error as output.
        const output = (letter.output ?? {}) as { message?: unknown; value?: { message?: unknown } };
        const message = output.message ?? output.value?.message;
        const failure = {
          id: letter.data.id,
          name,
          data: letter.data.data,
          error: typeof message === 'string' ? message : 'failed',
        };
        log.error({ jobId: failure.id, job: name, error: failure.error }, 'job failed for good');
        for (const listener of failureListeners) await listener(failure);
      });
    }
  }

  return {
    kind: 'inline',

    async enqueue(name: JobName, data: Record<string, unknown>, enqueueOptions: EnqueueOptions = {}) {
      if (closing) throw new Error('the job queue is closed');
      const { id, added } = await insert(name, data, enqueueOptions.jobId);
      if (added) bell(name).ring();
      return id;
    },

    async work(name: JobName, handler: JobHandler) {
      if (closing) throw new Error('the job queue is closed');
      if (working.has(name)) throw new Error(`a handler for ${name} is already registered`);
      working.add(name);
      const process: Process = (job, signal) =>
        handler({ id: job.data.id, name, data: job.data.data, attempt: job.retryCount + 1, signal });
      for (let i = 0; i < concurrency; i++) startLoop(name, process);
    },

    async schedule(name: JobName, everyMs: number, data: Record<string, unknown> = {}) {
      if (closing) throw new Error('the job queue is closed');
      if (!(everyMs >= 100)) throw new Error('schedule interval must be at least 100 ms');
      clearInterval(timers.get(name));
      const key = `schedule:${name}`;
      const tick = async () => {
        try {
          // Several processes (on a PostgreSQL server) each run this timer: one enqueues per period.
          const due = await sql.executeSql(
            `SELECT 1 FROM (
               SELECT created_on FROM ${schema}.job WHERE name = $1 AND singleton_key = $2
               UNION ALL
               SELECT created_on FROM ${schema}.archive WHERE name = $1 AND singleton_key = $2
             ) runs HAVING coalesce(max(created_on) < now() - $3 * interval '1 millisecond', true)`,
            [name, key, Math.floor(everyMs * 0.9)],
          );
          if (due.rows.length === 0) return;
          // At most one queued: no pile-up while no worker runs.
          const { added } = await insert(name, data, key, true);
          if (added) bell(name).ring();
        } catch (error) {
          if (!stopping) log.error({ err: error, job: name }, 'enqueueing a scheduled job failed');
        }
      };
      timers.set(name, setInterval(tick, everyMs));
      await tick(); // the first run right away, as BullMQ's job schedulers do
    },

    async depth(name?: JobName): Promise<QueueDepth> {
      const { rows } = await sql.executeSql(
        `SELECT state::text AS state, count(*)::int AS n FROM ${schema}.job
         WHERE name = ANY($1::text[]) GROUP BY state`,
        [name ? [name] : [...JOB_NAMES]],
      );
      const count = (...states: string[]) =>
        rows.filter((row) => states.includes(row.state)).reduce((sum, row) => sum + Number(row.n), 0);
      return { waiting: count('created', 'retry'), active: count('active'), failed: count('failed') };
    },

    onFailed(listener: FailureListener) {
      failureListeners.add(listener);
      if (!closing) consumeDeadLetters();
      return () => {
        failureListeners.delete(listener);
      };
    },

    close(timeoutMs = config.shutdownTimeoutMs) {
      closing ??= (async () => {
        stopping = true;
        clearInterval(sweeper);
        for (const timer of timers.values()) clearInterval(timer);
        for (const b of bells.values()) b.ringAll();
        const finished = Promise.all(loops);
        if (!(await settlesWithin(finished, timeoutMs))) {
          log.warn({ running: running.size }, 'jobs still running at shutdown: aborting them');
          for (const job of running) job.controller.abort(new Error('the job queue is shutting down'));
          if (!(await settlesWithin(finished, ABORT_GRACE_MS))) {
            // Left to run in the background; their jobs run again now (another process) or at the
            // next start.
            const byQueue = new Map<string, string[]>();
            for (const job of running) {
              job.abandoned = true;
              clearInterval(job.heartbeat);
              byQueue.set(job.name, [...(byQueue.get(job.name) ?? []), job.id]);
            }
            for (const [queue, ids] of byQueue) {
              await interrupt(queue, ids, 'interrupted: the queue closed while the job was running').catch(
                (error) => log.error({ err: error, queue }, 'could not requeue interrupted jobs'),
              );
            }
          }
        }
        await boss.stop({ graceful: false, wait: true }).catch(() => {});
        await sql.close();
        releaseOwnership();
      })();
      return closing;
    },
  };
}

/** Wakes idle workers of one queue when a job is added in this process, instead of their next poll. */
class Doorbell {
  private waiters: Array<() => void> = [];
  /** A ring that found nobody waiting (a worker between an empty fetch and its wait): kept for it. */
  private missed = false;

  wait(ms: number): Promise<void> {
    if (this.missed) {
      this.missed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  ring(): void {
    const waiter = this.waiters[0];
    if (waiter) waiter();
    else this.missed = true;
  }

  ringAll(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function openSqlBackend(database: DatabaseHandle, concurrency: number): SqlBackend {
  if (database.kind === 'pglite') {
    if (!database.pglite)
      throw new Error('the embedded queue needs the PGlite client of the database handle');
    return pgliteBackend(database.pglite);
  }
  const connectionString = database.pool?.options.connectionString;
  if (!connectionString) throw new Error('the embedded queue needs the PostgreSQL connection string');
  return postgresBackend(connectionString, Math.max(4, concurrency + 2));
}

async function runOn(
  q: Pick<Transaction, 'query' | 'exec'>,
  text: string,
  values?: unknown[],
): Promise<Rows> {
  if (values && values.length > 0) {
    const result = await q.query(text, values);
    return { rows: result.rows };
  }
  // Without parameters pg-boss may send several statements (schema creation, maintenance): the
  // simple protocol runs them all; pg-boss reads the rows of the last one.
  const results = await q.exec(text);
  return { rows: results.at(-1)?.rows ?? [] };
}

function pgliteBackend(pglite: PGlite): SqlBackend {
  return {
    executeSql(text, values) {
      if (values && values.length > 0) return runOn(pglite, text, values);
      // pg-boss wraps schema creation and maintenance in BEGIN … COMMIT inside one string. Inside a
      // PGlite transaction no other query of the shared session can interleave, and a statement
      // failing half-way is rolled back instead of leaving the session in an aborted transaction.
      return pglite.transaction((tx) => runOn(tx, text));
    },
    transaction(fn) {
      return pglite.transaction((tx) => fn({ executeSql: (text, values) => runOn(tx, text, values) }));
    },
    async close() {
      // The PGlite client belongs to the database handle.
    },
  };
}

function postgresBackend(connectionString: string, max: number): SqlBackend {
  const pool = new pg.Pool({ connectionString, max, application_name: 'rapport-queue' });
  pool.on('error', () => {}); // an idle client losing its connection is replaced
  const rowsOf = (result: pg.QueryResult | pg.QueryResult[]): Rows =>
    Array.isArray(result) ? { rows: result.at(-1)?.rows ?? [] } : { rows: result.rows };
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return rowsOf(await pool.query(text, values));
      const client = await pool.connect();
      try {
        return rowsOf(await client.query(text));
      } catch (error) {
        // A failed BEGIN … COMMIT string leaves the session in an aborted transaction.
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          executeSql: async (text, values) =>
            rowsOf(await client.query(text, values as unknown[] | undefined)),
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
