import type { FastifyBaseLogger as Logger } from 'fastify';
import type { NotesExtractionService } from '../modules/notes/extraction.js';
import { toNoteOut } from '../modules/notes/routes.js';
import type { SignaturesRepository } from '../modules/signatures/repository.js';
import { SileroVad } from '../pipeline/engines/vad/silero.js';
import { asrStatus, createVad } from '../pipeline/speech/engines.js';
import type { SpeechWorkers } from '../pipeline/speech/pool.js';
import type { LiveEngines } from './engines.js';
import { openLiveSpeech } from './speech-session.js';

/** What a live call can use in this process; each capability is optional. */
export type LiveEngineDeps = {
  notesExtraction?: NotesExtractionService | undefined;
  speech?: SpeechWorkers | undefined;
  signatures: SignaturesRepository;
  log: Logger;
};

/** The live-call side of the engines the recorded-call pipeline uses. */
export function createLiveEngines(deps: LiveEngineDeps): LiveEngines {
  const engines: LiveEngines = {};
  const { notesExtraction, speech } = deps;
  if (notesExtraction) {
    engines.summarize = async (userId, interactionId) => {
      const result = await notesExtraction.extractAndStoreNotes(userId, interactionId);
      return { summary: result?.summary ?? '', notes: (result?.created ?? []).map(toNoteOut) };
    };
  }
  // Speech needs voice activity (to find utterances) and a recogniser (to have something to say).
  const vad = speech ? createVad(speech.settings) : undefined;
  if (speech && vad instanceof SileroVad && asrStatus(speech.settings).available) {
    engines.openAudio = (call) =>
      openLiveSpeech(
        { workers: speech, signatures: deps.signatures, openVad: () => vad.stream(), log: deps.log },
        call,
      );
  }
  return engines;
}
