import type { NotesExtractionService } from '../modules/notes/extraction.js';
import { toNoteOut } from '../modules/notes/routes.js';
import type { LiveEngines } from './engines.js';

/** What a live call can use in this process; each capability is optional. */
export type LiveEngineDeps = {
  notesExtraction?: NotesExtractionService | undefined;
};

/** The live-call side of the engines the recorded-call pipeline uses. */
export function createLiveEngines(deps: LiveEngineDeps): LiveEngines {
  const engines: LiveEngines = {};
  const { notesExtraction } = deps;
  if (notesExtraction) {
    engines.summarize = async (userId, interactionId) => {
      const result = await notesExtraction.extractAndStoreNotes(userId, interactionId);
      return { summary: result?.summary ?? '', notes: (result?.created ?? []).map(toNoteOut) };
    };
  }
  return engines;
}
