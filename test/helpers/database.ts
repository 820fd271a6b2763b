import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { type DatabaseHandle, openDatabase, PGLITE_EXTENSIONS } from '../../src/infra/db/database.js';

/**
 * Which database the API suite runs on (set per Vitest project):
 * - `pglite`: PGlite in-process, the default embedded mode;
 * - `wire`: the node-postgres driver over a real Postgres wire connection to PGlite (pglite-socket);
 * - `postgres`: the node-postgres driver against the PostgreSQL server in TEST_DATABASE_URL.
 */
export type TestDatabaseMode = 'pglite' | 'wire' | 'postgres';

export function testDatabaseMode(): TestDatabaseMode {
  const mode = process.env.RAPPORT_TEST_DB ?? 'pglite';
  if (mode !== 'pglite' && mode !== 'wire' && mode !== 'postgres')
    throw new Error(`Unknown RAPPORT_TEST_DB=${mode}`);
  return mode;
}

export const TEST_VOICE_DIM = 192;

/** A migrated database for one test file; `close` also stops the wire server. */
export async function openTestDatabase(mode = testDatabaseMode()): Promise<DatabaseHandle> {
  if (mode === 'pglite') {
    const database = await openDatabase({ voiceEmbeddingDim: TEST_VOICE_DIM });
    await database.migrate();
    return database;
  }
  if (mode === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('RAPPORT_TEST_DB=postgres needs TEST_DATABASE_URL');
    const database = await openDatabase({ databaseUrl: url, poolSize: 5, voiceEmbeddingDim: TEST_VOICE_DIM });
    await database.migrate();
    return database;
  }
  const pglite = new PGlite({ extensions: PGLITE_EXTENSIONS });
  await pglite.waitReady;
  // Two connections: the pool replaces a client that saw an error before the old one has closed.
  const server = new PGLiteSocketServer({ db: pglite, port: 0, host: '127.0.0.1', maxConnections: 2 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  // pglite-socket runs one session: a pool of one keeps transactions from interleaving.
  const database = await openDatabase({
    databaseUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    poolSize: 1,
    voiceEmbeddingDim: TEST_VOICE_DIM,
  });
  await database.migrate();
  return {
    ...database,
    async close() {
      await database.close();
      await server.stop();
      await pglite.close();
    },
  };
}
