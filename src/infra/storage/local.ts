import { randomUUID } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidFolderPrefix,
  assertValidKey,
  assertValidPrefix,
  assertValidRange,
  ByteCounter,
  type ByteRange,
  clampRange,
  contentTypeForKey,
  type GetResult,
  InvalidStorageKeyError,
  isValidSegment,
  type PutOptions,
  type Storage,
  StorageNotFoundError,
  type StoredObject,
} from './storage.js';

/**
 * Uploads in progress, directly under the root so that the final rename stays on one filesystem
 * (and is therefore atomic). Valid keys never start with a dot, so this can't clash with one, and
 * listing skips it.
 */
const TEMP_DIR = '.tmp';

/** Media as plain files under a root directory, which is created on first write. */
export class LocalStorage implements Storage {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<{ size: number }> {
    const target = this.pathFor(key);
    const counter = new ByteCounter(options.maxBytes);
    const temp = await this.newTempFile();
    try {
      // The file is opened before the pipeline starts: a stream opening it lazily could create it
      // after a failed put had already removed it. flush: fsync before close, so a crash right
      // after the rename can't leave an empty file.
      const handle = await open(temp, 'wx');
      await pipeline(body, counter, handle.createWriteStream({ flush: true }));
      await this.moveIntoPlace(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { size: counter.bytes };
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    if (range) assertValidRange(range);
    const file = this.pathFor(key);
    // Size and bytes come from one open file, so a concurrent overwrite can't mix two versions.
    const handle = await open(file, 'r').catch((error) => {
      throw isMissing(error) ? new StorageNotFoundError(key, { cause: error }) : error;
    });
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new StorageNotFoundError(key);
      const span = range ? clampRange(range, info.size) : {};
      const stream = handle.createReadStream(span); // closes the handle when it ends or is destroyed
      return { stream, size: info.size, contentType: contentTypeForKey(key) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async stat(key: string): Promise<{ size: number; lastModified: Date } | undefined> {
    const info = await statIfExists(this.pathFor(key));
    return info?.isFile() ? { size: info.size, lastModified: info.mtime } : undefined;
  }

  async delete(key: string): Promise<void> {
    const file = this.pathFor(key);
    try {
      await unlink(file);
    } catch (error) {
      // Missing is fine, and so is a directory: there is no object at that key either.
      if (isMissing(error) || (await statIfExists(file))?.isDirectory()) return;
      throw error;
    }
    await this.removeEmptyParents(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidFolderPrefix(prefix);
    let count = 0;
    for await (const { key } of this.list(prefix)) {
      await this.delete(key);
      count++;
    }
    return count;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    assertValidPrefix(prefix);
    // Only the folder holding the prefix's last segment can contain matches: start the walk there.
    yield* this.walk(prefix.slice(0, prefix.lastIndexOf('/') + 1), prefix);
  }

  async localPath(key: string, _tempDir: string): Promise<string> {
    if (!(await this.stat(key))) throw new StorageNotFoundError(key);
    return this.pathFor(key);
  }

  /** The file for a key; validation makes traversal impossible, the containment check is a backstop. */
  private pathFor(key: string): string {
    assertValidKey(key);
    const file = path.join(this.root, ...key.split('/'));
    if (!file.startsWith(this.root + path.sep))
      throw new InvalidStorageKeyError(key, 'outside the storage root');
    return file;
  }

  private async newTempFile(): Promise<string> {
    const dir = path.join(this.root, TEMP_DIR);
    await mkdir(dir, { recursive: true });
    return path.join(dir, randomUUID());
  }

  /**
   * Renames the finished temp file over the target. A concurrent delete may remove the freshly made
   * parent directory (it prunes empty ones) between mkdir and rename, so that case is retried.
   */
  private async moveIntoPlace(temp: string, target: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(path.dirname(target), { recursive: true });
      try {
        await rename(temp, target);
        return;
      } catch (error) {
        if (!(hasCode(error, 'ENOENT') && attempt < 3)) throw error;
      }
    }
  }

  /** Removes directories left empty by a delete, up to (not including) the root. */
  private async removeEmptyParents(dir: string): Promise<void> {
    for (let current = dir; current.startsWith(this.root + path.sep); current = path.dirname(current)) {
      try {
        await rmdir(current);
      } catch (error) {
        if (!hasCode(error, 'ENOENT')) return; // ENOTEMPTY: still in use
      }
    }
  }

  /** Depth-first in key order: a directory sorts as `name/`, exactly where its keys fall. */
  private async *walk(dirKey: string, prefix: string): AsyncGenerator<StoredObject> {
    const entries = await readdirIfExists(path.join(this.root, dirKey));
    const sortKey = (entry: Dirent) => (entry.isDirectory() ? `${entry.name}/` : entry.name);
    entries.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
    for (const entry of entries) {
      // Skips the temp directory and anything else no key could name.
      if (!isValidSegment(entry.name)) continue;
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix)) yield* this.walk(`${key}/`, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await statIfExists(path.join(this.root, key));
        if (info?.isFile()) yield { key, size: info.size, lastModified: info.mtime };
      }
    }
  }
}

function hasCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/** ENOTDIR: some parent of the path is a file, so the path can't exist either. */
function isMissing(error: unknown): boolean {
  return hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR');
}

async function statIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function readdirIfExists(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}
