import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type CliProcess, freePort, REPO_ROOT, runCli, waitForHealth } from '../helpers/process.js';

/** Debian's Chromium (`apt-get install chromium`); nothing is downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');

/** `extraArgs`: more Chromium switches (the live-call test's fake camera and microphone). */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

export type RapportServer = { url: string; dataDir: string; proc: CliProcess; stop(): Promise<void> };

/** Embedded-mode environment: PGlite and the in-process queue in a temp DATA_DIR; no server database, no Redis. */
function embeddedEnv(dataDir: string): Record<string, string> {
  return { DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'warn', STORAGE_URL: '' };
}

/** Creates a staff account with the real CLI, before the server holds the data directory. */
export async function createStaffUser(dataDir: string, username: string, password: string): Promise<void> {
  const proc = runCli(
    [
      'createuser',
      '--username',
      username,
      '--email',
      `${username}@example.com`,
      '--password',
      password,
      '--staff',
    ],
    embeddedEnv(dataDir),
  );
  const code = await proc.exited;
  if (code !== 0) throw new Error(`createuser failed:\n${proc.output()}`);
}

/**
 * `rapport serve` as a user runs it: a real process on a random port, serving the built app at `/`,
 * with the default engines (faces, the offline recogniser, local notes). `env` adds settings.
 */
export async function startRapport(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RapportServer> {
  const port = await freePort();
  const proc = runCli(['serve'], { ...embeddedEnv(dataDir), PORT: String(port), HOST: '127.0.0.1', ...env });
  await waitForHealth(port, proc);
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    proc,
    async stop() {
      proc.child.kill('SIGTERM');
      await proc.exited;
    },
  };
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-e2e-'));
}

/**
 * Everything a page writes to the console as an error, and every uncaught exception: the app
 * must run without any. `allow` takes out the errors a step provokes on purpose (a 400 the
 * browser logs when a form is refused).
 */
export class ConsoleWatch {
  private errors: string[] = [];

  constructor(page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(message.text());
    });
    page.on('pageerror', (error) => this.errors.push(`uncaught: ${error.message}`));
  }

  /** The errors since the last call, minus those matching `allow`. */
  take(allow?: RegExp): string[] {
    const errors = this.errors.filter((e) => !allow?.test(e));
    this.errors = [];
    return errors;
  }
}

export async function newPage(
  browser: Browser,
  baseURL: string,
  viewport = { width: 1280, height: 860 },
): Promise<{ context: BrowserContext; page: Page; console: ConsoleWatch }> {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  return { context, page, console: new ConsoleWatch(page) };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
