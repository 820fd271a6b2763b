import { fileURLToPath } from 'node:url';
import type { AppConfig } from '../config/config.js';
import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';
import { type Storage, StorageError } from './storage.js';

export { LocalStorage } from './local.js';
export { S3Storage, type S3StorageOptions } from './s3.js';
export * from './storage.js';

/** The storage `config.storage.url` names: `file:///absolute/dir` or `s3://bucket[/prefix]`. */
export function createStorage(config: AppConfig['storage']): Storage {
  const { url } = config;
  if (url.startsWith('s3://')) return S3Storage.fromConfig(config);
  if (url.startsWith('file:')) return new LocalStorage(localRoot(url));
  throw new StorageError(
    `Unsupported storage URL ${JSON.stringify(url)}: expected file:///path or s3://bucket`,
  );
}

function localRoot(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (error) {
    // `file://media` reads "media" as a host name; say what was meant.
    throw new StorageError(`Storage URL ${JSON.stringify(url)} must be an absolute file:///path`, {
      cause: error,
    });
  }
}
