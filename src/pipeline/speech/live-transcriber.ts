import {
  ASR_SAMPLE_RATE,
  openUtterance,
  type SpeechRecognizer,
  type UtteranceStream,
} from '../engines/asr/asr.js';
import type { StreamingVoiceActivity, Utterance } from '../engines/vad/vad.js';
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
};

/** The VAD confirms speech a little after it starts: the recogniser also gets the audio before. */
const PREROLL_SECONDS = 0.5;
/** The VAD's window: it is fed, and asked whether someone speaks, this often. */
const WINDOW = 512;

type OpenUtterance = {
  stream: UtteranceStream;
  /** Sample (from the session start) of the first audio the recogniser got. */
  from: number;
  lastAskedAt: number;
  lastSentAt: number;
  lastText: string;
  sentPartial: boolean;
};

/**
 * Speech of one live call, in a speech thread: the VAD finds utterances as audio arrives; each is
 * streamed into the recogniser while it is spoken (partial guesses), finished when the VAD says it
 * ended (final text, VAD times) and its voice embedded. Engines that cannot stream decode the
 * utterance whole at its end (no partials).
 */
export class LiveTranscriber {
  private received = 0;
  private utterance: OpenUtterance | undefined;
  /** The last PREROLL_SECONDS of audio, for the start of the next utterance. */
  private recent = new Float32Array(0);

  constructor(
    private readonly vad: StreamingVoiceActivity,
    private readonly recognizer: SpeechRecognizer,
    private readonly embed: (samples: Float32Array) => EmbedResult,
    private readonly options: LiveTranscriberOptions,
  ) {}

  async push(samples: Float32Array): Promise<LiveSpeechEvent[]> {
    const events: LiveSpeechEvent[] = [];
    for (let offset = 0; offset < samples.length; offset += WINDOW) {
      const piece = samples.subarray(offset, Math.min(samples.length, offset + WINDOW));
      const ended = this.vad.push(piece);
      this.utterance?.stream.accept(piece);
      this.remember(piece);
      this.received += piece.length;
      for (const utterance of ended) {
        const final = await this.finish(utterance);
        if (final) events.push(final);
      }
      // A cut at the longest utterance keeps speech going: the next one starts where it stopped.
      if (!this.utterance && this.vad.inSpeech()) this.open(ended.length > 0 ? undefined : this.recent);
      const partial = this.partial();
      if (partial) events.push(partial);
    }
    return events;
  }

  /** The call is over: the utterance still open is finished. */
  async flush(): Promise<LiveSpeechEvent[]> {
    const events: LiveSpeechEvent[] = [];
    for (const utterance of this.vad.flush()) {
      const final = await this.finish(utterance);
      if (final) events.push(final);
    }
    const open = this.utterance;
    if (open) {
      // Too short for the VAD to keep: a guess the user saw is still closed with a final update.
      this.utterance = undefined;
      const text = joinText(await open.stream.finish());
      if (open.sentPartial || text) {
        const start = open.from / ASR_SAMPLE_RATE;
        events.push({ kind: 'final', start, end: this.received / ASR_SAMPLE_RATE, text, voice: null });
      }
    }
    return events;
  }

  private open(preroll: Float32Array | undefined) {
    const stream = openUtterance(this.recognizer);
    if (preroll) stream.accept(preroll);
    this.utterance = {
      stream,
      from: this.received - (preroll?.length ?? 0),
      lastAskedAt: this.received,
      lastSentAt: this.received,
      lastText: '',
      sentPartial: false,
    };
  }

  private async finish(utterance: Utterance): Promise<LiveSpeechEvent | undefined> {
    const open = this.utterance;
    this.utterance = undefined;
    // Without an open stream the VAD confirmed and ended it within one window: decode what it kept.
    const stream = open?.stream ?? openUtterance(this.recognizer);
    if (!open) stream.accept(utterance.samples);
    const text = joinText(await stream.finish());
    if (!text && !open?.sentPartial) return undefined;
    return {
      kind: 'final',
      start: utterance.start,
      end: utterance.end,
      text,
      voice: this.embed(utterance.samples),
    };
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
