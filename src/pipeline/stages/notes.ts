import type { NotesExtractionService } from '../../modules/notes/extraction.js';
import type { Stage } from '../pipeline.js';

/**
 * Notes and summary from the transcript the earlier stages stored. It reads the database, not
 * their in-memory artifacts, so it is the same work as after an imported transcript or a live call.
 */
export function createNotesStage(extraction: NotesExtractionService): Stage {
  return {
    name: 'notes',
    weight: 3,
    async run(ctx, progress) {
      await extraction.extractAndStoreNotes(ctx.userId, ctx.interactionId, {
        signal: ctx.signal,
        onProgress: progress,
      });
    },
  };
}
