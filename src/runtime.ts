import type { Logger } from 'pino';
import type { AppConfig } from './infra/config/config.js';
import type { DatabaseHandle } from './infra/db/database.js';
import { createEventBus, type EventBus } from './infra/events/index.js';
import { createQueue, type JobQueue } from './infra/queue/index.js';
import { createStorage, type Storage } from './infra/storage/index.js';
import { createMaintenance } from './jobs/maintenance.js';
import { MaintenanceRepository } from './jobs/maintenance-repository.js';
import { InteractionsRepository } from './modules/interactions/repository.js';
import { createFaceEngine, type FaceEngine } from './pipeline/engines/face/index.js';
import {
  createMediaProcessor,
  createMediaStages,
  processMediaJob,
  userChannel,
} from './pipeline/process-media.js';

/** The adapters behind the services: storage, job queue and event bus, chosen by configuration. */
export type Runtime = {
  storage: Storage;
  queue: JobQueue;
  events: EventBus;
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
  const faceEngine = createFaceEngine(config);

  // A job that ran out of attempts without recording a verdict (its workers kept dying): FAILED.
  queue.onFailed(async (failure) => {
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

  return {
    storage,
    queue,
    events,
    faceEngine,
    async startWorkers() {
      const stages = createMediaStages({ config, database, storage, events, log: logger, faceEngine });
      const processMedia = createMediaProcessor({
        config,
        storage,
        interactions,
        events,
        log: logger,
        stages,
      });
      await queue.work('process-media', processMedia);
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
        await Promise.all([events.close(), faceEngine.close()]);
      }
    },
  };
}
