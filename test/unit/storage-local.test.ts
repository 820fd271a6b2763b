import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/infra/config/config.js';
import {
  assertValidKey,
  createStorage,
  InvalidStorageKeyError,
  LocalStorage,
  MediaTooLargeError,
  S3Storage,
  StorageError,
} from '../../src/infra/storage/index.js';
import {
  type ContractBackend,
  contentTypeOf,
  generated,
  storageContract,
  streamOf,
  text,
} from '../helpers/storage-contract.js';

const MiB = 1024 * 1024;
const scratch = await mkdtemp(path.join(os.tmpdir(), 'rapport-storage-local-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

let cases = 0;
/** A storage whose root does not exist yet, in a directory of its own. */
function freshCase() {
  const dir = path.join(scratch, `case-${++cases}`);
  const root = path.join(dir, 'media');
  return { dir, root, storage: new LocalStorage(root) };
}

/** Every file under `dir`, hidden ones included, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

storageContract(
  'local',
  async (): Promise<ContractBackend> => {
    const { dir, root, storage } = freshCase();
    return { storage, tempDir: path.join(dir, 'tmp'), leftovers: () => filesUnder(path.join(root, '.tmp')) };
  },
  // Backpressure keeps a few 64 KiB chunks in flight; the rest is measurement noise.
  { memoryBudgetBytes: 16 * MiB },
);

describe('local storage', () => {
  it('creates its root directory on the first write, not before', async () => {
    const { root, storage } = freshCase();
    expect(await storage.stat('a.mp4')).toBeUndefined();
    for await (const _ of storage.list('')) expect.unreachable();
    await expect(readdir(root)).rejects.toThrow(/ENOENT/);
    await storage.put('a.mp4', streamOf('a'));
    expect(await readdir(root)).toContain('a.mp4');
  });

  it('leaves no file at all, temp files included, after an over-limit put', async () => {
    const { root, storage } = freshCase();
    await expect(
      storage.put('users/1/big.mp4', generated(3 * MiB).stream, { maxBytes: MiB }),
    ).rejects.toBeInstanceOf(MediaTooLargeError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('removes folders that delete leaves empty', async () => {
    const { root, storage } = freshCase();
    await storage.put('users/1/media/a.mp4', streamOf('a'));
    await storage.put('users/2/media/b.mp4', streamOf('b'));
    await storage.delete('users/1/media/a.mp4');
    expect(await readdir(path.join(root, 'users'))).toEqual(['2']);
    expect(await storage.deletePrefix('users/')).toBe(1);
    expect(await readdir(root)).toEqual(['.tmp']);
  });

  it('gives the stored file itself as the local path', async () => {
    const { root, dir, storage } = freshCase();
    await storage.put('users/1/a.mp4', streamOf('video'));
    expect(await storage.localPath('users/1/a.mp4', path.join(dir, 'tmp'))).toBe(
      path.join(root, 'users', '1', 'a.mp4'),
    );
  });

  it('keeps no content type of its own: it answers from the extension', async () => {
    const { storage } = freshCase();
    await storage.put('users/1/blob.bin', streamOf('x'), { contentType: 'application/x-custom' });
    expect(await contentTypeOf(storage, 'users/1/blob.bin')).toBeUndefined();
  });

  it('lists only files that a key could name', async () => {
    const { root, storage } = freshCase();
    await storage.put('users/1/a.mp4', streamOf('a'));
    await writeFile(path.join(root, 'users', '1', 'odd name.mp4'), 'x');
    await writeFile(path.join(root, 'users', '1', '.DS_Store'), 'x');
    const keys: string[] = [];
    for await (const object of storage.list('')) keys.push(object.key);
    expect(keys).toEqual(['users/1/a.mp4']);
  });

  describe('path traversal', () => {
    it('never lets a key that passes validation resolve outside the root', () => {
      const root = path.resolve('/srv/rapport/media');
      const piece = fc.constantFrom(
        '..',
        '.',
        '',
        'a',
        'b.mp4',
        '/',
        '\\',
        '%2e',
        '\u0000',
        '~',
        'C:',
        '.tmp',
      );
      fc.assert(
        fc.property(
          fc.array(piece, { maxLength: 8 }),
          fc.constantFrom('/', '\\', ''),
          (pieces, separator) => {
            const key = pieces.join(separator);
            try {
              assertValidKey(key);
            } catch (error) {
              return error instanceof InvalidStorageKeyError;
            }
            const resolved = path.resolve(root, key);
            return resolved.startsWith(root + path.sep) && !resolved.includes(`${path.sep}.tmp`);
          },
        ),
        { numRuns: 2000 },
      );
    });

    it('leaves files next to the root untouched', async () => {
      const { dir, storage } = freshCase();
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'secret.txt'), 'secret');
      await storage.put('a.mp4', streamOf('a'));
      for (const key of ['../secret.txt', '..\\secret.txt', `${dir}/secret.txt`, 'a/../../secret.txt']) {
        await expect(storage.put(key, streamOf('pwned'))).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await expect(storage.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await expect(storage.delete(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await expect(storage.localPath(key, dir)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      }
      await expect(storage.deletePrefix('../')).rejects.toBeInstanceOf(InvalidStorageKeyError);
      expect(await readFile(path.join(dir, 'secret.txt'), 'utf8')).toBe('secret');
      expect(await text((await storage.get('a.mp4')).stream)).toBe('a');
    });
  });

  describe('createStorage', () => {
    it('defaults to local storage in DATA_DIR/media', () => {
      const storage = createStorage(loadConfig({ DATA_DIR: scratch }).storage);
      expect(storage).toBeInstanceOf(LocalStorage);
      expect((storage as LocalStorage).root).toBe(path.join(scratch, 'media'));
    });

    it('takes a file:///path URL', () => {
      const storage = createStorage(loadConfig({ STORAGE_URL: 'file:///var/lib/rapport/media' }).storage);
      expect(storage.kind).toBe('local');
      expect((storage as LocalStorage).root).toBe(path.resolve('/var/lib/rapport/media'));
    });

    it('rejects a relative file URL with a clear message', () => {
      expect(() => createStorage(loadConfig({ STORAGE_URL: 'file://media' }).storage)).toThrow(
        new StorageError('Storage URL "file://media" must be an absolute file:///path'),
      );
    });

    it('takes s3://bucket/prefix for S3 (no request is made)', () => {
      const storage = createStorage(loadConfig({ STORAGE_URL: 's3://rapport-media/prod/media/' }).storage);
      expect(storage).toBeInstanceOf(S3Storage);
      expect((storage as S3Storage).bucket).toBe('rapport-media');
      expect((storage as S3Storage).prefix).toBe('prod/media/');
    });
  });
});
