import { type AsrSegment, concatSamples, type SpeechRecognizer } from '../engines/asr/asr.js';
import type { SpeakerDiarizer } from '../engines/diarization/diarization.js';
import type { SpeechRegion, VoiceActivityDetector } from '../engines/vad/vad.js';
import type { VoiceEmbedder } from '../engines/voice/voice.js';
import { diarize, type SpeakerTurn, slice } from './diarize.js';
import { voiceSample } from './voice-sample.js';

const SAMPLE_RATE = 16_000;
/** Most speech a speaker's embedding is computed from. */
const MAX_SPEAKER_SECONDS = 30;

export type AnalysedSegment = { start: number; end: number; text: string; speaker: number | null };
export type AnalysedSpeaker = {
  speaker: number;
  embedding: number[];
  /** Seconds of speech attributed to this speaker. */
  seconds: number;
  firstSeen: number;
  /** A few seconds of their voice for the user to hear (see voice-sample.ts). */
  sample: Float32Array | null;
};
export type SpeechAnalysis = {
  durationSeconds: number;
  regions: SpeechRegion[];
  turns: SpeakerTurn[];
  speakers: AnalysedSpeaker[];
  /** Empty when no recogniser ran. */
  segments: AnalysedSegment[];
  asrEngine: string | null;
  voiceEngine: string;
  diarizationEngine: string;
  /** The voice engine's cosine similarity for "same speaker". */
  voiceMatchThreshold: number;
};

export type SpeechEngines = {
  vad: VoiceActivityDetector | undefined;
  asr: SpeechRecognizer | undefined;
  voice: VoiceEmbedder;
  /** A diarization engine; without one, VAD windows' voice embeddings are clustered. */
  diarizer?: SpeakerDiarizer | undefined;
  /** Similarity above which two windows of one recording are one speaker. */
  clusterThreshold: number;
};

/**
 * The speech of one recording: speech regions (VAD), who spoke when (clustered voice
 * embeddings), one embedding per speaker, and the transcript with each piece attributed to the
 * speaker who said it. Runs in a speech worker thread.
 */
export async function analyseSpeech(
  samples: Float32Array,
  engines: SpeechEngines,
  onProgress: (fraction: number) => void = () => {},
  signal?: AbortSignal,
): Promise<SpeechAnalysis> {
  const durationSeconds = samples.length / SAMPLE_RATE;
  const regions = engines.vad ? engines.vad.detect(samples) : [{ start: 0, end: durationSeconds }];
  onProgress(0.1);
  const turns = engines.diarizer
    ? engines.diarizer.diarize(samples, regions)
    : diarize(samples, regions, engines.voice, engines.clusterThreshold).turns;
  const speakers = speakerEmbeddings(samples, turns, engines.voice);
  onProgress(0.3);
  let recognised: AsrSegment[] = [];
  const asr = engines.asr;
  if (asr && regions.length > 0) {
    if ('wholeRecording' in asr && asr.wholeRecording) {
      recognised = await asr.transcribe(samples, signal);
    } else {
      const chunks = recognitionChunks(regions, durationSeconds);
      for (const [i, chunk] of chunks.entries()) {
        signal?.throwIfAborted();
        const pieces = await asr.transcribe(slice(samples, chunk), signal);
        recognised.push(...pieces.map((p) => shift(p, chunk.start)));
        onProgress(0.3 + (0.7 * (i + 1)) / chunks.length);
      }
    }
  }
  onProgress(1);
  return {
    durationSeconds,
    regions,
    turns,
    speakers,
    segments: attribute(recognised, turns),
    asrEngine: asr?.name ?? null,
    voiceEngine: engines.voice.name,
    diarizationEngine: engines.diarizer?.name ?? 'clustering',
    voiceMatchThreshold: engines.voice.matchThreshold,
  };
}

/** Pauses shorter than this inside one chunk: recognisers do better with a sentence's context. */
const JOIN_GAP_SECONDS = 1;
const MAX_CHUNK_SECONDS = 20;
/** Silence kept around a chunk: recognisers expect speech to start and end in silence. */
const PAD_SECONDS = 0.25;

/**
 * What a recogniser is given: VAD regions joined across short pauses (up to 20 s), padded with a
 * little of the surrounding audio. Measured on jfk.flac with pocketsphinx: region by region it
 * misheard "ask not what" (context lost); joined, it matches whole-file decoding.
 */
export function recognitionChunks(regions: SpeechRegion[], duration: number): SpeechRegion[] {
  const chunks: SpeechRegion[] = [];
  for (const region of regions) {
    const last = chunks[chunks.length - 1];
    if (last && region.start - last.end < JOIN_GAP_SECONDS && region.end - last.start <= MAX_CHUNK_SECONDS) {
      last.end = region.end;
    } else {
      chunks.push({ ...region });
    }
  }
  return chunks.map((c) => ({
    start: Math.max(0, c.start - PAD_SECONDS),
    end: Math.min(duration, c.end + PAD_SECONDS),
  }));
}

function shift(segment: AsrSegment, by: number): AsrSegment {
  return {
    start: segment.start + by,
    end: segment.end + by,
    text: segment.text,
    ...(segment.words && {
      words: segment.words.map((w) => ({ ...w, start: w.start + by, end: w.end + by })),
    }),
  };
}

/** The speaker talking most during [start, end), or null when nobody is. */
export function speakerDuring(turns: SpeakerTurn[], start: number, end: number): number | null {
  const spoken = new Map<number, number>();
  for (const t of turns) {
    const overlap = Math.min(end, t.end) - Math.max(start, t.start);
    if (overlap > 0) spoken.set(t.speaker, (spoken.get(t.speaker) ?? 0) + overlap);
  }
  let best: number | null = null;
  let most = 0;
  for (const [speaker, seconds] of spoken) {
    if (seconds > most) {
      most = seconds;
      best = speaker;
    }
  }
  if (best !== null || turns.length === 0) return best;
  // Between turns (e.g. a word the VAD cut): the nearest turn's speaker.
  const mid = (start + end) / 2;
  const nearest = turns.reduce((a, b) =>
    Math.min(Math.abs(a.start - mid), Math.abs(a.end - mid)) <=
    Math.min(Math.abs(b.start - mid), Math.abs(b.end - mid))
      ? a
      : b,
  );
  return nearest.speaker;
}

/**
 * Transcript pieces → speaker-attributed segments. With word times a piece is split where the
 * speaker changes; without, the whole piece goes to whoever spoke most during it.
 */
export function attribute(pieces: AsrSegment[], turns: SpeakerTurn[]): AnalysedSegment[] {
  const out: AnalysedSegment[] = [];
  for (const piece of pieces) {
    if (!piece.words || piece.words.length === 0) {
      out.push({
        start: piece.start,
        end: piece.end,
        text: piece.text,
        speaker: speakerDuring(turns, piece.start, piece.end),
      });
      continue;
    }
    let current: AnalysedSegment | undefined;
    for (const word of piece.words) {
      const speaker = speakerDuring(turns, word.start, word.end);
      if (current && current.speaker === speaker) {
        current.text += ` ${word.word}`;
        current.end = word.end;
      } else {
        current = { start: word.start, end: word.end, text: word.word, speaker };
        out.push(current);
      }
    }
  }
  return out;
}

/** One embedding per speaker, from (up to 30 s of) all their speech together. */
function speakerEmbeddings(
  samples: Float32Array,
  turns: SpeakerTurn[],
  voice: VoiceEmbedder,
): AnalysedSpeaker[] {
  const bySpeaker = new Map<number, SpeakerTurn[]>();
  for (const t of turns) bySpeaker.set(t.speaker, [...(bySpeaker.get(t.speaker) ?? []), t]);
  const speakers: AnalysedSpeaker[] = [];
  for (const [speaker, own] of bySpeaker) {
    const seconds = own.reduce((sum, t) => sum + (t.end - t.start), 0);
    const parts: Float32Array[] = [];
    let taken = 0;
    for (const t of own) {
      if (taken >= MAX_SPEAKER_SECONDS) break;
      const piece = slice(samples, t);
      parts.push(piece);
      taken += piece.length / SAMPLE_RATE;
    }
    const joined = concatSamples(parts);
    if (joined.length / SAMPLE_RATE < voice.minSeconds) continue;
    speakers.push({
      speaker,
      embedding: Array.from(voice.embed(joined)),
      seconds,
      firstSeen: Math.min(...own.map((t) => t.start)),
      sample: voiceSample(samples, own),
    });
  }
  return speakers.sort((a, b) => a.speaker - b.speaker);
}
