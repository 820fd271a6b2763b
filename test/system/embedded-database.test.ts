import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../helpers/app.js';
import { type CliProcess, freePort, runCli, waitForHealth } from '../helpers/process.js';

/**
 * The embedded mode end to end, in real processes: one data dir, one owner (PGlite has no lock of
 * its own and loses writes when shared), data that survives restarts and crashes.
 */
let dataDir: string;
const running: CliProcess[] = [];

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-embedded-'));
});
afterAll(() => {
  for (const proc of running) proc.child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function serve(): Promise<{ proc: CliProcess; base: string }> {
  const port = await freePort();
  const proc = runCli(['serve'], { DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: '' });
  running.push(proc);
  await waitForHealth(port, proc);
  return { proc, base: `http://127.0.0.1:${port}` };
}

async function api(base: string, method: string, url: string, token?: string, body?: unknown) {
  const res = await fetch(base + url, {
    method,
    headers: {
      ...(token ? { authorization: `Token ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any };
}

async function login(base: string): Promise<string> {
  const res = await api(base, 'POST', '/api/auth/users/login/', undefined, {
    username: 'owner',
    password: STRONG_PASSWORD,
  });
  expect(res.status).toBe(200);
  return res.body.token;
}

describe('embedded PGlite data dir', () => {
  it('refuses a second process on the same data dir and loses nothing', async () => {
    const first = await serve();
    const reg = await api(first.base, 'POST', '/api/auth/users/register/', undefined, {
      username: 'owner',
      email: 'owner@example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    expect(reg.status).toBe(201);
    const token = reg.body.token as string;

    // Writes keep flowing while a second process tries to open the same directory.
    const writes = Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api(first.base, 'POST', '/api/relationships/', token, {
          name: `Person ${i}`,
          relationship_type: 'FRIEND',
        }),
      ),
    );
    const second = runCli(['serve'], { DATA_DIR: dataDir, PORT: String(await freePort()), DATABASE_URL: '' });
    running.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('in use by another Rapport process');
    expect(second.output()).toContain(`pid ${first.proc.child.pid}`);

    const results = await writes;
    expect(results.every((r) => r.status === 201)).toBe(true);
    const list = await api(first.base, 'GET', '/api/relationships/?page_size=1', token);
    expect(list.body.count).toBe(100);

    // A clean stop releases the lock.
    first.proc.child.kill('SIGTERM');
    expect(await first.proc.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'rapport.lock'))).toBe(false);
  });

  it('keeps the data across a restart', async () => {
    const { proc, base } = await serve();
    const token = await login(base);
    const list = await api(base, 'GET', '/api/relationships/?search=Person%2042', token);
    expect(list.body.results.map((r: { name: string }) => r.name)).toEqual(['Person 42']);
    const total = await api(base, 'GET', '/api/relationships/?page_size=1', token);
    expect(total.body.count).toBe(100);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it('takes over the lock of a process that crashed', async () => {
    const crashed = await serve();
    crashed.proc.child.kill('SIGKILL');
    await crashed.proc.exited;
    expect(fs.readFileSync(path.join(dataDir, 'rapport.lock'), 'utf8').trim()).toBe(
      String(crashed.proc.child.pid),
    );

    const { proc, base } = await serve();
    const token = await login(base);
    const total = await api(base, 'GET', '/api/relationships/?page_size=1', token);
    expect(total.body.count).toBe(100);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
