import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmBinary } from '../../src/infra/media/binaries.js';
import {
  extractFrames,
  type Frame,
  type FrameOptions,
  MediaError,
  type MediaInfo,
  probeMedia,
  resolveMediaBinaries,
} from '../../src/infra/media/index.js';
import { CLIP, JFK } from '../helpers/fixtures.js';

let tmp: string;
let media: MediaInfo;
/** End of the clip's video track on the media timeline. */
let videoEnd: number;
/** Presentation times of every video frame in the clip, from ffprobe, on the media timeline. */
let framePts: number[];

async function collect(file: string, options: FrameOptions = {}): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of extractFrames(file, options)) frames.push(frame);
  return frames;
}

function isGone(child: ChildProcess | undefined): boolean {
  if (!child) return false;
  if (child.exitCode === null && child.signalCode === null) return false;
  try {
    process.kill(child.pid!, 0);
    return false; // still there (a zombie would answer too)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function meanOf(rgb: Buffer): number {
  let sum = 0;
  for (let i = 0; i < rgb.length; i += 97) sum += rgb[i]!;
  return sum / Math.ceil(rgb.length / 97);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-media-frames-'));
  media = await probeMedia(CLIP);
  const { ffprobe } = await resolveMediaBinaries();
  const out = execFileSync(ffprobe.path, [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time'],
    ...['-of', 'csv=p=0', CLIP],
  ]).toString();
  const packets = out
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number) as [number, number]);
  framePts = packets.map(([pts]) => pts - media.containerStartSeconds).sort((a, b) => a - b);
  videoEnd = Math.max(...packets.map(([pts, d]) => pts + d)) - media.containerStartSeconds;
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('extractFrames', () => {
  it('samples the clip at 1 fps with real timestamps, downscaled RGB', async () => {
    const started = performance.now();
    const frames = await collect(CLIP, { rate: 1, maxWidth: 640, sceneThreshold: 0.3 });
    const seconds = (performance.now() - started) / 1000;
    const videoSeconds = videoEnd - media.video!.startSeconds;
    const regular = frames.filter((f) => f.kind === 'interval');
    // One per second of video (9.2 s here: 10 frames), scene-change frames on top.
    expect(regular.length).toBeGreaterThanOrEqual(Math.floor(videoSeconds));
    expect(regular.length).toBeLessThanOrEqual(Math.ceil(videoSeconds));
    expect(frames.length).toBeLessThanOrEqual(regular.length + 30);

    // The video track starts at 0.85 s: so does the first frame (not at 0, as a frame count says).
    expect(Math.abs(frames[0]!.timestampSeconds - 0.85)).toBeLessThan(0.01);
    expect(frames[0]!.timestampSeconds).toBeCloseTo(media.video!.startSeconds, 3);
    frames.forEach((frame, i) => {
      expect(frame.index).toBe(i);
      // Every timestamp is the PTS of an actual frame of the video.
      const nearest = framePts.reduce((best, t) =>
        Math.abs(t - frame.timestampSeconds) < Math.abs(best - frame.timestampSeconds) ? t : best,
      );
      expect(Math.abs(nearest - frame.timestampSeconds)).toBeLessThan(0.001);
      if (i > 0) expect(frame.timestampSeconds).toBeGreaterThan(frames[i - 1]!.timestampSeconds);
      if (i > 0 && frame.kind === 'interval') {
        expect(frame.timestampSeconds - frames[i - 1]!.timestampSeconds).toBeGreaterThanOrEqual(1 - 1e-6);
      }
      expect(frame.width).toBeLessThanOrEqual(640);
      expect(frame.width % 2).toBe(0);
      expect(frame.height % 2).toBe(0);
      expect(frame.rgb.length).toBe(frame.width * frame.height * 3);
    });
    expect(frames[0]).toMatchObject({ width: 640, height: 360 });
    // Real pictures: neither black nor white.
    const mean = meanOf(frames[5]!.rgb);
    expect(mean).toBeGreaterThan(10);
    expect(mean).toBeLessThan(245);
    const decoded = framePts.length / seconds;
    console.info(
      `[media] extractFrames(clip, 1 fps): ${frames.length} frames in ${(seconds * 1000).toFixed(0)} ms ` +
        `(${decoded.toFixed(0)} decoded video frames/s, ${(videoSeconds / seconds).toFixed(1)}× real time)`,
    );
  });

  it('follows rate and maxWidth, keeping the aspect ratio with even sizes', async () => {
    const twice = await collect(CLIP, { rate: 2, maxWidth: 320, sceneThreshold: 0 });
    expect(twice.every((f) => f.kind === 'interval')).toBe(true);
    const videoSeconds = videoEnd - media.video!.startSeconds;
    expect(twice.length).toBeGreaterThanOrEqual(Math.floor(videoSeconds * 2) - 1);
    expect(twice.length).toBeLessThanOrEqual(Math.ceil(videoSeconds * 2));
    expect(twice[0]).toMatchObject({ width: 320, height: 180 });

    const odd = await collect(CLIP, { rate: 0.5, maxWidth: 301, sceneThreshold: 0 });
    // 300 wide (even), 300 / (16/9) = 168.75 → 168.
    expect(odd[0]).toMatchObject({ width: 300, height: 168 });
    expect(odd[0]!.rgb.length).toBe(300 * 168 * 3);
    expect(odd.length).toBe(5);
  });

  it('adds scene-change frames between the regular ones', async () => {
    const plain = await collect(CLIP, { sceneThreshold: 0 });
    const sensitive = await collect(CLIP, { sceneThreshold: 0.05 });
    expect(plain.every((f) => f.kind === 'interval')).toBe(true);
    expect(sensitive.length).toBeGreaterThan(plain.length);
    const scenes = sensitive.filter((f) => f.kind === 'scene');
    expect(scenes.length).toBeGreaterThan(0);
    for (let i = 1; i < sensitive.length; i++) {
      expect(sensitive[i]!.timestampSeconds).toBeGreaterThan(sensitive[i - 1]!.timestampSeconds);
    }
  });

  it('outputs a rotated (phone-style) video upright', async () => {
    const rotated = path.join(tmp, 'rotated.mp4');
    const { ffmpeg } = await resolveMediaBinaries();
    execFileSync(ffmpeg.path, [
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
    for await (const frame of extractFrames(rotated)) {
      expect(frame).toMatchObject({ width: 360, height: 640 });
      expect(frame.rgb.length).toBe(360 * 640 * 3);
      break;
    }
  });

  it('kills ffmpeg when the consumer breaks out early', async () => {
    let child: ChildProcess | undefined;
    let seen = 0;
    for await (const frame of extractFrames(CLIP, { onSpawn: (c) => (child = c) })) {
      expect(frame.index).toBe(0);
      expect(child!.exitCode).toBeNull(); // still running, blocked on its full stdout pipe
      seen++;
      break;
    }
    expect(seen).toBe(1);
    expect(isGone(child)).toBe(true);
    expect(child!.signalCode).toBe('SIGKILL');
  });

  it('kills ffmpeg when the consumer throws', async () => {
    let child: ChildProcess | undefined;
    const run = async () => {
      for await (const _ of extractFrames(CLIP, { onSpawn: (c) => (child = c) }))
        throw new Error('consumer bug');
    };
    await expect(run()).rejects.toThrow('consumer bug');
    expect(isGone(child)).toBe(true);
  });

  it('applies back-pressure: ffmpeg waits for a slow consumer instead of filling memory', async () => {
    let child: ChildProcess | undefined;
    const frames: Frame[] = [];
    for await (const frame of extractFrames(CLIP, { sceneThreshold: 0, onSpawn: (c) => (child = c) })) {
      frames.push(frame);
      if (frame.index === 0) {
        // Unthrottled, ffmpeg would write all ~7 MB of frames in ~0.3 s and exit.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(child!.exitCode).toBeNull();
        expect(child!.signalCode).toBeNull();
        // What waits in Node is bounded by the stream's buffer, not the video's length.
        expect(child!.stdout!.readableLength).toBeLessThan(1024 * 1024);
      }
    }
    expect(frames.length).toBe(10);
    expect(isGone(child)).toBe(true);
    expect(child!.exitCode).toBe(0);
  });

  it('stops on abort and on timeout with a MediaError', async () => {
    const controller = new AbortController();
    let child: ChildProcess | undefined;
    const aborted = (async () => {
      for await (const frame of extractFrames(CLIP, {
        signal: controller.signal,
        onSpawn: (c) => (child = c),
      })) {
        if (frame.index === 0) controller.abort();
      }
    })();
    await expect(aborted).rejects.toMatchObject({ name: 'MediaError', reason: 'aborted' });
    expect(isGone(child)).toBe(true);

    const slow = (async () => {
      for await (const _ of extractFrames(CLIP, { timeoutMs: 300 })) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await expect(slow).rejects.toMatchObject({ name: 'MediaError', reason: 'timeout' });
  });

  it('says so when there is no video track', async () => {
    const error = await collect(JFK).catch((e: unknown) => e as MediaError);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ reason: 'no_video', message: 'The recording has no video track.' });
  });

  it('classifies unreadable input', async () => {
    const file = path.join(tmp, 'fake.mp4');
    fs.writeFileSync(file, 'this is not a video');
    await expect(collect(file)).rejects.toMatchObject({ name: 'MediaError', reason: 'not_media' });
    const empty = path.join(tmp, 'empty.mp4');
    fs.writeFileSync(empty, '');
    await expect(collect(empty)).rejects.toMatchObject({
      reason: 'empty_file',
      message: 'The file is empty.',
    });
  });

  it('gives the same frames with the npm-shipped ffmpeg (no -fps_mode there)', async () => {
    const options = { ffmpeg: { ffmpegPath: npmBinary('ffmpeg') } };
    const binaries = await resolveMediaBinaries(options.ffmpeg);
    expect(binaries.ffmpeg.source).toBe('config');
    const system = await collect(CLIP, { sceneThreshold: 0 });
    const shipped = await collect(CLIP, { ...options, sceneThreshold: 0 });
    expect(shipped.map((f) => f.timestampSeconds)).toEqual(system.map((f) => f.timestampSeconds));
    expect(shipped.map((f) => [f.width, f.height])).toEqual(system.map((f) => [f.width, f.height]));
  });
});
