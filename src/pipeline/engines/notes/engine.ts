import { NOTE_CATEGORIES } from '../../../infra/db/schema.js';

export type NoteCategory = (typeof NOTE_CATEGORIES)[number];
export { NOTE_CATEGORIES };

/** A person who took part in the call and may get notes. */
export type NotesParticipant = { relationshipId: number; name: string };

/**
 * One turn of the transcript. `speaker` is the participant who said it when known (voice
 * signature or imported speaker name); `speakerName` is what the transcript called them, which for
 * an unmatched name is usually the user themself ("Me", their own name). Plain text has neither.
 */
export type NotesTurn = {
  speaker: NotesParticipant | null;
  speakerName: string | null;
  text: string;
  /** Seconds from the start of the call, when known. */
  start: number | null;
};

export type NotesInput = {
  occurredAt: Date;
  participants: NotesParticipant[];
  turns: NotesTurn[];
};

export type ExtractedNote = {
  relationshipId: number;
  text: string;
  category: NoteCategory;
  /** 0–1. */
  importance: number;
};

export type NotesResult = { summary: string; notes: ExtractedNote[] };

export type NotesEngineStatus = { name: string; available: boolean; reason: string };

export interface NotesEngine {
  readonly name: 'llm' | 'local';
  status(): NotesEngineStatus;
  extract(
    input: NotesInput,
    options: { signal?: AbortSignal; onProgress?: (fraction: number) => void },
  ): Promise<NotesResult>;
  /** Embeddings of texts, when the engine's endpoint offers them (duplicate detection); else undefined. */
  embed?(texts: string[], signal?: AbortSignal): Promise<number[][] | undefined>;
  /** Stops worker threads, if any. */
  close?(): Promise<void>;
}

/**
 * Extraction cannot succeed by retrying the same input (the model keeps answering something
 * invalid, the endpoint refuses the request): the run ends FAILED with this readable message.
 */
export class NotesEngineError extends Error {
  override name = 'NotesEngineError';
}
