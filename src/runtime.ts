import type { Logger } from 'pino';
import type { AppConfig } from './infra/config/config.js';
import type { DatabaseHandle } from './infra/db/database.js';
import { createEventBus, type EventBus } from './infra/events/index.js';
import { createQueue, type JobQueue } from './infra/queue/index.js';
import { createStorage, type Storage } from './infra/storage/index.js';
import { createMaintenance } from './jobs/maintenance.js';
import { MaintenanceRepository } from './jobs/maintenance-repository.js';
import { InteractionsRepository } from './modules/interactions/repository.js';
import { createNotesExtraction, type NotesExtractionService } from './modules/notes/extraction.js';
import { createFaceEngine, type FaceEngine } from './pipeline/engines/face/index.js';
import { createNotesEngine } from './pipeline/engines/notes/index.js';
import {
  createMediaProcessor,
  createMediaStages,
  processMediaJob,
  removeAbandonedWorkDirs,
  userChannel,
} from './pipeline/process-media.js';
import { createNotesProcessor, EXTRACT_NOTES_JOB, extractNotesJob } from './pipeline/process-notes.js';
import { speechSettings } from './pipeline/speech/engines.js';
import { LiveSpeechThreads } from './pipeline/speech/live-threads.js';
import { SpeechWorkers } from './pipeline/speech/pool.js';

/** The adapters behind the services: storage, job queue and event bus, chosen by configuration. */
export type Runtime = {
  storage: Storage;
  queue: JobQueue;
  events: EventBus;
  /** Notes and summaries from a stored transcript: the pipeline's notes stage, transcript imports, live calls. */
  notesExtraction: NotesExtractionService;
  /** Speech inference threads (voice enrolment, the speech stage, live calls). */
  speech: SpeechWorkers;
  /** Live-call speech threads (started with the first call). */
  liveSpeech: LiveSpeechThreads;
  /** Face detection and embedding (worker threads, started by the first face): enrolment, pipeline, live calls. */
  faceEngine: FaceEngine;
  /** Consume pipeline and maintenance jobs in this process (the embedded server, or `rapport worker`). */
  startWorkers(): Promise<void>;
  /** Register the periodic jobs (idempotent): the embedded server, or `rapport scheduler`. */
  startScheduler(): Promise<void>;
  close(): Promise<void>;
};

export async function createRuntime(
  config: AppConfig,
  database: DatabaseHandle,
  logger: Logger,
  options: {
    queueSchema?: string;
    /** Where the embedded queue keeps its jobs, when not in the application's database (tests). */
    queueDatabase?: DatabaseHandle;
  } = {},
): Promise<Runtime> {
  const storage = createStorage(config.storage);
  const events = createEventBus(config, { logger, prefix: `${config.redisPrefix}:events:` });
  let queue: JobQueue;
  try {
    queue = await createQueue(config, options.queueDatabase ?? database, {
      logger,
      redisPrefix: config.redisPrefix,
      pgSchema: options.queueSchema,
    });
  } catch (error) {
    await events.close();
    throw error;
  }
  const interactions = new InteractionsRepository(database.db);
  const speech = new SpeechWorkers(config);
  const liveSpeech = new LiveSpeechThreads(
    speechSettings(config),
    {
      threads: config.live.speechThreads,
      transcriber: {
        partialEverySeconds: config.live.partialIntervalMs / 1000,
        repeatPartialAfterSeconds: 2,
        maxUtteranceSeconds: config.live.maxUtteranceSeconds,
      },
    },
    logger,
  );
  const faceEngine = createFaceEngine(config);

  // A job that ran out of attempts without recording a verdict (its workers kept dying): FAILED.
  queue.onFailed(async (failure) => {
    if (failure.name === EXTRACT_NOTES_JOB) {
      const notesJob = extractNotesJob.safeParse(failure.data);
      if (!notesJob.success) return;
      const { userId, interactionId, runId } = notesJob.data;
      const error = `Processing stopped before it could finish, ${config.queue.attempts} times: ${failure.error}`;
      await interactions.finishNotesRun(userId, interactionId, runId, { status: 'FAILED', error });
      await events.publish(userChannel(userId), {
        type: 'interaction.processing',
        interaction_id: interactionId,
        status: 'FAILED',
        error,
      });
      return;
    }
    if (failure.name !== 'process-media') return;
    const parsed = processMediaJob.safeParse(failure.data);
    if (!parsed.success) return;
    const { userId, interactionId, mediaKey } = parsed.data;
    const error = `Processing stopped before it could finish, ${config.queue.attempts} times: ${failure.error}`;
    await interactions.finishProcessing(userId, interactionId, mediaKey, { status: 'FAILED', error });
    await events.publish(userChannel(userId), {
      type: 'interaction.processing',
      interaction_id: interactionId,
      status: 'FAILED',
      error,
    });
  });

  // One engine per process (the local one runs in worker threads, started with the first call).
  const notesEngine = createNotesEngine(config, logger);
  const notesExtraction = createNotesExtraction({
    config,
    database,
    events,
    log: logger,
    engine: notesEngine,
  });

  return {
    storage,
    queue,
    events,
    notesExtraction,
    speech,
    liveSpeech,
    faceEngine,
    async startWorkers() {
      await removeAbandonedWorkDirs(logger);
      const stages = createMediaStages({
        config,
        database,
        storage,
        events,
        log: logger,
        speech,
        faceEngine,
        notesExtraction,
      });
      const processMedia = createMediaProcessor({
        config,
        storage,
        interactions,
        events,
        log: logger,
        stages,
      });
      await queue.work('process-media', processMedia);
      const extractNotes = createNotesProcessor({
        config,
        interactions,
        extraction: notesExtraction,
        events,
        log: logger,
      });
      await queue.work(EXTRACT_NOTES_JOB, extractNotes);
      const maintenance = createMaintenance({
        config,
        repo: new MaintenanceRepository(database.db),
        storage,
        queue,
        log: logger,
      });
      await queue.work('maintenance', async () => {
        await maintenance();
      });
    },
    async startScheduler() {
      await queue.schedule('maintenance', config.maintenance.intervalMs);
    },
    async close() {
      try {
        await queue.close(config.shutdownTimeoutMs);
      } finally {
        await Promise.all([
          events.close(),
          notesEngine.close?.(),
          speech.close(),
          liveSpeech.close(),
          faceEngine.close(),
        ]);
      }
    },
  };
}
