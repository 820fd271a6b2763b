import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmBinary } from '../../src/infra/media/binaries.js';
import {
  clearMediaBinariesCache,
  MediaError,
  type MediaErrorReason,
  probeMedia,
  resolveMediaBinaries,
} from '../../src/infra/media/index.js';
import { CLIP, JFK, PHOTO, TWO_SPEAKERS } from '../helpers/fixtures.js';

let tmp: string;
let ffmpeg: string;
let ffprobe: string;

/** What ffprobe itself says, to compare against. */
function ffprobeJson(file: string): { format: Record<string, string>; streams: Record<string, unknown>[] } {
  const out = execFileSync(ffprobe, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  return JSON.parse(out.toString());
}

async function expectMediaError(promise: Promise<unknown>, reason: MediaErrorReason): Promise<MediaError> {
  const error = await promise.then(
    () => expect.unreachable('expected a MediaError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MediaError);
  expect((error as MediaError).reason).toBe(reason);
  // User-facing: no server paths in the message.
  expect((error as MediaError).message).not.toContain(tmp);
  return error as MediaError;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-media-probe-'));
  const binaries = await resolveMediaBinaries();
  ffmpeg = binaries.ffmpeg.path;
  ffprobe = binaries.ffprobe.path;
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('resolveMediaBinaries', () => {
  it('finds ffmpeg and ffprobe, says where from and which version, once', async () => {
    const first = await resolveMediaBinaries();
    for (const info of [first.ffmpeg, first.ffprobe]) {
      expect(['config', 'path', 'npm']).toContain(info.source);
      expect(path.isAbsolute(info.path)).toBe(true);
      expect(info.version).toMatch(/\S/);
    }
    expect(await resolveMediaBinaries()).toBe(first); // cached
    expect(await resolveMediaBinaries({ ffmpegPath: undefined, ffprobePath: undefined })).toBe(first);
  });

  it('prefers the configured path', async () => {
    const binaries = await resolveMediaBinaries({ ffmpegPath: ffmpeg, ffprobePath: ffprobe });
    expect(binaries.ffmpeg).toMatchObject({ path: ffmpeg, source: 'config' });
    expect(binaries.ffprobe).toMatchObject({ path: ffprobe, source: 'config' });
  });

  it('falls back to the npm-shipped binaries when nothing is on PATH', async () => {
    const binaries = await resolveMediaBinaries({}, { env: { PATH: '' } });
    expect(binaries.ffmpeg.source).toBe('npm');
    expect(binaries.ffprobe.source).toBe('npm');
    expect(binaries.ffmpeg.path).toContain(path.join('node_modules', '@ffmpeg-installer'));
    expect(binaries.ffprobe.path).toContain(path.join('node_modules', '@ffprobe-installer'));
    // The 2018 static ffmpeg predates -fps_mode; extractFrames then uses -vsync.
    expect(typeof binaries.ffmpegHasFpsMode).toBe('boolean');
  });

  it('refuses a configured binary that does not work, naming the variable', async () => {
    const missing = path.join(tmp, 'no-such-ffmpeg');
    const error = await resolveMediaBinaries({ ffmpegPath: missing }).then(
      () => expect.unreachable(),
      (e: unknown) => e as MediaError,
    );
    expect(error).toBeInstanceOf(MediaError);
    expect(error.reason).toBe('ffmpeg_unavailable');
    expect(error.message).toContain(`FFMPEG_PATH=${missing}`);
    // A failure is not cached: fixing the configuration works without a restart.
    clearMediaBinariesCache();
    await expect(resolveMediaBinaries()).resolves.toBeTruthy();
  });
});

describe('probeMedia on real recordings', () => {
  it('probes the video clip: duration as ffprobe says, video and audio, video starting at ≈0.85 s', async () => {
    const started = performance.now();
    const info = await probeMedia(CLIP);
    const ms = performance.now() - started;
    const raw = ffprobeJson(CLIP);
    expect(info.durationSeconds).toBeCloseTo(Number(raw.format.duration), 3);
    expect(info.formatName).toBe(raw.format.format_name);
    expect(info.sizeBytes).toBe(fs.statSync(CLIP).size);
    expect(info.hasVideo).toBe(true);
    expect(info.hasAudio).toBe(true);
    expect(info.video).toMatchObject({ codec: 'h264', width: 640, height: 360, rotation: 0 });
    expect(info.video!.fps).toBeCloseTo(29.97, 2);
    expect(Math.abs(info.video!.startSeconds - 0.85)).toBeLessThan(0.01);
    // ffprobe's raw stream start (0.852) is the container start (0.008) plus ours (0.844).
    const rawVideoStart = Number(raw.streams.find((s) => s.codec_type === 'video')!.start_time);
    expect(info.containerStartSeconds + info.video!.startSeconds).toBeCloseTo(rawVideoStart, 5);
    expect(info.audio).toMatchObject({ codec: 'aac', sampleRate: 44100, channels: 2 });
    expect(info.audio!.startSeconds).toBe(0);
    console.info(`[media] probeMedia(short_hamilton_clip.mp4): ${ms.toFixed(0)} ms`);
  });

  it('probes jfk.flac: audio only', async () => {
    const info = await probeMedia(JFK);
    expect(info).toMatchObject({ formatName: 'flac', hasVideo: false, hasAudio: true });
    expect(info.video).toBeUndefined();
    expect(info.audio).toMatchObject({ codec: 'flac', sampleRate: 44100, channels: 2, startSeconds: 0 });
    expect(info.durationSeconds).toBeCloseTo(11, 2);
  });

  it('probes two_speakers.wav: 30 s of 16 kHz mono PCM', async () => {
    const info = await probeMedia(TWO_SPEAKERS);
    expect(info).toMatchObject({ formatName: 'wav', hasVideo: false, hasAudio: true });
    expect(info.audio).toMatchObject({ codec: 'pcm_s16le', sampleRate: 16000, channels: 1 });
    expect(info.durationSeconds).toBeCloseTo(30, 2);
  });

  it('reports displayed dimensions of a rotated (phone-style) video', async () => {
    const rotated = path.join(tmp, 'rotated.mp4');
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      CLIP,
      '-c',
      'copy',
      '-metadata:s:v:0',
      'rotate=90',
      rotated,
    ]);
    const info = await probeMedia(rotated);
    expect([90, 270]).toContain(info.video!.rotation);
    expect(info.video).toMatchObject({ width: 360, height: 640 });
  });

  it('measures probe time once the binaries are resolved', async () => {
    await probeMedia(CLIP);
    const runs = 5;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await probeMedia(CLIP);
    const ms = (performance.now() - started) / runs;
    console.info(`[media] probeMedia warm: ${ms.toFixed(1)} ms per call (clip)`);
    expect(ms).toBeLessThan(5000);
  });
});

describe('probeMedia on files that are not usable recordings', () => {
  it('a zero-byte file: "The file is empty."', async () => {
    const file = path.join(tmp, 'empty.mp4');
    fs.writeFileSync(file, '');
    const error = await expectMediaError(probeMedia(file), 'empty_file');
    expect(error.message).toBe('The file is empty.');
  });

  it('random bytes: not media, with ffprobe’s reason', async () => {
    const file = path.join(tmp, 'random.bin');
    // Deterministic "random" bytes (xorshift), so the test never flakes on a lucky header.
    const bytes = Buffer.alloc(100_000);
    let x = 0x2545f491;
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x & 0xff;
    }
    fs.writeFileSync(file, bytes);
    const error = await expectMediaError(probeMedia(file), 'not_media');
    expect(error.message).toBe(
      'The file is not a video or audio recording ffmpeg can read: Invalid data found when processing input',
    );
    expect(error.stderr).toContain('Invalid data found');
    expect(error.isUserError).toBe(true);
  });

  it('a text file named .mp4: not media', async () => {
    const file = path.join(tmp, 'notes.mp4');
    fs.writeFileSync(file, 'Meeting notes: call Alice back on Tuesday.\n'.repeat(20));
    const error = await expectMediaError(probeMedia(file), 'not_media');
    expect(error.message).toMatch(/^The file is not a video or audio recording ffmpeg can read: \S/);
    expect(error.message).not.toContain('0x'); // "[mov,mp4,… @ 0x…]" prefixes are stripped
  });

  it('the first 30% of the clip: truncated (ffprobe itself only says "moov atom not found")', async () => {
    const file = path.join(tmp, 'truncated.mp4');
    const whole = fs.readFileSync(CLIP);
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.3)));
    // What ffprobe reports: the index (moov) of this recording is at the end, so a cut-off copy
    // fails exactly like a text file named .mp4 does.
    const raw = spawnSync(ffprobe, ['-v', 'error', '-show_format', file], { encoding: 'utf8' });
    expect(raw.status).not.toBe(0);
    expect(raw.stderr).toContain('moov atom not found');
    expect(raw.stderr).toContain('Invalid data found when processing input');
    // What we report, from the MP4 box structure: the mdat box announces more bytes than exist.
    const error = await expectMediaError(probeMedia(file), 'truncated');
    expect(error.message).toMatch(/^The file is incomplete: it ends after 184 KB but its contents announce/);
  });

  it('a cut-off "faststart" MP4 (index first), which ffprobe calls fine: truncated', async () => {
    const faststart = path.join(tmp, 'faststart.mp4');
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      CLIP,
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      faststart,
    ]);
    const file = path.join(tmp, 'faststart-truncated.mp4');
    const whole = fs.readFileSync(faststart);
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.3)));
    const raw = spawnSync(ffprobe, ['-v', 'error', '-show_format', file], { encoding: 'utf8' });
    expect(raw.status).toBe(0); // ffprobe: full duration, no complaint
    await expectMediaError(probeMedia(file), 'truncated');
    await expect(probeMedia(faststart)).resolves.toMatchObject({ hasVideo: true, hasAudio: true });
  });

  it('an MP4 that stops before its index: truncated', async () => {
    const file = path.join(tmp, 'no-moov.mp4');
    // ftyp + free + the whole mdat, cut exactly before the moov box.
    const whole = fs.readFileSync(CLIP);
    fs.writeFileSync(file, whole.subarray(0, 40 + whole.readUInt32BE(40)));
    const error = await expectMediaError(probeMedia(file), 'truncated');
    expect(error.message).toContain('without its index');
  });

  it('a WAV with a header and no samples: zero duration', async () => {
    const file = path.join(tmp, 'silence.wav');
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'latin1');
    header.writeUInt32LE(36, 4);
    header.write('WAVEfmt ', 8, 'latin1');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20); // PCM
    header.writeUInt16LE(1, 22); // mono
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'latin1');
    header.writeUInt32LE(0, 40);
    fs.writeFileSync(file, header);
    const error = await expectMediaError(probeMedia(file), 'zero_duration');
    expect(error.message).toBe('The recording is empty: it lasts 0 seconds.');
  });

  it('subtitles only: no audio and no video', async () => {
    const file = path.join(tmp, 'captions.srt');
    fs.writeFileSync(file, '1\n00:00:01,000 --> 00:00:02,000\nHello\n');
    const error = await expectMediaError(probeMedia(file), 'no_streams');
    expect(error.message).toBe('The file has neither an audio nor a video track.');
  });

  it('a photo: still image, not a recording', async () => {
    const error = await expectMediaError(probeMedia(PHOTO), 'still_image');
    expect(error.message).toBe('The file is a still image (mjpeg), not a video or audio recording.');
  });

  it('a missing file', async () => {
    await expectMediaError(probeMedia(path.join(tmp, 'gone.mp4')), 'not_found');
  });

  it('stops ffprobe on timeout and on abort', async () => {
    await expectMediaError(probeMedia(CLIP, { timeoutMs: 1 }), 'timeout');
    await expectMediaError(probeMedia(CLIP, { signal: AbortSignal.abort() }), 'aborted');
  });
});

describe('the npm-shipped ffprobe', () => {
  it('probes the fixtures and classifies failures like the system one', async () => {
    const shipped = npmBinary('ffprobe');
    expect(shipped).toBeDefined();
    const options = { ffmpeg: { ffmpegPath: undefined, ffprobePath: shipped } };
    const binaries = await resolveMediaBinaries(options.ffmpeg);
    expect(binaries.ffprobe).toMatchObject({ path: shipped, source: 'config' });

    const clip = await probeMedia(CLIP, options);
    // Its (newer, 2023) ffprobe computes the container duration a little differently.
    expect(clip.durationSeconds).toBeCloseTo(10.01, 1);
    expect(clip).toMatchObject({ hasVideo: true, hasAudio: true });
    expect(Math.abs(clip.video!.startSeconds - 0.85)).toBeLessThan(0.01);
    expect(await probeMedia(JFK, options)).toMatchObject({ hasVideo: false, hasAudio: true });

    const file = path.join(tmp, 'npm-text.mp4');
    fs.writeFileSync(file, 'not a video');
    await expectMediaError(probeMedia(file, options), 'not_media');
  });
});
