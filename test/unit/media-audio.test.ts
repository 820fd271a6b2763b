import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmBinary } from '../../src/infra/media/binaries.js';
import {
  extractAudio,
  MediaError,
  type MediaErrorReason,
  probeMedia,
  readPcm16,
  resolveMediaBinaries,
} from '../../src/infra/media/index.js';
import { CLIP, JFK, TWO_SPEAKERS } from '../helpers/fixtures.js';

let tmp: string;
let ffmpeg: string;

type Chunk = { id: string; offset: number; size: number };

/** Parses a RIFF file independently of the code under test. */
function riffChunks(bytes: Buffer): { riffSize: number; form: string; chunks: Chunk[] } {
  expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
  const chunks: Chunk[] = [];
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const size = bytes.readUInt32LE(offset + 4);
    chunks.push({ id: bytes.toString('latin1', offset, offset + 4), offset, size });
    offset += 8 + size + (size % 2);
  }
  return { riffSize: bytes.readUInt32LE(4), form: bytes.toString('latin1', 8, 12), chunks };
}

function expectCleanWav(file: string): { bytes: Buffer; data: Buffer } {
  const bytes = fs.readFileSync(file);
  const { riffSize, form, chunks } = riffChunks(bytes);
  expect(form).toBe('WAVE');
  expect(riffSize).toBe(bytes.length - 8);
  // Exactly fmt + data: no LIST/INFO chunk, which some decoders would read as audio.
  expect(chunks.map((c) => c.id)).toEqual(['fmt ', 'data']);
  const fmt = chunks[0]!;
  expect(fmt.size).toBe(16);
  const at = fmt.offset + 8;
  expect(bytes.readUInt16LE(at)).toBe(1); // PCM
  expect(bytes.readUInt16LE(at + 2)).toBe(1); // mono
  expect(bytes.readUInt32LE(at + 4)).toBe(16000);
  expect(bytes.readUInt32LE(at + 8)).toBe(32000); // byte rate
  expect(bytes.readUInt16LE(at + 12)).toBe(2); // block align
  expect(bytes.readUInt16LE(at + 14)).toBe(16); // bits
  const data = chunks[1]!;
  expect(data.offset + 8).toBe(44); // the canonical 44-byte header
  expect(data.offset + 8 + data.size).toBe(bytes.length);
  return { bytes, data: bytes.subarray(44) };
}

function wavSamples(file: string): Int16Array {
  const bytes = fs.readFileSync(file);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-media-audio-'));
  ffmpeg = (await resolveMediaBinaries()).ffmpeg.path;
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('extractAudio', () => {
  it('turns the video clip into a clean 16 kHz mono WAV of the right length', async () => {
    const out = path.join(tmp, 'clip.wav');
    const started = performance.now();
    const result = await extractAudio(CLIP, out);
    const seconds = (performance.now() - started) / 1000;
    const { data } = expectCleanWav(out);
    const media = await probeMedia(CLIP);
    expect(result.sampleRate).toBe(16000);
    expect(result.samples).toBe(data.length / 2);
    expect(result.durationSeconds).toBe(result.samples / 16000);
    expect(Math.abs(result.durationSeconds - media.durationSeconds)).toBeLessThan(0.1);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
    console.info(
      `[media] extractAudio(clip, ${media.durationSeconds.toFixed(2)} s): ${(seconds * 1000).toFixed(0)} ms, ` +
        `real-time factor ${(seconds / media.durationSeconds).toFixed(4)}`,
    );
  });

  it('converts jfk.flac (44.1 kHz stereo) to 11 s at 16 kHz mono', async () => {
    const out = path.join(tmp, 'jfk.wav');
    const result = await extractAudio(JFK, out);
    expectCleanWav(out);
    expect(Math.abs(result.durationSeconds - 11)).toBeLessThan(0.1);
    // Real speech, not silence.
    const samples = wavSamples(out);
    const peak = samples.reduce((max, s) => Math.max(max, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(5000);
  });

  it('keeps a WAV that is already 16 kHz mono s16 bit-exact', async () => {
    const out = path.join(tmp, 'two.wav');
    const result = await extractAudio(TWO_SPEAKERS, out);
    const { data } = expectCleanWav(out);
    expect(result.durationSeconds).toBeCloseTo(30, 2);
    const source = fs.readFileSync(TWO_SPEAKERS);
    const sourceData = riffChunks(source).chunks.find((c) => c.id === 'data')!;
    expect(data.equals(source.subarray(sourceData.offset + 8, sourceData.offset + 8 + sourceData.size))).toBe(
      true,
    );
  });

  it('pads the start with silence when the audio starts after the video, keeping one timeline', async () => {
    // A 3 s video from 0 s with the speech starting at 0.5 s.
    const file = path.join(tmp, 'late-audio.mp4');
    execFileSync(ffmpeg, [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:s=64x64:d=3:r=10'],
      ...['-itsoffset', '0.5', '-i', JFK, '-map', '0:v', '-map', '1:a', '-t', '3'],
      ...['-c:v', 'mpeg4', '-c:a', 'aac', file],
    ]);
    const media = await probeMedia(file);
    expect(media.audio!.startSeconds).toBeGreaterThan(0.4);
    const out = path.join(tmp, 'late-audio.wav');
    const result = await extractAudio(file, out);
    expect(Math.abs(result.durationSeconds - media.durationSeconds)).toBeLessThan(0.1);
    const samples = wavSamples(out);
    const firstSound = samples.findIndex((s) => Math.abs(s) > 300) / 16000;
    // jfk.flac itself has ~0.07 s of near-silence before the first sound.
    expect(firstSound).toBeGreaterThan(media.audio!.startSeconds);
    expect(firstSound).toBeLessThan(media.audio!.startSeconds + 0.3);
  });

  it('says so when there is no audio track', async () => {
    const file = path.join(tmp, 'silent-movie.mp4');
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-i', CLIP, '-an', '-c', 'copy', file]);
    const out = path.join(tmp, 'silent.wav');
    const error = (await extractAudio(file, out).catch((e: unknown) => e)) as MediaError;
    expect(error).toBeInstanceOf(MediaError);
    expect(error.reason).toBe<MediaErrorReason>('no_audio');
    expect(error.message).toBe('The recording has no audio track.');
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });

  it('classifies unreadable input and leaves no output behind', async () => {
    const file = path.join(tmp, 'text.mp4');
    fs.writeFileSync(file, 'not a recording at all');
    const out = path.join(tmp, 'text.wav');
    const error = (await extractAudio(file, out).catch((e: unknown) => e)) as MediaError;
    expect(error).toBeInstanceOf(MediaError);
    expect(error.reason).toBe<MediaErrorReason>('not_media');
    expect(error.message).not.toContain(tmp);
    expect(fs.existsSync(out) || fs.existsSync(`${out}.partial`)).toBe(false);
    const truncated = path.join(tmp, 'truncated.mp4');
    const whole = fs.readFileSync(CLIP);
    fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.3)));
    await expect(extractAudio(truncated, out)).rejects.toMatchObject({ reason: 'truncated' });
  });

  it('works with the npm-shipped ffmpeg', async () => {
    const out = path.join(tmp, 'npm.wav');
    const result = await extractAudio(JFK, out, { ffmpeg: { ffmpegPath: npmBinary('ffmpeg') } });
    expectCleanWav(out);
    expect(Math.abs(result.durationSeconds - 11)).toBeLessThan(0.1);
  });
});

describe('readPcm16', () => {
  it('streams exactly the samples extractAudio writes', async () => {
    const out = path.join(tmp, 'jfk-ref.wav');
    const reference = await extractAudio(JFK, out);
    const expected = wavSamples(out);
    const received = new Int16Array(reference.samples);
    let at = 0;
    let chunks = 0;
    for await (const chunk of readPcm16(JFK)) {
      expect(chunk).toBeInstanceOf(Int16Array);
      received.set(chunk, at);
      at += chunk.length;
      chunks++;
    }
    expect(at).toBe(reference.samples);
    expect(chunks).toBeGreaterThan(1);
    expect(Buffer.from(received.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('kills ffmpeg when the consumer stops early', async () => {
    let child: import('node:child_process').ChildProcess | undefined;
    for await (const chunk of readPcm16(TWO_SPEAKERS, { onSpawn: (c) => (child = c) })) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(child).toBeDefined();
    expect(child!.exitCode !== null || child!.signalCode !== null).toBe(true);
  });

  it('throws a MediaError for bad input, never a raw process error', async () => {
    const file = path.join(tmp, 'garbage.flac');
    fs.writeFileSync(file, Buffer.alloc(5000, 7));
    const consume = async () => {
      for await (const _ of readPcm16(file)) {
        // nothing
      }
    };
    await expect(consume()).rejects.toMatchObject({ name: 'MediaError', reason: 'not_media' });
  });
});
