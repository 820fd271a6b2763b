import type { Logger } from 'pino';
import { z } from 'zod';
import type { AppConfig } from '../infra/config/config.js';
import type { ProcessingProgress } from '../infra/db/schema.js';
import type { EventBus } from '../infra/events/index.js';
import type { Job } from '../infra/queue/index.js';
import type { InteractionsRepository } from '../modules/interactions/repository.js';
import type { NotesExtractionService } from '../modules/notes/extraction.js';
import { NotesEngineError } from './engines/notes/index.js';
import { type ProcessingUpdate, publishProcessing } from './process-media.js';

/** Notes from a transcript that came without media (an import): no probe, audio or speech. */
export const EXTRACT_NOTES_JOB = 'extract-notes';

export const extractNotesJob = z.object({
  interactionId: z.number().int().positive(),
  userId: z.number().int().positive(),
  /** The run this job was queued for: a newer import or a media upload supersedes it. */
  runId: z.string().min(1),
});
export type ExtractNotesJob = z.infer<typeof extractNotesJob>;

/** One run per interaction and run id: asking again while it is queued adds nothing. */
export const notesJobId = (job: ExtractNotesJob) => `notes-${job.interactionId}-${job.runId}`;

export type NotesProcessorDeps = {
  config: AppConfig;
  interactions: InteractionsRepository;
  extraction: NotesExtractionService;
  events: EventBus;
  log: Logger;
};

/**
 * The `extract-notes` job: the notes stage alone, with the same status, progress and events as a
 * media run. An engine that cannot succeed on this input (NotesEngineError) ends FAILED at once;
 * other errors (endpoint down, database) are retried by the queue, FAILED on the last attempt.
 */
export function createNotesProcessor(deps: NotesProcessorDeps) {
  const { config, interactions, extraction, events } = deps;

  const publish = (data: ExtractNotesJob, event: ProcessingUpdate) =>
    publishProcessing(events, deps.log, data, event);

  async function finish(data: ExtractNotesJob, progress: ProcessingProgress, error?: string) {
    await interactions.finishNotesRun(
      data.userId,
      data.interactionId,
      data.runId,
      error === undefined ? { status: 'COMPLETED' } : { status: 'FAILED', error },
    );
    await publish(data, {
      status: error === undefined ? 'COMPLETED' : 'FAILED',
      progress,
      ...(error ? { error } : {}),
    });
  }

  return async function extractNotes(job: Job): Promise<void> {
    const data = extractNotesJob.parse(job.data);
    const log = deps.log.child({ job: job.id, interaction: data.interactionId, attempt: job.attempt });
    if (!(await interactions.startNotesRun(data.userId, data.interactionId, data.runId))) {
      log.info('interaction deleted or its transcript run superseded: nothing to do');
      return;
    }
    let progress: ProcessingProgress = { stage: 'notes', percent: 0 };
    const onProgress = (fraction: number) => {
      progress = { stage: 'notes', percent: Math.round(Math.min(1, Math.max(0, fraction)) * 100) };
      void interactions
        .setNotesRunProgress(data.userId, data.interactionId, data.runId, progress)
        .catch((error) => log.warn({ err: error }, 'could not record progress'));
      void publish(data, { status: 'PROCESSING', progress });
    };
    try {
      onProgress(0);
      await extraction.extractAndStoreNotes(data.userId, data.interactionId, {
        signal: job.signal,
        onProgress,
      });
      progress = { stage: 'done', percent: 100 };
      await interactions.setNotesRunProgress(data.userId, data.interactionId, data.runId, progress);
      await finish(data, progress);
      log.info('transcript processed');
    } catch (error) {
      if (job.signal.aborted) throw error;
      if (error instanceof NotesEngineError) {
        log.info({ reason: error.message }, 'notes cannot be extracted');
        await finish(data, progress, error.message);
        return;
      }
      if (job.attempt >= config.queue.attempts) {
        log.error({ err: error }, 'note extraction failed on its last attempt');
        const detail = error instanceof Error ? error.message : String(error);
        await finish(data, progress, `Processing failed at the notes step: ${detail}`);
        return;
      }
      log.warn({ err: error }, 'note extraction failed; the queue will retry');
      throw error;
    }
  };
}
