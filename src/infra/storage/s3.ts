import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type ListObjectsV2CommandOutput,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { AppConfig } from '../config/config.js';
import {
  assertValidFolderPrefix,
  assertValidKey,
  assertValidPrefix,
  assertValidRange,
  ByteCounter,
  type ByteRange,
  contentTypeForKey,
  type GetResult,
  isValidKey,
  type PutOptions,
  RangeNotSatisfiableError,
  type Storage,
  StorageError,
  StorageNotFoundError,
  type StoredObject,
} from './storage.js';

export type S3StorageOptions = {
  client: S3Client;
  bucket: string;
  /** A folder inside the bucket that holds every key (`media/`), or `''` for the whole bucket. */
  prefix?: string;
  /** Objects per ListObjectsV2 page and per DeleteObjects batch; S3 allows at most 1000. */
  pageSize?: number;
  /** Multipart part size (at least 5 MiB) and parts sent at once: a put holds a few times partSize in memory. */
  partSize?: number;
  queueSize?: number;
};

const MiB = 1024 * 1024;

/** Media as objects in an S3 (or S3-compatible) bucket, optionally under a key prefix. */
export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private readonly pageSize: number;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3StorageOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = normalizeBucketPrefix(options.prefix ?? '');
    this.pageSize = options.pageSize ?? 1000;
    // 5 MiB parts allow objects up to ~48 GiB (10,000 parts). Two in flight plus the one being
    // filled: 15-30 MiB per put, measured; the client's upload speed is the bottleneck anyway.
    this.partSize = options.partSize ?? 5 * MiB;
    this.queueSize = options.queueSize ?? 2;
  }

  /**
   * From `config.storage`: `s3://bucket/prefix`, the endpoint, path style and region. Credentials
   * come from the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles…).
   */
  static fromConfig(
    config: AppConfig['storage'],
    options: Omit<S3StorageOptions, 'client' | 'bucket' | 'prefix'> = {},
  ): S3Storage {
    const { bucket, prefix } = parseS3Url(config.url);
    const client = new S3Client({
      region: config.awsRegion,
      endpoint: config.s3Endpoint,
      forcePathStyle: config.s3ForcePathStyle,
      // Since SDK 3.729 uploads carry CRC checksums by default, which a number of S3-compatible
      // servers reject or mishandle; with a custom endpoint they are sent only where S3 requires them.
      ...(config.s3Endpoint
        ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
        : {}),
    });
    return new S3Storage({ ...options, client, bucket, prefix });
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<{ size: number }> {
    const Key = this.objectKey(key);
    const counter = new ByteCounter(options.maxBytes);
    // The counter's own result is seen through the upload; this only wires destruction both ways.
    pipeline(body, counter).catch(() => {});
    // lib-storage reads the stream one part at a time: one PutObject when the whole body fits in a
    // part, else a multipart upload that becomes visible only when completed and is aborted on error.
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key,
        Body: counter,
        ContentType: options.contentType ?? contentTypeForKey(key),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
    });
    try {
      await upload.done();
    } catch (error) {
      counter.destroy(); // if S3 failed first, stop reading the body
      // Prefer the body's own failure (e.g. the size limit) over what aborting the upload said.
      throw counter.failure ?? error;
    }
    return { size: counter.bytes };
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    if (range) assertValidRange(range);
    const Key = this.objectKey(key);
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          Range: range && `bytes=${range.start}-${range.end}`,
        }),
      );
    } catch (error) {
      if (isNotFound(error)) throw new StorageNotFoundError(key, { cause: error });
      if (range && isStatus(error, 416)) throw await this.unsatisfiable(key, range);
      throw error;
    }
    const stream = response.Body;
    if (!(stream instanceof Readable)) throw new StorageError(`GetObject ${Key} returned no Node.js stream`);
    const size = objectSize(response);
    // S3 answers 416 for an empty object; servers that send 206 instead are caught here.
    if (range && range.start >= size) {
      stream.destroy();
      throw new RangeNotSatisfiableError(range, size);
    }
    return { stream, size, contentType: response.ContentType ?? contentTypeForKey(key) };
  }

  async stat(key: string): Promise<{ size: number; lastModified: Date } | undefined> {
    const Key = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 whether or not the key existed.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidFolderPrefix(prefix);
    let deleted = 0;
    // Each page is deleted before the next is fetched; the continuation token still points past it.
    for await (const page of this.pages(prefix)) {
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      if (keys.length > 0) deleted += await this.deleteBatch(keys);
    }
    return deleted;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    assertValidPrefix(prefix);
    for await (const page of this.pages(prefix)) {
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        // Objects written by other tools (e.g. `folder/` markers) are not keys this adapter can serve.
        if (key === undefined || !isValidKey(key)) continue;
        yield { key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
    }
  }

  async localPath(key: string, tempDir: string): Promise<string> {
    await mkdir(tempDir, { recursive: true });
    const { stream } = await this.get(key);
    // A fresh name per call (concurrent jobs may share tempDir), keeping the extension tools sniff.
    const file = path.join(tempDir, `${randomUUID()}${path.posix.extname(key)}`);
    try {
      await pipeline(stream, createWriteStream(file, { flags: 'wx' }));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return file;
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }

  private pages(prefix: string): AsyncIterable<ListObjectsV2CommandOutput> {
    return paginateListObjectsV2(
      { client: this.client, pageSize: this.pageSize },
      { Bucket: this.bucket, Prefix: this.prefix + prefix },
    );
  }

  private async deleteBatch(keys: string[]): Promise<number> {
    const result = await this.client.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const failed = result.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0];
      throw new StorageError(
        `Could not delete ${failed.length} of ${keys.length} objects; first ${first?.Key}: ${first?.Code} ${first?.Message}`,
      );
    }
    return keys.length;
  }

  /** The 416 error with the object's size, which S3's error response doesn't surface through the SDK. */
  private async unsatisfiable(key: string, range: ByteRange): Promise<Error> {
    const info = await this.stat(key);
    return info ? new RangeNotSatisfiableError(range, info.size) : new StorageNotFoundError(key);
  }
}

/** `s3://bucket` or `s3://bucket/some/prefix` (slashes around the prefix are optional). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/*(.*)$/.exec(url);
  if (!match?.[1]) throw new StorageError(`Expected s3://bucket[/prefix], got ${JSON.stringify(url)}`);
  return { bucket: match[1], prefix: normalizeBucketPrefix(match[2] ?? '') };
}

/** `''` or a valid key followed by `/`, so that `prefix + key` is always a clean object key. */
function normalizeBucketPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertValidKey(trimmed);
  return `${trimmed}/`;
}

/** The whole object's size: from `Content-Range: bytes a-b/size` when ranged, else Content-Length. */
function objectSize(response: GetObjectCommandOutput): number {
  const total = response.ContentRange?.match(/\/(\d+)$/)?.[1];
  return total !== undefined ? Number(total) : (response.ContentLength ?? 0);
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === status;
}

/** A missing key (NoSuchKey, or NotFound for HEAD), but not a missing bucket: that is misconfiguration. */
function isNotFound(error: unknown): boolean {
  return isStatus(error, 404) && (error as S3ServiceException).name !== 'NoSuchBucket';
}
