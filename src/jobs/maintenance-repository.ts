import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../infra/db/database.js';
import { faceSignatures, interactions, notes, voiceSignatures } from '../infra/db/schema.js';

/**
 * Housekeeping queries. Unlike the modules' repositories these span every user on purpose: they
 * run as the system's periodic job, never on behalf of a request.
 */
export class MaintenanceRepository {
  constructor(private readonly db: Database) {}

  /** Soft-deleted notes whose deletion is older than the cut-off are removed for good. */
  async purgeDeletedNotes(olderThan: Date): Promise<number> {
    const rows = await this.db
      .delete(notes)
      .where(and(eq(notes.status, 'DELETED'), lt(notes.updatedAt, olderThan)))
      .returning({ id: notes.id });
    return rows.length;
  }

  /**
   * Interactions waiting or processing whose job has been silent since the cut-off: media runs
   * (keyed on the media) and notes-only runs (keyed on their run id).
   */
  async stuckProcessing(
    silentSince: Date,
  ): Promise<{ id: number; userId: number; mediaKey: string | null; notesRunId: string | null }[]> {
    return this.db
      .select({
        id: interactions.id,
        userId: interactions.userId,
        mediaKey: interactions.mediaPath,
        notesRunId: interactions.notesRunId,
      })
      .from(interactions)
      .where(
        and(
          inArray(interactions.processingStatus, ['PENDING', 'PROCESSING']),
          sql`(${interactions.mediaPath} is not null or ${interactions.notesRunId} is not null)`,
          lt(interactions.processingUpdatedAt, silentSince),
        ),
      );
  }

  async touchProcessing(id: number): Promise<void> {
    await this.db
      .update(interactions)
      .set({ processingUpdatedAt: new Date() })
      .where(eq(interactions.id, id));
  }

  /** Which of these storage keys no interaction points at. */
  unreferencedMediaKeys(keys: string[]): Promise<string[]> {
    return this.unreferenced(keys, interactions, interactions.mediaPath);
  }

  /** Which of these face thumbnail keys no face signature points at (its person was deleted). */
  unreferencedFaceThumbnails(keys: string[]): Promise<string[]> {
    return this.unreferenced(keys, faceSignatures, faceSignatures.thumbnailPath);
  }

  /** Which of these voice sample keys no voice signature points at (deleted, or merged away). */
  unreferencedVoiceSamples(keys: string[]): Promise<string[]> {
    return this.unreferenced(keys, voiceSignatures, voiceSignatures.samplePath);
  }

  private async unreferenced(keys: string[], table: PgTable, column: PgColumn): Promise<string[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.select({ key: column }).from(table).where(inArray(column, keys));
    const used = new Set(rows.map((r) => r.key));
    return keys.filter((key) => !used.has(key));
  }
}
