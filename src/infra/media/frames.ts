import { resolveMediaBinaries } from './binaries.js';
import { checkInputFile, classifyFailure, INPUT_PROTOCOLS } from './classify.js';
import { MediaError } from './errors.js';
import { finishRun, interruptionError, type MediaOptions, startTool, throwIfAborted } from './process.js';

export type FrameOptions = MediaOptions & {
  /** Regular frames per second (default 1): one frame, then the next at least 1/rate s later. */
  rate?: number;
  /** Frames wider than this are downscaled, keeping the displayed aspect ratio (default 640). */
  maxWidth?: number;
  /** Scene-change score (0–1) above which a frame is taken as well; 0 disables (default 0.3). */
  sceneThreshold?: number;
};

export type Frame = {
  /** 0, 1, 2… in output order. */
  index: number;
  /** Presentation time in seconds on the media timeline (see `MediaInfo`), from the frame's PTS. */
  timestampSeconds: number;
  /** Even, at most `maxWidth`. */
  width: number;
  height: number;
  /** Packed RGB, 3 bytes per pixel, rows top to bottom: `width * height * 3` bytes. Owned by the consumer. */
  rgb: Buffer;
  /** `scene` when taken for a scene change sooner than the regular interval. */
  kind: 'interval' | 'scene';
};

type FrameInfo = { timestamp: number; width: number; height: number };

// showinfo's per-frame line; other showinfo lines (config, side data, colour) are ignored.
const SHOWINFO = /^\[Parsed_showinfo_\d+ @ [^\]]*\]\s*(.*)$/;
const SHOWINFO_FRAME = /\bn:\s*(\d+)\s+pts:\s*\S+\s+pts_time:(\S+).*?\bs:(\d+)x(\d+)/;

/** The `-vf` chain: pick frames, downscale (display aspect, even sizes), convert, report. */
export function frameFilter(rate: number, maxWidth: number, sceneThreshold: number): string {
  const interval = 1 / rate;
  const pick = [`isnan(prev_selected_t)`, `gte(t-prev_selected_t\\,${interval})`];
  if (sceneThreshold > 0) pick.push(`gt(scene\\,${sceneThreshold})`);
  const width = `trunc(min(${maxWidth}\\,iw*sar)/2)*2`;
  return [
    `select=${pick.join('+')}`,
    // `sar`/`dar` make non-square-pixel video come out with square pixels at its displayed shape.
    `scale=w=${width}:h=max(2\\,trunc(ow/dar/2)*2):flags=area`,
    'setsar=1',
    'format=rgb24',
    'showinfo',
  ].join(',');
}

/**
 * Streams frames of the first video track as raw RGB: one every `1/rate` seconds plus one at
 * each scene change, downscaled to at most `maxWidth`. ffmpeg's stdout is read only as fast as
 * the consumer takes frames (ffmpeg blocks meanwhile), so memory stays at a few frames whatever
 * the video's length. Timestamps are the frames' real presentation times (from ffmpeg's
 * `showinfo` on stderr), not frame counts. ffmpeg starts on the first `next()` and is killed, and
 * waited for, when the consumer stops early (`break`), throws, or the signal fires.
 */
export async function* extractFrames(input: string, options: FrameOptions = {}): AsyncGenerator<Frame> {
  const rate = options.rate ?? 1;
  const maxWidth = options.maxWidth ?? 640;
  const sceneThreshold = options.sceneThreshold ?? 0.3;
  if (!(rate > 0 && rate <= 120)) throw new RangeError(`rate must be in (0, 120], got ${rate}`);
  if (!(Number.isInteger(maxWidth) && maxWidth >= 2)) throw new RangeError(`maxWidth must be an integer ≥ 2`);
  if (!(sceneThreshold >= 0 && sceneThreshold <= 1)) throw new RangeError('sceneThreshold must be in [0, 1]');
  throwIfAborted(options.signal, input);
  const source = await checkInputFile(input);
  const binaries = await resolveMediaBinaries(options.ffmpeg);
  const ffmpeg = binaries.ffmpeg.path;

  const args = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    // showinfo writes at "info" level; everything else there goes to the stderr tail.
    '-loglevel',
    'info',
    ...INPUT_PROTOCOLS,
    '-i',
    source.arg,
    '-map',
    '0:V:0', // first video track that is not a cover picture
    '-an',
    '-sn',
    '-dn',
    '-vf',
    frameFilter(rate, maxWidth, sceneThreshold),
    // Every frame that leaves the filter is written, none duplicated or dropped, so stdout frames
    // and showinfo lines pair up one to one.
    ...(binaries.ffmpegHasFpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];

  const infos: FrameInfo[] = [];
  let stderrEnded = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  let lastTimestamp = Number.NaN;
  let expectedN = 0;
  let lostTrack = false;
  const run = startTool(ffmpeg, args, {
    ...options,
    stdout: true,
    onStderrLine: (line) => {
      const tagged = SHOWINFO.exec(line);
      if (!tagged) return true;
      const frame = SHOWINFO_FRAME.exec(tagged[1]!);
      if (frame) {
        // showinfo numbers its frames from 0, and again from 0 when ffmpeg rebuilds the filters
        // (the picture size changed): anything else means a line was lost and the pairing of
        // lines with stdout frames cannot be trusted.
        const n = Number(frame[1]);
        if (n !== expectedN && n !== 0) lostTrack = true;
        expectedN = n + 1;
        let timestamp = Number.parseFloat(frame[2]!);
        // No PTS (rare, raw streams): assume the regular interval after the previous frame.
        if (!Number.isFinite(timestamp))
          timestamp = Number.isFinite(lastTimestamp) ? lastTimestamp + 1 / rate : 0;
        lastTimestamp = timestamp;
        infos.push({ timestamp, width: Number(frame[3]), height: Number(frame[4]) });
        notify();
      }
      return false;
    },
  });
  void run.stderrDone.then(() => {
    stderrEnded = true;
    notify();
  });

  // showinfo logs a frame before ffmpeg writes it, so waiting for its line first never deadlocks:
  // ffmpeg can only block on stdout for a frame whose line is already written.
  const nextInfo = async (): Promise<FrameInfo | undefined> => {
    while (infos.length === 0 && !stderrEnded) await new Promise<void>((resolve) => (wake = resolve));
    return infos.shift();
  };

  const reader = (run.stdout! as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let buffered = 0;
  let index = 0;
  let previous = Number.NaN;
  const interval = 1 / rate;
  try {
    for (;;) {
      const info = await nextInfo();
      if (!info) break;
      if (lostTrack) {
        throw new MediaError('ffmpeg_failed', 'Lost track of frame timestamps in ffmpeg’s log.', {
          file: input,
          stderr: run.tail.toString(),
        });
      }
      const size = info.width * info.height * 3;
      while (buffered < size) {
        const next = await reader.next();
        if (next.done) break;
        chunks.push(next.value);
        buffered += next.value.length;
      }
      if (buffered < size) break; // ffmpeg stopped mid-frame: the exit status says why
      const rgb = Buffer.allocUnsafe(size);
      let filled = 0;
      while (filled < size) {
        const chunk = chunks[0]!;
        const take = Math.min(chunk.length, size - filled);
        chunk.copy(rgb, filled, 0, take);
        filled += take;
        if (take === chunk.length) chunks.shift();
        else chunks[0] = chunk.subarray(take);
      }
      buffered -= size;
      const kind = info.timestamp - previous < interval - 1e-6 ? 'scene' : 'interval';
      previous = info.timestamp;
      yield {
        index: index++,
        timestampSeconds: info.timestamp,
        width: info.width,
        height: info.height,
        rgb,
        kind,
      };
    }
    // Drain what is left (nothing, normally) so ffmpeg can finish, then judge its exit.
    for (let next = await reader.next(); !next.done; next = await reader.next())
      buffered += next.value.length;
    const exit = await run.done;
    const interrupted = interruptionError(run, exit, ffmpeg, input, options);
    if (interrupted) throw interrupted;
    if (exit.code !== 0) {
      const text = run.tail.lines().join('\n');
      if (/matches no streams|does not contain any stream/.test(text)) {
        throw new MediaError('no_video', 'The recording has no video track.', {
          file: input,
          stderr: run.tail.toString(),
          exitCode: exit.code,
        });
      }
      throw await classifyFailure(source, run.tail, exit, 'ffmpeg');
    }
    if (buffered > 0) {
      throw new MediaError('ffmpeg_failed', 'ffmpeg wrote frame data that does not match its frame sizes.', {
        file: input,
        stderr: run.tail.toString(),
      });
    }
  } finally {
    if (run.running) run.stop();
    await reader.return?.();
    await finishRun(run);
  }
}
