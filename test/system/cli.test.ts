import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, waitForHealth } from '../helpers/process.js';

let dataDir: string;
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-cli-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const env = () => ({ DATA_DIR: dataDir, DATABASE_URL: '' });

describe('rapport CLI', () => {
  it('migrate creates the database and is idempotent', async () => {
    for (let i = 0; i < 2; i++) {
      const proc = runCli(['migrate'], env());
      expect(await proc.exited, proc.output()).toBe(0);
      expect(proc.output()).toContain('Database is up to date.');
    }
  });

  it('createuser --staff makes a user who can log in', async () => {
    const proc = runCli(
      [
        'createuser',
        '--username',
        'admin',
        '--email',
        'admin@example.com',
        '--password',
        'tidal-quartz-9-meadow',
        '--staff',
      ],
      env(),
    );
    expect(await proc.exited, proc.output()).toBe(0);
    expect(proc.output()).toContain('Created staff user "admin"');

    const port = await freePort();
    const server = runCli(['serve'], { ...env(), PORT: String(port) });
    try {
      await waitForHealth(port, server);
      const res = await fetch(`http://127.0.0.1:${port}/api/auth/users/login/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ADMIN', password: 'tidal-quartz-9-meadow' }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).user).toMatchObject({ username: 'admin', is_staff: true });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('createuser explains what is wrong with a weak password or a taken name', async () => {
    const weak = runCli(['createuser', '--username', 'bob', '--password', '12345678'], env());
    expect(await weak.exited).toBe(1);
    expect(weak.output()).toContain('This password is too common.');
    expect(weak.output()).toContain('This password is entirely numeric.');

    const taken = runCli(['createuser', '--username', 'Admin', '--password', 'tidal-quartz-9-meadow'], env());
    expect(await taken.exited).toBe(1);
    expect(taken.output()).toContain('A user with that username already exists.');
  });

  it('names the environment variable that is wrong', async () => {
    const proc = runCli(['serve'], { ...env(), PORT: 'eighty' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('Invalid configuration');
    expect(proc.output()).toContain('PORT="eighty"');
  });
});
