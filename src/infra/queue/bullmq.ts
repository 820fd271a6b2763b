import { type Job as BullJob, Queue, WaitingError, Worker } from 'bullmq';
import type { AppConfig } from '../config/config.js';
import { createLogger, type Logger } from '../logging/logger.js';
import {
  ABORT_GRACE_MS,
  type EnqueueOptions,
  type FailureListener,
  JOB_NAMES,
  type JobHandler,
  type JobName,
  type JobQueue,
  type QueueDepth,
  settlesWithin,
} from './queue.js';

export type BullmqQueueOptions = {
  /** Redis key prefix (`<prefix>:<job name>:…`); tests use a unique one per run. */
  prefix?: string;
  /**
   * How many times a job may be found stalled (its worker died or blocked its event loop past the
   * lock) before it is failed instead of re-run. Default: `config.queue.attempts`, so a job that
   * crashes its worker every time ends FAILED like one that throws every time.
   */
  maxStalledCount?: number;
  logger?: Logger;
};

/** Completed jobs are kept this long (and at most this many) for inspection. */
const KEEP_COMPLETED = { age: 60 * 60, count: 1_000 };
/** Failed jobs are kept longer: they are what an operator looks at. */
const KEEP_FAILED = { age: 7 * 24 * 60 * 60, count: 5_000 };

/**
 * BullMQ over Redis. Every worker of every process must use the same lockDuration and
 * stalledInterval (they come from the shared configuration): a job whose worker dies is re-run
 * after about lockDuration + stalledInterval.
 */
export async function createBullmqQueue(
  config: AppConfig,
  options: BullmqQueueOptions = {},
): Promise<JobQueue> {
  if (!config.redisUrl) throw new Error('the BullMQ queue needs REDIS_URL');
  const log = options.logger ?? createLogger(config);
  const prefix = options.prefix ?? 'rapport';
  const { concurrency, attempts, backoffMs, lockDurationMs, stalledIntervalMs } = config.queue;
  const maxStalledCount = options.maxStalledCount ?? attempts;
  // Workers block on Redis: their commands must wait for a reconnect rather than fail (BullMQ's
  // requirement). Enqueueing fails after ioredis' default retries so that an API call can answer.
  const workerConnection = { url: config.redisUrl, maxRetriesPerRequest: null };
  const queueConnection = { url: config.redisUrl };

  const queues = new Map<JobName, Queue>();
  const workers = new Map<JobName, Worker>();
  const running = new Set<AbortController>();
  const failureListeners = new Set<FailureListener>();
  let closing: Promise<void> | undefined;

  function queueFor(name: JobName): Queue {
    if (closing) throw new Error('the job queue is closed');
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: queueConnection,
        prefix,
        defaultJobOptions: {
          attempts,
          backoff: { type: 'exponential', delay: backoffMs },
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        },
      });
      queue.on('error', (error) => log.error({ err: error, queue: name }, 'job queue connection error'));
      queues.set(name, queue);
    }
    return queue;
  }

  async function notifyFailed(job: BullJob, error: Error): Promise<void> {
    const failure = { id: String(job.id), name: job.name as JobName, data: job.data, error: error.message };
    log.error({ jobId: failure.id, job: failure.name, err: error }, 'job failed for good');
    for (const listener of failureListeners) {
      try {
        await listener(failure);
      } catch (listenerError) {
        log.error({ err: listenerError, jobId: failure.id }, 'job failure listener threw');
      }
    }
  }

  return {
    kind: 'redis',

    async enqueue(name: JobName, data: Record<string, unknown>, enqueueOptions: EnqueueOptions = {}) {
      const job = await queueFor(name).add(
        name,
        data,
        // Deduplication (not a custom job id) so that the key is free again once the job finished:
        // a retained completed or failed job must not block processing the same thing again.
        // keepLastIfActive: asked again while it runs, one follow-up runs after it (latest data).
        enqueueOptions.jobId ? { deduplication: { id: enqueueOptions.jobId, keepLastIfActive: true } } : {},
      );
      return String(job.id);
    },

    async work(name: JobName, handler: JobHandler) {
      if (closing) throw new Error('the job queue is closed');
      if (workers.has(name)) throw new Error(`a handler for ${name} is already registered`);
      const worker = new Worker(
        name,
        async (job: BullJob, token?: string, bullSignal?: AbortSignal) => {
          const controller = new AbortController();
          const forward = () => controller.abort(bullSignal?.reason);
          bullSignal?.addEventListener('abort', forward, { once: true });
          running.add(controller);
          try {
            await handler({
              id: String(job.id),
              name,
              data: job.data,
              attempt: job.attemptsMade + 1,
              signal: controller.signal,
            });
          } catch (error) {
            if (closing && controller.signal.aborted && token) {
              // Stopped by a shutdown, not by the job: back to the queue without spending an attempt.
              await job.moveToWait(token);
              log.warn(
                { queue: name, jobId: job.id },
                'job interrupted by the shutdown: it runs again, as the same attempt',
              );
              throw new WaitingError();
            }
            throw error;
          } finally {
            running.delete(controller);
            bullSignal?.removeEventListener('abort', forward);
          }
        },
        {
          connection: workerConnection,
          prefix,
          concurrency,
          lockDuration: lockDurationMs,
          stalledInterval: stalledIntervalMs,
          maxStalledCount,
        },
      );
      worker.on('error', (error) => log.error({ err: error, queue: name }, 'job worker error'));
      worker.on('failed', (job, error) => {
        if (!job) return;
        // finishedOn is set only when the job moved to FAILED; a retry leaves it unset.
        if (job.finishedOn) void notifyFailed(job, error);
        else
          log.warn(
            { jobId: job.id, job: name, attempt: job.attemptsMade, err: error },
            'job failed; will retry',
          );
      });
      worker.on('stalled', (jobId) =>
        log.warn({ jobId, job: name }, 'job stalled (its worker died?); re-queued'),
      );
      workers.set(name, worker);
      await worker.waitUntilReady();
    },

    async schedule(name: JobName, everyMs: number, data: Record<string, unknown> = {}) {
      // One scheduler per job name: upserting the same id replaces it.
      await queueFor(name).upsertJobScheduler(`schedule:${name}`, { every: everyMs }, { name, data });
    },

    async depth(name?: JobName): Promise<QueueDepth> {
      const total: QueueDepth = { waiting: 0, active: 0, failed: 0 };
      for (const jobName of name ? [name] : JOB_NAMES) {
        const counts = await queueFor(jobName).getJobCounts(
          'waiting',
          'prioritized',
          'delayed',
          'waiting-children',
          'active',
          'failed',
        );
        total.waiting +=
          (counts.waiting ?? 0) +
          (counts.prioritized ?? 0) +
          (counts.delayed ?? 0) +
          (counts['waiting-children'] ?? 0);
        total.active += counts.active ?? 0;
        total.failed += counts.failed ?? 0;
      }
      return total;
    },

    onFailed(listener: FailureListener) {
      failureListeners.add(listener);
      return () => {
        failureListeners.delete(listener);
      };
    },

    close(timeoutMs = config.shutdownTimeoutMs) {
      closing ??= (async () => {
        const all = [...workers.values()];
        // Stop taking jobs at once, then give the running ones their time.
        await Promise.all(all.map((worker) => worker.pause(true).catch(() => {})));
        const finished = Promise.all(all.map((worker) => worker.close()));
        if (!(await settlesWithin(finished, timeoutMs))) {
          log.warn({ running: running.size }, 'jobs still running at shutdown: aborting them');
          for (const controller of running) controller.abort(new Error('the job queue is shutting down'));
          if (!(await settlesWithin(finished, ABORT_GRACE_MS))) {
            // Their locks expire and another worker re-runs them after lockDuration + stalledInterval.
            await Promise.all(all.map((worker) => worker.disconnect().catch(() => {})));
          }
        }
        await Promise.all([...queues.values()].map((queue) => queue.close().catch(() => {})));
      })();
      return closing;
    },
  };
}
