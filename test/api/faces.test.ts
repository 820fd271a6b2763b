import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createTestContext, processingSettled, type TestContext } from '../helpers/app.js';
import { CLIP, FACES, PHOTO } from '../helpers/fixtures.js';
import { pngHeaderClaiming } from '../helpers/images.js';
import { multipartForm } from '../helpers/multipart.js';

type User = Client & { userId: number; username: string };

const photo = (name: string) => fs.readFileSync(path.join(FACES, name));

let ctx: TestContext;

async function enrol(user: User, relationshipId: number, image: Buffer, extra: Record<string, string> = {}) {
  const body = multipartForm([
    ...Object.entries(extra).map(([field, value]) => ({ field, value })),
    { field: 'image', file: { content: image, filename: 'photo.jpg', type: 'image/jpeg' } },
  ]);
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/api/relationships/${relationshipId}/faces/`,
    headers: { authorization: `Token ${user.token}`, ...body.headers },
    payload: body.payload,
  });
  return { status: res.statusCode, body: res.json() };
}

async function person(user: User, name: string): Promise<number> {
  const res = await user.post('/api/relationships/', { name, relationship_type: 'FRIEND' });
  expect(res.status).toBe(201);
  return res.body.id;
}

beforeAll(async () => {
  ctx = await createTestContext(
    { FACE_WORKERS: '2', FRAME_RATE: '5', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' },
    { workers: true },
  );
});
afterAll(() => ctx?.close());

describe('face enrolment', () => {
  let user: User;
  beforeAll(async () => {
    user = await ctx.signUp();
  });

  it('enrols a photo: 201 with a thumbnail only its owner can fetch', async () => {
    const obama = await person(user, 'Barack');
    const res = await enrol(user, obama, fs.readFileSync(PHOTO));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ relationship: obama, sample_count: 1 });
    expect(res.body.thumbnail_url).toBe(`/api/signatures/faces/${res.body.id}/thumbnail/`);

    const thumbnail = await ctx.app.inject({
      method: 'GET',
      url: res.body.thumbnail_url,
      headers: { authorization: `Token ${user.token}` },
    });
    expect(thumbnail.statusCode).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(thumbnail.rawPayload).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(150);

    const other = await ctx.signUp();
    expect((await other.get(res.body.thumbnail_url)).status).toBe(404);
    expect((await enrol(other, obama, fs.readFileSync(PHOTO))).status).toBe(404);
  });

  it('more photos of one person refine one signature (samples counted)', async () => {
    const obama = await person(user, 'Obama again');
    const first = await enrol(user, obama, photo('obama-obama.jpg'));
    const second = await enrol(user, obama, photo('obama-obama2.jpg'));
    const third = await enrol(user, obama, photo('obama-test1.jpg'));
    expect([first.status, second.status, third.status]).toEqual([201, 201, 201]);
    expect(third.body.id).toBe(first.body.id);
    expect(third.body.sample_count).toBe(3);
    const list = await user.get(`/api/signatures/faces/?relationship=${obama}`);
    expect(list.body.count).toBe(1);
    // Only the surviving signatures' thumbnails are kept: one file per signature.
    const thumbs = fs.readdirSync(path.join(ctx.dataDir, 'media', 'faces', String(user.userId)));
    const all = await user.get('/api/signatures/faces/?page_size=100');
    expect(thumbs.sort()).toEqual(all.body.results.map((s: { id: number }) => `${s.id}.jpg`).sort());
  });

  it('several faces: 400 listing them unless face_index picks one', async () => {
    const biden = await person(user, 'Joe');
    const group = photo('group-obama_and_biden.jpg');
    const many = await enrol(user, biden, group);
    expect(many.status).toBe(400);
    expect(many.body.image[0]).toMatch(/shows 2 faces: choose one with face_index/);
    expect(many.body.faces).toHaveLength(2);
    for (const [index, face] of many.body.faces.entries()) {
      const match = /^face_index (\d): box x=\d+ y=\d+ width=(\d+) height=\d+, score (0\.\d\d|1\.00)$/.exec(
        face,
      );
      expect(match, face).not.toBeNull();
      expect(Number(match![1])).toBe(index);
      expect(Number(match![2])).toBeGreaterThan(100); // original pixels of the 2000 px photo
    }
    const missing = await enrol(user, biden, group, { face_index: '2' });
    expect(missing.status).toBe(400);
    expect(missing.body.face_index[0]).toMatch(/There is no face 2/);
    expect((await enrol(user, biden, group, { face_index: 'one' })).body).toEqual({
      face_index: ['A valid integer is required.'],
    });
    const picked = await enrol(user, biden, group, { face_index: '0' });
    expect(picked.status).toBe(201);
  });

  it('honours EXIF orientation', async () => {
    const id = await person(user, 'Sideways');
    const rotated = await sharp(PHOTO).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await enrol(user, id, rotated)).status).toBe(201);
  });

  it('unusable photos: 400 with the reason, never a 500', async () => {
    const id = await person(user, 'Nobody');
    const jpeg = fs.readFileSync(PHOTO);
    const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3080c0' } })
      .png()
      .toBuffer();
    const cases: [string, Buffer, RegExp][] = [
      ['not an image', Buffer.from('%PDF-1.4 definitely not a photo'), /not an image or a corrupted image/],
      ['a corrupt JPEG', jpeg.subarray(0, Math.floor(jpeg.length / 2)), /corrupted image/],
      ['a decompression bomb', pngHeaderClaiming(20_000, 20_000), /too large \(20000×20000 pixels\)/],
      ['a GIF', await sharp(PHOTO).gif().toBuffer(), /upload a JPEG, PNG or WebP/],
      ['no face', blank, /^No face found in the image\.$/],
      ['a face too small', await sharp(PHOTO).resize(200).jpeg().toBuffer(), /too small \(\d+ px wide\)/],
      ['a blurry face', await sharp(PHOTO).blur(4).jpeg().toBuffer(), /too blurry/],
    ];
    for (const [what, image, message] of cases) {
      const res = await enrol(user, id, image);
      expect(res.status, what).toBe(400);
      expect(res.body.image?.[0], what).toMatch(message);
    }
    const fieldOnly = multipartForm([{ field: 'face_index', value: '0' }]);
    const post = (payload: Buffer) =>
      ctx.app.inject({
        method: 'POST',
        url: `/api/relationships/${id}/faces/`,
        headers: { authorization: `Token ${user.token}`, ...fieldOnly.headers },
        payload,
      });
    const empty = await post(fieldOnly.payload);
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toEqual({ image: ['No file was submitted.'] });
    const cut = await post(fieldOnly.payload.subarray(0, fieldOnly.payload.length - 10));
    expect(cut.statusCode).toBe(400);
    expect(cut.json().detail).toMatch(/Malformed multipart body/);
    const json = await user.post(`/api/relationships/${id}/faces/`, { image: 'x' });
    expect(json.status).toBe(415);
    expect((await user.get(`/api/signatures/faces/?relationship=${id}`)).body.count).toBe(0);
  });

  it('is reported by the health check', async () => {
    const res = await ctx.anonymous.get('/api/health/');
    expect(res.body.engines.face).toMatchObject({ available: true, reason: null });
    expect(res.body.engines.face.name).toMatch(/face-api/);
  });
});

describe('faces in a recorded call', () => {
  it('identifies the enrolled person, groups the others into a few unknown people, and naming one re-labels the call', async () => {
    const user = await ctx.signUp();
    const lin = await person(user, 'Lin-Manuel Miranda');
    expect((await enrol(user, lin, photo('lin_manuel_miranda-ref.png'))).status).toBe(201);
    const call = await user.post('/api/interactions/', { interaction_type: 'VIDEO_CALL', title: 'Hamilton' });
    const body = multipartForm([
      { field: 'file', file: { content: fs.readFileSync(CLIP), filename: 'clip.mp4', type: 'video/mp4' } },
    ]);
    const upload = await ctx.app.inject({
      method: 'POST',
      url: `/api/interactions/${call.body.id}/media/`,
      headers: { authorization: `Token ${user.token}`, ...body.headers },
      payload: body.payload,
    });
    expect(upload.statusCode).toBe(202);
    const done = await processingSettled(user, call.body.id, 300_000);
    expect(done.processing_status, done.processing_error).toBe('COMPLETED');

    expect(done.participants).toContain(lin);
    const identified = done.identified_participants as {
      relationship_id: number | null;
      face_signature_id: number | null;
      confidence: number;
      first_seen_at: number;
    }[];
    const linRows = identified.filter((row) => row.relationship_id === lin);
    expect(linRows, JSON.stringify({ lin, identified })).toHaveLength(1);
    expect(linRows[0]!.confidence).toBeGreaterThan(0.9);
    // The clip's video starts at 0.85 s: sightings are on the recording's clock.
    expect(linRows[0]!.first_seen_at).toBeGreaterThanOrEqual(0);
    expect(linRows[0]!.first_seen_at).toBeLessThan(10);

    const unknown = await user.get('/api/signatures/faces/?unassigned=true');
    // Six or so other people in the clip: a few unknown signatures, not one per frame.
    expect(unknown.body.count).toBeGreaterThanOrEqual(1);
    expect(unknown.body.count).toBeLessThanOrEqual(10);
    // (Voices heard in the clip are identified participants too: only face rows count here.)
    const unknownRows = identified.filter(
      (row) => row.relationship_id === null && row.face_signature_id !== null,
    );
    expect(unknownRows.length).toBe(unknown.body.count);
    for (const signature of unknown.body.results) {
      expect(signature.thumbnail_url).toBe(`/api/signatures/faces/${signature.id}/thumbnail/`);
      expect((await user.get(signature.thumbnail_url)).status).toBe(200);
    }

    // Naming an unknown person once re-labels the call and makes them a participant.
    const stranger = unknown.body.results[0];
    const named = await person(user, 'Someone from the cast');
    const assigned = await user.patch(`/api/signatures/faces/${stranger.id}/`, { relationship: named });
    expect(assigned.status).toBe(200);
    const after = (await user.get(`/api/interactions/${call.body.id}/`)).body;
    expect(after.participants).toContain(named);
    expect(
      after.identified_participants.filter(
        (row: { relationship_id: number }) => row.relationship_id === named,
      ),
    ).toHaveLength(1);

    // Processing the call again finds the same people: no new unknown signatures, and the
    // unknown people it already learned from do not count the same frames twice.
    const samplesBefore = new Map<number, number>(
      unknown.body.results.map((s: { id: number; sample_count: number }) => [s.id, s.sample_count]),
    );
    expect((await user.post(`/api/interactions/${call.body.id}/reprocess/`)).status).toBe(202);
    const again = await processingSettled(user, call.body.id, 300_000);
    expect(again.processing_status).toBe('COMPLETED');
    const unknownAgain = await user.get('/api/signatures/faces/?unassigned=true');
    expect(unknownAgain.body.count).toBeLessThanOrEqual(unknown.body.count);
    for (const signature of unknownAgain.body.results as { id: number; sample_count: number }[])
      if (samplesBefore.has(signature.id))
        expect(signature.sample_count).toBe(samplesBefore.get(signature.id));
    expect(again.participants).toEqual(expect.arrayContaining([lin, named]));
  }, 600_000);
});
