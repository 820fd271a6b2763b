import type { SpeechRegion } from '../vad/vad.js';

/** One speaker's turn: seconds from the start, and a label local to the recording. */
export type SpeakerTurn = { start: number; end: number; speaker: number };

/**
 * Who spoke when in a whole recording (16 kHz mono), given where the VAD heard speech (engines
 * with their own segmentation may ignore it). Without a diarization engine, Rapport clusters voice
 * embeddings of VAD windows itself (src/pipeline/speech/diarize.ts).
 */
export interface SpeakerDiarizer {
  readonly name: string;
  diarize(samples: Float32Array, speech: SpeechRegion[]): SpeakerTurn[];
}
