import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ByteRange,
  InvalidStorageKeyError,
  MediaTooLargeError,
  RangeNotSatisfiableError,
  type Storage,
  StorageNotFoundError,
} from '../../src/infra/storage/index.js';

/**
 * The behaviour every Storage backend must have, run by test/unit/storage-local.test.ts and
 * test/system/storage-s3.test.ts against real backends, so that callers can rely on it whatever
 * STORAGE_URL says.
 */

export type ContractBackend = {
  storage: Storage;
  /** A directory the test may use as `localPath`'s tempDir. */
  tempDir: string;
  /** Remains of unfinished writes the API can't see (temp files, open multipart uploads): must stay empty. */
  leftovers(): Promise<string[]>;
};

export type ContractOptions = {
  /** Most memory (heap + buffers, after GC) a put of 50 MB may hold on to at any moment. */
  memoryBudgetBytes: number;
  /** Contract tests the backend's test server can't pass, each with the precise reason: they are skipped. */
  limitations?: { firstByteRange?: string; keyOrder?: string };
};

/** `it`, or `it.skip` with the reason in the test's name when the test server has that limitation. */
function limited(limitation: string | undefined) {
  return (name: string, test: () => Promise<void>) =>
    limitation ? it.skip(`${name} — SKIPPED: ${limitation}`, test) : it(name, test);
}

const MiB = 1024 * 1024;
const KEY = 'users/12/interactions/34/media/0b5c8a7e-1f7e-4a59-9d1e-0d6c1b1f4a11.mp4';
const MISSING = 'users/12/interactions/34/media/missing.mp4';

export function storageContract(
  name: string,
  setup: () => Promise<ContractBackend>,
  options: ContractOptions,
): void {
  describe(`${name}: storage contract`, () => {
    let backend: ContractBackend;
    let storage: Storage;

    beforeEach(async () => {
      backend = await setup();
      storage = backend.storage;
    });

    // Whatever a test did, including failed puts, nothing half-written may remain.
    afterEach(async () => {
      expect(await backend.leftovers()).toEqual([]);
    });

    describe('put and get', () => {
      it('stores a stream and reads it back with its size and content type', async () => {
        expect(await storage.put(KEY, streamOf('hello ', 'world'), { contentType: 'video/mp4' })).toEqual({
          size: 11,
        });
        const got = await storage.get(KEY);
        expect(got.size).toBe(11);
        expect(got.contentType).toBe('video/mp4');
        expect(await text(got.stream)).toBe('hello world');
      });

      it("falls back to the key's extension for the content type", async () => {
        await storage.put('users/1/face.png', streamOf('png'));
        expect(await contentTypeOf(storage, 'users/1/face.png')).toBe('image/png');
      });

      it('stores an empty object', async () => {
        expect(await storage.put(KEY, streamOf())).toEqual({ size: 0 });
        const got = await storage.get(KEY);
        expect(got.size).toBe(0);
        expect(await text(got.stream)).toBe('');
        expect((await storage.stat(KEY))?.size).toBe(0);
      });

      it('throws StorageNotFoundError for a missing key, with or without a range', async () => {
        await expect(storage.get(MISSING)).rejects.toBeInstanceOf(StorageNotFoundError);
        await expect(storage.get(MISSING, { start: 0, end: 10 })).rejects.toBeInstanceOf(
          StorageNotFoundError,
        );
      });

      it('treats a "folder" as no object', async () => {
        await storage.put('users/1/media/a.mp4', streamOf('a'));
        await expect(storage.get('users/1/media')).rejects.toBeInstanceOf(StorageNotFoundError);
        expect(await storage.stat('users/1/media')).toBeUndefined();
      });

      it('overwrites an existing key', async () => {
        await storage.put(KEY, streamOf('a longer first version'));
        expect(await storage.put(KEY, streamOf('v2'))).toEqual({ size: 2 });
        expect(await text((await storage.get(KEY)).stream)).toBe('v2');
        expect((await storage.stat(KEY))?.size).toBe(2);
      });

      it('shows the old object until the new one is complete, then the new one', async () => {
        await storage.put(KEY, streamOf('old'));
        const body = new PassThrough();
        const pending = storage.put(KEY, body);
        body.write('new, first half;');
        await delay(50); // let the backend consume and store what it has
        expect(await text((await storage.get(KEY)).stream)).toBe('old');
        expect((await storage.stat(KEY))?.size).toBe(3);
        body.end(' second half');
        expect(await pending).toEqual({ size: 28 });
        expect(await text((await storage.get(KEY)).stream)).toBe('new, first half; second half');
      });

      it('rejects with the body error when the body fails, storing nothing', async () => {
        const failure = new Error('client went away');
        await expect(storage.put(KEY, failingAfter(1000, failure))).rejects.toBe(failure);
        expect(await storage.stat(KEY)).toBeUndefined();
      });
    });

    describe('stat', () => {
      it('gives size and modification time', async () => {
        const before = Date.now();
        await storage.put(KEY, streamOf('12345'));
        const info = await storage.stat(KEY);
        expect(info?.size).toBe(5);
        expect(info?.lastModified).toBeInstanceOf(Date);
        // S3 keeps whole seconds.
        expect(info!.lastModified.getTime()).toBeGreaterThanOrEqual(before - 2000);
        expect(info!.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
      });

      it('is undefined for a missing key', async () => {
        expect(await storage.stat(MISSING)).toBeUndefined();
      });
    });

    describe('ranges', () => {
      beforeEach(async () => {
        await storage.put(KEY, streamOf('0123456789'));
      });

      const read = async (range: ByteRange) => {
        const got = await storage.get(KEY, range);
        return { size: got.size, body: await text(got.stream) };
      };

      it('returns the inclusive byte range and the whole size', async () => {
        expect(await read({ start: 2, end: 5 })).toEqual({ size: 10, body: '2345' });
      });

      it('returns the last byte alone', async () => {
        expect(await read({ start: 9, end: 9 })).toEqual({ size: 10, body: '9' });
      });

      it('clamps an end past the object to its last byte', async () => {
        expect(await read({ start: 7, end: 1000 })).toEqual({ size: 10, body: '789' });
      });

      limited(options.limitations?.firstByteRange)('returns the first byte alone (bytes=0-0)', async () => {
        expect(await read({ start: 0, end: 0 })).toEqual({ size: 10, body: '0' });
      });

      it('throws RangeNotSatisfiableError with the size when the range starts past the end', async () => {
        const error = await storage.get(KEY, { start: 10, end: 20 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RangeNotSatisfiableError);
        expect((error as RangeNotSatisfiableError).size).toBe(10);
      });

      it('throws RangeNotSatisfiableError for any range of an empty object', async () => {
        await storage.put('users/1/empty.mp4', streamOf());
        const error = await storage.get('users/1/empty.mp4', { start: 0, end: 0 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RangeNotSatisfiableError);
        expect((error as RangeNotSatisfiableError).size).toBe(0);
      });

      it.each([
        { start: -1, end: 3 },
        { start: 5, end: 2 },
        { start: 1.5, end: 3 },
        { start: 0, end: Number.NaN },
      ])('rejects the malformed range %o with a RangeError', async (range) => {
        await expect(storage.get(KEY, range)).rejects.toBeInstanceOf(RangeError);
      });
    });

    describe('size limit', () => {
      it('accepts a body of exactly maxBytes', async () => {
        expect(await storage.put(KEY, streamOf(Buffer.alloc(1000, 1)), { maxBytes: 1000 })).toEqual({
          size: 1000,
        });
      });

      it('rejects one byte more with MediaTooLargeError, storing nothing', async () => {
        const error = await storage
          .put(KEY, streamOf(Buffer.alloc(1001, 1)), { maxBytes: 1000 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MediaTooLargeError);
        expect((error as MediaTooLargeError).maxBytes).toBe(1000);
        expect(await storage.stat(KEY)).toBeUndefined();
        expect(await collect(storage.list(''))).toEqual([]);
      });

      it('rejects a body of several parts over the limit, storing nothing', async () => {
        // Large enough for S3 to have started a multipart upload before the limit is hit.
        const body = generated(7 * MiB);
        await expect(storage.put(KEY, body.stream, { maxBytes: 6 * MiB })).rejects.toBeInstanceOf(
          MediaTooLargeError,
        );
        expect(await storage.stat(KEY)).toBeUndefined();
        expect(await collect(storage.list(''))).toEqual([]);
      });

      it('keeps the previous object when an overwrite is too large', async () => {
        await storage.put(KEY, streamOf('keep me'));
        await expect(
          storage.put(KEY, streamOf(Buffer.alloc(2000)), { maxBytes: 1000 }),
        ).rejects.toBeInstanceOf(MediaTooLargeError);
        expect(await text((await storage.get(KEY)).stream)).toBe('keep me');
      });

      it('stops reading the body soon after the limit and destroys it', async () => {
        const body = generated(200 * MiB);
        await expect(storage.put(KEY, body.stream, { maxBytes: MiB })).rejects.toBeInstanceOf(
          MediaTooLargeError,
        );
        expect(body.produced()).toBeLessThan(16 * MiB);
        expect(body.stream.destroyed).toBe(true);
      });
    });

    describe('list', () => {
      const objects: Record<string, string> = {
        'users/1/media/a.mp4': 'a',
        'users/1/media/b.mp4': 'bb',
        'users/1/notes/n.json': 'ccc',
        'users/12/media/c.mp4': 'dddd',
        'users/2/media/d.mp4': 'eeeee',
        'users/3.txt': 'ffffff',
      };
      const keys = Object.keys(objects);

      // Written in reverse so that the order of listing can't come from the order of writing.
      const putAll = async (all: string[]) => {
        for (const key of [...all].reverse()) await storage.put(key, streamOf(objects[key] ?? key));
      };
      const listed = async (prefix: string) =>
        (await collect(storage.list(prefix))).map((object) => object.key);

      it('lists every object, recursively and in key order, with size and modification time', async () => {
        await putAll(keys);
        const all = await collect(storage.list(''));
        expect(all.map((object) => object.key)).toEqual(keys);
        for (const object of all) {
          expect(object.size).toBe(objects[object.key]!.length);
          expect(object.lastModified).toBeInstanceOf(Date);
        }
      });

      it('lists a folder', async () => {
        await putAll(keys);
        expect(await listed('users/1/')).toEqual(keys.slice(0, 3));
      });

      it('matches the prefix as a plain string, as S3 does', async () => {
        await putAll(keys);
        expect(await listed('users/1')).toEqual(keys.slice(0, 4));
        expect(await listed('users/1/me')).toEqual(keys.slice(0, 2));
        expect(await listed('users/3.txt')).toEqual(['users/3.txt']);
      });

      it('lists nothing under a prefix with no objects', async () => {
        await putAll(keys);
        expect(await listed('nobody/')).toEqual([]);
        expect(await listed('users/4')).toEqual([]);
      });

      // '-' < '.' < '/' < 'a' in byte order: a folder sorts between names that extend its own.
      const tricky = ['users/1-x.txt', 'users/1.txt', 'users/1/a.mp4', 'users/1a.mp4'];
      limited(options.limitations?.keyOrder)(
        'follows byte order where a folder name begins other names, across pages',
        async () => {
          await putAll(tricky);
          expect(await listed('')).toEqual(tricky);
          expect(await listed('users/1')).toEqual(tricky);
        },
      );
    });

    describe('delete', () => {
      it('removes an object; deleting a missing key is fine', async () => {
        await storage.put(KEY, streamOf('x'));
        await storage.delete(KEY);
        expect(await storage.stat(KEY)).toBeUndefined();
        await expect(storage.get(KEY)).rejects.toBeInstanceOf(StorageNotFoundError);
        await storage.delete(KEY);
        await storage.delete(MISSING);
      });

      it('deleting a "folder" key removes nothing', async () => {
        await storage.put('users/1/media/a.mp4', streamOf('a'));
        await storage.delete('users/1/media');
        expect(await storage.stat('users/1/media/a.mp4')).toBeDefined();
      });

      it('deletePrefix removes the objects under a folder and counts them', async () => {
        for (const key of [
          'users/1/a.mp4',
          'users/1/b/c.mp4',
          'users/1/b/d.mp4',
          'users/12/e.mp4',
          'users/1.txt',
        ])
          await storage.put(key, streamOf(key));
        expect(await storage.deletePrefix('users/1/')).toBe(3);
        expect((await collect(storage.list(''))).map((object) => object.key)).toEqual([
          'users/1.txt',
          'users/12/e.mp4',
        ]);
        expect(await storage.deletePrefix('users/1/')).toBe(0);
      });

      it('deletePrefix handles many objects', async () => {
        const many = Array.from({ length: 25 }, (_, i) => `users/7/media/${String(i).padStart(2, '0')}.mp4`);
        await Promise.all(many.map((key) => storage.put(key, streamOf('m'))));
        expect(await collect(storage.list('users/7/'))).toHaveLength(25);
        expect(await storage.deletePrefix('users/7/')).toBe(25);
        expect(await collect(storage.list(''))).toEqual([]);
      });

      it('deletePrefix refuses an empty prefix and one that is not a folder', async () => {
        await storage.put('users/12/a.mp4', streamOf('a'));
        await expect(storage.deletePrefix('')).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await expect(storage.deletePrefix('users/1')).rejects.toBeInstanceOf(InvalidStorageKeyError);
        expect(await storage.stat('users/12/a.mp4')).toBeDefined();
      });
    });

    describe('keys', () => {
      const invalid = [
        '',
        '/etc/passwd',
        '../escape.mp4',
        'users/../../etc/passwd',
        'users/12/..',
        'users/./a.mp4',
        '.',
        'users//a.mp4',
        'users/a.mp4/',
        'users\\..\\..\\a.mp4',
        'C:\\media\\a.mp4',
        'C:/media/a.mp4',
        '.tmp/x',
        'users/.hidden',
        'users/a b.mp4',
        'users/a\u0000.mp4',
        'users/%2e%2e/a.mp4',
        'users/é.mp4',
        'x'.repeat(256),
        `${'abcdefgh/'.repeat(114)}x.mp4`, // over 1024 characters
      ];

      it.each(invalid)('rejects %j in every method', async (key) => {
        const rejects = (promise: Promise<unknown>) =>
          expect(promise).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await rejects(storage.put(key, streamOf('x')));
        await rejects(storage.get(key));
        await rejects(storage.stat(key));
        await rejects(storage.delete(key));
        await rejects(storage.localPath(key, backend.tempDir));
        expect(await collect(storage.list(''))).toEqual([]);
      });

      it.each(['../', '/', '/users/', 'users//', '..', 'users/../'])(
        'rejects the prefix %j in list and deletePrefix',
        async (prefix) => {
          await expect(collect(storage.list(prefix))).rejects.toBeInstanceOf(InvalidStorageKeyError);
          await expect(storage.deletePrefix(prefix)).rejects.toBeInstanceOf(InvalidStorageKeyError);
        },
      );

      it.each(['a', 'A_b-c.d', 'file..name.mp4', 'users/12/interactions/34/media/x-y_z.tar.gz', KEY])(
        'accepts %j',
        async (key) => {
          await storage.put(key, streamOf(key));
          expect(await text((await storage.get(key)).stream)).toBe(key);
        },
      );
    });

    describe('localPath', () => {
      it('gives a readable file with the content and the extension', async () => {
        await storage.put(KEY, streamOf('frames'));
        const file = await storage.localPath(KEY, backend.tempDir);
        expect(path.isAbsolute(file)).toBe(true);
        expect(path.extname(file)).toBe('.mp4');
        expect((await readFile(file)).toString()).toBe('frames');
      });

      it('throws StorageNotFoundError for a missing key', async () => {
        await expect(storage.localPath(MISSING, backend.tempDir)).rejects.toBeInstanceOf(
          StorageNotFoundError,
        );
      });
    });

    describe('large media', () => {
      it('stores 50 MB with bounded memory and reads back the same bytes', async () => {
        const size = 50 * MiB;
        const gc = exposeGc();
        gc();
        const baseline = retainedMemory();
        let peak = 0;
        // Measured after a full GC each time another 2 MiB is requested, so only what the backend
        // still holds counts; a backend that buffered the body whole would hold ~50 MB.
        const body = generated(size, {
          every: 2 * MiB,
          onProgress: () => {
            gc();
            peak = Math.max(peak, retainedMemory() - baseline);
          },
        });
        expect(await storage.put(KEY, body.stream)).toEqual({ size });
        expect(peak).toBeLessThan(options.memoryBudgetBytes);

        expect((await storage.stat(KEY))?.size).toBe(size);
        const got = await storage.get(KEY);
        expect(got.size).toBe(size);
        expect(await sha256(got.stream)).toBe(body.sha256());
      }, 120_000);
    });
  });
}

export function streamOf(...chunks: (string | Buffer)[]): Readable {
  return Readable.from(chunks.map((chunk) => Buffer.from(chunk)));
}

export async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** The content type `get` reports; the unread stream is destroyed so that no file stays open. */
export async function contentTypeOf(storage: Storage, key: string): Promise<string | undefined> {
  const { stream, contentType } = await storage.get(key);
  stream.destroy();
  return contentType;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * `size` random bytes produced on demand in 64 KiB chunks (so only backpressure decides how much
 * is in memory), hashed as they go out.
 */
export function generated(size: number, progress?: { every: number; onProgress: () => void }) {
  const hash = createHash('sha256');
  let produced = 0;
  let nextReport = progress?.every ?? Number.POSITIVE_INFINITY;
  const stream = new Readable({
    read() {
      if (produced >= nextReport) {
        nextReport += progress!.every;
        progress!.onProgress();
      }
      if (produced >= size) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(64 * 1024, size - produced));
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, produced: () => produced, sha256: () => hash.digest('hex') };
}

/** A body that sends `bytes` bytes and then fails, like an upload whose client disconnects. */
function failingAfter(bytes: number, error: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) this.destroy(error);
      else {
        sent = true;
        this.push(Buffer.alloc(bytes, 7));
      }
    },
  });
}

/** Node's `gc()`, made available at run time rather than through a command-line flag. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function retainedMemory(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
