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
  /**
   * A live call's speech, decoded as its audio arrives, one utterance after another (the engine
   * adapts to the call's audio as it goes, so a session is never shared between calls). Engines
   * that can only decode whole utterances leave this out; `openLiveSession` buffers for them.
   */
  openLiveSession?(): LiveRecognition;
  close?(): void;
}

/** The recogniser of one live call. */
export interface LiveRecognition {
  /** The next utterance (the previous one must be finished). */
  openUtterance(): UtteranceStream;
  close(): void;
}

/** An utterance being recognised while it is spoken. */
export interface UtteranceStream {
  accept(samples: Float32Array): void;
  /** The best guess so far, or undefined when the engine cannot tell before the end. */
  partial(): string | undefined;
  /** The utterance is over: its final segments (times from the first sample accepted). */
  finish(): Promise<AsrSegment[]>;
}

/** The engine's own live session when it streams; else each utterance is kept and decoded whole at its end. */
export function openLiveSession(recognizer: SpeechRecognizer): LiveRecognition {
  if (recognizer.openLiveSession) return recognizer.openLiveSession();
  return {
    openUtterance() {
      const chunks: Float32Array[] = [];
      return {
        accept: (samples) => void chunks.push(samples),
        partial: () => undefined,
        finish: () => recognizer.transcribe(concatSamples(chunks)),
      };
    },
    close() {},
  };
}

export function concatSamples(chunks: Float32Array[]): Float32Array {
  const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

export const ASR_SAMPLE_RATE = 16_000;
