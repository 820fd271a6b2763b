import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import type { JobFailure, JobQueue } from '../../src/infra/queue/queue.js';
import { REPO_ROOT } from './process.js';

/** Queue settings of the behaviour tests: short backoff and locks so that they run in seconds. */
export const QUEUE_TEST_ENV = {
  WORKER_CONCURRENCY: '2',
  JOB_ATTEMPTS: '3',
  JOB_BACKOFF_MS: '1000',
  QUEUE_LOCK_DURATION_MS: '3000',
  QUEUE_STALLED_INTERVAL_MS: '2000',
};

export type QueueFactory = (env?: Record<string, string>) => Promise<JobQueue>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * The behaviour every JobQueue implementation owes its callers. `make` opens a queue on a fresh
 * namespace (Redis prefix, pg-boss schema) with QUEUE_TEST_ENV plus `env`.
 */
export function queueContract(label: string, make: QueueFactory) {
  const opened: JobQueue[] = [];
  const open = async (env: Record<string, string> = {}) => {
    const queue = await make({ ...QUEUE_TEST_ENV, ...env });
    opened.push(queue);
    return queue;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close(2_000)));
  });

  it('runs an enqueued job once, with its data, id and attempt 1', async () => {
    const queue = await open();
    const runs: Array<{ id: string; data: unknown; attempt: number; name: string }> = [];
    await queue.work('process-media', async (job) => {
      runs.push({ id: job.id, data: job.data, attempt: job.attempt, name: job.name });
    });
    const data = { interactionId: 42, nested: { keys: ['a', 'b'] }, at: '2024-01-01T00:00:00.000Z' };
    const id = await queue.enqueue('process-media', data);
    await waitFor('the run', () => runs.length === 1);
    await sleep(500);
    expect(runs).toEqual([{ id, data, attempt: 1, name: 'process-media' }]);
    await waitFor('completion', async () => (await queue.depth()).active === 0);
    expect(await queue.depth()).toEqual({ waiting: 0, active: 0, failed: 0 });
  });

  it('retries a throwing job after its backoff; attempt 2 succeeds', async () => {
    const queue = await open();
    const failures: JobFailure[] = [];
    queue.onFailed((failure) => {
      failures.push(failure);
    });
    const runs: Array<{ attempt: number; at: number }> = [];
    await queue.work('process-media', async (job) => {
      runs.push({ attempt: job.attempt, at: Date.now() });
      if (job.attempt === 1) throw new Error('transient');
    });
    await queue.enqueue('process-media', { n: 1 });
    await waitFor('the retry', () => runs.length === 2, 20_000);
    await sleep(300);
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    const gap = runs[1]!.at - runs[0]!.at;
    console.log(`[${label}] retry after ${gap} ms (JOB_BACKOFF_MS=1000)`);
    expect(gap).toBeGreaterThanOrEqual(900);
    expect(failures).toEqual([]);
    await waitFor('completion', async () => (await queue.depth()).active === 0);
    expect(await queue.depth()).toEqual({ waiting: 0, active: 0, failed: 0 });
  });

  it('reports a job that exhausts its attempts, once', async () => {
    const queue = await open({ JOB_ATTEMPTS: '2' });
    const failures: JobFailure[] = [];
    queue.onFailed((failure) => {
      failures.push(failure);
    });
    let runs = 0;
    await queue.work('process-media', async () => {
      runs++;
      throw new Error(`broken media #${runs}`);
    });
    const id = await queue.enqueue('process-media', { interactionId: 7 });
    const [failure] = await waitFor('the failure report', () => failures.length > 0 && failures, 20_000);
    expect(failure).toEqual({
      id,
      name: 'process-media',
      data: { interactionId: 7 },
      error: 'broken media #2',
    });
    await sleep(1_500);
    expect(runs).toBe(2);
    expect(failures).toHaveLength(1);
    expect(await queue.depth('process-media')).toEqual({ waiting: 0, active: 0, failed: 1 });
  });

  it('deduplicates by jobId while queued; the key is free again once the job finished', async () => {
    const queue = await open();
    const first = await queue.enqueue('process-media', { v: 1 }, { jobId: 'interaction-1' });
    expect(await queue.enqueue('process-media', { v: 2 }, { jobId: 'interaction-1' })).toBe(first);
    const other = await queue.enqueue('process-media', { v: 3 }, { jobId: 'interaction-2' });
    expect(other).not.toBe(first);
    expect((await queue.depth()).waiting).toBe(2);

    const runs: Array<{ id: string; data: unknown }> = [];
    await queue.work('process-media', async (job) => {
      runs.push({ id: job.id, data: job.data });
    });
    await waitFor('both runs', () => runs.length === 2);
    expect(runs.find((r) => r.id === first)?.data).toEqual({ v: 1 });
    await waitFor('completion', async () => {
      const depth = await queue.depth();
      return depth.active === 0 && depth.waiting === 0;
    });

    const again = await queue.enqueue('process-media', { v: 5 }, { jobId: 'interaction-1' });
    expect(again).not.toBe(first);
    await waitFor('the new run', () => runs.length === 3);
    expect(runs[2]).toEqual({ id: again, data: { v: 5 } });
    await sleep(300);
    expect(runs).toHaveLength(3);
  });

  it('asked again while its job runs: one follow-up run afterwards, with the last data, never concurrent', async () => {
    const queue = await open(); // concurrency 2: a second run could start at once if allowed
    const release = gate();
    const runs: Array<{ id: string; data: any; start: number; end?: number }> = [];
    await queue.work('process-media', async (job) => {
      const run: (typeof runs)[number] = { id: job.id, data: job.data, start: Date.now() };
      runs.push(run);
      if (job.data.v === 1) await release.opened;
      run.end = Date.now();
    });
    const first = await queue.enqueue('process-media', { v: 1 }, { jobId: 'media-9' });
    await waitFor('the first run', () => runs.length === 1);
    expect(await queue.enqueue('process-media', { v: 2 }, { jobId: 'media-9' })).toBe(first);
    expect(await queue.enqueue('process-media', { v: 3 }, { jobId: 'media-9' })).toBe(first);
    await sleep(300);
    expect(runs).toHaveLength(1);

    release.open();
    await waitFor('the follow-up', () => runs.length === 2);
    expect(runs[1]!.id).not.toBe(first);
    expect(runs[1]!.data).toEqual({ v: 3 });
    expect(runs[1]!.start).toBeGreaterThanOrEqual(runs[0]!.end!);
    await sleep(500);
    expect(runs).toHaveLength(2);
    await waitFor('empty', async () => {
      const depth = await queue.depth();
      return depth.active === 0 && depth.waiting === 0;
    });
  });

  it('counts waiting, active and failed jobs, and runs at most WORKER_CONCURRENCY at once', async () => {
    const queue = await open();
    for (let i = 0; i < 5; i++) await queue.enqueue('process-media', { i });
    await queue.enqueue('maintenance', {});
    expect(await queue.depth()).toEqual({ waiting: 6, active: 0, failed: 0 });
    expect(await queue.depth('process-media')).toEqual({ waiting: 5, active: 0, failed: 0 });

    const release = gate();
    let inFlight = 0;
    let maxInFlight = 0;
    let done = 0;
    await queue.work('process-media', async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await release.opened;
      await sleep(50);
      inFlight--;
      done++;
    });
    await waitFor('two running', async () => (await queue.depth('process-media')).active === 2);
    expect(await queue.depth('process-media')).toEqual({ waiting: 3, active: 2, failed: 0 });
    release.open();
    await waitFor('all done', () => done === 5);
    expect(maxInFlight).toBe(2);
    await waitFor('empty', async () => (await queue.depth('process-media')).active === 0);
    expect(await queue.depth()).toEqual({ waiting: 1, active: 0, failed: 0 });
  });

  it('runs a schedule periodically; upserting it again does not add a second one', async () => {
    const queue = await open();
    const runs: Array<{ at: number; data: unknown }> = [];
    await queue.work('maintenance', async (job) => {
      runs.push({ at: Date.now(), data: job.data });
    });
    const started = Date.now();
    await queue.schedule('maintenance', 500, { task: 'cleanup' });
    await queue.schedule('maintenance', 500, { task: 'cleanup' });
    await queue.schedule('maintenance', 500, { task: 'cleanup' });
    await sleep(3_100);
    const count = runs.length;
    console.log(
      `[${label}] schedule every 500 ms: ${count} runs in 3.1 s, at ${runs.map((r) => r.at - started).join(', ')} ms`,
    );
    // One schedule: ~6 runs; three would make ~18.
    expect(count).toBeGreaterThanOrEqual(4);
    expect(count).toBeLessThanOrEqual(8);
    expect(runs.every((r) => JSON.stringify(r.data) === JSON.stringify({ task: 'cleanup' }))).toBe(true);
  });

  it('close() lets a running job finish before resolving', async () => {
    const queue = await open();
    let finished = false;
    let started = false;
    await queue.work('process-media', async () => {
      started = true;
      await sleep(400);
      finished = true;
    });
    await queue.enqueue('process-media', {});
    await waitFor('the job to start', () => started);
    await queue.close(5_000);
    expect(finished).toBe(true);
    await expect(queue.enqueue('process-media', {})).rejects.toThrow(/closed/);
  });

  it('close() aborts jobs still running after its timeout, and resolves soon after', async () => {
    const queue = await open();
    const signals: AbortSignal[] = [];
    await queue.work('process-media', async (job) => {
      signals.push(job.signal);
      if (job.data.honoursAbort) {
        await new Promise((_, reject) =>
          job.signal.addEventListener('abort', () => reject(job.signal.reason)),
        );
      } else {
        await new Promise(() => {}); // ignores it
      }
    });
    await queue.enqueue('process-media', { honoursAbort: true });
    await queue.enqueue('process-media', { honoursAbort: false });
    await waitFor('both jobs to start', () => signals.length === 2);
    const t0 = Date.now();
    await queue.close(300);
    const took = Date.now() - t0;
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
  });

  it('measures enqueue → handler latency', async () => {
    const queue = await open({ WORKER_CONCURRENCY: '1' });
    let arrived: (() => void) | undefined;
    await queue.work('process-media', async () => {
      arrived?.();
    });
    const samples: number[] = [];
    for (let i = 0; i < 220; i++) {
      const reached = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const t0 = performance.now();
      await queue.enqueue('process-media', { i });
      await reached;
      if (i >= 20) samples.push(performance.now() - t0); // the first ones warm up
    }
    samples.sort((a, b) => a - b);
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    console.log(
      `[${label}] enqueue → handler latency over ${samples.length} jobs: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${samples.at(-1)?.toFixed(2)} ms`,
    );
    expect(p50).toBeLessThan(100);
  });
}

export type WorkerEvent = { event: string; pid: number; id?: string; attempt?: number; data?: unknown };

/** The crash-test worker (test/helpers/queue-worker.ts) in a process of its own. */
export function spawnQueueWorker(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/queue-worker.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: WorkerEvent[] = [];
  let output = '';
  let buffered = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        events.push(JSON.parse(line));
      } catch {
        // not one of ours
      }
    }
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    events,
    exited,
    async waitForEvent(event: string, timeoutMs = 30_000): Promise<WorkerEvent> {
      try {
        return await waitFor(`worker event ${event}`, () => events.find((e) => e.event === event), timeoutMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}; worker output:\n${output}`);
      }
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
