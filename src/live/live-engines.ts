import type { FastifyBaseLogger as Logger } from 'fastify';
import type { AppConfig } from '../infra/config/config.js';
import type { Storage } from '../infra/storage/index.js';
import type { NotesExtractionService } from '../modules/notes/extraction.js';
import { toNoteOut } from '../modules/notes/routes.js';
import { saveFaceThumbnail } from '../modules/signatures/face-thumbnails.js';
import type { SignaturesRepository } from '../modules/signatures/repository.js';
import type { FaceEngine } from '../pipeline/engines/face/index.js';
import { FaceIdentifier } from '../pipeline/faces/identifier.js';
import { asrStatus, vadStatus } from '../pipeline/speech/engines.js';
import type { LiveSpeechThreads } from '../pipeline/speech/live-threads.js';
import type { LiveEngines } from './engines.js';
import { openLiveFaces } from './faces-session.js';
import { openLiveSpeech } from './speech-session.js';

/** What a live call can use in this process; each capability is optional. */
export type LiveEngineDeps = {
  notesExtraction?: NotesExtractionService | undefined;
  speech?: LiveSpeechThreads | undefined;
  faceEngine?: FaceEngine | undefined;
  faces: AppConfig['faces'];
  storage: Storage;
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
  if (speech && vadStatus(speech.settings).available && asrStatus(speech.settings).available) {
    engines.openAudio = (call) =>
      openLiveSpeech(
        { threads: speech, signatures: deps.signatures, storage: deps.storage, log: deps.log },
        call,
      );
  }
  const { faceEngine, faces, storage, signatures } = deps;
  if (faceEngine && faces.enabled) {
    // The recorded-call identifier: the same threshold, the same unknown-people grouping.
    const identifier = new FaceIdentifier(
      signatures,
      (userId, signatureId, crop) => saveFaceThumbnail(storage, userId, signatureId, crop),
      faces.matchThreshold,
    );
    engines.openVideo = (call) =>
      openLiveFaces(
        {
          engine: faceEngine,
          identifier,
          matchThreshold: faces.matchThreshold,
          maxPixels: faces.imageMaxPixels,
          detector: faces.liveDetector,
          log: deps.log,
        },
        call,
      );
  }
  return engines;
}
