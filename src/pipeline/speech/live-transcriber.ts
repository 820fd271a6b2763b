import {
  ASR_SAMPLE_RATE,
  concatSamples,
  type LiveRecognition,
  type UtteranceStream,
} from '../engines/asr/asr.js';
import type { StreamingVoiceActivity } from '../engines/vad/vad.js';
import type { EmbedResult } from './worker.js';

/** What a live call hears, in seconds from the first sample of the session. */
export type LiveSpeechEvent =
  | { kind: 'partial'; start: number; end: number; text: string }
  | { kind: 'final'; start: number; end: number; text: string; voice: EmbedResult | null };

export type LiveTranscriberOptions = {
  /** How often (seconds of audio) the recogniser is asked for its best guess so far. */
  partialEverySeconds: number;
  /** An unchanged guess is sent again after this long, so a long utterance shows it is alive. */
  repeatPartialAfterSeconds: number;
  /**
   * Speech without a pause is cut into utterances of at most this long: the recogniser's last
   * pass, which the final update waits for, grows with the utterance.
   */
  maxUtteranceSeconds: number;
};

/** The VAD confirms speech a little after it starts: the recogniser also gets the audio before. */
const PREROLL_SECONDS = 0.5;
/** The VAD's window: it is fed, and asked whether someone speaks, this often. */
const WINDOW = 512;
/** Before the longest utterance is reached, a cut waits this long for a quieter moment. */
const CUT_SEARCH_SECONDS = 2;
/** A window this much quieter than the utterance so far is a good place to cut. */
const QUIET_RATIO = 0.5;

type OpenUtterance = {
  stream: UtteranceStream;
  /** Sample (from the session start) of the first audio the recogniser got. */
  from: number;
  /** Whether it goes on from a cut (its start is the cut, not where the VAD heard speech begin). */
  continued: boolean;
  /** Everything the recogniser got, for the voice embedding. */
  fed: Float32Array[];
  /** Mean window energy so far, to find a quiet place to cut. */
  energy: { sum: number; windows: number };
  lastAskedAt: number;
  lastSentAt: number;
  lastText: string;
  sentPartial: boolean;
};

/**
 * Speech of one live call, in a speech thread: the VAD finds utterances as audio arrives; each is
 * streamed into the recogniser while it is spoken (partial guesses), finished when the VAD says it
 * ended (final text, VAD times) — or, for speech that goes on, at a quiet moment near
 * `maxUtteranceSeconds` — and its voice embedded. Engines that cannot stream decode the utterance
 * whole at its end (no partials).
 */
export class LiveTranscriber {
  private received = 0;
  private utterance: OpenUtterance | undefined;
  /** The last PREROLL_SECONDS of audio, for the start of the next utterance. */
  private recent = new Float32Array(0);

  constructor(
    private readonly vad: StreamingVoiceActivity,
    /** The call's own recogniser session (see SpeechRecognizer.openLiveSession). */
    private readonly recognition: LiveRecognition,
    private readonly embed: (samples: Float32Array) => EmbedResult,
    private readonly options: LiveTranscriberOptions,
  ) {}

  async push(samples: Float32Array): Promise<LiveSpeechEvent[]> {
    const events: LiveSpeechEvent[] = [];
    const add = (event: LiveSpeechEvent | undefined) => {
      if (event) events.push(event);
    };
    for (let offset = 0; offset < samples.length; offset += WINDOW) {
      const piece = samples.subarray(offset, Math.min(samples.length, offset + WINDOW));
      const ended = this.vad.push(piece);
      const open = this.utterance;
      if (open) {
        open.stream.accept(piece);
        open.fed.push(piece.slice());
      }
      this.remember(piece);
      this.received += piece.length;
      // Each VAD utterance ends the open one (its start and end are the VAD's, unless it was cut).
      for (const utterance of ended)
        add(await this.finish(utterance.start, utterance.end, utterance.samples));
      if (this.utterance && this.shouldCut(piece)) {
        add(await this.finish(undefined, this.received / ASR_SAMPLE_RATE));
        this.open(undefined, true);
      }
      if (!this.utterance && this.vad.inSpeech()) this.open(this.recent, false);
      add(this.partial());
    }
    return events;
  }

  /** The call is over: the utterance still open is finished. */
  async flush(): Promise<LiveSpeechEvent[]> {
    const events: LiveSpeechEvent[] = [];
    for (const utterance of this.vad.flush()) {
      const final = await this.finish(utterance.start, utterance.end, utterance.samples);
      if (final) events.push(final);
    }
    // Too short for the VAD to keep: a guess the user saw is still closed with a final update.
    const final = this.utterance && (await this.finish(undefined, this.received / ASR_SAMPLE_RATE));
    if (final) events.push(final);
    return events;
  }

  /** Frees the call's recogniser (after `flush`). */
  close(): void {
    this.recognition.close();
  }

  private open(preroll: Float32Array | undefined, continued: boolean) {
    const stream = this.recognition.openUtterance();
    if (preroll) stream.accept(preroll);
    this.utterance = {
      stream,
      from: this.received - (preroll?.length ?? 0),
      continued,
      fed: preroll ? [preroll.slice()] : [],
      energy: { sum: 0, windows: 0 },
      lastAskedAt: this.received,
      lastSentAt: this.received,
      lastText: '',
      sentPartial: false,
    };
  }

  /**
   * Ends the open utterance (or, when the VAD confirmed and ended one within a window, decodes
   * what it kept). `vadStart` undefined: the utterance was cut or the call ends.
   */
  private async finish(
    vadStart: number | undefined,
    end: number,
    vadSamples?: Float32Array,
  ): Promise<LiveSpeechEvent | undefined> {
    const open = this.utterance;
    this.utterance = undefined;
    const stream = open?.stream ?? this.recognition.openUtterance();
    if (!open && vadSamples) stream.accept(vadSamples);
    const text = joinText(await stream.finish());
    if (!text && !open?.sentPartial) return undefined;
    const heard = open ? concatSamples(open.fed) : (vadSamples ?? new Float32Array(0));
    const cutStart = (open?.from ?? 0) / ASR_SAMPLE_RATE;
    const start = open?.continued || vadStart === undefined ? cutStart : vadStart;
    return { kind: 'final', start, end, text, voice: heard.length > 0 ? this.embed(heard) : null };
  }

  /** Near the longest utterance: at the first quiet window, or at the longest at the latest. */
  private shouldCut(piece: Float32Array): boolean {
    const open = this.utterance!;
    let energy = 0;
    for (const x of piece) energy += x * x;
    energy /= piece.length || 1;
    const mean = open.energy.windows > 0 ? open.energy.sum / open.energy.windows : energy;
    open.energy.sum += energy;
    open.energy.windows++;
    const seconds = (this.received - open.from) / ASR_SAMPLE_RATE;
    const max = this.options.maxUtteranceSeconds;
    if (seconds >= max) return true;
    return seconds >= max - CUT_SEARCH_SECONDS && energy < QUIET_RATIO * mean;
  }

  private partial(): LiveSpeechEvent | undefined {
    const open = this.utterance;
    const every = this.options.partialEverySeconds * ASR_SAMPLE_RATE;
    if (!open || this.received - open.lastAskedAt < every) return undefined;
    open.lastAskedAt = this.received;
    const text = open.stream.partial()?.trim();
    if (!text) return undefined;
    const stale = this.received - open.lastSentAt >= this.options.repeatPartialAfterSeconds * ASR_SAMPLE_RATE;
    if (text === open.lastText && !stale) return undefined;
    open.lastText = text;
    open.lastSentAt = this.received;
    open.sentPartial = true;
    return {
      kind: 'partial',
      start: open.from / ASR_SAMPLE_RATE,
      end: this.received / ASR_SAMPLE_RATE,
      text,
    };
  }

  private remember(piece: Float32Array) {
    const keep = PREROLL_SECONDS * ASR_SAMPLE_RATE;
    const joined = new Float32Array(Math.min(keep, this.recent.length + piece.length));
    const fromRecent = joined.length - piece.length;
    if (fromRecent > 0) joined.set(this.recent.subarray(this.recent.length - fromRecent));
    joined.set(piece.subarray(Math.max(0, piece.length - joined.length)), Math.max(0, fromRecent));
    this.recent = joined;
  }
}

function joinText(segments: { text: string }[]): string {
  return segments
    .map((s) => s.text.trim())
    .filter(Boolean)
    .join(' ');
}
