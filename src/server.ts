import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { AppConfig } from './infra/config/config.js';
import { type DatabaseHandle, openDatabase } from './infra/db/database.js';
import { createLogger, type Logger } from './infra/logging/logger.js';
import { createRuntime, type Runtime } from './runtime.js';

/** Opens the configured database (PGlite under DATA_DIR unless DATABASE_URL is set) and migrates it. */
export async function openConfiguredDatabase(config: AppConfig): Promise<DatabaseHandle> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pglite'),
    poolSize: config.databasePoolSize,
    voiceEmbeddingDim: config.voiceEmbeddingDim,
  });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

export type RunningServer = {
  app: FastifyInstance;
  database: DatabaseHandle;
  runtime: Runtime;
  close(): Promise<void>;
};

/** A stop function that runs its steps in order once, however often it is called; the database closes last. */
function closeOnce(steps: (() => Promise<void>)[], database: DatabaseHandle): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      try {
        for (const step of steps) await step();
      } finally {
        await database.close();
      }
    })();
    return closing;
  };
}

/** Runs `stop` once on SIGTERM/SIGINT, exiting when it is done (or when it takes too long). */
export function onShutdownSignal(config: AppConfig, log: Logger, stop: () => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        log.error('shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs + 5_000);
      timer.unref();
      stop().then(
        () => process.exit(0),
        (error) => {
          log.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Starts the HTTP server. In embedded mode (no Redis) it also runs the pipeline's jobs itself.
 * SIGTERM/SIGINT stop accepting, finish in-flight requests and jobs, then close the database.
 */
export async function startServer(config: AppConfig): Promise<RunningServer> {
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config);
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, database, logger);
  } catch (error) {
    await database.close();
    throw error;
  }
  const app = await buildApp({ config, database, ...runtime });
  const close = closeOnce([() => app.close(), () => runtime.close()], database);
  try {
    if (runtime.queue.kind === 'inline') {
      await runtime.startWorkers();
      await runtime.startScheduler();
    }
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await close();
    throw error;
  }
  app.log.info(
    {
      database: database.kind,
      queue: runtime.queue.kind,
      storage: runtime.storage.kind,
      dataDir: config.dataDir,
    },
    `Rapport API on http://${config.host}:${config.port}/api/ (docs at /api/docs/)`,
  );
  onShutdownSignal(config, app.log as unknown as Logger, close);
  return { app, database, runtime, close };
}

/**
 * `rapport worker`: consumes pipeline jobs in a process of its own. The queue must be one that
 * several processes can share (Redis, or pg-boss on a PostgreSQL server); an embedded PGlite
 * database belongs to the server process, which runs jobs itself.
 */
export async function startWorker(config: AppConfig): Promise<{ close(): Promise<void> }> {
  if (!config.redisUrl && !config.databaseUrl) {
    throw new WorkerModeError(
      'rapport worker needs a shared queue: set REDIS_URL (BullMQ) or DATABASE_URL (a PostgreSQL server). ' +
        'With the embedded database, `rapport serve` runs the jobs itself.',
    );
  }
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config);
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, database, logger);
    await runtime.startWorkers();
  } catch (error) {
    await database.close();
    throw error;
  }
  logger.info({ queue: runtime.queue.kind, concurrency: config.queue.concurrency }, 'worker started');
  const close = closeOnce([() => runtime.close()], database);
  onShutdownSignal(config, logger, close);
  return { close };
}

/**
 * `rapport scheduler`: registers the periodic jobs on the shared queue (BullMQ job schedulers are
 * kept in Redis and run by the workers), then stays up re-registering them hourly, so a changed
 * interval takes effect and a flushed Redis gets them back.
 */
export async function startScheduler(config: AppConfig): Promise<{ close(): Promise<void> }> {
  if (!config.redisUrl) {
    throw new WorkerModeError(
      'rapport scheduler is for the Redis queue (REDIS_URL). Without Redis, `rapport serve` schedules the periodic jobs itself.',
    );
  }
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config);
  const runtime = await createRuntime(config, database, logger).catch(async (error) => {
    await database.close();
    throw error;
  });
  await runtime.startScheduler();
  const timer = setInterval(() => {
    runtime
      .startScheduler()
      .catch((error) => logger.error({ err: error }, 'could not register the schedules'));
  }, 3600 * 1000);
  logger.info({ maintenanceEveryMs: config.maintenance.intervalMs }, 'scheduler started');
  const close = closeOnce([async () => clearInterval(timer), () => runtime.close()], database);
  onShutdownSignal(config, logger, close);
  return { close };
}

export class WorkerModeError extends Error {
  override name = 'WorkerModeError';
}
