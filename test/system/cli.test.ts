import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTACTS_FIXTURES } from '../helpers/contacts.js';
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

  it('import --user NAME FILE imports an address book and reports; a broken file changes nothing', async () => {
    const dry = runCli(
      ['import', '--user', 'admin', '--dry-run', path.join(CONTACTS_FIXTURES, 'google.vcf')],
      env(),
    );
    expect(await dry.exited, dry.output()).toBe(0);
    expect(dry.output()).toContain(
      'Would import vCard for "admin": 4 created, 1 updated, 0 unchanged, 0 not imported.',
    );
    expect(dry.output()).toMatch(/line 1: photo not enrolled: The photo is a link/);

    const broken = runCli(
      ['import', '--user', 'admin', path.join(CONTACTS_FIXTURES, 'broken-unterminated.vcf')],
      env(),
    );
    expect(await broken.exited).toBe(1);
    expect(broken.output()).toContain('file: Line 6: BEGIN:VCARD is never closed by END:VCARD.');

    const unknown = runCli(['import', '--user', 'nobody', path.join(CONTACTS_FIXTURES, 'google.vcf')], env());
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toContain('No user named "nobody".');

    const real = runCli(['import', '--user', 'ADMIN', path.join(CONTACTS_FIXTURES, 'outlook.csv')], env());
    expect(await real.exited, real.output()).toBe(0);
    expect(real.output()).toContain(
      'Imported CSV for "admin": 2 created, 0 updated, 0 unchanged, 0 not imported.',
    );
    // Imported for real: the same file again finds both people.
    const again = runCli(['import', '--user', 'admin', path.join(CONTACTS_FIXTURES, 'outlook.csv')], env());
    expect(await again.exited, again.output()).toBe(0);
    expect(again.output()).toContain('0 created, 0 updated, 2 unchanged');

    // Contact photos are enrolled as faces, as over the API.
    const apple = runCli(['import', '--user', 'admin', path.join(CONTACTS_FIXTURES, 'apple.vcf')], env());
    expect(await apple.exited, apple.output()).toBe(0);
    expect(apple.output()).toContain('1 photo(s) enrolled as faces.');
    expect(apple.output()).toMatch(/photo not enrolled: Upload a valid image\./);
  }, 120_000);
});
