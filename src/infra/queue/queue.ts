/**
 * The background job queue the media pipeline and periodic maintenance run on.
 *
 * Two implementations behind one interface (`createQueue` picks one):
 * - `redis` (REDIS_URL set): BullMQ. Any number of API and worker processes share the queue; a job
 *   whose worker dies is re-run after about lockDuration + stalledInterval.
 * - `inline` (no Redis): pg-boss on the application's own database, in-process on PGlite or over
 *   a connection of its own to the PostgreSQL server. Jobs survive restarts: a job that was running
 *   when the process stopped runs again at the next start.
 *
 * Delivery is at least once: handlers must be idempotent (a job can run again after a crash).
 */

export type JobName = 'process-media' | 'extract-notes' | 'maintenance';

export const JOB_NAMES: readonly JobName[] = ['process-media', 'extract-notes', 'maintenance'];

export type Job = {
  id: string;
  name: JobName;
  // biome-ignore lint/suspicious/noExplicitAny: each handler validates its own payload
  data: any;
  /** 1 on the first run, 2 on the first retry… */
  attempt: number;
  /** Aborted when the queue closes past its grace period, or when the job's lease is lost. */
  signal: AbortSignal;
};

export type JobHandler = (job: Job) => Promise<void>;

/** A job that exhausted its attempts (or was abandoned after crashing its workers). */
export type JobFailure = {
  id: string;
  name: JobName;
  // biome-ignore lint/suspicious/noExplicitAny: the payload the job was enqueued with
  data: any;
  /** The last error message. */
  error: string;
};

export type FailureListener = (failure: JobFailure) => void | Promise<void>;

export type QueueDepth = {
  /** Queued and not running yet, including retries waiting out their backoff. */
  waiting: number;
  active: number;
  /** Exhausted their attempts and still retained. */
  failed: number;
};

export type EnqueueOptions = {
  /**
   * Deduplication key; at most one job per key is queued and one runs, never two at once:
   * - a job of this key is queued (or waiting out a retry): nothing is added, its id is returned;
   * - one is running: one follow-up run is kept for after it ends (asking again meanwhile only
   *   replaces the follow-up's data: the last wins), and the running job's id is returned. So a
   *   request made just after a handler recorded its result, before its job was marked done, is
   *   not lost;
   * - none: a job is added. A finished (completed or failed) job does not block its key.
   */
  jobId?: string;
};

export interface JobQueue {
  readonly kind: 'redis' | 'inline';
  /** Adds a job; resolves with its id (the existing job's id when `jobId` deduplicated it). */
  enqueue(name: JobName, data: Record<string, unknown>, options?: EnqueueOptions): Promise<string>;
  /**
   * Starts consuming `name` in this process, `config.queue.concurrency` jobs at a time. A handler
   * that throws is retried with exponential backoff until `config.queue.attempts` runs.
   * One handler per name and queue instance.
   */
  work(name: JobName, handler: JobHandler): Promise<void>;
  /**
   * Runs `name` every `everyMs`, the first time right away. Idempotent upsert: calling it again for
   * the same name replaces the schedule, never adds a second one (nor a second process' timer).
   */
  schedule(name: JobName, everyMs: number, data?: Record<string, unknown>): Promise<void>;
  /** Counts over every job name, or over one. */
  depth(name?: JobName): Promise<QueueDepth>;
  /**
   * Calls `listener` once per job that ended FAILED (attempts exhausted), e.g. to mark its
   * interaction failed. Called in the processes that called `onFailed`; returns the unsubscribe.
   */
  onFailed(listener: FailureListener): () => void;
  /**
   * Graceful stop: no new jobs are taken, running ones get `timeoutMs` (default
   * SHUTDOWN_TIMEOUT_MS) to finish, then their signals are aborted and they are left to run again
   * (at the next start, or on another worker).
   */
  close(timeoutMs?: number): Promise<void>;
}

/** A job that is still running when the queue gives up on it gets this long after its abort. */
export const ABORT_GRACE_MS = 1_000;

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `promise` settles within `ms`, false otherwise (it is not cancelled). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
