import path from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';

/** A byte range as in HTTP `Range: bytes=start-end`: both ends inclusive. */
export type ByteRange = { start: number; end: number };

export type StoredObject = { key: string; size: number; lastModified: Date };

/**
 * Where media bytes live: a directory on disk or an S3 bucket. Both backends pass the same
 * behavioural suite (test/helpers/storage-contract.ts), so callers never branch on `kind`
 * except to skip work (e.g. `localPath` costs nothing locally).
 *
 * Keys are relative, `/`-separated paths such as `users/12/interactions/34/media/<uuid>.mp4`;
 * see {@link assertValidKey} for the exact rules. Every method validates its key or prefix first
 * and throws {@link InvalidStorageKeyError} for a bad one.
 */
export interface Storage {
  readonly kind: 'local' | 's3';

  /**
   * Streams body to key without buffering it whole; rejects with MediaTooLargeError once more than
   * maxBytes arrive, leaving nothing behind (no partial object/file). Overwrites an existing key
   * atomically (write to a temp name, then rename / complete the multipart upload): readers see the
   * old object or the new one, never a mix, and a failed put leaves the old object untouched.
   * Once streaming has started, a failure destroys `body` (as `stream.pipeline` does); a bad key or
   * maxBytes rejects before `body` is touched.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<{ size: number }>;

  /**
   * Streams an object, optionally a byte range (inclusive end, like HTTP Range). Throws
   * StorageNotFoundError if missing. `size` is always the size of the whole object (what HTTP
   * needs for `Content-Range: bytes start-end/size`); an `end` past the last byte is clamped to it,
   * so the stream carries `min(end, size - 1) - start + 1` bytes. A `start` at or past the end of
   * the object throws RangeNotSatisfiableError (HTTP 416). Consume or destroy the stream: it holds
   * an open file or connection.
   */
  get(key: string, range?: ByteRange): Promise<GetResult>;

  /** Size and modification time, or undefined when there is no such object. */
  stat(key: string): Promise<{ size: number; lastModified: Date } | undefined>;

  /** Removes one object; a missing key is fine. */
  delete(key: string): Promise<void>;

  /**
   * Removes every object whose key starts with `prefix` and returns how many there were. The
   * prefix must be a non-empty "folder" ending in `/` (`users/12/`): `users/1` would also match
   * `users/12/…`, and an empty prefix would wipe everything, so both are refused.
   */
  deletePrefix(prefix: string): Promise<number>;

  /**
   * Every object whose key starts with `prefix` (plain string match, `''` for all), in byte order of
   * keys as S3 lists them. Things no valid key could name (hand-made files, S3 folder markers) are skipped.
   */
  list(prefix: string): AsyncIterable<StoredObject>;

  /**
   * A local file path for tools like ffmpeg that need one: the file itself for local storage, a
   * download into `tempDir` for S3 (the caller removes `tempDir`; the file keeps the key's extension
   * so tools can sniff the format). Never write to the returned path. Throws StorageNotFoundError.
   */
  localPath(key: string, tempDir: string): Promise<string>;
}

export type PutOptions = {
  /** Kept by S3; local storage keeps no metadata and answers from the key's extension instead. */
  contentType?: string;
  /** Largest accepted body in bytes; a larger one rejects with MediaTooLargeError. */
  maxBytes?: number;
};

export type GetResult = { stream: Readable; size: number; contentType: string | undefined };

export class StorageError extends Error {
  override name = 'StorageError';
}

export class MediaTooLargeError extends StorageError {
  override name = 'MediaTooLargeError';
  /** The API's error handler answers 413 for it even if a route lets it through. */
  readonly statusCode = 413;
  constructor(
    readonly maxBytes: number,
    options?: ErrorOptions,
  ) {
    super(`Media is larger than the limit of ${maxBytes} bytes`, options);
  }
}

export class StorageNotFoundError extends StorageError {
  override name = 'StorageNotFoundError';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`No stored object at ${JSON.stringify(key)}`, options);
  }
}

export class InvalidStorageKeyError extends StorageError {
  override name = 'InvalidStorageKeyError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`Invalid storage key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** The requested range starts at or past the end of the object (HTTP 416, `Content-Range: bytes *\/size`). */
export class RangeNotSatisfiableError extends StorageError {
  override name = 'RangeNotSatisfiableError';
  constructor(
    readonly range: ByteRange,
    readonly size: number,
  ) {
    super(`Range ${range.start}-${range.end} is outside an object of ${size} bytes`);
  }
}

// Keys become file paths and S3 keys, so each segment is limited to a portable character set: no
// separators, no NUL or control characters, nothing a shell or a URL would reinterpret. A segment
// may not start with a dot, which rules out `.` and `..` and reserves hidden names for the local
// backend's temp files. 255 is NAME_MAX on common filesystems, 1024 the S3 key limit.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_SEGMENT_LENGTH = 255;
export const MAX_KEY_LENGTH = 1024;

/** Whether `name` may be one `/`-separated segment of a key. */
export function isValidSegment(name: string): boolean {
  return name.length <= MAX_SEGMENT_LENGTH && SEGMENT.test(name);
}

/** Why `key` is not a valid key, or undefined when it is one. */
function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'empty';
  if (key.length > MAX_KEY_LENGTH) return `longer than ${MAX_KEY_LENGTH} characters`;
  for (const segment of key.split('/')) {
    if (segment === '') return 'empty segment (leading, trailing or double /)';
    if (!isValidSegment(segment))
      return `segments are at most ${MAX_SEGMENT_LENGTH} of A-Z a-z 0-9 . _ - and do not start with a dot`;
  }
  return undefined;
}

export function isValidKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

/** Throws InvalidStorageKeyError unless `key` is a relative path of valid segments. */
export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new InvalidStorageKeyError(String(key), problem);
}

/** A list prefix is `''`, a key, a key followed by `/`, or a key whose last segment is cut short. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/** deletePrefix only takes whole folders: see {@link Storage.deletePrefix}. */
export function assertValidFolderPrefix(prefix: string): void {
  if (!prefix.endsWith('/'))
    throw new InvalidStorageKeyError(prefix, 'deletePrefix needs a folder prefix ending in "/"');
  assertValidPrefix(prefix);
}

/** Throws a RangeError for ranges no HTTP parser would produce (negative, reversed, fractional). */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new RangeError(`Invalid byte range ${start}-${end}`);
}

/** The part of `range` inside an object of `size` bytes; throws RangeNotSatisfiableError if none is. */
export function clampRange(range: ByteRange, size: number): ByteRange {
  if (range.start >= size) throw new RangeNotSatisfiableError(range, size);
  return { start: range.start, end: Math.min(range.end, size - 1) };
}

/**
 * Counts the bytes flowing through and fails the stream with MediaTooLargeError as soon as the
 * count passes `maxBytes`, so an oversized upload is cut off without being read (or stored) whole.
 */
export class ByteCounter extends Transform {
  bytes = 0;
  /** The first error that ended the stream: the limit, or an error of the body piped in. */
  failure: Error | undefined;

  constructor(readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
  }

  get exceeded(): boolean {
    return this.bytes > this.maxBytes;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.failure ??= error ?? undefined;
    callback(error);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.exceeded) callback(new MediaTooLargeError(this.maxBytes));
    else callback(null, chunk);
  }
}

// Local storage has nowhere to keep a content type, so both backends fall back to the extension;
// media keys are generated by Rapport and always carry the right one.
const CONTENT_TYPES: Record<string, string> = {
  '.aac': 'audio/aac',
  '.flac': 'audio/flac',
  '.gif': 'image/gif',
  '.heic': 'image/heic',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
  '.m4a': 'audio/mp4',
  '.mkv': 'video/x-matroska',
  '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.oga': 'audio/ogg',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.png': 'image/png',
  '.txt': 'text/plain',
  '.wav': 'audio/wav',
  '.weba': 'audio/webm',
  '.webm': 'video/webm',
  '.webp': 'image/webp',
};

/** The media type implied by the key's extension, if it is a known one. */
export function contentTypeForKey(key: string): string | undefined {
  return CONTENT_TYPES[path.posix.extname(key).toLowerCase()];
}
