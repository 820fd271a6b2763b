import type { NoteOut } from '../modules/notes/schemas.js';

/**
 * How the AI engines plug into a live call. The call owns the protocol, the limits and what is
 * stored; engines only see frames and 16 kHz audio and report what they found through the sink.
 * An engine that is not configured is simply absent: the call still runs and stores what it has.
 */

/** One final utterance of the transcript, in seconds from the start of the call. */
export type LiveSegment = {
  start: number;
  end: number;
  text: string;
  voiceSignatureId: number | null;
  relationshipId: number | null;
};

/** Where an engine session reports what it found in a call. */
export interface CallSink {
  readonly userId: number;
  readonly interactionId: number;
  /** A recognised person: announced once per call (`participant_identified`) and stored at the end. */
  identified(found: {
    relationshipId: number;
    faceSignatureId?: number;
    voiceSignatureId?: number;
    confidence: number;
    at: number;
  }): Promise<void>;
  /** An unknown face or voice, stored as an unassigned signature: announced once per signature. */
  unknown(found: {
    faceSignatureId?: number;
    voiceSignatureId?: number;
    thumbnail?: string;
    at: number;
  }): void;
  /** A partial (`is_final: false`) or final transcript update; final ones become segments. */
  transcript(update: LiveSegment & { isFinal: boolean }): void;
}

export interface VideoSession {
  /** One decoded-later frame (JPEG or PNG bytes); the call never gives a session two at once. */
  frame(image: Buffer, at: number): Promise<void>;
  close(): Promise<void>;
}

export interface AudioSession {
  /** 16 kHz mono samples starting at `at` seconds into the call. */
  push(samples: Float32Array, at: number): void;
  /** Finishes pending utterances (their final updates are reported before this resolves). */
  finish(): Promise<void>;
}

export type CallSummary = { summary: string; notes: NoteOut[] };

export interface LiveEngines {
  openVideo?(call: CallSink): VideoSession;
  openAudio?(call: CallSink): AudioSession;
  /** Notes and summary from the stored transcript, as after a recorded call. */
  summarize?(userId: number, interactionId: number): Promise<CallSummary>;
}
