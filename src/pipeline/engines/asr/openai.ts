import { z } from 'zod';
import { encodeWav, WAV_HEADER_BYTES, WAV_SAMPLE_RATE } from '../../../infra/media/wav.js';
import type { AsrSegment, EngineStatus, SpeechRecognizer } from './asr.js';

export type OpenAiAsrSettings = {
  enabled: boolean;
  apiKey: string | undefined;
  baseUrl: string;
  timeoutMs: number;
  model: string;
  language: string;
  /** Largest upload; longer audio is split on silences. */
  maxBytes: number;
};

export function openAiAsrStatus(settings: OpenAiAsrSettings): EngineStatus {
  if (!settings.enabled)
    return {
      name: 'openai',
      available: false,
      reason: 'USE_OPENAI_APIS is off (set OPENAI_API_KEY, or USE_OPENAI_APIS=true for a local server).',
    };
  return {
    name: 'openai',
    available: true,
    reason: `${settings.model} at ${settings.baseUrl}/audio/transcriptions`,
  };
}

/** `verbose_json`: the text with segment (and, when asked, word) timestamps in seconds. */
const verboseJson = z.object({
  text: z.string(),
  segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })).nullish(),
  words: z.array(z.object({ start: z.number(), end: z.number(), word: z.string() })).nullish(),
});

/**
 * Cuts audio into pieces of at most `maxSamples`, each cut at the quietest 100 ms within the
 * last quarter of the piece, so words are not split. Returns [start, end) sample indices.
 */
export function splitOnSilences(samples: Float32Array, maxSamples: number): [number, number][] {
  const frame = WAV_SAMPLE_RATE / 10;
  const pieces: [number, number][] = [];
  let start = 0;
  while (samples.length - start > maxSamples) {
    const limit = start + maxSamples;
    let best = limit;
    let bestEnergy = Number.POSITIVE_INFINITY;
    for (let at = start + Math.floor(maxSamples * 0.75); at + frame <= limit; at += frame) {
      let energy = 0;
      for (let i = at; i < at + frame; i++) energy += (samples[i] ?? 0) ** 2;
      if (energy < bestEnergy) {
        bestEnergy = energy;
        best = at + frame / 2;
      }
    }
    pieces.push([start, best]);
    start = best;
  }
  pieces.push([start, samples.length]);
  return pieces;
}

/**
 * `POST {OPENAI_BASE_URL}/audio/transcriptions` (multipart, `verbose_json`): OpenAI's whisper-1
 * or any compatible server (whisper.cpp server, faster-whisper servers, LocalAI). It is given the
 * whole recording at once (better context, fewer requests), split on silences when too large.
 */
export class OpenAiRecognizer implements SpeechRecognizer {
  readonly name = 'openai';
  /** The analysis sends this engine the whole recording rather than VAD utterances. */
  readonly wholeRecording = true;

  constructor(private readonly settings: OpenAiAsrSettings) {}

  async transcribe(samples: Float32Array, signal?: AbortSignal): Promise<AsrSegment[]> {
    const maxSamples = Math.max(WAV_SAMPLE_RATE, Math.floor((this.settings.maxBytes - WAV_HEADER_BYTES) / 2));
    const segments: AsrSegment[] = [];
    for (const [from, to] of splitOnSilences(samples, maxSamples)) {
      const offset = from / WAV_SAMPLE_RATE;
      for (const segment of await this.request(samples.subarray(from, to), signal)) {
        segments.push({
          ...segment,
          start: segment.start + offset,
          end: segment.end + offset,
          ...(segment.words && {
            words: segment.words.map((w) => ({ ...w, start: w.start + offset, end: w.end + offset })),
          }),
        });
      }
    }
    return segments;
  }

  private async request(samples: Float32Array, signal?: AbortSignal): Promise<AsrSegment[]> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(encodeWav(samples))], { type: 'audio/wav' }), 'audio.wav');
    form.append('model', this.settings.model);
    form.append('response_format', 'verbose_json');
    form.append('timestamp_granularities[]', 'segment');
    form.append('language', this.settings.language);
    form.append('temperature', '0');
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const response = await fetch(`${this.settings.baseUrl}/audio/transcriptions`, {
      method: 'POST',
      headers: this.settings.apiKey ? { authorization: `Bearer ${this.settings.apiKey}` } : {},
      body: form,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = await response.text();
    if (!response.ok) {
      throw new Error(
        `The transcription API answered ${response.status}: ${body.slice(0, 300) || response.statusText}`,
      );
    }
    let parsed: z.infer<typeof verboseJson>;
    try {
      parsed = verboseJson.parse(JSON.parse(body));
    } catch {
      throw new Error(
        `The transcription API answered something that is not verbose_json: ${body.slice(0, 200)}`,
      );
    }
    const duration = samples.length / WAV_SAMPLE_RATE;
    if (!parsed.segments || parsed.segments.length === 0) {
      const text = parsed.text.trim();
      return text ? [{ start: 0, end: duration, text }] : [];
    }
    return parsed.segments
      .map((s) => ({ start: s.start, end: Math.min(duration, s.end), text: s.text.trim() }))
      .filter((s) => s.text.length > 0);
  }
}
