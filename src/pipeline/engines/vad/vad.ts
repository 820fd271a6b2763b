/** A stretch of speech, in seconds from the start of the audio. */
export type SpeechRegion = { start: number; end: number };

/** Speech regions of a whole recording (16 kHz mono samples). */
export interface VoiceActivityDetector {
  readonly name: string;
  detect(samples: Float32Array): SpeechRegion[];
}

/**
 * The same detector fed as audio arrives (live calls): `push` returns the utterances that ended
 * in what was pushed so far, `flush` the one still open.
 */
export interface StreamingVoiceActivity {
  push(samples: Float32Array): Utterance[];
  /** Whether someone is speaking at the end of what was pushed (an utterance is open). */
  inSpeech(): boolean;
  flush(): Utterance[];
}

export type Utterance = SpeechRegion & { samples: Float32Array };
