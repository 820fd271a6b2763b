import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLongRecording,
  childProcesses,
  HttpClient,
  jobDirs,
  killTree,
  type LongRecording,
  runsFfmpeg,
} from '../helpers/pipeline-processes.js';
import { type CliProcess, freePort, runCli, waitForHealth } from '../helpers/process.js';
import { sleep, waitFor } from '../helpers/queue-contract.js';
import { REDIS_URL, redisReachable } from '../helpers/redis.js';

/**
 * The recorded-call pipeline in real processes (`rapport serve` / `rapport worker` from source):
 * a job whose process is killed half-way through runs again from scratch and completes once.
 *
 * The job is made slow without hooks in src: a ~10-minute recording whose audio track is costly to
 * decode (see buildLongRecording). A process is stopped when its interaction is PROCESSING *and*
 * the audio stage's ffmpeg is writing its WAV in that process' own TMPDIR, so the stop always lands
 * mid-job; the test then checks that it did (the interaction is still PROCESSING).
 */
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const redisUp = await redisReachable();
if (!TEST_DATABASE_URL)
  console.warn('[rapport] TEST_DATABASE_URL is not set: the Redis-mode pipeline process test is SKIPPED');
else if (!redisUp)
  console.warn(
    `[rapport] Redis is not reachable at ${REDIS_URL}: the Redis-mode pipeline process test is SKIPPED`,
  );

let workDir: string;
let recording: LongRecording;
const started: CliProcess[] = [];

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-pipeline-'));
  recording = await buildLongRecording(workDir);
});

afterAll(() => {
  for (const proc of started) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string>): CliProcess {
  const proc = runCli(args, env);
  started.push(proc);
  return proc;
}

/** A fresh directory under this file's work dir. */
function dir(name: string): string {
  const d = path.join(workDir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** The regular files under `root`, relative, ignoring the storage's own `.tmp`. */
function storedFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => !f.split(path.sep).includes('.tmp'))
    .filter((f) => fs.statSync(path.join(root, f)).isFile());
}

/** Waits until the job of `interactionId` runs ffmpeg's audio extraction in the process whose TMPDIR is `tmp`. */
async function midJob(client: HttpClient, interactionId: number, tmp: string, proc: CliProcess) {
  return waitFor(
    'the job to be extracting audio',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`process exited:\n${proc.output()}`);
      if (!jobDirs(tmp, interactionId).some((d) => d.extractingAudio)) return false;
      const detail = await client.detail(interactionId);
      return detail.processing_status === 'PROCESSING' ? detail : false;
    },
    60_000,
  );
}

async function completed(client: HttpClient, interactionId: number, timeoutMs = 60_000) {
  return waitFor(
    'the job to finish',
    async () => {
      const detail = await client.detail(interactionId);
      return ['COMPLETED', 'FAILED'].includes(detail.processing_status) ? detail : false;
    },
    timeoutMs,
  );
}

/**
 * The queue depth once the finished job is recorded as such: the handler marks the interaction
 * COMPLETED a moment before the queue marks its job completed.
 */
async function settledDepth(client: HttpClient) {
  let depth: unknown;
  await waitFor(
    'the queue to record the job as done',
    async () => {
      depth = (await client.request('GET', '/api/health/')).body.queue_depth;
      return (depth as { active: number } | null)?.active === 0;
    },
    5_000,
  ).catch(() => {});
  return depth;
}

function expectProcessedRecording(detail: any) {
  expect(detail.processing_status, detail.processing_error).toBe('COMPLETED');
  expect(detail.processing_error).toBe('');
  expect(detail.processing_progress).toEqual({ stage: 'done', percent: 100 });
  expect(detail.media).toEqual({
    filename: 'long-call.mkv',
    content_type: 'video/x-matroska',
    size: recording.size,
    duration_seconds: expect.closeTo(recording.durationSeconds, 1),
  });
  expect(detail.duration_seconds).toBe(Math.round(recording.durationSeconds));
  expect(detail.segments).toEqual([]);
  expect(detail.identified_participants).toEqual([]);
}

const ms = (from: number) => Math.round(performance.now() - from);

describe.skipIf(!TEST_DATABASE_URL || !redisUp)('Redis mode: serve + workers', () => {
  let admin: pg.Client;
  let databaseName: string;
  let databaseUrl: string;
  let redisDbUrl: string;
  let redis: Redis;
  const claimKey = 'rapport-test:pipeline-processes:claim';
  const runId = randomUUID();

  beforeAll(async () => {
    // A database of our own on the server, dropped at the end.
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    databaseName = `rapport_pipeline_${runId.replaceAll('-', '').slice(0, 12)}`;
    await admin.query(`CREATE DATABASE ${databaseName}`);
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = `/${databaseName}`;
    databaseUrl = url.href;

    // The BullMQ key prefix is not configurable from the environment (always `rapport`): the
    // processes get a Redis database of their own, claimed so that concurrent runs never share one.
    for (let db = 15; db >= 8 && !redisDbUrl; db--) {
      const candidate = new URL(REDIS_URL);
      candidate.pathname = `/${db}`;
      const client = new Redis(candidate.href, { maxRetriesPerRequest: 1 });
      try {
        const claimed = (await client.set(claimKey, runId, 'PX', 10 * 60_000, 'NX')) === 'OK';
        if (claimed && (await client.dbsize()) === 1) {
          redisDbUrl = candidate.href;
          redis = client;
          continue;
        }
        if (claimed) await client.del(claimKey);
      } catch {
        // a server configured with fewer databases
      }
      client.disconnect();
    }
    if (!redisDbUrl) throw new Error('no free Redis database among 8..15 for the pipeline process test');
  });

  afterAll(async () => {
    for (const proc of started) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    if (redis) {
      for (const prefix of ['rapport:process-media:', 'rapport:maintenance:']) {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
      }
      if ((await redis.get(claimKey)) === runId) await redis.del(claimKey);
      redis.disconnect();
    }
    if (admin) {
      if (databaseName) await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('re-runs a job whose worker was SIGKILLed on a second worker: COMPLETED once, nothing doubled', async () => {
    const storageDir = dir('redis-storage');
    const env = {
      REDIS_URL: redisDbUrl,
      DATABASE_URL: databaseUrl,
      STORAGE_URL: pathToFileURL(storageDir).href,
      DATA_DIR: dir('redis-data'),
      QUEUE_LOCK_DURATION_MS: '3000',
      QUEUE_STALLED_INTERVAL_MS: '2000',
      // Process lifecycle, not faces: the faces stage on 10 minutes of video takes minutes.
      FACE_RECOGNITION_ENABLED: 'false',
    };
    const tmp = {
      server: dir('redis-tmp-server'),
      first: dir('redis-tmp-worker1'),
      second: dir('redis-tmp-worker2'),
    };

    const port = await freePort();
    const server = start(['serve'], { ...env, PORT: String(port), TMPDIR: tmp.server });
    const first = start(['worker'], { ...env, TMPDIR: tmp.first });
    await waitForHealth(port, server);
    const anonymous = new HttpClient(`http://127.0.0.1:${port}`);
    expect((await anonymous.request('GET', '/api/health/')).body).toMatchObject({
      status: 'ok',
      database_kind: 'postgres',
      queue: 'redis',
    });

    // Events go over Redis pub/sub, which is not per database: a user id no concurrent run has.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(`SELECT setval('users_id_seq', $1)`, [1_000_000 + Math.floor(Math.random() * 1e9)]);
      const user = await anonymous.register('caller');

      const events: Array<{ interaction_id: number; status: string }> = [];
      const subscriber = new Redis(redisDbUrl);
      subscriber.on('message', (_channel, message) => events.push(JSON.parse(message)));
      await subscriber.subscribe(`rapport:events:user:${user.userId}`);

      const friend = await user.request('POST', '/api/relationships/', {
        name: 'Lin',
        relationship_type: 'FRIEND',
      });
      const interaction = await user.request('POST', '/api/interactions/', {
        interaction_type: 'VIDEO_CALL',
        title: 'Call with Lin',
        participants: [friend.body.id],
      });
      const id = interaction.body.id as number;
      const manual = await user.request('POST', '/api/notes/', {
        relationship: friend.body.id,
        interaction: id,
        text: 'Lin is moving to Lisbon in May',
      });
      expect(manual.status).toBe(201);

      const uploaded = await user.upload(id, recording.file, 'video/x-matroska');
      expect(uploaded.status).toBe(202);
      const uploadedAt = performance.now();

      // Kill the only worker while its ffmpeg extracts the audio, and its ffmpeg with it.
      await midJob(user, id, tmp.first, first);
      const killedAt = performance.now();
      const children = killTree(first.child.pid!);
      expect(await first.exited).toBe(null);
      expect(runsFfmpeg(children), children.join('\n')).toBe(true); // it died mid-extraction
      expect((await user.detail(id)).processing_status).toBe('PROCESSING'); // the kill landed mid-job

      // What a stage of the killed run could have written before dying (AI rows): replaced, not kept.
      const killedRunNote = await db.query(
        `INSERT INTO notes (user_id, relationship_id, interaction_id, text, source)
         VALUES ($1, $2, $3, 'half-written by the killed run', 'AI') RETURNING id`,
        [user.userId, friend.body.id, id],
      );
      await db.query(
        `INSERT INTO interaction_segments (interaction_id, start_seconds, end_seconds, text)
         VALUES ($1, 0, 5, 'half-written by the killed run')`,
        [id],
      );

      const second = start(['worker'], { ...env, TMPDIR: tmp.second });
      const done = await completed(user, id);
      const completedAt = performance.now();
      expectProcessedRecording(done);

      // One stored file: the upload, byte for byte the size sent; the server never ran the job.
      const files = storedFiles(storageDir);
      expect(files).toHaveLength(1);
      expect(fs.statSync(path.join(storageDir, files[0]!)).size).toBe(recording.size);
      expect(jobDirs(tmp.server, id)).toEqual([]);
      expect(jobDirs(tmp.second, id)).toEqual([]); // the finished run cleaned up after itself

      // The re-run started from scratch: the killed run's AI rows are gone, the manual note stays once.
      const notes = await db.query(
        'SELECT id, source, text FROM notes WHERE interaction_id = $1 ORDER BY id',
        [id],
      );
      expect(notes.rows).toEqual([
        { id: manual.body.id, source: 'MANUAL', text: 'Lin is moving to Lisbon in May' },
      ]);
      expect(notes.rows.some((row) => row.id === killedRunNote.rows[0].id)).toBe(false);
      const rows = await db.query(
        'SELECT (SELECT count(*) FROM interactions)::int AS interactions, (SELECT count(*) FROM interaction_segments)::int AS segments',
      );
      expect(rows.rows[0]).toEqual({ interactions: 1, segments: 0 });

      // One job, run twice (the killed start and the re-run), recovered as stalled, completed.
      expect(await settledDepth(anonymous)).toEqual({ waiting: 0, active: 0, failed: 0 });
      const queue = new Queue('process-media', { connection: { url: redisDbUrl }, prefix: 'rapport' });
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
        expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
        const [job] = await queue.getJobs(['completed']);
        expect(job?.data).toEqual({ interactionId: id, userId: user.userId, mediaKey: expect.any(String) });
        expect(job?.attemptsStarted).toBe(2);
        expect(job?.stalledCounter).toBe(1);
        expect(job?.attemptsMade).toBe(1);
      } finally {
        await queue.close();
      }

      // The status went PROCESSING (first run) → PROCESSING (re-run) → COMPLETED, exactly once.
      await sleep(500);
      subscriber.disconnect();
      const statuses = events.filter((e) => e.interaction_id === id).map((e) => e.status);
      expect(statuses.filter((s) => s === 'COMPLETED')).toHaveLength(1);
      expect(statuses.at(-1)).toBe('COMPLETED');
      expect(statuses).not.toContain('FAILED');

      second.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(await server.exited).toBe(0);
      console.info(
        `[pipeline-processes] redis: upload→kill ${Math.round(killedAt - uploadedAt)} ms, ` +
          `SIGKILL→COMPLETED ${Math.round(completedAt - killedAt)} ms (lock 3000 + stalled 2000 ms, worker start, ` +
          `re-run), total ${ms(uploadedAt)} ms`,
      );
    } finally {
      await db.end();
    }
  }, 120_000);
});

describe('embedded mode: serve on a PGlite data dir', () => {
  it('re-runs a job interrupted by SIGTERM, then by SIGKILL, at the next start: COMPLETED', async () => {
    const dataDir = dir('embedded-data');
    const serve = async (tmp: string) => {
      const port = await freePort();
      const proc = start(['serve'], {
        DATA_DIR: dataDir,
        PORT: String(port),
        DATABASE_URL: '',
        REDIS_URL: '',
        STORAGE_URL: '',
        // A graceful stop waits this long for a running job, then interrupts it.
        SHUTDOWN_TIMEOUT_MS: '500',
        // Process lifecycle, not faces: the faces stage on 10 minutes of video takes minutes.
        FACE_RECOGNITION_ENABLED: 'false',
        TMPDIR: tmp,
      });
      await waitForHealth(port, proc);
      return { proc, base: `http://127.0.0.1:${port}` };
    };
    const tmp = [dir('embedded-tmp-1'), dir('embedded-tmp-2')] as const;

    const t0 = performance.now();
    const first = await serve(tmp[0]);
    const startup = ms(t0);
    const user = await new HttpClient(first.base).register('owner');
    const interaction = await user.request('POST', '/api/interactions/', {
      interaction_type: 'VIDEO_CALL',
      title: 'Call with Lin',
    });
    const id = interaction.body.id as number;
    expect((await user.upload(id, recording.file, 'video/x-matroska')).status).toBe(202);

    // 1. SIGTERM mid-job: the job is interrupted (not left to finish), the process exits cleanly.
    await midJob(user, id, tmp[0], first.proc);
    const termAt = performance.now();
    first.proc.child.kill('SIGTERM');
    expect(await first.proc.exited).toBe(0);
    const termExit = ms(termAt);
    expect(jobDirs(tmp[0], id)).toEqual([]); // the interrupted run cleaned up
    expect(fs.existsSync(path.join(dataDir, 'rapport.lock'))).toBe(false);

    // 2. The next start runs it again; SIGKILL the server alone mid-job this time. Its ffmpeg
    // writes into a pipe the dead process held, so it stops by itself instead of running on.
    const second = await serve(tmp[1]);
    user.base = second.base;
    await midJob(user, id, tmp[1], second.proc);
    const killAt = performance.now();
    const children = childProcesses(second.proc.child.pid!);
    expect(runsFfmpeg(children.map((c) => c.command)), JSON.stringify(children)).toBe(true);
    second.proc.child.kill('SIGKILL');
    expect(await second.proc.exited).toBe(null);
    await waitFor(
      'the orphaned ffmpeg to stop',
      () => children.every((c) => !fs.existsSync(`/proc/${c.pid}`)),
      10_000,
    );
    const abandoned = jobDirs(tmp[1], id);
    expect(abandoned).toHaveLength(1);

    // 3. The start after that (same TMPDIR) removes the dead run's dir and runs the job a third
    // time (it was not done), to the end.
    const third = await serve(tmp[1]);
    const healthyAt = performance.now();
    user.base = third.base;
    expect(fs.existsSync(abandoned[0]!.dir)).toBe(false);
    await waitFor('the re-run after the crash', () => jobDirs(tmp[1], id).length > 0, 10_000);
    const done = await completed(user, id);
    const completedAt = performance.now();
    expectProcessedRecording(done);
    expect(storedFiles(path.join(dataDir, 'media'))).toHaveLength(1);
    expect((await user.request('GET', '/api/health/')).body).toMatchObject({
      queue: 'inline',
      database_kind: 'pglite',
    });
    expect(await settledDepth(user)).toEqual({ waiting: 0, active: 0, failed: 0 });

    third.proc.child.kill('SIGTERM');
    expect(await third.proc.exited).toBe(0);
    console.info(
      `[pipeline-processes] embedded: start ${startup} ms, SIGTERM→exit ${termExit} ms, ` +
        `SIGKILL→COMPLETED ${Math.round(completedAt - killAt)} ms (restart ${Math.round(healthyAt - killAt)} ms, ` +
        `then the run ${Math.round(completedAt - healthyAt)} ms), total ${ms(t0)} ms`,
    );
  }, 120_000);
});

describe('rapport worker', () => {
  it('exits 1 with an explanation without REDIS_URL and DATABASE_URL', async () => {
    const proc = start(['worker'], { REDIS_URL: '', DATABASE_URL: '', DATA_DIR: dir('worker-data') });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain(
      'rapport worker needs a shared queue: set REDIS_URL (BullMQ) or DATABASE_URL (a PostgreSQL server). ' +
        'With the embedded database, `rapport serve` runs the jobs itself.',
    );
    expect(proc.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(fs.readdirSync(path.join(workDir, 'worker-data'))).toEqual([]); // nothing opened
  });
});
