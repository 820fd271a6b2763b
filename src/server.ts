import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { AppConfig } from './infra/config/config.js';
import { type DatabaseHandle, openDatabase } from './infra/db/database.js';

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

export type RunningServer = { app: FastifyInstance; database: DatabaseHandle; close(): Promise<void> };

/** Starts the HTTP server; SIGTERM/SIGINT stop accepting, finish in-flight requests, then close the db. */
export async function startServer(config: AppConfig): Promise<RunningServer> {
  const database = await openConfiguredDatabase(config);
  const app = await buildApp({ config, database });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        await app.close();
      } finally {
        await database.close();
      }
    })();
    return closing;
  };
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await close();
    throw error;
  }
  app.log.info(
    { database: database.kind, dataDir: config.dataDir },
    `Rapport API on http://${config.host}:${config.port}/api/ (docs at /api/docs/)`,
  );

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        app.log.error('shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      close().then(
        () => process.exit(0),
        (error) => {
          app.log.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
    });
  }
  return { app, database, close };
}
