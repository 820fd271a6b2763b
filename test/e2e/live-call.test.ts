/// <reference lib="dom" />
// Code inside page.evaluate / waitForFunction runs in the browser.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMediaBinaries } from '../../src/infra/media/binaries.js';
import { CLIP, FACES } from '../helpers/fixtures.js';
import {
  type ConsoleWatch,
  launchBrowser,
  newPage,
  type RapportServer,
  screenshot,
  startRapport,
  tempDataDir,
} from './browser.js';

/**
 * The live-call page end to end: Chromium's fake camera and microphone play the fixture clip
 * (converted by ffmpeg into a temp dir: a 640×360 y4m at 4 fps and a 16 kHz WAV, both looped by
 * Chromium), the page streams them over the live-call WebSocket to a real `rapport serve` with its
 * default engines (faces, silero VAD + the offline recogniser, local notes), and shows what the
 * server recognises. lin_manuel_miranda is enrolled from his fixture photo beforehand.
 */

const PASSWORD = 'violet-harbour-42-lantern';
const USERNAME = `live_${Date.now().toString(36)}`;
const NOTE = 'Is writing a new musical';
/** The server's grace period for a dropped call: long, so that only call_end can store a call soon. */
const GRACE_MS = 600_000;

let server: RapportServer;
let browser: Browser;
let mediaDir: string;
let page: Page;
let watch: ConsoleWatch;
let token = '';
let linId = 0;

/** The fixture clip as Chromium's fake capture devices want it (never committed: a temp dir). */
async function fakeMedia(dir: string): Promise<{ video: string; audio: string }> {
  const { ffmpeg } = await resolveMediaBinaries();
  const video = path.join(dir, 'clip.y4m');
  const audio = path.join(dir, 'clip.wav');
  for (const args of [
    ['-i', CLIP, '-an', '-vf', 'fps=4,scale=640:360', '-pix_fmt', 'yuv420p', video],
    ['-i', CLIP, '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', audio],
  ]) {
    const run = spawnSync(ffmpeg.path, ['-v', 'error', '-nostdin', '-y', ...args], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed:\n${run.stderr}`);
  }
  return { video, audio };
}

/** A JSON request to the API as the test user. */
async function api(method: string, url: string, body?: unknown, auth = token): Promise<Response> {
  return fetch(`${server.url}${url}`, {
    method,
    headers: {
      ...(auth ? { authorization: `Token ${auth}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A TCP proxy in front of the server whose connections the test can cut, as a network drop would. */
async function cuttableProxy(target: string): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const open = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const socket of open) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        proxy.close(() => resolve());
      }),
  };
}

/** Signs the page in with a new token of the test user (its origin has its own storage). */
async function signIn(p: Page): Promise<void> {
  const login = await api('POST', '/api/auth/users/login/', { username: USERNAME, password: PASSWORD }, '');
  const fresh = ((await login.json()) as { token: string }).token;
  await p.goto('/login');
  await p.evaluate((t) => localStorage.setItem('rapport.token', t), fresh);
}

/** Counts the video frames the page sends over its sockets, whichever socket it is. */
async function countFrames(p: Page): Promise<() => Promise<number>> {
  await p.evaluate(() => {
    const counter = { frames: 0 };
    (window as unknown as { frameCounter: typeof counter }).frameCounter = counter;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data) {
      if (typeof data === 'string' && data.includes('"video_chunk"')) counter.frames++;
      return send.call(this, data);
    };
  });
  return () =>
    p.evaluate(() => (window as unknown as { frameCounter: { frames: number } }).frameCounter.frames);
}

beforeAll(async () => {
  mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-e2e-media-'));
  const media = await fakeMedia(mediaDir);
  console.log(
    `fake media: y4m ${(fs.statSync(media.video).size / 1e6).toFixed(1)} MB, wav ${(fs.statSync(media.audio).size / 1e6).toFixed(1)} MB`,
  );
  // Utterances cut at 3 s (default 6): the clip is 10 s of continuous speech. A long grace period:
  // a call the page left without ending it would not be stored while a test waits.
  server = await startRapport(tempDataDir(), {
    LIVE_MAX_UTTERANCE_SECONDS: '3',
    LIVE_GRACE_PERIOD_MS: String(GRACE_MS),
  });

  const registered = await api(
    'POST',
    '/api/auth/users/register/',
    { username: USERNAME, email: `${USERNAME}@example.com`, password: PASSWORD, password_confirm: PASSWORD },
    '',
  );
  expect(registered.status).toBe(201);
  token = ((await registered.json()) as { token: string }).token;
  const lin = await api('POST', '/api/relationships/', {
    name: 'Lin-Manuel Miranda',
    relationship_type: 'FRIEND',
  });
  linId = ((await lin.json()) as { id: number }).id;
  expect(
    (await api('POST', '/api/notes/', { relationship: linId, text: NOTE, importance: 0.9 })).status,
  ).toBe(201);
  const form = new FormData();
  const photo = fs.readFileSync(path.join(FACES, 'lin_manuel_miranda-ref.png'));
  form.append('image', new Blob([new Uint8Array(photo)], { type: 'image/png' }), 'lin.png');
  const enrolled = await fetch(`${server.url}/api/relationships/${linId}/faces/`, {
    method: 'POST',
    headers: { authorization: `Token ${token}` },
    body: form,
  });
  expect(enrolled.status, await enrolled.clone().text()).toBe(201);

  // A Chromium of its own: the fake devices are switches of the whole browser.
  browser = await launchBrowser([
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${media.video}`,
    `--use-file-for-fake-audio-capture=${media.audio}`,
  ]);
  ({ page, console: watch } = await newPage(browser, server.url));
  await page.goto('/login');
  await page.getByLabel('Username').fill(USERNAME);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  if (mediaDir) fs.rmSync(mediaDir, { recursive: true, force: true });
});

const nav = (p: Page, name: string) =>
  p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

describe('the live-call page with a fake camera and microphone', () => {
  it('streams the camera and microphone; lin_manuel_miranda is shown as identified with his notes', async () => {
    await nav(page, 'Live call').click();
    await page.getByRole('heading', { level: 1, name: 'Live call' }).waitFor();
    // Count what the page sends, from the socket's side (frames as JSON, audio as binary).
    await page.evaluate(() => {
      const sent = { video: 0, binaryBytes: 0, firstBinaryMs: 0, lastBinaryMs: 0, other: [] as string[] };
      (window as unknown as { sent: typeof sent }).sent = sent;
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (this: WebSocket, data) {
        if (typeof data === 'string') {
          const type = (JSON.parse(data) as { type: string }).type;
          if (type === 'video_chunk') sent.video++;
          else sent.other.push(type);
        } else {
          sent.binaryBytes += (data as ArrayBuffer).byteLength;
          sent.lastBinaryMs = performance.now();
          sent.firstBinaryMs ||= sent.lastBinaryMs;
        }
        return send.call(this, data);
      };
    });
    await page.getByLabel('Call title').fill('Live with Lin');
    await page.getByRole('button', { name: 'Start the call' }).click();
    await page.getByRole('status').getByText('On the call').waitFor({ timeout: 30_000 });

    const onTheCall = page.getByRole('region', { name: 'On the call' });
    await onTheCall.getByRole('link', { name: 'Lin-Manuel Miranda' }).waitFor({ timeout: 90_000 });
    await onTheCall
      .getByRole('list', { name: 'What to remember about Lin-Manuel Miranda' })
      .getByText(NOTE)
      .waitFor();
    // The camera preview plays the fake device.
    expect(
      await page.locator('video.player').evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight]),
    ).toEqual([640, 360]);
    expect(watch.take()).toEqual([]);
  });

  it('shows the other faces as someone new, with thumbnails; one is named on the spot as a new person', async () => {
    const newcomers = page.getByRole('region', { name: 'Someone new' });
    const thumbnails = newcomers.getByRole('img', { name: /^Someone new \(face \d+\)$/ });
    await thumbnails.first().waitFor({ timeout: 90_000 });
    expect(
      await thumbnails.first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
    ).toBe(true);
    // A face's form (a new voice may have been announced before any face).
    const first = newcomers.getByRole('form', { name: /^Who is face \d+\?$/ }).first();
    const face = ((await first.getAttribute('aria-label')) ?? '').match(/face (\d+)/)?.[1];
    expect(face).toBeDefined();
    await first.getByLabel('A new person').check();
    await first.getByLabel('Name').fill('Cast member');
    await first.getByRole('button', { name: 'Create and assign' }).click();
    // The server answers participant_identified: they move to "On the call" and out of "Someone new".
    await page
      .getByRole('region', { name: 'On the call' })
      .getByRole('link', { name: 'Cast member' })
      .waitFor();
    await page.getByRole('form', { name: `Who is face ${face}?` }).waitFor({ state: 'detached' });
    // The person made on the spot is someone to choose for the next newcomer.
    // (another face, or the voice heard first: the clip loops until someone else is met).
    const next = page.getByRole('region', { name: 'Someone new' }).getByRole('form').first();
    await next.waitFor({ timeout: 90_000 });
    await expect
      .poll(() => next.getByLabel('Person', { exact: true }).locator('option').allTextContents())
      .toContain('Cast member');
    expect(watch.take()).toEqual([]);
  });

  it('lets the user hear a new voice before naming it', async () => {
    const newcomers = page.getByRole('region', { name: 'Someone new' });
    const play = newcomers.getByRole('button', { name: /^Play voice \d+$/ }).first();
    await play.waitFor({ timeout: 90_000 });
    await play.click();
    // The sample the server stored for the voice: what it said when it was first heard.
    const player = newcomers.locator('audio').first();
    await expect
      .poll(() => player.evaluate((audio: HTMLAudioElement) => (audio.readyState >= 1 ? audio.duration : 0)))
      .toBeGreaterThan(0.5);
    expect(watch.take()).toEqual([]);
  });

  it('shows the rolling transcript while the call runs', async () => {
    const transcript = page.getByRole('region', { name: 'Transcript' });
    await transcript.locator('li .text').first().waitFor({ timeout: 90_000 });
    // While someone speaks, the recogniser's guess so far is shown as a provisional line.
    await transcript.locator('li.partial .text').first().waitFor({ timeout: 90_000 });
    type Sent = {
      video: number;
      binaryBytes: number;
      firstBinaryMs: number;
      lastBinaryMs: number;
      other: string[];
    };
    const sent = await page.evaluate(() => (window as unknown as { sent: Sent }).sent);
    // 16 kHz 16-bit mono is 32 000 bytes a second. The microphone cannot run ahead of the clock,
    // so more than that would mean another rate or stereo (the first 100 ms block counts too).
    const seconds = (sent.lastBinaryMs - sent.firstBinaryMs) / 1000 + 0.1;
    console.log(
      `page sent: ${JSON.stringify(sent)}; audio ${(sent.binaryBytes / seconds).toFixed(0)} bytes/s`,
    );
    expect(sent.other).toContain('call_start');
    expect(sent.video).toBeGreaterThan(3);
    expect(sent.binaryBytes).toBeGreaterThan(3 * 32_000);
    expect(sent.binaryBytes % 3200).toBe(0); // whole 100 ms blocks of 1600 samples
    expect(sent.binaryBytes / seconds).toBeLessThan(1.25 * 32_000);
    await screenshot(page, '13-live-call');
    expect(watch.take()).toEqual([]);
  });

  it('ends the call: the page says so, and the call is in Calls with its transcript', async () => {
    await page.getByRole('button', { name: 'End the call' }).click();
    await page.getByRole('status').getByText('Call ended').waitFor({ timeout: 120_000 });
    const notes = page.getByRole('region', { name: 'Notes from this call' });
    await notes.getByRole('heading', { name: 'Summary' }).waitFor();
    await screenshot(page, '14-live-call-ended');
    // Every utterance is settled by call_ended: no provisional line is left.
    const transcript = page.getByRole('region', { name: 'Transcript' });
    expect(await transcript.locator('li.partial').count()).toBe(0);
    const lines = await transcript.locator('li.final .text').allTextContents();
    expect(lines.length).toBeGreaterThan(0);

    // Someone still new after the call is named through the API instead of the socket.
    const newcomers = page.getByRole('region', { name: 'Someone new' }).getByRole('form');
    const left = await newcomers.count();
    expect(left).toBeGreaterThan(0);
    const last = newcomers.first();
    await last.getByLabel('Person', { exact: true }).selectOption({ label: 'Cast member' });
    await last.getByRole('button', { name: 'Assign' }).click();
    await expect.poll(() => newcomers.count()).toBe(left - 1);

    await notes.getByRole('link', { name: 'Open the call' }).click();
    await page.getByRole('heading', { level: 1, name: 'Live with Lin' }).waitFor();
    const segments = page.getByRole('region', { name: 'Transcript' }).locator('.segment .text');
    await segments.first().waitFor();
    // Every line the page showed is in the stored transcript.
    const stored = await segments.allTextContents();
    for (const line of lines) expect(stored).toContain(line);
    await page
      .getByRole('region', { name: 'Who was there' })
      .getByRole('link', { name: 'Lin-Manuel Miranda' })
      .first()
      .waitFor();

    await nav(page, 'Calls').click();
    await page.getByRole('link', { name: 'Live with Lin' }).waitFor();
    expect(watch.take()).toEqual([]);
  });

  it('resumes the call when the connection drops: one call, going on', async () => {
    const proxy = await cuttableProxy(server.url);
    const dropped = await newPage(browser, proxy.url);
    try {
      const p = dropped.page;
      await signIn(p);
      await p.goto('/live');
      await p.getByRole('heading', { level: 1, name: 'Live call' }).waitFor();
      const frames = await countFrames(p);
      await p.getByLabel('Call title').fill('Dropped and resumed');
      await p.getByRole('button', { name: 'Start the call' }).click();
      const status = p.getByRole('status');
      await status.getByText('On the call').waitFor({ timeout: 30_000 });
      const onTheCall = p.getByRole('region', { name: 'On the call' });
      await onTheCall.getByRole('link', { name: 'Lin-Manuel Miranda' }).waitFor({ timeout: 90_000 });

      proxy.cut();
      await status.getByText('Connection lost: reconnecting…').waitFor();
      await status.getByText('On the call').waitFor({ timeout: 30_000 });
      // Capture went on: frames flow over the new connection, and what was shown stays.
      const atResume = await frames();
      await expect.poll(frames, { timeout: 30_000 }).toBeGreaterThan(atResume + 1);
      await onTheCall.getByRole('link', { name: 'Lin-Manuel Miranda' }).waitFor();

      await p.getByRole('button', { name: 'End the call' }).click();
      await status.getByText('Call ended').waitFor({ timeout: 120_000 });
      const href = await p.getByRole('link', { name: 'Open the call' }).getAttribute('href');
      const calls = (await (await api('GET', '/api/interactions/?page_size=100')).json()) as {
        results: { id: number; title: string }[];
      };
      // The server resumed the call rather than starting a second one.
      const resumed = calls.results.filter((c) => c.title === 'Dropped and resumed');
      expect(resumed).toHaveLength(1);
      expect(href).toBe(`/calls/${resumed[0]!.id}`);
      // Chromium logs the connections the drop cut (the socket, the app's event stream, which
      // reconnects on its own); nothing else may appear.
      expect(
        dropped.console.take(/WebSocket connection to .* failed|ERR_INCOMPLETE_CHUNKED_ENCODING/),
      ).toEqual([]);
    } finally {
      await dropped.context.close();
      await proxy.close();
    }
  });

  it('leaving the page mid-call ends the call there and then: it is stored at once', async () => {
    const leaving = await newPage(browser, server.url);
    try {
      const p = leaving.page;
      await signIn(p);
      await p.goto('/live');
      await p.getByRole('heading', { level: 1, name: 'Live call' }).waitFor();
      await p.getByLabel('Call title').fill('Left mid-call');
      await p.getByRole('button', { name: 'Start the call' }).click();
      await p.getByRole('status').getByText('On the call').waitFor({ timeout: 30_000 });
      await p
        .getByRole('region', { name: 'On the call' })
        .getByRole('link', { name: 'Lin-Manuel Miranda' })
        .waitFor({ timeout: 90_000 });
      await nav(p, 'People').click();
      await p.getByRole('heading', { level: 1, name: 'People' }).waitFor();
      // Stored with who was there long before the grace period for a dropped call would end.
      const calls = (await (await api('GET', '/api/interactions/?page_size=100')).json()) as {
        results: { id: number; title: string }[];
      };
      const call = calls.results.find((c) => c.title === 'Left mid-call');
      expect(call).toBeDefined();
      await expect
        .poll(
          async () => {
            const detail = (await (await api('GET', `/api/interactions/${call!.id}/`)).json()) as {
              identified_participants: { relationship_id: number | null }[];
            };
            return detail.identified_participants.map((p) => p.relationship_id);
          },
          { timeout: 120_000, interval: 500 },
        )
        .toContain(linId);
      expect(leaving.console.take()).toEqual([]);
    } finally {
      await leaving.context.close();
    }
  });

  it('says so when the server refuses the connection (4401: the token was revoked)', async () => {
    // The page loads its people first: revoking the token before that answer would send it to login.
    const peopleLoaded = page.waitForResponse((r) => r.url().includes('/api/relationships/') && r.ok());
    await nav(page, 'Live call').click();
    await page.getByRole('heading', { level: 1, name: 'Live call' }).waitFor();
    await peopleLoaded;
    // Signed out from somewhere else: the page still holds the old token.
    const pageToken = await page.evaluate(() => localStorage.getItem('rapport.token'));
    expect((await api('POST', '/api/auth/users/logout/', undefined, pageToken ?? '')).status).toBe(204);
    await page.getByRole('button', { name: 'Start the call' }).click();
    await page.getByRole('alert').getByText('The server refused the connection: sign in again.').waitFor();
    await page.getByRole('status').getByText('Disconnected').waitFor();
    expect(watch.take()).toEqual([]);
  });

  it('says so when the camera and microphone are refused', async () => {
    // Without --use-fake-ui-for-media-stream nothing accepts the browser's permission prompt:
    // headless Chromium answers it as a user clicking "Block" would.
    const refusing = await launchBrowser(['--use-fake-device-for-media-stream']);
    try {
      const denied = await newPage(refusing, server.url);
      await signIn(denied.page);
      await denied.page.goto('/live');
      await denied.page.getByRole('heading', { level: 1, name: 'Live call' }).waitFor();
      await denied.page.getByRole('button', { name: 'Start the call' }).click();
      await denied.page
        .getByRole('alert')
        .getByText(/The camera and microphone were refused/)
        .waitFor();
      await denied.page.getByRole('status').getByText('Not started').waitFor();
      await screenshot(denied.page, '15-live-call-refused');
      expect(denied.console.take()).toEqual([]);
    } finally {
      await refusing.close();
    }
  });
});
