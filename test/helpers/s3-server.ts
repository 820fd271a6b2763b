import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/**
 * A real S3 API in-process (s3rver on a random port), with one bucket, for tests that run the app
 * on S3 storage. The same setup as test/system/storage-s3.test.ts: s3rver 3.7.1 encrypts listing
 * continuation tokens with single DES, which OpenSSL 3 only has in its legacy provider, so it gets
 * triple DES with the key repeated (the same cipher, bit for bit) while the server runs.
 * Credentials go in the environment, where the SDK's default chain finds them in production.
 */
export async function startS3Server(bucket = 'rapport-test'): Promise<{
  env: Record<string, string>;
  close(): Promise<void>;
}> {
  const { createCipheriv, createDecipheriv } = crypto;
  const viaTripleDes =
    <F extends (...args: any[]) => unknown>(original: F) =>
    (algorithm: string, key: Buffer, ...rest: unknown[]) =>
      algorithm === 'des'
        ? original('des-ede3-cbc', Buffer.concat([key, key, key]), ...rest)
        : original(algorithm, key, ...rest);
  crypto.createCipheriv = viaTripleDes(createCipheriv) as typeof createCipheriv;
  crypto.createDecipheriv = viaTripleDes(createDecipheriv) as typeof createDecipheriv;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'rapport-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(scratch, 's3rver'),
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    env: {
      STORAGE_URL: `s3://${bucket}/rapport`,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'eu-west-1',
    },
    async close() {
      await server.close();
      crypto.createCipheriv = createCipheriv;
      crypto.createDecipheriv = createDecipheriv;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
