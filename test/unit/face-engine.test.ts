import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, ImageError } from '../../src/infra/media/image.js';
import { FaceApiEngine } from '../../src/pipeline/engines/face/face-api.js';
import type { DetectedFace } from '../../src/pipeline/engines/face/face-engine.js';
import { cosineDistance } from '../../src/pipeline/faces/vectors.js';
import { testConfig } from '../helpers/app.js';
import { FACES, facePhotos, GROUP_PHOTOS, PHOTO } from '../helpers/fixtures.js';
import { pngHeaderClaiming } from '../helpers/images.js';

// The real engine (face-api on tfjs WASM, in worker threads) on the real fixture photos.
const config = testConfig();
const THRESHOLD = config.faces.matchThreshold;
const DECODE = { maxPixels: config.faces.imageMaxPixels, maxSide: 1280 };

let engine: FaceApiEngine;
type Embedded = { file: string; person: string; faces: DetectedFace[]; embedding: Float32Array };
let photos: Embedded[];

async function detectFile(file: string) {
  const image = await decodeImage(fs.readFileSync(file), DECODE);
  return { image, faces: await engine.detect(image) };
}

beforeAll(async () => {
  engine = new FaceApiEngine({ workers: 2, minScore: config.faces.minScore });
  photos = await Promise.all(
    facePhotos().map(async ({ file, person }) => {
      const { faces } = await detectFile(file);
      const [embedding] = await engine.embed(faces.slice(0, 1).map((f) => f.crop));
      return { file, person, faces, embedding: embedding! };
    }),
  );
}, 180_000);
afterAll(() => engine?.close());

describe('face engine on the fixture photos', () => {
  it('the tiny detector (LIVE_FACE_DETECTOR=tiny) finds the face, and its embedding matches the ssd one', async () => {
    const photo = photos.find((p) => p.file.endsWith(path.basename(PHOTO)))!;
    const image = await decodeImage(fs.readFileSync(photo.file), DECODE);
    const [face] = await engine.detect(image, { detector: 'tiny' });
    expect(face).toBeDefined();
    expect(face!.landmarks).toHaveLength(68);
    const [embedding] = await engine.embed([face!.crop]);
    expect(cosineDistance(embedding!, photo.embedding)).toBeLessThan(THRESHOLD);
  });

  it('finds exactly one face in every single-person photo, obama-small and obama-partial included', () => {
    for (const photo of photos) expect(photo.faces, path.basename(photo.file)).toHaveLength(1);
    const small = photos.find((p) => p.file.endsWith('obama-small.jpg'))!;
    expect(small.faces[0]!.box.width).toBeGreaterThan(60); // 320×240 photo, face ~106 px
  });

  it('returns landmarks, a crop of at most 150 px, and unit-length 128-d embeddings', () => {
    for (const photo of photos) {
      const face = photo.faces[0]!;
      expect(face.landmarks).toHaveLength(68);
      expect(Math.max(face.crop.width, face.crop.height)).toBeLessThanOrEqual(150);
      expect(face.crop.rgb.length).toBe(face.crop.width * face.crop.height * 3);
      expect(photo.embedding).toHaveLength(128);
      expect(Math.hypot(...photo.embedding)).toBeCloseTo(1, 5);
    }
  });

  it(`matches every same-person pair and no different-person pair at the threshold (${THRESHOLD})`, () => {
    const same: number[] = [];
    const different: number[] = [];
    const wrong: string[] = [];
    for (let i = 0; i < photos.length; i++) {
      for (let j = i + 1; j < photos.length; j++) {
        const a = photos[i]!;
        const b = photos[j]!;
        const distance = cosineDistance(a.embedding, b.embedding);
        const isSame = a.person === b.person;
        (isSame ? same : different).push(distance);
        if (isSame !== distance <= THRESHOLD)
          wrong.push(`${path.basename(a.file)} ~ ${path.basename(b.file)}: ${distance.toFixed(3)}`);
      }
    }
    expect(same.length).toBe(23);
    expect(different.length).toBe(113);
    expect(wrong).toEqual([]);
  });

  it('finds the right people in the group photos', async () => {
    for (const [file, people] of Object.entries(GROUP_PHOTOS)) {
      const { faces } = await detectFile(path.join(FACES, file));
      expect(faces, file).toHaveLength(people.length);
      const embeddings = await engine.embed(faces.map((f) => f.crop));
      const found = embeddings.map((embedding) => {
        const nearest = photos
          .map((p) => ({ person: p.person, distance: cosineDistance(p.embedding, embedding) }))
          .sort((a, b) => a.distance - b.distance)[0]!;
        expect(nearest.distance, file).toBeLessThanOrEqual(THRESHOLD);
        return nearest.person;
      });
      expect(found.sort(), file).toEqual(people);
    }
  });

  it('finds nothing in a picture without a face', async () => {
    const { data, info } = await sharp({
      create: { width: 640, height: 360, channels: 3, background: { r: 40, g: 120, b: 200 } },
    })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(await engine.detect({ width: info.width, height: info.height, rgb: data })).toEqual([]);
  });

  it('rates a blurred face much less sharp than the photo it comes from', async () => {
    const sharpFace = (await detectFile(PHOTO)).faces[0]!;
    const blurred = await decodeImage(await sharp(PHOTO).blur(4).jpeg().toBuffer(), DECODE);
    const [blurredFace] = await engine.detect(blurred);
    expect(blurredFace).toBeDefined();
    expect(blurredFace!.sharpness).toBeLessThan(config.faces.enrolMinSharpness);
    expect(sharpFace.sharpness).toBeGreaterThan(config.faces.enrolMinSharpness * 10);
    // The least sharp fixture photo still passes.
    for (const photo of photos)
      expect(photo.faces[0]!.sharpness, photo.file).toBeGreaterThan(config.faces.enrolMinSharpness);
  });
});

describe('decoding photos', () => {
  it('applies EXIF orientation', async () => {
    const stored = await sharp(PHOTO).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const upright = await decodeImage(fs.readFileSync(PHOTO), DECODE);
    const decoded = await decodeImage(stored, DECODE);
    expect([decoded.width, decoded.height]).toEqual([upright.width, upright.height]);
    const [face] = await engine.detect(decoded);
    const [reference] = await engine.detect(upright);
    const [a, b] = await engine.embed([face!.crop, reference!.crop]);
    expect(cosineDistance(a!, b!)).toBeLessThan(THRESHOLD);
  });

  it('downscales large photos and reports the scale', async () => {
    const decoded = await decodeImage(fs.readFileSync(path.join(FACES, 'obama-obama3.jpg')), DECODE);
    expect(Math.max(decoded.width, decoded.height)).toBe(1280);
    expect(decoded.originalHeight).toBe(2333);
    expect(decoded.scale).toBeCloseTo(2333 / 1280, 2);
  });

  it('refuses what is not a JPEG, PNG or WebP photo with a reason', async () => {
    const jpeg = fs.readFileSync(PHOTO);
    const gif = await sharp(PHOTO).gif().toBuffer();
    const cases: [Buffer, ImageError['reason'], RegExp][] = [
      [Buffer.from('hello, not an image'), 'not_image', /not an image or a corrupted image/],
      [jpeg.subarray(0, jpeg.length / 2), 'not_image', /corrupted image/],
      [Buffer.concat([jpeg.subarray(0, 2000), Buffer.alloc(20_000, 7)]), 'not_image', /corrupted/],
      [gif, 'unsupported_format', /upload a JPEG, PNG or WebP/],
      [pngHeaderClaiming(20_000, 20_000), 'too_many_pixels', /20000×20000/],
    ];
    for (const [input, reason, message] of cases) {
      const error = await decodeImage(input, DECODE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageError);
      expect((error as ImageError).reason).toBe(reason);
      expect((error as ImageError).message).toMatch(message);
    }
  });
});
