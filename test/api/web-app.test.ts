import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UrlSigner } from '../../src/infra/http/signed-urls.js';
import { encodeWav } from '../../src/infra/media/wav.js';
import { type Client, createTestContext, type TestContext } from '../helpers/app.js';
import { multipartFile } from '../helpers/multipart.js';

type User = Client & { userId: number; username: string };

/** A stand-in build of the web app: what the server does with whatever Vite produced. */
const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-web-'));
fs.mkdirSync(path.join(webDir, 'assets'));
fs.writeFileSync(
  path.join(webDir, 'index.html'),
  '<!doctype html><title>Rapport</title><div id="root"></div>',
);
fs.writeFileSync(path.join(webDir, 'assets', 'index-abc123.js'), 'console.log(1)');
fs.writeFileSync(path.join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

const SECRET = 'a-secret-key-for-tests-that-is-long-enough';
let ctx: TestContext;
let alice: User;
let bob: User;

beforeAll(async () => {
  ctx = await createTestContext({ WEB_APP_DIR: webDir, SECRET_KEY: SECRET });
  alice = await ctx.signUp();
  bob = await ctx.signUp();
});
afterAll(async () => {
  await ctx?.close();
  fs.rmSync(webDir, { recursive: true, force: true });
});

describe('the web app at /', () => {
  it('serves index.html at / and at any app path (so a reload keeps the page), never cached', async () => {
    for (const url of ['/', '/people', '/people/3/edit', '/calls/12?x=1']) {
      const res = await ctx.anonymous.get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.raw).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves built files; hashed assets are cached for a long time', async () => {
    const asset = await ctx.anonymous.get('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.raw).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toMatch(/max-age=31536000.*immutable/);
    const icon = await ctx.anonymous.get('/favicon.svg');
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('leaves /api and /ws alone: unknown API paths are JSON 404s, not the app', async () => {
    // (/ws/call/{id}/ itself answers 426 to plain HTTP: see live.test.ts.)
    for (const url of ['/api/nope/', '/api', '/ws/nope/', '/api/relationships/1/nothing/']) {
      const res = await ctx.anonymous.get(url);
      expect(res.status, url).toBe(404);
      expect(res.body, url).toEqual({ detail: 'Not found.' });
    }
    expect((await ctx.anonymous.get('/api/relationships/')).status).toBe(401);
  });

  it('does not serve files outside its directory', async () => {
    for (const url of ['/../package.json', '/%2e%2e/package.json', '/assets/%2e%2e/%2e%2e/package.json']) {
      const res = await ctx.anonymous.get(url);
      expect(res.raw, url).not.toContain('"name": "rapport"');
    }
  });

  it('says how to build the app when the build is missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-web-empty-'));
    const other = await createTestContext({ WEB_APP_DIR: empty });
    try {
      const res = await other.anonymous.get('/people');
      expect(res.status).toBe(503);
      expect(res.raw).toContain('npm run build:web');
    } finally {
      await other.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** One second of silence as a WAV file. */
const wav = () => encodeWav(new Float32Array(16_000));

async function interactionWithMedia(user: User): Promise<number> {
  const created = await user.post('/api/interactions/', { interaction_type: 'PHONE_CALL', title: 'Call' });
  const form = multipartFile(wav(), 'call.wav', 'audio/wav');
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/api/interactions/${created.body.id}/media/`,
    headers: { authorization: `Token ${user.token}`, ...form.headers },
    payload: form.payload,
  });
  expect(res.statusCode, res.body).toBe(202);
  return created.body.id;
}

describe('media links for the player: POST /api/interactions/{id}/media/link/', () => {
  it('gives a link that streams the recording with Range, without a token', async () => {
    const id = await interactionWithMedia(alice);
    const link = await alice.post(`/api/interactions/${id}/media/link/`);
    expect(link.status, link.raw).toBe(200);
    expect(link.body.url).toMatch(new RegExp(`^/api/interactions/${id}/media/\\?access=`));
    expect(Date.parse(link.body.expires_at)).toBeGreaterThan(Date.now());

    const whole = await ctx.anonymous.get(link.body.url);
    expect(whole.status).toBe(200);
    expect(whole.headers['content-type']).toBe('audio/wav');
    const part = await ctx.anonymous.request('GET', link.body.url, undefined, { range: 'bytes=0-3' });
    expect(part.status).toBe(206);
    expect(part.raw).toBe('RIFF');
    // Without the trailing slash too, as every route.
    expect((await ctx.anonymous.get(link.body.url.replace('/?', '?'))).status).toBe(200);
  });

  it('a link opens only that recording, only for its user, only until it expires', async () => {
    const id = await interactionWithMedia(alice);
    const other = await interactionWithMedia(alice);
    const { url } = (await alice.post(`/api/interactions/${id}/media/link/`)).body;
    const access = new URL(url, 'http://x').searchParams.get('access')!;
    // Another path, a tampered signature, an expired link: 401.
    expect((await ctx.anonymous.get(`/api/interactions/${other}/media/?access=${access}`)).status).toBe(401);
    expect((await ctx.anonymous.get(`${url.slice(0, -2)}xx`)).status).toBe(401);
    const signer = new UrlSigner(SECRET);
    const expired = signer.sign(alice.userId, `/api/interactions/${id}/media/`, new Date(Date.now() - 1000));
    expect((await ctx.anonymous.get(`/api/interactions/${id}/media/?access=${expired}`)).status).toBe(401);
    // Signed for Bob's id on Alice's interaction: Bob does not own it.
    const forBob = signer.sign(bob.userId, `/api/interactions/${id}/media/`, new Date(Date.now() + 60_000));
    expect((await ctx.anonymous.get(`/api/interactions/${id}/media/?access=${forBob}`)).status).toBe(404);
    // The link does not open other routes.
    expect((await ctx.anonymous.get(`/api/interactions/${id}/?access=${access}`)).status).toBe(401);
  });

  it("another user's interaction, or one without media, is Not found", async () => {
    const id = await interactionWithMedia(alice);
    expect((await bob.post(`/api/interactions/${id}/media/link/`)).status).toBe(404);
    const bare = await alice.post('/api/interactions/', { interaction_type: 'OTHER' });
    expect((await alice.post(`/api/interactions/${bare.body.id}/media/link/`)).status).toBe(404);
  });
});
