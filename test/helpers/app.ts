import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type AppConfig, loadConfig } from '../../src/infra/config/config.js';
import type { DatabaseHandle } from '../../src/infra/db/database.js';
import { openTestDatabase } from './database.js';

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
  anonymous: Client;
  /** Registers a fresh user and returns a client signed in as them. */
  signUp(username?: string): Promise<Client & { userId: number; username: string }>;
  close(): Promise<void>;
};

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/tmp/rapport-test-unused', ...env });
}

export async function createTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const config = testConfig(env);
  const database = await openTestDatabase();
  const app = await buildApp({ config, database });
  await app.ready();
  const anonymous = new Client(app);
  return {
    app,
    database,
    config,
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
      await database.close();
    },
  };
}
