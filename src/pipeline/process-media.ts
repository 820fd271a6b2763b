import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AppConfig } from '../infra/config/config.js';
import type { DatabaseHandle } from '../infra/db/database.js';
import type { ProcessingProgress } from '../infra/db/schema.js';
import type { EventBus } from '../infra/events/index.js';
import { extractFrames, isMediaError } from '../infra/media/index.js';
import type { Job } from '../infra/queue/index.js';
import type { Storage } from '../infra/storage/index.js';
import { InteractionsRepository } from '../modules/interactions/repository.js';
import { createNotesExtraction, type NotesExtractionService } from '../modules/notes/extraction.js';
import { saveFaceThumbnail } from '../modules/signatures/face-thumbnails.js';
import { SignaturesRepository } from '../modules/signatures/repository.js';
import type { FaceEngine } from './engines/face/index.js';
import { NotesEngineError } from './engines/notes/index.js';
import { FaceIdentifier } from './faces/identifier.js';
import { runPipeline, type Stage, type StageContext } from './pipeline.js';
import type { SpeechWorkers } from './speech/pool.js';
import { audioStage } from './stages/audio.js';
import { createFacesStage } from './stages/faces.js';
import { createNotesStage } from './stages/notes.js';
import { probeStage } from './stages/probe.js';
import { createSpeechStage } from './stages/speech.js';

/** The stages that only read the media (no database, no models): the pipeline bench times these. */
export const EXTRACTION_STAGES: Stage[] = [probeStage, audioStage];

/** What a stage factory may need beyond the StageContext: the adapters of this process. */
export type StageDeps = {
  config: AppConfig;
  database: DatabaseHandle;
  storage: Storage;
  events: EventBus;
  log: Logger;
  speech: SpeechWorkers;
  /** Shared with enrolment (and live calls) in this process. */
  faceEngine: FaceEngine;
  /** The process's notes service (one engine per process); built here when absent. */
  notesExtraction?: NotesExtractionService;
};

/**
 * The stages of a recorded call, in order: probe → audio → faces → speech → notes. Stages that need
 * repositories or engines are built here from the process's adapters.
 */
export function createMediaStages(deps: StageDeps): Stage[] {
  const { config, database, storage, faceEngine, log } = deps;
  const interactions = new InteractionsRepository(database.db);
  const signatures = new SignaturesRepository(database.db);
  const facesStage = createFacesStage({
    engine: faceEngine,
    identifier: new FaceIdentifier(
      signatures,
      (userId, signatureId, crop) => saveFaceThumbnail(storage, userId, signatureId, crop),
      config.faces.matchThreshold,
    ),
    interactions,
    matchThreshold: config.faces.matchThreshold,
    parallelism: config.faces.workers,
    log,
  });
  return [
    ...EXTRACTION_STAGES,
    ...(config.faces.enabled ? [facesStage] : []),
    createSpeechStage({ workers: deps.speech, interactions, signatures, storage }),
    createNotesStage(deps.notesExtraction ?? createNotesExtraction(deps)),
  ];
}

export const processMediaJob = z.object({
  interactionId: z.number().int().positive(),
  userId: z.number().int().positive(),
  /** The media the job was queued for: a job for media since replaced does nothing. */
  mediaKey: z.string().min(1),
});
export type ProcessMediaJob = z.infer<typeof processMediaJob>;

/** Event published on `user:{id}` as a job moves, for the web app and live sockets. */
export type InteractionProcessingEvent = {
  type: 'interaction.processing';
  interaction_id: number;
  status: 'PROCESSING' | 'COMPLETED' | 'FAILED';
  progress: ProcessingProgress;
  error?: string;
};

export const userChannel = (userId: number) => `user:${userId}`;

export type ProcessingUpdate = Omit<InteractionProcessingEvent, 'type' | 'interaction_id'>;

/**
 * Tells the user's clients how a run moves (media or notes-only). Best effort: the status is in
 * the database either way, so a lost event is logged, never fatal to the job.
 */
export async function publishProcessing(
  events: EventBus,
  log: Logger,
  run: { userId: number; interactionId: number },
  update: ProcessingUpdate,
): Promise<void> {
  await events
    .publish(userChannel(run.userId), {
      type: 'interaction.processing',
      interaction_id: run.interactionId,
      ...update,
    })
    .catch((error) => log.warn({ err: error }, 'could not publish a processing event'));
}

export type MediaProcessorDeps = {
  config: AppConfig;
  storage: Storage;
  interactions: InteractionsRepository;
  events: EventBus;
  log: Logger;
  stages: Stage[];
};

/** A job's work dir names its process, so a dead process' dirs can be told from a live one's. */
const workDirPrefix = (interactionId: number) => `rapport-job-${interactionId}-p${process.pid}-`;
const WORK_DIR = /^rapport-job-\d+-p(\d+)-/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the work dirs of workers that died without cleaning up (SIGKILL, OOM), at worker start:
 * a long recording's extracted audio and frames are not left to the daily maintenance.
 */
export async function removeAbandonedWorkDirs(log: Logger, root = os.tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(root).catch(() => [] as string[])) {
    const pid = Number(WORK_DIR.exec(name)?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    await fs.rm(path.join(root, name), { recursive: true, force: true });
    removed++;
  }
  if (removed > 0) log.info({ removed }, 'removed the work dirs of dead workers');
  return removed;
}

/** Minimum time between progress writes, so a fast stage does not flood the database. */
const PROGRESS_INTERVAL_MS = 500;

/**
 * The `process-media` job: runs the stages on one interaction's media. Media ffmpeg cannot read
 * ends FAILED with the reason at once (retrying cannot help); any other error is retried by the
 * queue, and FAILED is written when the last attempt fails.
 */
export function createMediaProcessor(deps: MediaProcessorDeps) {
  const { config, storage, interactions, events } = deps;
  const { stages } = deps;

  const publish = (data: ProcessMediaJob, event: ProcessingUpdate) =>
    publishProcessing(events, deps.log, data, event);

  async function fail(data: ProcessMediaJob, error: string, progress: ProcessingProgress) {
    await interactions.finishProcessing(data.userId, data.interactionId, data.mediaKey, {
      status: 'FAILED',
      error,
    });
    await publish(data, { status: 'FAILED', progress, error });
  }

  return async function processMedia(job: Job): Promise<void> {
    const data = processMediaJob.parse(job.data);
    const log = deps.log.child({ job: job.id, interaction: data.interactionId, attempt: job.attempt });
    const started = await interactions.startProcessing(data.userId, data.interactionId, data.mediaKey);
    if (!started) {
      log.info('interaction deleted or media replaced since the job was queued: nothing to do');
      return;
    }
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), workDirPrefix(data.interactionId)));
    let progress: ProcessingProgress = { stage: 'download', percent: 0 };
    let lastWrite = 0;
    const onProgress = (next: ProcessingProgress) => {
      progress = next;
      const now = Date.now();
      if (now - lastWrite < PROGRESS_INTERVAL_MS && next.percent < 100) return;
      lastWrite = now;
      void interactions
        .setProgress(data.userId, data.interactionId, data.mediaKey, next)
        .catch((error) => log.warn({ err: error }, 'could not record progress'));
      void publish(data, { status: 'PROCESSING', progress: next });
    };
    try {
      // What stages could not do (no transcription engine…): shown on the completed interaction.
      const notices: string[] = [];
      try {
        const mediaFile = await storage.localPath(data.mediaKey, workDir);
        const ctx: StageContext = {
          interactionId: data.interactionId,
          userId: data.userId,
          mediaFile,
          workDir,
          config,
          log,
          signal: job.signal,
          store: {
            saveMediaDuration: (seconds) =>
              interactions.saveMediaDuration(data.userId, data.interactionId, data.mediaKey, seconds),
          },
          notices,
          countedFaceSignatures: new Set(started.earlierFaceSignatureIds),
          frames: () =>
            extractFrames(mediaFile, { ...config.frames, ffmpeg: config.ffmpeg, signal: job.signal }),
        };
        await runPipeline(stages, ctx, onProgress);
      } finally {
        // Gone before the verdict is written: whoever sees COMPLETED or FAILED sees no leftovers.
        await fs.rm(workDir, { recursive: true, force: true });
      }
      await interactions.setProgress(data.userId, data.interactionId, data.mediaKey, progress);
      await interactions.finishProcessing(data.userId, data.interactionId, data.mediaKey, {
        status: 'COMPLETED',
        notice: notices.join(' '),
      });
      await publish(data, { status: 'COMPLETED', progress });
      log.info('media processed');
    } catch (error) {
      // Stopped by a shutdown or a lost lease: the job runs again; this run is not a verdict.
      if (job.signal.aborted) throw error;
      if (isMediaError(error) && error.isUserError) {
        log.info({ reason: error.reason }, 'media cannot be processed');
        await fail(data, error.message, progress);
        return;
      }
      // The notes engine cannot succeed on this input (unusable answers twice, a refused request):
      // retrying the whole recording would not help either.
      if (error instanceof NotesEngineError) {
        log.info({ reason: error.message }, 'notes cannot be extracted');
        await fail(data, error.message, progress);
        return;
      }
      if (job.attempt >= config.queue.attempts) {
        log.error({ err: error }, 'processing failed on its last attempt');
        const detail = error instanceof Error ? error.message : String(error);
        await fail(data, `Processing failed at the ${progress.stage} step: ${detail}`, progress);
        return;
      }
      log.warn({ err: error }, 'processing failed; the queue will retry');
      throw error;
    }
  };
}
