/** One recognised word; times are seconds from the start of the audio given to the engine. */
export type AsrWord = { start: number; end: number; word: string };

/** A stretch of recognised speech; `words` when the engine gives word times. */
export type AsrSegment = { start: number; end: number; text: string; words?: AsrWord[] };

/** What `GET /api/health/` says about an engine: whether it can run here, and why (not). */
export type EngineStatus = { name: string; available: boolean; reason: string };

/**
 * A speech recogniser. `transcribe` takes one utterance (or a whole recording, for engines that
 * segment themselves) as 16 kHz mono samples in [-1, 1]. Local engines run in a speech worker
 * thread, never on the event loop.
 */
export interface SpeechRecognizer {
  readonly name: string;
  transcribe(samples: Float32Array, signal?: AbortSignal): Promise<AsrSegment[]>;
  close?(): void;
}

export const ASR_SAMPLE_RATE = 16_000;
