import fs from 'node:fs/promises';
import os from 'node:os';
import { resolveMediaBinaries } from './binaries.js';
import { checkInputFile, classifyFailure, INPUT_PROTOCOLS, type InputFile } from './classify.js';
import { MediaError } from './errors.js';
import {
  finishRun,
  interruptionError,
  type MediaOptions,
  startTool,
  type ToolExit,
  type ToolRun,
  throwIfAborted,
} from './process.js';
import { wavHeader } from './wav.js';

export const AUDIO_SAMPLE_RATE = 16_000;

export type ExtractedAudio = {
  durationSeconds: number;
  sampleRate: typeof AUDIO_SAMPLE_RATE;
  /** Number of 16-bit mono samples in the WAV's data chunk. */
  samples: number;
};

/**
 * Audio filters shared by both outputs: `aresample=async=1:first_pts=0` pads silence where the
 * audio starts after the container does (and fills timestamp gaps), so sample n is at n / 16000 s
 * on the media timeline, the one `probeMedia` and `extractFrames` use.
 */
function audioArgs(input: InputFile): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    ...INPUT_PROTOCOLS,
    '-i',
    input.arg,
    '-map',
    '0:a:0',
    '-vn',
    '-sn',
    '-dn',
    '-af',
    'aresample=async=1:first_pts=0',
    '-ac',
    '1',
    '-ar',
    String(AUDIO_SAMPLE_RATE),
  ];
}

/** A WAV's size fields are 32-bit: about 37 hours of 16 kHz mono audio. */
const MAX_WAV_DATA_BYTES = 0xffffffff - 36;

/**
 * Writes the first audio track of `input` as a 16 kHz mono 16-bit PCM WAV with a bare 44-byte
 * header. ffmpeg writes raw samples into a pipe and Node writes the file: if this process dies,
 * ffmpeg's next write fails and it exits, instead of running on as an orphan. Written to
 * `<outWav>.partial` and renamed, so `outWav` is never half-written.
 */
export async function extractAudio(
  input: string,
  outWav: string,
  options: MediaOptions = {},
): Promise<ExtractedAudio> {
  throwIfAborted(options.signal, input);
  const source = await checkInputFile(input);
  const { ffmpeg } = await resolveMediaBinaries(options.ffmpeg);
  const partial = `${outWav}.partial`;
  const args = [...audioArgs(source), '-c:a', 'pcm_s16le', '-f', 's16le', 'pipe:1'];
  const file = await fs.open(partial, 'w');
  const run = startTool(ffmpeg.path, args, { ...options, stdout: true });
  try {
    await file.write(wavHeader(0));
    let dataBytes = 0;
    for await (const chunk of run.stdout! as AsyncIterable<Buffer>) {
      dataBytes += chunk.length;
      if (dataBytes > MAX_WAV_DATA_BYTES) {
        throw new MediaError('too_long', 'The recording is too long to process (over 37 hours of audio).', {
          file: input,
        });
      }
      await file.write(chunk);
    }
    const exit = await run.done;
    const interrupted = interruptionError(run, exit, ffmpeg.path, input, options);
    if (interrupted) throw interrupted;
    if (exit.code !== 0) throw await audioFailure(source, run, exit);
    dataBytes -= dataBytes % 2;
    await file.truncate(44 + dataBytes);
    await file.write(wavHeader(dataBytes), 0, 44, 0);
    await file.close();
    await fs.rename(partial, outWav);
    const samples = dataBytes / 2;
    return { durationSeconds: samples / AUDIO_SAMPLE_RATE, sampleRate: AUDIO_SAMPLE_RATE, samples };
  } finally {
    await finishRun(run);
    await file.close().catch(() => {});
    await fs.rm(partial, { force: true });
  }
}

/**
 * Streams the first audio track as 16 kHz mono signed 16-bit samples straight from ffmpeg's
 * stdout, in chunks of up to ~2 s, with back-pressure (ffmpeg waits while the consumer is busy).
 * ffmpeg starts on the first `next()` and is killed if the consumer stops early or the signal
 * fires. Each chunk is a fresh array the consumer may keep.
 */
export async function* readPcm16(input: string, options: MediaOptions = {}): AsyncGenerator<Int16Array> {
  throwIfAborted(options.signal, input);
  const source = await checkInputFile(input);
  const { ffmpeg } = await resolveMediaBinaries(options.ffmpeg);
  // Native byte order, so the bytes are an Int16Array as they are.
  const format = os.endianness() === 'LE' ? 's16le' : 's16be';
  const args = [...audioArgs(source), '-c:a', `pcm_${format}`, '-f', format, 'pipe:1'];
  const run = startTool(ffmpeg.path, args, { ...options, stdout: true });
  let carry: Buffer | undefined;
  try {
    for await (const chunk of run.stdout! as AsyncIterable<Buffer>) {
      const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
      const usable = bytes.length - (bytes.length % 2);
      carry = usable < bytes.length ? bytes.subarray(usable) : undefined;
      if (usable === 0) continue;
      const samples = new Int16Array(usable / 2);
      Buffer.from(samples.buffer).set(bytes.subarray(0, usable));
      yield samples;
    }
    const exit = await run.done;
    const interrupted = interruptionError(run, exit, ffmpeg.path, input, options);
    if (interrupted) throw interrupted;
    if (exit.code !== 0) throw await audioFailure(source, run, exit);
  } finally {
    await finishRun(run);
  }
}

async function audioFailure(input: InputFile, run: ToolRun, exit: ToolExit): Promise<MediaError> {
  const text = run.tail.lines().join('\n');
  if (/matches no streams|does not contain any stream/.test(text)) {
    return new MediaError('no_audio', 'The recording has no audio track.', {
      file: input.file,
      stderr: run.tail.toString(),
      exitCode: exit.code,
    });
  }
  return classifyFailure(input, run.tail, exit, 'ffmpeg');
}

export type WavInfo = {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** PCM (1) or IEEE float (3); WAVE_FORMAT_EXTENSIBLE gives its sub-format's code. */
  formatCode: number;
  dataOffset: number;
  dataBytes: number;
  /** Chunk ids in file order, e.g. ["fmt ", "data"]. */
  chunks: string[];
};

/** Reads a RIFF/WAVE header (up to the data chunk). Throws `MediaError('not_media')` if it is not one. */
export async function readWavInfo(file: string): Promise<WavInfo> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(12);
    await handle.read(head, 0, 12, 0);
    if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
      throw new MediaError('not_media', 'The file is not a WAV file.', { file });
    }
    const chunks: string[] = [];
    let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes' | 'chunks'> | undefined;
    let offset = 12;
    const header = Buffer.alloc(8);
    while (offset + 8 <= size) {
      await handle.read(header, 0, 8, offset);
      const id = header.toString('latin1', 0, 4);
      const length = header.readUInt32LE(4);
      chunks.push(id);
      if (id === 'fmt ') {
        const body = Buffer.alloc(Math.min(length, 40));
        await handle.read(body, 0, body.length, offset + 8);
        const code = body.readUInt16LE(0);
        fmt = {
          formatCode: code === 0xfffe && body.length >= 26 ? body.readUInt16LE(24) : code,
          channels: body.readUInt16LE(2),
          sampleRate: body.readUInt32LE(4),
          bitsPerSample: body.readUInt16LE(14),
        };
      } else if (id === 'data') {
        if (!fmt) break;
        // A streamed WAV may carry 0 or 0xFFFFFFFF here: trust the file size then.
        const available = size - offset - 8;
        const dataBytes = length === 0 || length === 0xffffffff || length > available ? available : length;
        return { ...fmt, dataOffset: offset + 8, dataBytes, chunks };
      }
      offset += 8 + length + (length % 2);
    }
    throw new MediaError('corrupt', 'The WAV file has no audio data.', { file });
  } finally {
    await handle.close();
  }
}
