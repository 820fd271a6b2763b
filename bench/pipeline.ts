/**
 * Media pipeline benchmark: the real stages on a short clip and on a long recording made by
 * looping it, timed per stage, plus a pass over the frame stream face work will consume, and a run
 * of the whole job through the embedded queue as a worker runs it.
 *
 *   npm run bench:pipeline
 *   BENCH_LONG_SECONDS=3600 FRAME_RATE=2 npm run bench:pipeline
 *
 * Inputs (in a temp dir, removed at the end): the fixture clip (used in place) and a
 * BENCH_LONG_SECONDS file made from it with `ffmpeg -stream_loop N -i clip -t S -c copy` (re-encoded
 * when stream copy does not give a file of the right length).
 *
 * Every measurement runs in a fresh child process (this file again), so its memory figures are its
 * own and one run's heap does not leak into the next:
 * - `stages`: the worker's StageContext on the file itself (local storage's `localPath`), each
 *   stage of EXTRACTION_STAGES timed around its `run` inside the real `runPipeline`, then one full pass
 *   over `ctx.frames()` (not a stage yet), counting frames. No database: `saveMediaDuration` is a
 *   no-op here.
 * - `job`: the embedded server's path end to end: in-memory PGlite (`openDatabase`, migrated),
 *   `createRuntime` (pg-boss queue, local storage in a temp dir, in-process events) and
 *   `startWorkers()` unchanged; the file is uploaded through MediaService (`storage.put`, attach,
 *   enqueue `process-media`), and the run ends at the COMPLETED event. Stage times come from the
 *   pipeline's own `stage finished` debug log; queue overhead is the job's time minus its stages.
 *
 * Per row: wall time; RTF (real-time factor) = wall time / media duration; CPU of the process and
 * of the ffmpeg/ffprobe children it reaped; peak RSS of the Node process (sampled every
 * BENCH_SAMPLE_MS, with the value at the step's start) and of its live ffmpeg children (VmHWM);
 * peak `arrayBuffers` (frame buffers live there); machine CPU used by other processes during the
 * step, and machine load with the bench idle just before each child (CPU figures need Linux /proc).
 * ffmpeg binaries are resolved (and cached) before timing, as in a worker that has run a job.
 *
 * Environment (all optional):
 *   BENCH_LONG_SECONDS  length of the looped input in seconds (600; 0 = the clip only)
 *   BENCH_CLIP          input clip (../shared/fixtures/video/short_hamilton_clip.mp4)
 *   BENCH_RUNS          comma list of stages,job (both)
 *   BENCH_SAMPLE_MS     memory/CPU sampling period (50)
 *   FRAME_RATE, FRAME_MAX_WIDTH, FRAME_SCENE_THRESHOLD, FFMPEG_PATH, FFPROBE_PATH, JOB_ATTEMPTS...
 *                       read through loadConfig, as the server reads them. DATABASE_URL, REDIS_URL
 *                       and STORAGE_URL are ignored: the job run is always the embedded mode.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { type AppConfig, loadConfig } from '../src/infra/config/config.js';
import { extractFrames, type MediaInfo, probeMedia, resolveMediaBinaries } from '../src/infra/media/index.js';
import { runPipeline, type Stage, type StageContext } from '../src/pipeline/pipeline.js';
import { EXTRACTION_STAGES } from '../src/pipeline/process-media.js';
import { machineCpu } from './machine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const CHILD_TASK_ENV = 'BENCH_PIPELINE_TASK';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

const LONG_SECONDS = envNumber('BENCH_LONG_SECONDS', 600);
const CLIP = path.resolve(ROOT, process.env.BENCH_CLIP || '../shared/fixtures/video/short_hamilton_clip.mp4');
const RUNS = (process.env.BENCH_RUNS || 'stages,job').split(',').map((s) => s.trim());
const SAMPLE_MS = Math.max(5, envNumber('BENCH_SAMPLE_MS', 50));
const MB = 1024 * 1024;

type RunMode = 'stages' | 'job';
type Task = { mode: RunMode; input: string; label: string; durationSeconds: number; resultFile: string };

/** One line of the table, as a child measured it. */
type Row = {
  step: string;
  wallMs: number;
  /** Process + reaped ffmpeg children. */
  cpuMs?: number;
  rssStartMb?: number;
  rssPeakMb?: number;
  buffersPeakMb?: number;
  ffmpegPeakMb?: number;
  /** Whole machine, 100 = one core. */
  machineBusy?: number;
  note: string;
};

type ChildResult = {
  rows: Row[];
  /** The Node process' own peak RSS over the whole child (VmHWM). */
  vmHwmMb?: number;
  warmupMs: number;
  notes: string[];
};

// ---------------------------------------------------------------------------------------------
// Linux /proc readings (undefined elsewhere).

const CLK_TCK = 100;

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU ticks of this process plus its reaped children (ffmpeg runs are waited for by Node). */
function treeCpuTicks(): number | undefined {
  const f = statFields('self');
  if (!f) return undefined;
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime stime cutime cstime
}

/** Machine CPU% (100 = one core) over one second with the bench idle: other processes' load. */
async function backgroundCpu(): Promise<number | undefined> {
  const m0 = machineCpu();
  await new Promise((r) => setTimeout(r, 1000));
  const m1 = machineCpu();
  if (!m0 || !m1 || m1.total === m0.total) return undefined;
  return ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100 * os.cpus().length;
}

/** The ffmpeg and ffprobe binaries the pipeline runs (filled in by `warmBinaries`). */
const mediaTools = new Set<string>();

/** `undefined` while the child is between fork and exec (still a copy of Node): ask again later. */
function isMediaTool(pid: number): boolean | undefined {
  try {
    const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    if (mediaTools.has(argv0) || /^ff(mpeg|probe)/.test(path.basename(argv0))) return true;
    return argv0 === '' || argv0 === process.execPath ? undefined : false;
  } catch {
    return undefined;
  }
}

/** Live direct children that are ffmpeg or ffprobe, and their peak RSS so far (VmHWM, kB). */
const foreignPids = new Set<number>();
function childrenHwmKb(): number | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  let total = 0;
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || foreignPids.has(pid)) continue;
    const f = statFields(pid);
    if (!f) continue; // exited meanwhile
    const tool = Number(f[1]) === process.pid ? isMediaTool(pid) : false;
    if (tool === undefined) continue;
    if (!tool) {
      // Not an ffmpeg/ffprobe of ours (tsx's esbuild service is a child too); a pid is not
      // reused within a bench run in practice.
      foreignPids.add(pid);
      continue;
    }
    try {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

function vmHwmMb(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling: a timeline of memory and CPU readings; a step's figures come from its time window.

type Sample = {
  t: number;
  rss: number;
  buffers: number;
  ffmpegKb: number | undefined;
  cpu: number | undefined;
  machine: { busy: number; total: number } | undefined;
};

class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Takes a reading now (step boundaries take one so their CPU figures are exact) and returns its time. */
  sample(): number {
    const mem = process.memoryUsage();
    const t = performance.now();
    this.samples.push({
      t,
      rss: mem.rss,
      buffers: mem.arrayBuffers,
      ffmpegKb: childrenHwmKb(),
      cpu: treeCpuTicks(),
      machine: machineCpu(),
    });
    return t;
  }

  /** Peak RSS (MB) in the first and in the second half of [t0, t1]: flat when memory is bounded. */
  halves(t0: number, t1: number): [number, number] {
    const mid = (t0 + t1) / 2;
    const peak = (from: number, to: number) =>
      Math.max(0, ...this.samples.filter((x) => x.t >= from && x.t <= to).map((x) => x.rss)) / MB;
    return [peak(t0, mid), peak(mid, t1)];
  }

  /** Figures for the window [t0, t1]: readings inside it plus the nearest ones on either side. */
  window(step: string, t0: number, t1: number, note = ''): Row {
    const s = this.samples;
    let first = 0;
    for (let i = 0; i < s.length; i++) if (s[i]!.t <= t0) first = i;
    let last = s.length - 1;
    for (let i = s.length - 1; i >= 0; i--) if (s[i]!.t >= t1) last = i;
    const inside = s.slice(first, last + 1);
    const a = s[first]!;
    const b = s[last]!;
    const row: Row = {
      step,
      wallMs: t1 - t0,
      rssStartMb: a.rss / MB,
      rssPeakMb: Math.max(...inside.map((x) => x.rss)) / MB,
      buffersPeakMb: Math.max(...inside.map((x) => x.buffers)) / MB,
      note,
    };
    if (a.cpu !== undefined && b.cpu !== undefined) row.cpuMs = ((b.cpu - a.cpu) / CLK_TCK) * 1000;
    const kb = inside.map((x) => x.ffmpegKb).filter((x): x is number => x !== undefined);
    if (kb.length > 0) row.ffmpegPeakMb = Math.max(...kb) / 1024;
    if (a.machine && b.machine && b.machine.total > a.machine.total) {
      row.machineBusy =
        ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100 * os.cpus().length;
    }
    return row;
  }
}

function benchConfig(extra: NodeJS.ProcessEnv = {}): AppConfig {
  return loadConfig({ ...process.env, LOG_LEVEL: 'silent', DEBUG: 'false', ...extra });
}

async function warmBinaries(config: AppConfig): Promise<number> {
  const t0 = performance.now();
  const binaries = await resolveMediaBinaries(config.ffmpeg);
  mediaTools.add(binaries.ffmpeg.path).add(binaries.ffprobe.path);
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// Child: `stages` — the worker's StageContext and runPipeline, without the queue or a database.

async function runStages(task: Task): Promise<ChildResult> {
  const config = benchConfig();
  const warmupMs = await warmBinaries(config);
  const sampler = new Sampler();
  const rows: Row[] = [];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-job-'));
  const controller = new AbortController();
  let savedDuration: number | undefined;
  const ctx: StageContext = {
    interactionId: 1,
    userId: 1,
    mediaFile: task.input, // local storage's localPath is the stored file itself
    workDir,
    config,
    log: pino({ level: 'silent' }),
    signal: controller.signal,
    store: {
      async saveMediaDuration(seconds) {
        savedDuration = seconds;
      },
    },
    frames: () =>
      extractFrames(task.input, { ...config.frames, ffmpeg: config.ffmpeg, signal: controller.signal }),
  };
  const timed = (stage: Stage): Stage => ({
    name: stage.name,
    weight: stage.weight,
    appliesTo(c) {
      const applies = stage.appliesTo?.(c) !== false;
      if (!applies) rows.push({ step: stage.name, wallMs: 0, note: 'skipped: does not apply to this media' });
      return applies;
    },
    async run(c, progress) {
      const t0 = sampler.sample();
      await stage.run(c, progress);
      rows.push(sampler.window(stage.name, t0, sampler.sample(), stageNote(stage.name, c)));
    },
  });

  sampler.start();
  try {
    const p0 = sampler.sample();
    await runPipeline(EXTRACTION_STAGES.map(timed), ctx, () => {});
    const p1 = sampler.sample();
    const stageMs = rows.reduce((sum, r) => sum + r.wallMs, 0);
    rows.push(
      sampler.window(
        'pipeline (runPipeline)',
        p0,
        p1,
        `sum of stages ${(stageMs / 1000).toFixed(2)} s; duration saved: ${savedDuration?.toFixed(2) ?? 'none'} s`,
      ),
    );

    // The frame stream face work will consume: one full pass, each frame dropped once counted.
    let count = 0;
    let scene = 0;
    let previous = Number.NEGATIVE_INFINITY;
    let disorder = 0;
    let badSize = 0;
    let size = '';
    let lastTs = Number.NaN;
    const f0 = sampler.sample();
    for await (const frame of ctx.frames()) {
      count++;
      if (frame.kind === 'scene') scene++;
      if (frame.timestampSeconds < previous) disorder++;
      if (frame.rgb.length !== frame.width * frame.height * 3) badSize++;
      previous = frame.timestampSeconds;
      lastTs = frame.timestampSeconds;
      size ||= `${frame.width}x${frame.height}`;
    }
    const f1 = sampler.sample();
    const [firstHalf, secondHalf] = sampler.halves(f0, f1);
    const framesRow = sampler.window(
      'frames pass (ctx.frames)',
      f0,
      f1,
      `${count} frames (${count - scene} interval + ${scene} scene) ${size} at FRAME_RATE=${config.frames.rate}, ` +
        `${(count / ((f1 - f0) / 1000)).toFixed(1)} frames/s, last t=${lastTs.toFixed(1)} s` +
        (disorder ? `, ${disorder} out of order` : '') +
        (badSize ? `, ${badSize} bad sizes` : '') +
        `; RSS peak 1st/2nd half ${firstHalf.toFixed(0)}/${secondHalf.toFixed(0)} MB`,
    );
    rows.push(framesRow);
    rows.push(
      sampler.window('pipeline + frames pass', p0, f1, 'the least a job with a face stage would take'),
    );
  } finally {
    sampler.stop();
    controller.abort();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  return { rows, vmHwmMb: vmHwmMb(), warmupMs, notes: [] };
}

function stageNote(name: string, ctx: StageContext): string {
  if (name === 'probe' && ctx.media) return describeMedia(ctx.media);
  if (name === 'audio' && ctx.audioFile) {
    const bytes = fs.statSync(ctx.audioFile).size;
    return `16 kHz mono WAV, ${(bytes / MB).toFixed(1)} MB`;
  }
  return '';
}

function describeMedia(media: MediaInfo): string {
  const v = media.video;
  const a = media.audio;
  const parts = [`${media.durationSeconds.toFixed(1)} s ${media.formatName.split(',')[0]}`];
  if (v) parts.push(`${v.codec} ${v.width}x${v.height}`);
  if (a) parts.push(`${a.codec}`);
  return parts.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Child: `job` — the embedded server's worker, end to end.

type StageLog = { stage: string; ms: number; at: number };

async function runJob(task: Task): Promise<ChildResult> {
  // Imported here so the `stages` child does not carry the queue, database and S3 modules.
  const { openDatabase } = await import('../src/infra/db/database.js');
  const { createRuntime } = await import('../src/runtime.js');
  const { createUsersService } = await import('../src/app.js');
  const { InteractionsRepository } = await import('../src/modules/interactions/repository.js');
  const { MediaService } = await import('../src/modules/interactions/media-service.js');
  const { userChannel } = await import('../src/pipeline/process-media.js');

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-data-'));
  const config = benchConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    STORAGE_URL: pathToFileURL(path.join(dataDir, 'media')).href,
    JOB_BACKOFF_MS: '1000',
  });
  const warmupMs = await warmBinaries(config);
  const sampler = new Sampler();
  const notes: string[] = [];

  // The pipeline logs each stage's time at debug level: read them from the worker's own log.
  const stageLogs: StageLog[] = [];
  const problems: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const at = sampler.sample();
        try {
          const rec = JSON.parse(line) as { msg?: string; stage?: string; ms?: number; level?: number };
          if (rec.msg === 'stage finished' && rec.stage && typeof rec.ms === 'number')
            stageLogs.push({ stage: rec.stage, ms: rec.ms, at });
          else if ((rec.level ?? 0) >= 40) problems.push(line.trim());
        } catch {
          // not JSON: ignore
        }
      },
    },
  );

  const t0 = performance.now();
  const database = await openDatabase({ voiceEmbeddingDim: config.voiceEmbeddingDim });
  const rows: Row[] = [];
  try {
    await database.migrate();
    const runtime = await createRuntime(config, database, logger);
    try {
      await runtime.startWorkers();
      notes.push(
        `PGlite (in memory) + migrations + queue start: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const user = await createUsersService({ config, database }).createUser({
        username: 'bench',
        email: 'bench@example.com',
        password: 'Bench-pipeline-Pa55word!',
      });
      const interactions = new InteractionsRepository(database.db);
      const id = await interactions.create(
        user.id,
        { interactionType: 'VIDEO_CALL', title: 'Bench call' },
        [],
      );
      const media = new MediaService(interactions, runtime.storage, runtime.queue, config.media.maxBytes);

      let firstProcessing: number | undefined;
      let finished: (status: string, error?: string) => void = () => {};
      const outcome = new Promise<{ status: string; error?: string; at: number }>((resolve) => {
        finished = (status, error) => resolve({ status, at: sampler.sample(), ...(error ? { error } : {}) });
      });
      const subscription = runtime.events.subscribe(userChannel(user.id), (event) => {
        if (event.type !== 'interaction.processing' || event.interaction_id !== id) return;
        if (event.status === 'PROCESSING') firstProcessing ??= sampler.sample();
        else finished(event.status, event.error);
      });

      sampler.start();
      try {
        const u0 = sampler.sample();
        await media.upload(user.id, id, {
          filename: path.basename(task.input),
          contentType: 'video/mp4',
          stream: fs.createReadStream(task.input),
        });
        const u1 = sampler.sample();
        rows.push(
          sampler.window('upload (put + attach + enqueue)', u0, u1, 'MediaService.upload, local storage'),
        );

        const timeoutMs = 600_000 + task.durationSeconds * 2000;
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([
          outcome,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`job not finished after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
        if (result.status !== 'COMPLETED') throw new Error(`job ended ${result.status}: ${result.error}`);
        const j1 = result.at;

        if (firstProcessing !== undefined) {
          rows.push(
            sampler.window(
              'queue pickup',
              u1,
              firstProcessing,
              'enqueued → first PROCESSING event (startProcessing, work dir, localPath)',
            ),
          );
        }
        let stageSum = 0;
        let previousEnd: number | undefined;
        for (const log of stageLogs) {
          // Stages run back to back: a stage starts where the previous one ended.
          const start = previousEnd ?? log.at - log.ms;
          rows.push(sampler.window(log.stage, start, log.at, "from the pipeline's `stage finished` log"));
          rows.at(-1)!.wallMs = log.ms;
          stageSum += log.ms;
          previousEnd = log.at;
        }
        const jobRow = sampler.window(
          'job (enqueue → COMPLETED)',
          u1,
          j1,
          `sum of stages ${(stageSum / 1000).toFixed(2)} s`,
        );
        rows.push(jobRow);
        rows.push({
          step: 'queue overhead (job − stages)',
          wallMs: jobRow.wallMs - stageSum,
          note: `${((1 - stageSum / jobRow.wallMs) * 100).toFixed(1)}% of the job`,
        });
        const detail = await interactions.get(user.id, id);
        notes.push(
          `interaction ${id}: ${detail?.processingStatus}, media_duration_seconds=${detail?.mediaDurationSeconds}, ` +
            `progress=${JSON.stringify(detail?.processingProgress)}`,
        );
      } finally {
        sampler.stop();
        subscription();
      }
    } finally {
      await runtime.close();
    }
  } finally {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (problems.length > 0) notes.push(`worker warnings/errors:\n    ${problems.slice(0, 5).join('\n    ')}`);
  return { rows, vmHwmMb: vmHwmMb(), warmupMs, notes };
}

async function childMain(task: Task): Promise<void> {
  const result = task.mode === 'stages' ? await runStages(task) : await runJob(task);
  fs.writeFileSync(task.resultFile, JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------
// Parent: inputs, children, table.

const cleanups: (() => Promise<void> | void)[] = [];
async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (error) {
      console.error('cleanup failed:', error);
    }
  }
}

function runFfmpeg(ffmpeg: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

type Input = { label: string; file: string; media: MediaInfo; madeWith: string };

/** The clip looped to `seconds`: stream copy, or a re-encode when copying does not give that length. */
async function makeLongInput(
  config: AppConfig,
  dir: string,
  clip: MediaInfo,
  seconds: number,
): Promise<Input> {
  const { ffmpeg } = await resolveMediaBinaries(config.ffmpeg);
  const file = path.join(dir, `looped-${seconds}s.mp4`);
  const loops = Math.ceil(seconds / clip.durationSeconds);
  const head = [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-stream_loop',
    String(loops),
    '-i',
    CLIP,
  ];
  const attempts: { how: string; args: string[] }[] = [
    {
      how: 'stream copy',
      args: [...head, '-t', String(seconds), '-c', 'copy', '-movflags', '+faststart', file],
    },
    {
      how: 're-encoded (x264 veryfast, AAC)',
      args: [
        ...head,
        '-t',
        String(seconds),
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-c:a',
        'aac',
        '-movflags',
        '+faststart',
        file,
      ],
    },
  ];
  const problems: string[] = [];
  for (const attempt of attempts) {
    const t0 = performance.now();
    const { code, stderr } = await runFfmpeg(ffmpeg.path, attempt.args);
    const ms = performance.now() - t0;
    if (code !== 0) {
      problems.push(`${attempt.how}: exit ${code}: ${stderr.trim().split('\n').slice(-2).join(' ')}`);
      continue;
    }
    const media = await probeMedia(file, { ffmpeg: config.ffmpeg });
    if (Math.abs(media.durationSeconds - seconds) > Math.max(2, seconds * 0.01) || !media.hasVideo) {
      problems.push(`${attempt.how}: got ${media.durationSeconds.toFixed(1)} s, video ${media.hasVideo}`);
      continue;
    }
    return {
      label: `looped ${formatDuration(seconds)}`,
      file,
      media,
      madeWith: `${attempt.how}, ${loops} loops, ${(ms / 1000).toFixed(1)} s`,
    };
  }
  throw new Error(`could not make the ${seconds} s input:\n  ${problems.join('\n  ')}`);
}

function formatDuration(seconds: number): string {
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

let activeChild: ChildProcess | undefined;

/** Runs one measurement in a fresh Node process (this file under tsx) and returns what it found. */
async function runChild(mode: RunMode, input: Input, dir: string): Promise<ChildResult> {
  const resultFile = path.join(dir, `result-${mode}-${Date.now()}.json`);
  const task: Task = {
    mode,
    input: input.file,
    label: input.label,
    durationSeconds: input.media.durationSeconds,
    resultFile,
  };
  const loader = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, SELF], {
    cwd: dir, // not the repo: a .env there must not leak into the benchmark
    env: { ...process.env, [CHILD_TASK_ENV]: JSON.stringify(task) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  activeChild = child;
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  activeChild = undefined;
  if (code !== 0 || !fs.existsSync(resultFile))
    throw new Error(`${mode} run exited with ${code}:\n${output}`);
  return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ChildResult;
}

type TableRow = Row & { input: string; run: RunMode; durationSeconds: number; background?: number };

function printTable(rows: TableRow[]): void {
  const fmt = (n: number | undefined, digits = 0) =>
    n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
  const header = [
    'input',
    'run',
    'step',
    'wall s',
    'RTF',
    'CPU s',
    'CPU%',
    'node RSS MB peak (start)',
    'buffers MB',
    'ffmpeg RSS MB',
    'other CPU%',
    'bg CPU%',
    'notes',
  ];
  const table = [
    header,
    ...rows.map((r) => {
      const wall = r.wallMs / 1000;
      const cpu = r.cpuMs === undefined ? undefined : r.cpuMs / 1000;
      const cpuPct = cpu === undefined || wall <= 0 ? undefined : (cpu / wall) * 100;
      const other =
        r.machineBusy === undefined || cpuPct === undefined ? undefined : Math.max(0, r.machineBusy - cpuPct);
      return [
        r.input,
        r.run,
        r.step,
        fmt(wall, 2),
        fmt(wall / r.durationSeconds, 4),
        fmt(cpu, 2),
        fmt(cpuPct),
        r.rssPeakMb === undefined ? 'n/a' : `${fmt(r.rssPeakMb)} (${fmt(r.rssStartMb)})`,
        fmt(r.buffersPeakMb, 1),
        fmt(r.ffmpegPeakMb),
        fmt(other),
        fmt(r.background),
        r.note,
      ];
    }),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i >= 3 && i <= 11 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(`\n${'='.repeat(widths.slice(0, -1).reduce((a, b) => a + b + 2, 0) + 20)}`);
  console.log(line(header));
  let previous = '';
  for (const row of table.slice(1)) {
    const group = `${row[0]}|${row[1]}`;
    if (previous && group !== previous) console.log('');
    previous = group;
    console.log(line(row));
  }
}

async function main(): Promise<void> {
  const config = benchConfig();
  if (!fs.existsSync(CLIP)) throw new Error(`fixture clip not found: ${CLIP} (set BENCH_CLIP)`);
  const binaries = await resolveMediaBinaries(config.ffmpeg);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-pipeline-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));

  const clipMedia = await probeMedia(CLIP, { ffmpeg: config.ffmpeg });
  const inputs: Input[] = [
    { label: 'clip', file: CLIP, media: clipMedia, madeWith: 'fixture, used in place' },
  ];
  if (LONG_SECONDS > 0) inputs.push(await makeLongInput(config, dir, clipMedia, LONG_SECONDS));

  console.log(
    `Rapport pipeline bench: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), node ${process.version}, ` +
      `ffmpeg ${binaries.ffmpeg.version} (${binaries.ffmpeg.source}), stages [${EXTRACTION_STAGES.map((s) => s.name).join(', ')}], ` +
      `frames: FRAME_RATE=${config.frames.rate} FRAME_MAX_WIDTH=${config.frames.maxWidth} ` +
      `FRAME_SCENE_THRESHOLD=${config.frames.sceneThreshold}, sampling every ${SAMPLE_MS} ms`,
  );
  for (const input of inputs) {
    const size = fs.statSync(input.file).size;
    console.log(
      `  ${input.label}: ${describeMedia(input.media)}, ${(size / MB).toFixed(1)} MB (${input.madeWith})`,
    );
  }

  const rows: TableRow[] = [];
  const childNotes: string[] = [];
  let failed = false;
  for (const input of inputs) {
    for (const mode of ['stages', 'job'] as const) {
      if (!RUNS.includes(mode)) continue;
      const background = await backgroundCpu();
      process.stdout.write(`\n${input.label} / ${mode}: running… `);
      const t0 = performance.now();
      try {
        const result = await runChild(mode, input, dir);
        console.log(
          `done in ${((performance.now() - t0) / 1000).toFixed(1)} s (child peak RSS ${result.vmHwmMb?.toFixed(0) ?? 'n/a'} MB, ` +
            `ffmpeg lookup warm-up ${result.warmupMs.toFixed(0)} ms, not timed)`,
        );
        for (const note of result.notes) console.log(`  ${note}`);
        for (const row of result.rows) {
          rows.push({
            ...row,
            input: input.label,
            run: mode,
            durationSeconds: input.media.durationSeconds,
            ...(background === undefined ? {} : { background }),
          });
        }
        childNotes.push(
          `${input.label}/${mode}: whole-process peak RSS (VmHWM) ${result.vmHwmMb?.toFixed(0) ?? 'n/a'} MB`,
        );
      } catch (error) {
        failed = true;
        console.log('FAILED');
        console.error(error);
      }
    }
  }

  console.log(
    '\nRTF = wall time / media duration (0.01 = 100× faster than real time). CPU = this process + the ffmpeg ' +
      `children it reaped; 100% = one core, machine max ${os.cpus().length * 100}%. node RSS = the worker ` +
      'process (sampled), buffers = its arrayBuffers (frames), ffmpeg RSS = peak of its live ffmpeg/ffprobe ' +
      'children. other = the rest of the machine during the step; bg = the machine with the bench idle just ' +
      'before the run. Each input/run is a fresh process.',
  );
  printTable(rows);
  console.log('');
  for (const note of childNotes) console.log(note);
  if (rows.some((r) => (r.background ?? 0) > 20))
    console.log(
      'WARNING: other processes were using CPU (bg CPU%): wall times are not idle-machine figures; CPU s is steadier.',
    );
  process.exitCode = failed ? 1 : 0;
}

const childTask = process.env[CHILD_TASK_ENV];
if (childTask) {
  await childMain(JSON.parse(childTask) as Task);
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      activeChild?.kill('SIGTERM');
      runCleanups().finally(() => process.exit(130));
    });
  }
  try {
    await main();
  } finally {
    await runCleanups();
  }
}
