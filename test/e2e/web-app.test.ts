/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Code inside page.evaluate / waitForFunction runs in the browser.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP, FACES, FIXTURES, JFK } from '../helpers/fixtures.js';
import {
  type ConsoleWatch,
  createStaffUser,
  launchBrowser,
  newPage,
  type RapportServer,
  screenshot,
  startRapport,
  tempDataDir,
} from './browser.js';

/**
 * The web app end to end: a real `rapport serve` (embedded PGlite, in-process queue, real ffmpeg),
 * driven through Debian's Chromium by what a user sees (roles and labels, so the tests also hold
 * the pages to being accessible). One story, in order: each test builds on the one before.
 */

const PASSWORD = 'violet-harbour-42-lantern';
const USERNAME = `ada_${Date.now().toString(36)}`;
const ADMIN = 'root_admin';

let server: RapportServer;
let browser: Browser;
let page: Page;
let watch: ConsoleWatch;
let callPath = '';

beforeAll(async () => {
  const dataDir = tempDataDir();
  await createStaffUser(dataDir, ADMIN, PASSWORD);
  server = await startRapport(dataDir);
  browser = await launchBrowser();
  ({ page, console: watch } = await newPage(browser, server.url));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
});

/** A link of the main navigation. */
const nav = (p: Page, name: string) =>
  p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

async function logIn(p: Page, username: string) {
  await p.goto('/login');
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.getByRole('heading', { level: 1, name: 'People' }).waitFor();
}

describe('the web app in a browser', () => {
  it('serves the app from `rapport serve`; signed out, any page leads to the login page', async () => {
    await page.goto('/calls');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, '01-login');
    expect(watch.take()).toEqual([]);
  });

  it('shows the API’s messages when sign-up is refused, then signs up', async () => {
    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Email').fill(`${USERNAME}@example.com`);
    await page.getByLabel('Password', { exact: true }).fill('password');
    await page.getByLabel('Password again').fill('password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('This password is too common.').waitFor();
    await screenshot(page, '02-signup-refused');
    // The browser logs the refused request (400) itself; nothing else may appear.
    expect(watch.take(/status of 400/)).toEqual([]);

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    await page.getByText('No one here yet').waitFor();
    // Not staff: no admin page in the navigation.
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'People',
      'Calls',
      'Unknown people',
      'Digest',
      'Live call',
    ]);
    expect(watch.take()).toEqual([]);
  });

  it('logs out and in again; the token survives a reload', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    await logIn(page, USERNAME);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    expect(watch.take()).toEqual([]);
  });

  it('creates and edits people; the list searches, filters by type and tag, and sorts', async () => {
    const inDays = (days: number) => {
      const d = new Date(Date.now() + days * 86_400_000);
      return `1990-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    const people = [
      { name: 'Grace Hopper', type: 'COLLEAGUE', tags: 'navy, compilers', birthday: inDays(3) },
      { name: 'Alan Turing', type: 'FRIEND', tags: 'chess', birthday: '' },
      { name: 'Lin-Manuel Miranda', type: 'ACQUAINTANCE', tags: 'theatre', birthday: '' },
    ];
    for (const person of people) {
      await nav(page, 'People').click();
      await page.getByRole('link', { name: 'Add person' }).click();
      // Wait for the form: until it renders, the list's "Sort by" select (whose options
      // include "Name") is still on the page and would match the label.
      await page.getByRole('heading', { level: 1, name: 'Add a person' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill(person.name);
      await page.getByLabel('Relationship').selectOption(person.type);
      await page.getByLabel('Tags').fill(person.tags);
      if (person.birthday) await page.getByLabel('Birthday').fill(person.birthday);
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { level: 1, name: person.name }).waitFor();
    }

    // Edit the last one.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Company').fill('The Public Theater');
    await page.getByLabel('How we met').fill('At the Hamilton premiere');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('At the Hamilton premiere').waitFor();
    await page.getByText('The Public Theater').waitFor();

    await nav(page, 'People').click();
    const names = () => page.locator('.person-card h2').allTextContents();
    await page.getByText('3 people').waitFor();
    expect(await names()).toEqual(['Alan Turing', 'Grace Hopper', 'Lin-Manuel Miranda']);
    await screenshot(page, '03-people');

    await page.getByLabel('Search').fill('grace');
    await expect.poll(names).toEqual(['Grace Hopper']);
    await page.getByText('1 person').waitFor();
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Type').selectOption('FRIEND');
    await expect.poll(names).toEqual(['Alan Turing']);
    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Tag', { exact: true }).fill('theatre');
    await expect.poll(names).toEqual(['Lin-Manuel Miranda']);
    await page.getByLabel('Tag', { exact: true }).fill('');
    await expect.poll(names).toHaveLength(3);
    await page.getByLabel('Sort by').selectOption('-created_at');
    await expect.poll(names).toEqual(['Lin-Manuel Miranda', 'Alan Turing', 'Grace Hopper']);
    await page.getByLabel('Sort by').selectOption('name');
    expect(watch.take()).toEqual([]);
  });

  it('adds, edits and archives notes on a person', async () => {
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { level: 1, name: 'Grace Hopper' }).waitFor();
    const addForm = page.getByRole('form', { name: 'Add a note' });
    await addForm.getByLabel('Note').fill('Invented the first compiler');
    await addForm.getByLabel('Category').selectOption('WORK');
    await addForm.getByLabel('Importance (0–1)').fill('0.9');
    await addForm.getByRole('button', { name: 'Add note' }).click();
    await page.getByText('Invented the first compiler').waitFor();
    await addForm.getByLabel('Note').fill('Prefers tea');
    await addForm.getByRole('button', { name: 'Add note' }).click();
    await page.getByText('Prefers tea').waitFor();
    // Most important first.
    expect(await page.locator('.note-text').allTextContents()).toEqual([
      'Invented the first compiler',
      'Prefers tea',
    ]);

    const tea = page.locator('.note').filter({ hasText: 'Prefers tea' });
    await tea.getByRole('button', { name: 'Edit' }).click();
    const editForm = page.getByRole('form', { name: 'Edit note' });
    await editForm.getByLabel('Note').fill('Prefers coffee, strong');
    await editForm.getByLabel('Category').selectOption('PREFERENCE');
    await editForm.getByRole('button', { name: 'Save note' }).click();
    await page.getByText('Prefers coffee, strong').waitFor();
    await screenshot(page, '04-person-detail');

    await page
      .locator('.note')
      .filter({ hasText: 'Prefers coffee' })
      .getByRole('button', { name: 'Archive' })
      .click();
    await page.getByText('Prefers coffee, strong').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Show archived notes' }).click();
    await page.getByText('Prefers coffee, strong').waitFor();
    await page.getByRole('button', { name: 'Show active notes' }).click();
    await page.getByText('Invented the first compiler').waitFor();
    expect(watch.take()).toEqual([]);
  });

  it('enrols a face from a fixture photo on the person page; a photo without a face gets the API’s reason', async () => {
    await nav(page, 'People').click();
    await page.getByRole('link', { name: 'Lin-Manuel Miranda' }).click();
    await page.getByRole('heading', { level: 1, name: 'Lin-Manuel Miranda' }).waitFor();
    const faces = page.getByRole('region', { name: 'Faces and voices' });
    await faces.getByText('No face known yet.').waitFor();
    const form = page.getByRole('form', { name: 'Enrol a face from a photo' });

    // A real photo with no face in it: the lower part of a portrait (his suit).
    const noFace = await sharp(path.join(FACES, 'obama-obama.jpg'))
      .extract({ left: 0, top: 700, width: 910, height: 437 })
      .jpeg()
      .toBuffer();
    await form
      .getByLabel('Photo (JPEG or PNG)')
      .setInputFiles({ name: 'suit.jpg', mimeType: 'image/jpeg', buffer: noFace });
    await form.getByRole('button', { name: 'Enrol' }).click();
    // The face engine starts with the first face: give it time.
    await form.getByText('No face found in the image.').waitFor({ timeout: 60_000 });
    expect(await form.getByLabel('Photo (JPEG or PNG)').getAttribute('aria-invalid')).toBe('true');
    expect(watch.take(/status of 400/)).toEqual([]);

    await form
      .getByLabel('Photo (JPEG or PNG)')
      .setInputFiles(path.join(FACES, 'lin_manuel_miranda-ref.png'));
    await form.getByRole('button', { name: 'Enrol' }).click();
    await form.getByRole('status').getByText('Face enrolled.').waitFor({ timeout: 60_000 });
    const thumbnail = faces.getByRole('img', { name: /^Face \d+$/ });
    await thumbnail.waitFor();
    await expect
      .poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);
    await faces.getByText('1 sample').waitFor();
    await screenshot(page, '04-person-face');
    expect(watch.take()).toEqual([]);
  });

  it('uploads the fixture video with an upload progress bar, then follows processing to COMPLETED', async () => {
    await nav(page, 'Calls').click();
    await page.getByRole('link', { name: 'Upload a recording' }).click();
    await page.getByLabel('Title').fill('Hamilton rehearsal');
    await page.getByLabel('Lin-Manuel Miranda').check();
    await page.getByLabel('Recording (video or audio)').setInputFiles(CLIP);

    // Record every value each progress bar shows, from the first paint on.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = {};
      (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
      const record = () => {
        for (const bar of document.querySelectorAll('[role=progressbar]')) {
          const name = bar.getAttribute('aria-label') ?? '?';
          const value = `${bar.getAttribute('aria-valuenow')}|${bar.getAttribute('aria-valuetext')}`;
          seen[name] ??= [];
          if (seen[name].at(-1) !== value) seen[name].push(value);
        }
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
      });
    });
    // Slow the upload down (~2.5 s for the 600 kB clip), so the bar has something to show.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 250 * 1024,
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('progressbar', { name: 'Upload' }).waitFor();
    await page.getByRole('progressbar', { name: 'Processing' }).waitFor({ timeout: 60_000 });
    await page.locator('.processing .badge-completed').waitFor({ timeout: 90_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await screenshot(page, '05-upload-completed');

    const seen = await page.evaluate(
      () => (window as unknown as { progressSeen: Record<string, string[]> }).progressSeen,
    );
    const percents = (name: string) => (seen[name] ?? []).map((v) => Number(v.split('|')[0]));
    const upload = percents('Upload');
    // The bar moved: values strictly between 0 and 100 were shown, in order, ending full.
    expect(upload.filter((p) => p > 0 && p < 100).length, JSON.stringify(seen)).toBeGreaterThanOrEqual(2);
    expect(upload).toEqual([...upload].sort((a, b) => a - b));
    expect(upload.at(-1)).toBe(100);
    const processing = seen.Processing ?? [];
    expect(processing.at(-1), JSON.stringify(seen)).toBe('100|Done');
    console.log('progress bars seen:', JSON.stringify(seen));

    await page.getByRole('link', { name: 'Open the call' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hamilton rehearsal' }).waitFor();
    callPath = new URL(page.url()).pathname;
    expect(watch.take()).toEqual([]);
  });

  it('plays the recording on the call page (streamed with Range through a signed link)', async () => {
    const video = page.locator('video.player');
    await video.waitFor();
    await page.waitForFunction(
      () => (document.querySelector('video.player') as HTMLVideoElement).readyState >= 1,
      null,
      {
        timeout: 30_000,
      },
    );
    const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
    expect(duration).toBeGreaterThan(5);
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await page.waitForFunction(
      () => (document.querySelector('video.player') as HTMLVideoElement).currentTime > 0.5,
      null,
      {
        timeout: 30_000,
      },
    );
    await video.evaluate((v: HTMLVideoElement) => v.pause());
    await page.locator('.processing .badge-completed').waitFor();
    // Chosen at upload, and recognised in the recording from the face enrolled before.
    const there = page.getByRole('region', { name: 'Who was there' });
    await expect.poll(() => there.getByRole('link', { name: 'Lin-Manuel Miranda' }).count()).toBe(2);
    const lin = there.getByRole('listitem').filter({ hasText: 'Lin-Manuel Miranda' });
    expect(await lin.allTextContents()).toContainEqual(
      expect.stringMatching(/^Lin-Manuel Miranda face, \d+%/),
    );
    await screenshot(page, '06-call-detail');
    expect(watch.take()).toEqual([]);
  });

  it('shows the transcript of the processed call; clicking a segment seeks the player', async () => {
    const transcript = page.getByRole('region', { name: 'Transcript' });
    const segments = transcript.locator('button.segment');
    await segments.first().waitFor();
    // The segments' times as the API stores them (the page shows them rounded to the second).
    const id = callPath.split('/').at(-1);
    const stored = await page.evaluate(async (callId) => {
      const res = await fetch(`/api/interactions/${callId}/`, {
        headers: { authorization: `Token ${localStorage.getItem('rapport.token')}` },
      });
      return ((await res.json()) as { segments: { start: number; text: string }[] }).segments;
    }, id);
    console.log(`transcript segments: ${JSON.stringify(stored)}`);
    expect(await segments.count()).toBe(stored.length);
    expect(await transcript.locator('.segment .text').allTextContents()).toEqual(stored.map((x) => x.text));

    // Each segment, clicked with the player somewhere else (7 s in, or at the start for a late
    // segment), moves it to the segment's start, however many segments the diarization found.
    const video = page.locator('video.player');
    await video.evaluate(
      (v: HTMLVideoElement) =>
        new Promise((r) => (v.readyState >= 1 ? r(null) : v.addEventListener('loadedmetadata', r))),
    );
    for (const [i, target] of stored.entries()) {
      const away = target.start > 3 ? 0 : 7;
      await video.evaluate((v: HTMLVideoElement, t: number) => {
        v.pause();
        v.currentTime = t;
      }, away);
      await segments.nth(i).click();
      const time = await video.evaluate((v: HTMLVideoElement) => {
        v.pause();
        return v.currentTime;
      });
      // Seeked to the segment's start (playback may have moved it on a little before the pause).
      expect(time).toBeGreaterThanOrEqual(target.start - 0.05);
      expect(time).toBeLessThan(target.start + 1.5);
    }
    await screenshot(page, '06-call-transcript');
    expect(watch.take()).toEqual([]);
  });

  it('lists the call, finds it by full-text search and filters it by status', async () => {
    await nav(page, 'Calls').click();
    await page.getByRole('link', { name: 'Hamilton rehearsal' }).waitFor();
    await page.getByLabel('Search').fill('rehearsals');
    await page.getByText('1 call', { exact: true }).waitFor();
    await page.getByLabel('Search').fill('symphony');
    await page.getByText('0 calls').waitFor();
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Processing').selectOption('COMPLETED');
    await page.getByText('1 call', { exact: true }).waitFor();
    await page.getByLabel('Processing').selectOption('FAILED');
    await page.getByText('0 calls').waitFor();
    await page.getByLabel('Processing').selectOption('');
    await screenshot(page, '07-calls');
    expect(watch.take()).toEqual([]);
  });

  it('reprocesses the call and follows it to COMPLETED again', async () => {
    await page.goto(callPath);
    await page.locator('.processing .badge-completed').waitFor();
    await page.getByRole('button', { name: 'Reprocess' }).click();
    // The page shows the new run (queued or running) before it completes again.
    await page.locator('.processing :is(.badge-pending, .badge-processing)').waitFor();
    await page.locator('.processing .badge-completed').waitFor({ timeout: 90_000 });
    expect(watch.take()).toEqual([]);
  });

  it('a file ffmpeg cannot read ends FAILED, and the call page says why', async () => {
    await nav(page, 'Calls').click();
    await page.getByRole('link', { name: 'Upload a recording' }).click();
    await page.getByLabel('Title').fill('Broken upload');
    await page.getByLabel('Recording (video or audio)').setInputFiles({
      name: 'broken.mp4',
      mimeType: 'video/mp4',
      buffer: Buffer.from('this is not a video, whatever its name says'),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('.processing .badge-failed').waitFor({ timeout: 90_000 });
    await page
      .getByRole('alert')
      .getByText(/Processing failed: The file is not a video or audio recording/)
      .waitFor();
    await page.getByRole('link', { name: 'Open the call' }).click();
    await page.getByRole('heading', { level: 1, name: 'Broken upload' }).waitFor();
    await page
      .getByRole('alert')
      .getByText(/Processing failed: The file is not a video or audio recording/)
      .waitFor();
    await screenshot(page, '08-call-failed');
    expect(watch.take()).toEqual([]);
  });

  it('shows the digest: upcoming birthdays and people due to contact', async () => {
    await nav(page, 'Digest').click();
    const birthdays = page.getByRole('region', { name: 'Upcoming birthdays' });
    await birthdays.getByRole('link', { name: 'Grace Hopper' }).waitFor();
    await birthdays.getByText('(in 3 days)').waitFor();
    await screenshot(page, '09-digest');
    expect(watch.take()).toEqual([]);
  });

  it('shows the unknown people the processed call met, with thumbnails, and names one', async () => {
    await nav(page, 'Unknown people').click();
    const faces = page.locator('section[aria-labelledby="faces-heading"] li.card');
    await faces.first().waitFor();
    const before = await faces.count();
    // Each unknown face shows its thumbnail (fetched with the token).
    await expect
      .poll(() =>
        faces
          .first()
          .locator('img')
          .evaluate((img) => (img as HTMLImageElement).naturalWidth),
      )
      .toBeGreaterThan(0);
    await screenshot(page, '10-unknown-people');
    const first = faces.first();
    await first.getByLabel('A new person').check();
    await first.getByLabel('Name').fill('Someone from the cast');
    await first.getByRole('button', { name: 'Create and assign' }).click();
    await expect.poll(() => faces.count()).toBe(before - 1);

    // The person just made is at once someone to choose for the unknown voice (no reload).
    const voices = page.locator('section[aria-labelledby="voices-heading"] li.card');
    const voicesBefore = await voices.count();
    expect(voicesBefore).toBeGreaterThanOrEqual(1);
    const voice = voices.first();
    // An unknown voice can be heard: Play fetches its sample (with the token) and plays it.
    await voice.getByRole('button', { name: /^Play voice \d+$/ }).click();
    const player = voice.locator('audio');
    await expect
      .poll(() => player.evaluate((audio: HTMLAudioElement) => (audio.readyState >= 1 ? audio.duration : 0)))
      .toBeGreaterThan(1);
    await expect
      .poll(() => player.evaluate((audio: HTMLAudioElement) => audio.currentTime))
      .toBeGreaterThan(0);
    await expect
      .poll(() => voice.getByLabel('Person', { exact: true }).locator('option').allTextContents())
      .toContain('Someone from the cast');
    await voice.getByLabel('Someone I know').check();
    await voice.getByLabel('Person', { exact: true }).selectOption({ label: 'Someone from the cast' });
    await voice.getByRole('button', { name: 'Assign' }).click();
    await expect.poll(() => voices.count()).toBe(voicesBefore - 1);
    expect(watch.take()).toEqual([]);
  });

  // After the processed call's unknown voice was named: his voice must not be taken for it.
  it('enrols a voice from a recording on the person page, then plays it; silence gets the API’s reason', async () => {
    await nav(page, 'People').click();
    await page.getByRole('link', { name: 'Alan Turing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alan Turing' }).waitFor();
    const voices = page.getByRole('region', { name: 'Faces and voices' });
    await voices.getByText('No voice known yet.').waitFor();
    const form = page.getByRole('form', { name: 'Enrol a voice from a recording' });
    const field = form.getByLabel('Recording (at least 3 s of speech)');

    await field.setInputFiles(path.join(FIXTURES, 'audio/ami/empty.wav'));
    await form.getByRole('button', { name: 'Enrol' }).click();
    await form
      .getByText(/^The recording has 0\.0 s of speech; at least 3 s are needed\.$/)
      .waitFor({ timeout: 60_000 });
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(watch.take(/status of 400/)).toEqual([]);

    await field.setInputFiles(JFK);
    await form.getByRole('button', { name: 'Enrol' }).click();
    await form.getByRole('status').getByText('Voice enrolled.').waitFor({ timeout: 60_000 });
    await voices.getByText(/^Voice \d+: 1 sample/).waitFor();
    await voices.getByRole('button', { name: /^Play voice \d+$/ }).click();
    const player = voices.locator('audio');
    await expect
      .poll(() => player.evaluate((audio: HTMLAudioElement) => (audio.readyState >= 1 ? audio.duration : 0)))
      .toBeGreaterThan(3);
    expect(watch.take()).toEqual([]);
  });

  it('fits a phone: no sideways scrolling on the people, person, call and live-call pages', async () => {
    const phone = await newPage(browser, server.url, { width: 375, height: 740 });
    await logIn(phone.page, USERNAME);
    /** The elements reaching past the right edge of the screen (none, or the page scrolls sideways). */
    const overflow = () =>
      phone.page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
      );
    const scrollsSideways = () =>
      phone.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(await overflow()).toEqual([]);
    expect(await scrollsSideways()).toBe(false);
    await screenshot(phone.page, '11-phone-people');
    await phone.page.getByRole('link', { name: 'Grace Hopper' }).click();
    await phone.page.getByRole('heading', { level: 1, name: 'Grace Hopper' }).waitFor();
    expect(await overflow()).toEqual([]);
    expect(await scrollsSideways()).toBe(false);
    await phone.page.goto(callPath);
    await phone.page.getByRole('heading', { level: 1, name: 'Hamilton rehearsal' }).waitFor();
    await phone.page.locator('video.player').waitFor();
    expect(await overflow()).toEqual([]);
    expect(await scrollsSideways()).toBe(false);
    await screenshot(phone.page, '11-phone-call');
    await phone.page.goto('/live');
    await phone.page.getByRole('heading', { level: 1, name: 'Live call' }).waitFor();
    expect(await overflow()).toEqual([]);
    expect(await scrollsSideways()).toBe(false);
    expect(phone.console.take()).toEqual([]);
    await phone.context.close();
  });

  it('works from the keyboard: skip link, then the navigation', async () => {
    await page.goto('/people');
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    console.log(
      'focus before Tab:',
      await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80)),
    );
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('People');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Calls' }).waitFor();
    expect(watch.take()).toEqual([]);
  });

  it('admin: staff see every account, sign a user out everywhere and deactivate them; that user is sent to the login page', async () => {
    const admin = await newPage(browser, server.url);
    await logIn(admin.page, ADMIN);
    await nav(admin.page, 'Admin').click();
    await admin.page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    const row = admin.page.getByRole('row').filter({ hasText: USERNAME });
    await row.waitFor();
    expect(await row.textContent()).toContain('Active');
    await screenshot(admin.page, '12-admin');

    await row.getByRole('button', { name: `Sign ${USERNAME} out everywhere` }).click();
    await admin.page.getByText(`${USERNAME} is signed out everywhere.`).waitFor();
    await row.getByText('0 devices').waitFor();
    // The user's next request is refused: the app goes back to the login page.
    await nav(page, 'People').click();
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    expect(watch.take(/status of 401/)).toEqual([]);

    await row.getByRole('button', { name: `Deactivate ${USERNAME}` }).click();
    await admin.page.getByText(`${USERNAME} deactivated.`).waitFor();
    await row.getByText('Deactivated').waitFor();
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Unable to log in with provided credentials.').waitFor();
    expect(watch.take(/status of 400/)).toEqual([]);

    await row.getByRole('button', { name: `Reactivate ${USERNAME}` }).click();
    await admin.page.getByText(`${USERNAME} reactivated.`).waitFor();
    await logIn(page, USERNAME);
    expect(admin.console.take()).toEqual([]);
    expect(watch.take()).toEqual([]);
    await admin.context.close();
  });
});
