import type { MessagePort } from 'node:worker_threads';
import { readWav } from '../../infra/media/wav.js';
import { concatSamples, type SpeechRecognizer } from '../engines/asr/asr.js';
import type { SpeakerDiarizer } from '../engines/diarization/diarization.js';
import type { VoiceActivityDetector } from '../engines/vad/vad.js';
import type { VoiceEmbedder } from '../engines/voice/voice.js';
import { analyseSpeech, type SpeechAnalysis } from './analyse.js';
import { slice } from './diarize.js';
import {
  createDiarizer,
  createRecognizer,
  createVad,
  createVoiceEmbedder,
  type SpeechSettings,
} from './engines.js';
import { voiceSample } from './voice-sample.js';

/**
 * A speech worker thread (run by the piscina pool in pool.ts): every model runs here, off the
 * event loop. Engines are loaded once per thread and settings.
 */
export type SpeechTask =
  | { op: 'analyse'; settings: SpeechSettings; wavFile: string; progress?: MessagePort }
  | { op: 'embed'; settings: SpeechSettings; samples: Float32Array };

export type EmbedResult = {
  engine: string;
  embedding: number[] | null;
  /** Seconds of speech the VAD found (the embedding is computed from those only). */
  speechSeconds: number;
  /** A few seconds of that speech, kept with a new signature so the user can hear the voice. */
  sample: Float32Array | null;
  /** The engine's measured thresholds (cosine similarity): a signature match, one speaker within a call. */
  matchThreshold: number;
  clusterThreshold: number;
};

export type SpeechEngines = {
  vad: VoiceActivityDetector | undefined;
  asr: SpeechRecognizer | undefined;
  voice: VoiceEmbedder;
  diarizer: SpeakerDiarizer | undefined;
};
const cache = new Map<string, SpeechEngines>();

/** The engines of these settings, loaded once per thread. */
export function loadSpeechEngines(settings: SpeechSettings): SpeechEngines {
  const key = JSON.stringify(settings);
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = {
      vad: createVad(settings),
      asr: createRecognizer(settings),
      voice: createVoiceEmbedder(settings),
      diarizer: createDiarizer(settings),
    };
    cache.set(key, loaded);
  }
  return loaded;
}

export default async function runSpeechTask(task: SpeechTask): Promise<SpeechAnalysis | EmbedResult> {
  const { vad, asr, voice, diarizer } = loadSpeechEngines(task.settings);
  switch (task.op) {
    case 'analyse': {
      const { sampleRate, samples } = await readWav(task.wavFile);
      if (sampleRate !== 16_000) throw new Error(`expected 16 kHz audio, got ${sampleRate} Hz`);
      try {
        return await analyseSpeech(
          samples,
          { vad, asr, voice, diarizer, clusterThreshold: voice.clusterThreshold },
          (f) => task.progress?.postMessage(f),
        );
      } finally {
        task.progress?.close();
      }
    }
    case 'embed':
      return embedVoice({ vad, voice }, task.samples);
  }
}

/** The voice in `samples`, from its speech only (the VAD drops the pauses). */
export function embedVoice(
  { vad, voice }: Pick<SpeechEngines, 'vad' | 'voice'>,
  samples: Float32Array,
): EmbedResult {
  const regions = vad ? vad.detect(samples) : [{ start: 0, end: samples.length / 16_000 }];
  const speech = concatSamples(regions.map((r) => slice(samples, r)));
  const speechSeconds = speech.length / 16_000;
  const embedding = speechSeconds >= voice.minSeconds ? Array.from(voice.embed(speech)) : null;
  return {
    engine: voice.name,
    embedding,
    speechSeconds,
    sample: embedding ? voiceSample(samples, regions) : null,
    matchThreshold: voice.matchThreshold,
    clusterThreshold: voice.clusterThreshold,
  };
}
