import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type AppConfig, loadConfig } from '../../src/infra/config/config.js';
import type { DatabaseHandle } from '../../src/infra/db/database.js';
import { createLogger } from '../../src/infra/logging/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { openTestDatabase, testDatabaseMode } from './database.js';

export type Response = { status: number; body: any; headers: Record<string, unknown>; raw: string };

/** A signed-in (or anonymous) API client over `app.inject`: real routing, no sockets. */
export class Client {
  constructor(
    readonly app: FastifyInstance,
    readonly token?: string,
  ) {}

  async request(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(this.token ? { authorization: `Token ${this.token}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown;
    try {
      parsed = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      parsed = undefined;
    }
    return {
      status: response.statusCode,
      body: parsed,
      headers: response.headers,
      raw: response.body,
    } as Response;
  }

  get(url: string) {
    return this.request('GET', url);
  }
  post(url: string, body?: unknown) {
    return this.request('POST', url, body ?? {});
  }
  put(url: string, body: unknown) {
    return this.request('PUT', url, body);
  }
  patch(url: string, body: unknown) {
    return this.request('PATCH', url, body);
  }
  delete(url: string) {
    return this.request('DELETE', url);
  }
}

export const STRONG_PASSWORD = 'violet-harbour-42-lantern';

export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

export type TestContext = {
  app: FastifyInstance;
  database: DatabaseHandle;
  config: AppConfig;
  runtime: Runtime;
  /** This context's media storage directory (removed at close). */
  dataDir: string;
  anonymous: Client;
  /** Registers a fresh user and returns a client signed in as them. */
  signUp(username?: string): Promise<Client & { userId: number; username: string }>;
  close(): Promise<void>;
};

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/tmp/rapport-test-unused', ...env });
}

export type TestContextOptions = {
  /** Run the pipeline's jobs in this context (as the embedded server does). */
  workers?: boolean;
};

/**
 * The whole app on a fresh database, with real storage (a temp dir), the real embedded queue
 * (pg-boss on the same database; on a shared PostgreSQL server in a schema of its own, so no other
 * test file's worker takes this file's jobs) and an in-process event bus.
 */
export async function createTestContext(
  env: Record<string, string> = {},
  options: TestContextOptions = {},
): Promise<TestContext> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-test-'));
  const config = testConfig({ STORAGE_URL: pathToFileURL(path.join(dataDir, 'media')).href, ...env });
  const database = await openTestDatabase();
  const logger = createLogger(config);
  const queueSchema = `pgboss_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  // pglite-socket serves a single session: the queue's own connections would interleave their
  // transactions with the app's. In the wire project the queue keeps its jobs in a PGlite of its
  // own; the app's SQL still goes over the wire, and the queue has its own suites on both drivers.
  const queueDatabase = testDatabaseMode() === 'wire' ? await openTestDatabase('pglite') : undefined;
  const runtime = await createRuntime(config, database, logger, { queueSchema, queueDatabase });
  if (options.workers) await runtime.startWorkers();
  const app = await buildApp({ config, database, ...runtime });
  await app.ready();
  const anonymous = new Client(app);
  return {
    app,
    database,
    config,
    runtime,
    dataDir,
    anonymous,
    async signUp(username = uniqueName()) {
      const res = await anonymous.post('/api/auth/users/register/', {
        username,
        email: `${username}@example.com`,
        password: STRONG_PASSWORD,
        password_confirm: STRONG_PASSWORD,
      });
      if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${res.raw}`);
      return Object.assign(new Client(app, res.body.token), { userId: res.body.user.id, username });
    },
    async close() {
      await app.close();
      await runtime.close();
      // The shared server outlives the test: leave no queue schema behind.
      if (database.kind === 'postgres')
        await database.db.execute(sql.raw(`drop schema if exists ${queueSchema} cascade`));
      await database.close();
      await queueDatabase?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls an interaction until its processing has ended (COMPLETED or FAILED); its detail then. */
export async function processingSettled(user: Client, id: number, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await user.get(`/api/interactions/${id}/`);
    if (['COMPLETED', 'FAILED'].includes(res.body.processing_status)) return res.body;
    if (Date.now() > deadline) throw new Error(`still ${res.body.processing_status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
