import fs from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from './errors.js';
import type { StderrTail, ToolExit } from './process.js';

/** A checked input: absolute path, size, and the argument to give ffmpeg for it. */
export type InputFile = { file: string; absPath: string; arg: string; sizeBytes: number };

/**
 * The `file:` protocol prefix makes ffmpeg treat the name as a local file whatever it looks like
 * (`concat:…`, `http://…`, a name with a colon), and `-protocol_whitelist file` (see
 * `INPUT_PROTOCOLS`) keeps playlists inside "media" files from opening anything but local files.
 */
export const INPUT_PROTOCOLS = ['-protocol_whitelist', 'file'];

export function fileArg(absPath: string): string {
  return `file:${absPath}`;
}

/** Checks the input exists, is a readable regular file and is not empty, before ffmpeg sees it. */
export async function checkInputFile(file: string): Promise<InputFile> {
  const absPath = path.resolve(file);
  let size: number;
  try {
    const stat = await fs.stat(absPath);
    if (!stat.isFile()) throw new MediaError('not_found', 'The file is not a regular file.', { file });
    size = stat.size;
    await fs.access(absPath, fs.constants.R_OK);
  } catch (error) {
    if (error instanceof MediaError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new MediaError('unreadable', 'The file cannot be read (permission denied).', {
        file,
        cause: error,
      });
    }
    throw new MediaError('not_found', 'The file does not exist.', { file, cause: error });
  }
  if (size === 0) throw new MediaError('empty_file', 'The file is empty.', { file });
  return { file, absPath, arg: fileArg(absPath), sizeBytes: size };
}

export type IsoBmffCheck =
  /** Not an MP4/MOV/3GP/M4A file (no `ftyp`/`moov`/`mdat`… box at the start). */
  | { kind: 'not_iso' }
  | { kind: 'complete' }
  /** A box announces more bytes than the file has: cut off. */
  | { kind: 'truncated'; expectedBytes: number; actualBytes: number }
  /** Every box is whole but there is no `moov` (the index): recording never finalised. */
  | { kind: 'no_moov' }
  /** The box structure is broken at `offset`. */
  | { kind: 'corrupt'; offset: number };

const ISO_FIRST_BOXES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid']);
const MAX_TOP_LEVEL_BOXES = 200_000;

/**
 * Walks the top-level boxes of an ISO base media file (MP4, MOV, M4A, 3GP) reading only their
 * 8–16-byte headers. ffprobe reports a cut-off MP4 whose index comes last (the usual layout of
 * phone and camera recordings) only as "moov atom not found" / "Invalid data found when
 * processing input" — the same words as for a text file named .mp4 — and reports one whose
 * index comes first (`+faststart`) as perfectly fine, with its full duration. This walk tells a
 * truncated recording from a file that never was one, in both layouts.
 */
export async function inspectIsoBmff(absPath: string, sizeBytes: number): Promise<IsoBmffCheck> {
  const handle = await fs.open(absPath, 'r');
  try {
    const header = Buffer.alloc(16);
    let offset = 0;
    let hasMoov = false;
    for (let count = 0; offset < sizeBytes && count < MAX_TOP_LEVEL_BOXES; count++) {
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      if (bytesRead < 8) {
        if (count === 0) return { kind: 'not_iso' };
        return { kind: 'truncated', expectedBytes: offset + 8, actualBytes: sizeBytes };
      }
      const type = header.toString('latin1', 4, 8);
      const validType = /^[\x20-\x7e]{4}$/.test(type);
      if (count === 0 && !ISO_FIRST_BOXES.has(type)) return { kind: 'not_iso' };
      if (!validType) return { kind: 'corrupt', offset };
      let boxSize = header.readUInt32BE(0);
      if (boxSize === 1) {
        if (bytesRead < 16) return { kind: 'truncated', expectedBytes: offset + 16, actualBytes: sizeBytes };
        boxSize = Number(header.readBigUInt64BE(8));
        if (boxSize < 16) return { kind: 'corrupt', offset };
      } else if (boxSize === 0) {
        boxSize = sizeBytes - offset; // "extends to the end of the file"
      } else if (boxSize < 8) {
        return { kind: 'corrupt', offset };
      }
      if (type === 'moov') hasMoov = true;
      if (offset + boxSize > sizeBytes) {
        return { kind: 'truncated', expectedBytes: offset + boxSize, actualBytes: sizeBytes };
      }
      offset += boxSize;
    }
    return hasMoov ? { kind: 'complete' } : { kind: 'no_moov' };
  } finally {
    await handle.close();
  }
}

/** The MediaError for a structurally broken MP4/MOV, or undefined if the structure is fine. */
export function isoProblem(check: IsoBmffCheck, input: InputFile, stderr?: string): MediaError | undefined {
  const details = { file: input.file, stderr };
  switch (check.kind) {
    case 'truncated':
      return new MediaError(
        'truncated',
        `The file is incomplete: it ends after ${formatBytes(check.actualBytes)} but its contents announce at ` +
          `least ${formatBytes(check.expectedBytes)}. The recording or its upload was cut off; upload the ` +
          'complete file.',
        details,
      );
    case 'no_moov':
      return new MediaError(
        'truncated',
        'The file is incomplete: it is an MP4/MOV recording without its index ("moov" box), which happens ' +
          'when recording stops before the file is saved properly. Upload a complete recording.',
        details,
      );
    case 'corrupt':
      return new MediaError(
        'corrupt',
        `The file is damaged: its MP4/MOV structure is broken at byte ${check.offset}. Upload an intact copy.`,
        details,
      );
    default:
      return undefined;
  }
}

const ERRORISH =
  /error|invalid|not found|no such|unable|cannot|could not|failed|denied|unsupported|unknown|partial file|corrupt|does not contain|matches no streams|truncat/i;

/** ffmpeg messages that mean the input's data, not the processing, is at fault. */
const INPUT_DATA_ERRORS =
  /moov atom not found|Invalid data found when processing input|Cannot determine format of input stream|Could not find codec parameters|Error while decoding stream/;

/** ffmpeg's most telling stderr line, without `[mov,mp4 @ 0x…]` prefixes or server paths. */
export function firstErrorLine(
  lines: string[],
  input: Pick<InputFile, 'arg' | 'absPath'>,
): string | undefined {
  const cleaned = lines.map((line) => cleanLine(line, input)).filter(Boolean);
  return cleaned.find((line) => ERRORISH.test(line)) ?? cleaned[0];
}

function cleanLine(line: string, input: Pick<InputFile, 'arg' | 'absPath'>): string {
  let text = line.trim().replace(/^(\[[^\]]*@ ?(0x)?[0-9a-fA-F]+\]\s*)+/, '');
  for (const name of [input.arg, input.absPath]) {
    if (text.startsWith(`${name}: `)) text = text.slice(name.length + 2);
    text = text.split(name).join(path.basename(input.absPath));
  }
  return text.trim();
}

/**
 * What a failed ffprobe (`tool: 'ffprobe'`) or ffmpeg run says about its input. For ffprobe any
 * failure means the input cannot be read; for ffmpeg only errors about opening the input do, the
 * rest (an encoder, a full disk…) are `ffmpeg_failed`.
 */
export async function classifyFailure(
  input: InputFile,
  tail: StderrTail,
  exit: ToolExit,
  tool: 'ffprobe' | 'ffmpeg',
): Promise<MediaError> {
  const lines = tail.lines();
  const stderr = tail.toString() || undefined;
  const details = { file: input.file, stderr, exitCode: exit.code };
  const line = firstErrorLine(lines, input);
  const text = lines.join('\n');
  if (/Permission denied/i.test(text) && lines.some((l) => l.includes(input.arg))) {
    return new MediaError('unreadable', 'The file cannot be read (permission denied).', details);
  }
  const inputFailed =
    tool === 'ffprobe' ||
    lines.some((l) => l.startsWith(`${input.arg}: `) || l.startsWith(`${input.absPath}: `)) ||
    INPUT_DATA_ERRORS.test(text);
  if (!inputFailed) {
    const why = line ?? `exit code ${exit.code ?? exit.signal}`;
    return new MediaError('ffmpeg_failed', `ffmpeg could not process the file: ${why}`, details);
  }
  const iso = await inspectIsoBmff(input.absPath, input.sizeBytes).catch(
    () => ({ kind: 'not_iso' }) as const,
  );
  const structural = isoProblem(iso, input, stderr);
  if (structural) return structural;
  const why = line ?? 'unrecognised data';
  return new MediaError(
    'not_media',
    `The file is not a video or audio recording ffmpeg can read: ${why}`,
    details,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} KB`;
  return `${bytes} bytes`;
}
