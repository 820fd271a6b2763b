import crypto, { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/infra/config/config.js';
import { createStorage, MediaTooLargeError, S3Storage } from '../../src/infra/storage/index.js';
import {
  type ContractBackend,
  generated,
  storageContract,
  streamOf,
  text,
} from '../helpers/storage-contract.js';

// A real S3 API (s3rver, in-process on a random port) behind the real SDK: nothing is mocked.
const MiB = 1024 * 1024;
const BUCKET = 'rapport-test';

let scratch: string;
let server: S3rver;
let endpoint: string;
const clients: S3Client[] = [];

/**
 * s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with single DES (controllers/bucket.js),
 * which OpenSSL 3 (Node >= 17) only has in its legacy provider, so every truncated listing fails
 * with 500 InternalError. Triple DES with the key repeated three times *is* single DES, bit for
 * bit, and is in the default provider: s3rver gets that instead, and pagination can be tested.
 */
function letS3rverUseDes(): () => void {
  const { createCipheriv, createDecipheriv } = crypto;
  const viaTripleDes =
    <F extends (...args: any[]) => unknown>(original: F) =>
    (algorithm: string, key: Buffer, ...rest: unknown[]) =>
      algorithm === 'des'
        ? original('des-ede3-cbc', Buffer.concat([key, key, key]), ...rest)
        : original(algorithm, key, ...rest);
  crypto.createCipheriv = viaTripleDes(createCipheriv) as typeof createCipheriv;
  crypto.createDecipheriv = viaTripleDes(createDecipheriv) as typeof createDecipheriv;
  return () => {
    crypto.createCipheriv = createCipheriv;
    crypto.createDecipheriv = createDecipheriv;
  };
}

let restoreDes: () => void;

beforeAll(async () => {
  restoreDes = letS3rverUseDes();
  // The SDK's default credential chain reads these, as it would in production.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('AWS_PROFILE', undefined);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'rapport-storage-s3-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(scratch, 's3rver'),
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await server?.close();
  vi.unstubAllEnvs();
  restoreDes?.();
  await rm(scratch, { recursive: true, force: true });
});

function s3Config(url: string) {
  return loadConfig({
    STORAGE_URL: url,
    S3_ENDPOINT: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: 'eu-west-1',
  }).storage;
}

/**
 * Multipart uploads created but neither completed nor aborted, seen through an SDK middleware.
 * s3rver 3.7.1 has no AbortMultipartUpload route (it answers 405 MethodNotAllowed and keeps the
 * parts on its disk), so an abort *request* counts as cleaning up; real S3 deletes the parts.
 */
function trackMultipartUploads(client: S3Client): () => string[] {
  const open = new Set<string>();
  const aborted = new Set<string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { UploadId?: string };
      if (context.commandName === 'AbortMultipartUploadCommand' && input.UploadId)
        aborted.add(input.UploadId);
      const result = await next(args);
      const output = result.output as { UploadId?: string };
      if (context.commandName === 'CreateMultipartUploadCommand' && output.UploadId)
        open.add(output.UploadId);
      if (context.commandName === 'CompleteMultipartUploadCommand' && input.UploadId)
        open.delete(input.UploadId);
      return result;
    },
    { step: 'initialize', name: 'trackMultipartUploads' },
  );
  return () => [...open].filter((id) => !aborted.has(id)).map((id) => `multipart upload ${id}`);
}

/** Each test gets its own prefix in the bucket, through the same construction path as production. */
function freshStorage(options: { pageSize?: number } = {}) {
  const prefix = `run-${randomUUID()}`;
  const storage = S3Storage.fromConfig(s3Config(`s3://${BUCKET}/${prefix}`), options);
  clients.push(storage.client);
  return { storage, prefix, openUploads: trackMultipartUploads(storage.client) };
}

storageContract(
  's3',
  async (): Promise<ContractBackend> => {
    // Two objects a page, so that listing and deletePrefix go through ListObjectsV2 pagination.
    const { storage, openUploads } = freshStorage({ pageSize: 2 });
    return {
      storage,
      tempDir: path.join(scratch, 'tmp', randomUUID()),
      leftovers: async () => openUploads(),
    };
  },
  {
    // Two 5 MiB parts in flight, the next one being filled and concatenated, and sent parts that
    // the SDK's finished requests still reference until they are collected: 15-32 MiB measured.
    // Buffering the body whole would hold 50 MiB or more.
    memoryBudgetBytes: 40 * MiB,
    limitations: {
      firstByteRange:
        's3rver 3.7.1 reads `Range: bytes=0-0` with `if (end)` in controllers/object.js getObject, so an end ' +
        'of 0 is dropped and it answers 206 with the whole object (AWS S3, MinIO and Garage return 1 byte)',
      keyOrder:
        "s3rver 3.7.1 lists in the order of its file names (readdir of key + '._S3rver_object', folders " +
        "without the '/'), so users/1/a.mp4 comes before users/1-x.txt; and as its continuation token is " +
        'just the last key returned, later pages then repeat or skip keys (AWS S3 lists in UTF-8 byte order)',
    },
  },
);

describe('S3 storage', () => {
  it('keeps keys under the prefix of the URL', async () => {
    const { storage, prefix } = freshStorage();
    await storage.put('users/1/a.mp4', streamOf('a'));
    const raw = await storage.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
    expect(raw.Contents?.map((object) => object.Key)).toEqual([`${prefix}/users/1/a.mp4`]);
  });

  it('uploads a large body in parts and asks S3 to abort them when it is too large', async () => {
    const { storage } = freshStorage();
    const commands: string[] = [];
    storage.client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    await expect(
      storage.put('users/1/big.mp4', generated(12 * MiB).stream, { maxBytes: 8 * MiB }),
    ).rejects.toBeInstanceOf(MediaTooLargeError);
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    expect(await storage.stat('users/1/big.mp4')).toBeUndefined();
  });

  it('is what createStorage builds for an s3:// URL, credentials from the environment', async () => {
    const storage = createStorage(s3Config(`s3://${BUCKET}/created`));
    expect(storage.kind).toBe('s3');
    clients.push((storage as S3Storage).client);
    await storage.put('users/1/a.mp4', streamOf('via createStorage'));
    expect(await text((await storage.get('users/1/a.mp4')).stream)).toBe('via createStorage');
    expect(await storage.deletePrefix('users/')).toBe(1);
  });

  it('stores at the bucket root when the URL has no prefix', async () => {
    const storage = createStorage(s3Config(`s3://${BUCKET}`)) as S3Storage;
    clients.push(storage.client);
    const key = `root-${randomUUID()}/a.mp4`;
    await storage.put(key, streamOf('root'));
    const raw = await storage.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key }));
    expect(raw.Contents?.map((object) => object.Key)).toEqual([key]);
    await storage.delete(key);
  });
});
