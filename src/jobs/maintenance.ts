import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AppConfig } from '../infra/config/config.js';
import type { JobQueue } from '../infra/queue/index.js';
import type { Storage } from '../infra/storage/index.js';
import type { ProcessMediaJob } from '../pipeline/process-media.js';
import { EXTRACT_NOTES_JOB, type ExtractNotesJob, notesJobId } from '../pipeline/process-notes.js';
import type { MaintenanceRepository } from './maintenance-repository.js';

const DAY_MS = 24 * 3600 * 1000;

/** How the periodic `maintenance` job cleans up; the defaults are documented in the README. */
export const MAINTENANCE = {
  /** Soft-deleted notes are kept this long (restorable with PATCH status) before being purged. */
  deletedNotesRetentionMs: 30 * DAY_MS,
  /** A stored file no interaction points at is removed once it is this old (uploads in flight are younger). */
  orphanGraceMs: 3600 * 1000,
  /** Job work directories left by a crashed worker are removed after this long. */
  tempDirMaxAgeMs: DAY_MS,
};

export type MaintenanceReport = {
  purgedNotes: number;
  requeued: number;
  orphanedMediaRemoved: number;
  orphanedThumbnailsRemoved: number;
  orphanedVoiceSamplesRemoved: number;
  tempDirsRemoved: number;
};

/**
 * The `maintenance` job: purge old soft-deleted notes, re-queue processing that went silent,
 * remove orphaned media and face thumbnails, and stale job directories. Every step is idempotent.
 */
export function createMaintenance(deps: {
  config: AppConfig;
  repo: MaintenanceRepository;
  storage: Storage;
  queue: JobQueue;
  log: Logger;
  now?: () => Date;
}) {
  const { config, repo, storage, queue, log } = deps;
  const now = deps.now ?? (() => new Date());

  async function requeueStuck(): Promise<number> {
    const stuck = await repo.stuckProcessing(
      new Date(now().getTime() - config.maintenance.stuckJobTimeoutMs),
    );
    for (const row of stuck) {
      // Same keys as the routes that queue them: a job still queued or running absorbs this one.
      if (row.notesRunId !== null) {
        const job: ExtractNotesJob = { interactionId: row.id, userId: row.userId, runId: row.notesRunId };
        await queue.enqueue(EXTRACT_NOTES_JOB, job, { jobId: notesJobId(job) });
      } else if (row.mediaKey !== null) {
        const job: ProcessMediaJob = { interactionId: row.id, userId: row.userId, mediaKey: row.mediaKey };
        await queue.enqueue('process-media', job, { jobId: `media-${row.id}-${row.mediaKey}` });
      }
      await repo.touchProcessing(row.id);
    }
    return stuck.length;
  }

  /** Files under `prefix` that nothing points at any more, once older than the grace period. */
  async function removeUnreferenced(
    prefix: string,
    unreferenced: (keys: string[]) => Promise<string[]>,
  ): Promise<number> {
    const cutoff = now().getTime() - MAINTENANCE.orphanGraceMs;
    let removed = 0;
    let batch: string[] = [];
    const flush = async () => {
      for (const key of await unreferenced(batch)) {
        await storage.delete(key);
        removed++;
      }
      batch = [];
    };
    for await (const object of storage.list(prefix)) {
      if (object.lastModified.getTime() > cutoff) continue;
      batch.push(object.key);
      if (batch.length >= 500) await flush();
    }
    await flush();
    return removed;
  }

  async function removeStaleTempDirs(): Promise<number> {
    const root = os.tmpdir();
    const cutoff = now().getTime() - MAINTENANCE.tempDirMaxAgeMs;
    let removed = 0;
    for (const name of await fs.readdir(root)) {
      if (!name.startsWith('rapport-job-')) continue;
      const dir = path.join(root, name);
      const stat = await fs.stat(dir).catch(() => undefined);
      if (stat?.isDirectory() && stat.mtimeMs < cutoff) {
        await fs.rm(dir, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  return async function runMaintenance(): Promise<MaintenanceReport> {
    const report: MaintenanceReport = {
      purgedNotes: await repo.purgeDeletedNotes(
        new Date(now().getTime() - MAINTENANCE.deletedNotesRetentionMs),
      ),
      requeued: await requeueStuck(),
      orphanedMediaRemoved: await removeUnreferenced('users/', (keys) => repo.unreferencedMediaKeys(keys)),
      // Signatures go with their person (or a merge): their thumbnails and samples are removed here.
      orphanedThumbnailsRemoved: await removeUnreferenced('faces/', (keys) =>
        repo.unreferencedFaceThumbnails(keys),
      ),
      orphanedVoiceSamplesRemoved: await removeUnreferenced('voices/', (keys) =>
        repo.unreferencedVoiceSamples(keys),
      ),
      tempDirsRemoved: await removeStaleTempDirs(),
    };
    log.info(report, 'maintenance done');
    return report;
  };
}
