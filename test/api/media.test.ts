import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createTestContext, processingSettled, type TestContext } from '../helpers/app.js';
import { CLIP, JFK } from '../helpers/fixtures.js';
import { multipartFile } from '../helpers/multipart.js';

const VIDEO = fs.readFileSync(CLIP);
const AUDIO = fs.readFileSync(JFK);

/**
 * Reproducible noise: truly random bytes now and then look like a few MPEG audio frames to
 * ffprobe, which would make the test depend on luck.
 */
function noise(size: number): Buffer {
  const blocks: Buffer[] = [];
  let block = createHash('sha256').update('rapport-noise').digest();
  for (let n = 0; n < size; n += block.length) {
    blocks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(blocks).subarray(0, size);
}

async function upload(
  ctx: TestContext,
  user: Client,
  id: number,
  content: Buffer,
  filename: string,
  type: string,
) {
  const body = multipartFile(content, filename, type);
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/api/interactions/${id}/media/`,
    headers: { authorization: `Token ${user.token}`, ...body.headers },
    payload: body.payload,
  });
  return { status: res.statusCode, body: res.json() };
}

function storedFiles(ctx: TestContext): string[] {
  const root = path.join(ctx.dataDir, 'media');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) =>
    fs.statSync(path.join(root, f)).isFile(),
  );
}

let ctx: TestContext;
let user: Awaited<ReturnType<TestContext['signUp']>>;
let newInteraction: (title?: string) => Promise<number>;

beforeAll(async () => {
  // Storage, queue and media stages are under test here; transcription (test/api/speech.test.ts)
  // would only slow every upload down.
  ctx = await createTestContext({ ASR_ENGINE: 'none' }, { workers: true });
  user = await ctx.signUp();
  newInteraction = async (title = 'Call with Lin') => {
    const res = await user.post('/api/interactions/', { interaction_type: 'VIDEO_CALL', title });
    return res.body.id as number;
  };
});
afterAll(() => ctx?.close());

describe('recorded call upload and processing', () => {
  it('processes the fixture video: COMPLETED with its duration and media details', async () => {
    const id = await newInteraction();
    const res = await upload(ctx, user, id, VIDEO, 'hamilton.mp4', 'video/mp4');
    expect(res.status).toBe(202);
    expect(res.body.processing_status).toBe('PENDING');
    expect(res.body.media).toEqual({
      filename: 'hamilton.mp4',
      content_type: 'video/mp4',
      size: VIDEO.length,
      duration_seconds: null,
    });

    const done = await processingSettled(user, id);
    expect(done.processing_status, done.processing_error).toBe('COMPLETED');
    expect(done.processing_error).toBe('');
    expect(done.media.duration_seconds).toBeCloseTo(10.0, 0);
    expect(done.duration_seconds).toBe(10);
    expect(done.processing_progress).toEqual({ stage: 'done', percent: 100 });
    expect(done.title).toBe('Call with Lin');
  });

  it('processes an audio-only recording', async () => {
    const id = await newInteraction();
    expect((await upload(ctx, user, id, AUDIO, 'jfk.flac', 'audio/flac')).status).toBe(202);
    const done = await processingSettled(user, id);
    expect(done.processing_status, done.processing_error).toBe('COMPLETED');
    expect(done.media.duration_seconds).toBeCloseTo(11.0, 0);
  });

  it('serves the media back, whole and by HTTP Range', async () => {
    const id = await newInteraction();
    await upload(ctx, user, id, AUDIO, 'jfk.flac', 'audio/flac');
    const whole = await ctx.app.inject({
      method: 'GET',
      url: `/api/interactions/${id}/media/`,
      headers: { authorization: `Token ${user.token}` },
    });
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.headers['content-type']).toBe('audio/flac');
    expect(Buffer.compare(whole.rawPayload, AUDIO)).toBe(0);

    const part = await ctx.app.inject({
      method: 'GET',
      url: `/api/interactions/${id}/media/`,
      headers: { authorization: `Token ${user.token}`, range: 'bytes=100-199' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${AUDIO.length}`);
    expect(Buffer.compare(part.rawPayload, AUDIO.subarray(100, 200))).toBe(0);

    const suffix = await ctx.app.inject({
      method: 'GET',
      url: `/api/interactions/${id}/media/`,
      headers: { authorization: `Token ${user.token}`, range: 'bytes=-10' },
    });
    expect(Buffer.compare(suffix.rawPayload, AUDIO.subarray(AUDIO.length - 10))).toBe(0);

    const beyond = await ctx.app.inject({
      method: 'GET',
      url: `/api/interactions/${id}/media/`,
      headers: { authorization: `Token ${user.token}`, range: `bytes=${AUDIO.length}-` },
    });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${AUDIO.length}`);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'empty.mp4', 'The file is empty.'],
    ['random bytes', noise(64 * 1024), 'noise.mp4', 'not a video or audio recording'],
    [
      'a text file named .mp4',
      Buffer.from('Meeting notes: nothing to see here.\n'.repeat(50)),
      'notes.mp4',
      'not a video or audio recording',
    ],
    [
      'a truncated MP4',
      VIDEO.subarray(0, Math.floor(VIDEO.length * 0.3)),
      'cut.mp4',
      'The file is incomplete',
    ],
  ])(
    '%s ends FAILED with a readable reason; reprocessing good media then succeeds',
    async (_name, content, filename, reason) => {
      const id = await newInteraction('Keep this title');
      expect((await upload(ctx, user, id, content, filename, 'video/mp4')).status).toBe(202);
      const failed = await processingSettled(user, id);
      expect(failed.processing_status).toBe('FAILED');
      expect(failed.processing_error).toContain(reason);
      expect(failed.processing_error).not.toMatch(/\/tmp|\/work|node_modules/);
      expect(failed.title).toBe('Keep this title');

      // Replacing the media removes the old file and processes the new one.
      const before = storedFiles(ctx).filter((f) => f.includes(`/interactions/${id}/`));
      expect(before).toHaveLength(1);
      await upload(ctx, user, id, VIDEO, 'good.mp4', 'video/mp4');
      const ok = await processingSettled(user, id);
      expect(ok.processing_status, ok.processing_error).toBe('COMPLETED');
      const after = storedFiles(ctx).filter((f) => f.includes(`/interactions/${id}/`));
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(before[0]);
    },
  );

  it('reprocess runs again, replacing AI notes and keeping manual ones', async () => {
    const id = await newInteraction();
    await upload(ctx, user, id, AUDIO, 'jfk.flac', 'audio/flac');
    await processingSettled(user, id);
    const person = await user.post('/api/relationships/', { name: 'JFK', relationship_type: 'OTHER' });
    const manual = await user.post('/api/notes/', {
      relationship: person.body.id,
      interaction: id,
      text: 'Typed by hand',
    });
    const { notes } = await import('../../src/infra/db/schema.js');
    await ctx.database.db.insert(notes).values({
      userId: user.userId,
      relationshipId: person.body.id,
      interactionId: id,
      text: 'From an earlier run',
      source: 'AI',
    });

    const res = await user.post(`/api/interactions/${id}/reprocess/`);
    expect(res.status).toBe(202);
    expect(res.body.processing_status).toBe('PENDING');
    expect((await processingSettled(user, id)).processing_status).toBe('COMPLETED');
    const left = await user.get(`/api/notes/?interaction=${id}`);
    expect(left.body.results.map((n: { id: number }) => n.id)).toEqual([manual.body.id]);
  });

  it('reprocess without media → 400', async () => {
    const id = await newInteraction();
    const res = await user.post(`/api/interactions/${id}/reprocess/`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: 'This interaction has no media to process.' });
  });

  it('a request without a file part → 400; not multipart → 415', async () => {
    const id = await newInteraction();
    const body = multipartFile(AUDIO, 'jfk.flac', 'audio/flac', 'recording');
    const wrongField = await ctx.app.inject({
      method: 'POST',
      url: `/api/interactions/${id}/media/`,
      headers: { authorization: `Token ${user.token}`, ...body.headers },
      payload: body.payload,
    });
    expect(wrongField.statusCode).toBe(400);
    expect(wrongField.json()).toEqual({ file: ['No file was submitted.'] });
    expect((await user.post(`/api/interactions/${id}/media/`, { file: 'x' })).status).toBe(415);
  });

  it("another user's interaction is a 404 for upload, download and reprocess", async () => {
    const id = await newInteraction();
    await upload(ctx, user, id, AUDIO, 'jfk.flac', 'audio/flac');
    const stranger = await ctx.signUp();
    const filesBefore = storedFiles(ctx).length;
    expect((await upload(ctx, stranger, id, AUDIO, 'x.flac', 'audio/flac')).status).toBe(404);
    expect((await stranger.get(`/api/interactions/${id}/media/`)).status).toBe(404);
    expect((await stranger.post(`/api/interactions/${id}/reprocess/`)).status).toBe(404);
    expect(storedFiles(ctx)).toHaveLength(filesBefore);
  });

  it('deleting the interaction deletes its media file', async () => {
    const id = await newInteraction();
    await upload(ctx, user, id, AUDIO, 'jfk.flac', 'audio/flac');
    await processingSettled(user, id);
    expect(storedFiles(ctx).some((f) => f.includes(`/interactions/${id}/`))).toBe(true);
    expect((await user.delete(`/api/interactions/${id}/`)).status).toBe(204);
    expect(storedFiles(ctx).some((f) => f.includes(`/interactions/${id}/`))).toBe(false);
  });
});

describe('upload size limit', () => {
  let small: TestContext;
  beforeAll(async () => {
    small = await createTestContext({ MEDIA_MAX_BYTES: '100000' });
  });
  afterAll(() => small?.close());

  it('an upload over MEDIA_MAX_BYTES → 413 and nothing is left behind', async () => {
    const owner = await small.signUp();
    const created = await owner.post('/api/interactions/', { interaction_type: 'VIDEO_CALL', title: 'big' });
    const res = await upload(small, owner, created.body.id, VIDEO, 'big.mp4', 'video/mp4');
    expect(res.status).toBe(413);
    expect(res.body.detail).toContain('100000 bytes');
    expect(storedFiles(small)).toEqual([]);
    const after = await owner.get(`/api/interactions/${created.body.id}/`);
    expect(after.body.media).toBeNull();
    expect(after.body.processing_status).toBe('NONE');
  });
});
