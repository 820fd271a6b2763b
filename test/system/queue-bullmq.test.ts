import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createBullmqQueue } from '../../src/infra/queue/bullmq.js';
import { testConfig } from '../helpers/app.js';
import {
  QUEUE_TEST_ENV,
  queueContract,
  sleep,
  spawnQueueWorker,
  waitFor,
} from '../helpers/queue-contract.js';
import { REDIS_URL, redisReachable } from '../helpers/redis.js';

/**
 * The BullMQ queue against a real Redis (REDIS_URL, default redis://127.0.0.1:6379; CI starts
 * one). Every queue gets a key prefix of its own, deleted at the end.
 */
const redisUp = await redisReachable();
if (!redisUp)
  console.warn(`[rapport] Redis is not reachable at ${REDIS_URL}: the BullMQ queue tests are SKIPPED`);

const runId = randomUUID().slice(0, 8);
const prefixes: string[] = [];
const newPrefix = () => {
  const prefix = `rapport-test-${runId}-${prefixes.length}`;
  prefixes.push(prefix);
  return prefix;
};

afterAll(async () => {
  if (!redisUp) return;
  const redis = new Redis(REDIS_URL);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

describe.skipIf(!redisUp)('BullMQ queue (Redis)', () => {
  queueContract('bullmq', (env) =>
    createBullmqQueue(testConfig({ REDIS_URL, ...env }), { prefix: newPrefix() }),
  );

  it('re-runs a job whose worker process was SIGKILLed mid-job, exactly once more', async () => {
    const prefix = newPrefix();
    const env = { ...QUEUE_TEST_ENV, REDIS_URL }; // lockDuration 3000, stalledInterval 2000
    const worker = spawnQueueWorker({ ...env, QT_KIND: 'bullmq', QT_PREFIX: prefix });
    await worker.waitForEvent('ready');
    const producer = await createBullmqQueue(testConfig(env), { prefix });
    try {
      const id = await producer.enqueue('process-media', { interactionId: 99 });
      const started = await worker.waitForEvent('started');
      expect(started).toMatchObject({ id, attempt: 1, data: { interactionId: 99 } });
      await sleep(500); // mid-job, lock renewed at least once
      await worker.kill();
      const killedAt = Date.now();

      // A second worker with the same settings finds the stalled job and runs it.
      const runs: Array<{ id: string; attempt: number; at: number }> = [];
      await producer.work('process-media', async (job) => {
        runs.push({ id: job.id, attempt: job.attempt, at: Date.now() });
      });
      await waitFor('the re-run', () => runs.length > 0, 20_000);
      const recovery = runs[0]!.at - killedAt;
      console.log(
        `[bullmq] SIGKILLed job re-run ${recovery} ms after the kill (lockDuration 3000, stalledInterval 2000)`,
      );
      expect(runs[0]!.id).toBe(id);
      expect(recovery).toBeLessThan(3_000 + 2_000 + 3_000);
      await sleep(3_000); // a duplicate would show up by now
      expect(runs).toHaveLength(1);
      await waitFor('completion', async () => (await producer.depth()).active === 0);
      expect(await producer.depth()).toEqual({ waiting: 0, active: 0, failed: 0 });
    } finally {
      await worker.kill();
      await producer.close(2_000);
    }
  });

  it('keeps enqueued jobs in Redis while no worker runs', async () => {
    const prefix = newPrefix();
    const first = await createBullmqQueue(testConfig({ ...QUEUE_TEST_ENV, REDIS_URL }), { prefix });
    const id = await first.enqueue('process-media', { kept: true });
    await first.close();
    const second = await createBullmqQueue(testConfig({ ...QUEUE_TEST_ENV, REDIS_URL }), { prefix });
    try {
      const seen: string[] = [];
      await second.work('process-media', async (job) => {
        seen.push(job.id);
      });
      await waitFor('the job', () => seen.length === 1);
      expect(seen).toEqual([id]);
    } finally {
      await second.close();
    }
  });

  it('puts a job a shutdown interrupted back in the queue without spending an attempt', async () => {
    const prefix = newPrefix();
    const config = testConfig({ ...QUEUE_TEST_ENV, REDIS_URL, JOB_ATTEMPTS: '1' });
    const first = await createBullmqQueue(config, { prefix });
    let started = false;
    await first.work('process-media', async (job) => {
      started = true;
      await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)));
    });
    const id = await first.enqueue('process-media', { interactionId: 3 });
    await waitFor('the job to start', () => started);
    await first.close(200);

    // With one attempt allowed, a counted interruption would have failed the job for good.
    const second = await createBullmqQueue(config, { prefix });
    try {
      const runs: Array<{ id: string; attempt: number }> = [];
      await second.work('process-media', async (job) => {
        runs.push({ id: job.id, attempt: job.attempt });
      });
      await waitFor('the re-run', () => runs.length > 0);
      expect(runs).toEqual([{ id, attempt: 1 }]);
      await waitFor('completion', async () => (await second.depth()).active === 0);
      expect(await second.depth()).toEqual({ waiting: 0, active: 0, failed: 0 });
    } finally {
      await second.close();
    }
  });
});
