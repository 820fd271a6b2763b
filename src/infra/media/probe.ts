import { z } from 'zod';
import { resolveMediaBinaries } from './binaries.js';
import {
  checkInputFile,
  classifyFailure,
  INPUT_PROTOCOLS,
  type InputFile,
  inspectIsoBmff,
  isoProblem,
} from './classify.js';
import { MediaError } from './errors.js';
import {
  finishRun,
  interruptionError,
  type MediaOptions,
  runTool,
  startTool,
  throwIfAborted,
} from './process.js';

export type VideoStreamInfo = {
  codec: string;
  /** Displayed size in pixels, after the rotation phones record in metadata. */
  width: number;
  height: number;
  /** Average frame rate (0 when unknown). */
  fps: number;
  /** When the first frame shows, in seconds on the media timeline (see `MediaInfo`). */
  startSeconds: number;
  /** Clockwise display rotation in degrees from the file's metadata (0, 90, 180, 270). */
  rotation: number;
};

export type AudioStreamInfo = {
  codec: string;
  sampleRate: number;
  channels: number;
  /** When the first sample plays, in seconds on the media timeline (see `MediaInfo`). */
  startSeconds: number;
};

/**
 * What ffprobe says about a recording. Times are on the *media timeline*: seconds from the
 * container's start (`containerStartSeconds`, ffprobe's format `start_time`, usually 0), which is
 * the timeline ffmpeg itself uses, so `extractFrames` timestamps and positions in the WAV written
 * by `extractAudio` (sample / 16000) are on it too. ffprobe's own stream `start_time` is
 * `containerStartSeconds + startSeconds`.
 */
export type MediaInfo = {
  durationSeconds: number;
  formatName: string;
  sizeBytes: number;
  hasVideo: boolean;
  hasAudio: boolean;
  containerStartSeconds: number;
  /** The first video track that is not a cover picture. */
  video?: VideoStreamInfo;
  /** The first audio track. */
  audio?: AudioStreamInfo;
};

const PROBE_TIMEOUT_MS = 60_000;

/** Demuxers that read other files or run scripts rather than holding media themselves. */
const REFUSED_FORMATS = new Set(['hls', 'applehttp', 'concat', 'ffconcat', 'tee', 'lavfi', 'dash']);

const numeric = z.union([z.string(), z.number()]).optional();
const probeSchema = z.object({
  streams: z
    .array(
      z.object({
        index: z.number().optional(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        avg_frame_rate: z.string().optional(),
        r_frame_rate: z.string().optional(),
        sample_rate: numeric,
        channels: z.number().optional(),
        start_time: numeric,
        duration: numeric,
        disposition: z.record(z.string(), z.number()).optional(),
        tags: z.record(z.string(), z.string()).optional(),
        side_data_list: z.array(z.object({ rotation: numeric }).loose()).optional(),
      }),
    )
    .default([]),
  format: z
    .object({
      format_name: z.string().optional(),
      start_time: numeric,
      duration: numeric,
    })
    .optional(),
});
type ProbeStream = z.infer<typeof probeSchema>['streams'][number];

/**
 * Probes a file with `ffprobe -show_format -show_streams`. Throws only `MediaError`s: the file
 * missing, empty, not media, cut off or damaged, without audio or video, or of zero length.
 */
export async function probeMedia(file: string, options: MediaOptions = {}): Promise<MediaInfo> {
  throwIfAborted(options.signal, file);
  const input = await checkInputFile(file);
  const { ffprobe } = await resolveMediaBinaries(options.ffmpeg);
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const runOptions = { ...options, timeoutMs, file };
  const args = ['-v', 'error', ...INPUT_PROTOCOLS, '-print_format', 'json', '-show_format', '-show_streams'];
  const { stdout, exit, run } = await runTool(ffprobe.path, [...args, input.arg], runOptions);
  if (exit.code !== 0) throw await classifyFailure(input, run.tail, exit, 'ffprobe');

  let parsed: z.infer<typeof probeSchema>;
  try {
    parsed = probeSchema.parse(JSON.parse(stdout));
  } catch (error) {
    throw new MediaError('ffmpeg_failed', 'ffprobe gave an answer that could not be understood.', {
      file,
      stderr: stdout.slice(0, 4096),
      cause: error,
    });
  }

  const formatName = parsed.format?.format_name ?? 'unknown';
  if (REFUSED_FORMATS.has(formatName)) {
    throw new MediaError('not_media', `The file is a ${formatName} playlist or script, not a recording.`, {
      file,
    });
  }
  const containerStart = finite(parsed.format?.start_time) ?? 0;
  const videoStream = parsed.streams.find(
    (s) => s.codec_type === 'video' && !s.disposition?.attached_pic && !s.disposition?.timed_thumbnails,
  );
  const audioStream = parsed.streams.find((s) => s.codec_type === 'audio');
  if (!videoStream && !audioStream) {
    throw new MediaError('no_streams', 'The file has neither an audio nor a video track.', { file });
  }
  if (!audioStream && videoStream && (formatName === 'image2' || formatName.endsWith('_pipe'))) {
    throw new MediaError(
      'still_image',
      `The file is a still image (${videoStream.codec_name ?? formatName}), not a video or audio recording.`,
      { file },
    );
  }

  // ffprobe happily reads an MP4 whose index comes first even when most of its data is missing.
  if (/\b(mov|mp4)\b/.test(formatName)) {
    const problem = isoProblem(await inspectIsoBmff(input.absPath, input.sizeBytes), input);
    if (problem) throw problem;
  }

  let duration = finite(parsed.format?.duration);
  if (!(duration && duration > 0)) {
    const ends = [videoStream, audioStream].flatMap((s) => {
      const d = finite(s?.duration);
      return d === undefined ? [] : [(finite(s?.start_time) ?? containerStart) - containerStart + d];
    });
    duration = Math.max(0, ...ends);
  }
  if (!(duration > 0)) duration = await durationFromPackets(ffprobe.path, input, runOptions, containerStart);
  if (!(duration > 0)) {
    throw new MediaError('zero_duration', 'The recording is empty: it lasts 0 seconds.', { file });
  }

  // Rounded to the microsecond: ffprobe's own precision, without float noise from the subtraction.
  const relativeStart = (s: ProbeStream) =>
    Math.max(0, Math.round(((finite(s.start_time) ?? containerStart) - containerStart) * 1e6) / 1e6);
  const info: MediaInfo = {
    durationSeconds: duration,
    formatName,
    sizeBytes: input.sizeBytes,
    hasVideo: Boolean(videoStream),
    hasAudio: Boolean(audioStream),
    containerStartSeconds: containerStart,
  };
  if (videoStream) {
    const rotation = rotationOf(videoStream);
    const [w, h] = [videoStream.width ?? 0, videoStream.height ?? 0];
    const turned = rotation === 90 || rotation === 270;
    info.video = {
      codec: videoStream.codec_name ?? 'unknown',
      width: turned ? h : w,
      height: turned ? w : h,
      fps: rational(videoStream.avg_frame_rate) || rational(videoStream.r_frame_rate),
      startSeconds: relativeStart(videoStream),
      rotation,
    };
  }
  if (audioStream) {
    info.audio = {
      codec: audioStream.codec_name ?? 'unknown',
      sampleRate: finite(audioStream.sample_rate) ?? 0,
      channels: audioStream.channels ?? 0,
      startSeconds: relativeStart(audioStream),
    };
  }
  return info;
}

/**
 * Length from the packets themselves, for files whose header carries none (live WebM from a
 * browser's MediaRecorder, raw streams, header-only WAVs). Demuxes the whole file without
 * decoding, streaming ffprobe's output rather than holding it.
 */
async function durationFromPackets(
  ffprobe: string,
  input: InputFile,
  options: MediaOptions & { file: string },
  containerStart: number,
): Promise<number> {
  const args = ['-v', 'error', ...INPUT_PROTOCOLS, '-show_entries', 'packet=pts_time,duration_time'];
  const run = startTool(ffprobe, [...args, '-of', 'csv=p=0', input.arg], { ...options, stdout: true });
  let end = 0;
  let rest = '';
  const consume = (line: string) => {
    const [pts, dur] = line.split(',').map((v) => Number.parseFloat(v));
    if (pts === undefined || !Number.isFinite(pts)) return;
    end = Math.max(end, pts + (dur !== undefined && Number.isFinite(dur) ? dur : 0));
  };
  try {
    run.stdout!.setEncoding('utf8');
    for await (const chunk of run.stdout! as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) consume(line);
    }
    consume(rest);
  } finally {
    await finishRun(run);
  }
  const interrupted = interruptionError(run, await run.done, ffprobe, options.file, options);
  if (interrupted) throw interrupted;
  return Math.max(0, end - containerStart);
}

function finite(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}

function rational(value: string | undefined): number {
  if (!value) return 0;
  const [num, den] = value.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num)) return 0;
  if (den === undefined) return num;
  return den > 0 && Number.isFinite(den) ? num / den : 0;
}

/** Clockwise rotation to apply for display, from the display matrix or the older `rotate` tag. */
function rotationOf(stream: ProbeStream): number {
  const fromMatrix = stream.side_data_list?.map((d) => finite(d.rotation)).find((r) => r !== undefined);
  // The display matrix gives the counter-clockwise angle ("-90" for a phone held upright).
  const degrees = fromMatrix !== undefined ? -fromMatrix : (finite(stream.tags?.rotate) ?? 0);
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}
