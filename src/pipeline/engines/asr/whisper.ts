import fs from 'node:fs';
import { createRequire } from 'node:module';
import type * as whisperModule from '@napi-rs/whisper';
import type { AsrSegment, EngineStatus, SpeechRecognizer } from './asr.js';

export type WhisperSettings = { modelPath: string; language: string; threads: number };

export function whisperStatus(settings: Pick<WhisperSettings, 'modelPath'>): EngineStatus {
  if (!fs.existsSync(settings.modelPath))
    return {
      name: 'whisper',
      available: false,
      reason: `No whisper.cpp model at ${settings.modelPath} (rapport models download whisper-base.en, or set WHISPER_MODEL_PATH).`,
    };
  return { name: 'whisper', available: true, reason: `whisper.cpp, model ${settings.modelPath}` };
}

/**
 * Local whisper.cpp through the prebuilt @napi-rs/whisper binding, with a ggml model file.
 * whisper.cpp gives segment times in centiseconds.
 */
export class WhisperRecognizer implements SpeechRecognizer {
  readonly name = 'whisper';
  private readonly binding: typeof whisperModule;
  private readonly whisper: whisperModule.Whisper;

  constructor(private readonly settings: WhisperSettings) {
    if (!fs.existsSync(settings.modelPath)) throw new Error(whisperStatus(settings).reason);
    // Loaded here, not at import: only a speech worker with a model needs the native binding.
    this.binding = createRequire(import.meta.url)('@napi-rs/whisper') as typeof whisperModule;
    this.whisper = new this.binding.Whisper(settings.modelPath, { useGpu: false });
  }

  async transcribe(samples: Float32Array): Promise<AsrSegment[]> {
    const params = new this.binding.WhisperFullParams(this.binding.WhisperSamplingStrategy.Greedy);
    params.language = this.settings.language;
    params.nThreads = this.settings.threads;
    params.printProgress = false;
    params.printRealtime = false;
    params.printTimestamps = false;
    params.suppressBlank = true;
    const duration = samples.length / 16_000;
    const segments: AsrSegment[] = [];
    params.onNewSegment = (segment) => {
      const text = segment.text.trim();
      if (!text) return;
      segments.push({
        start: Math.min(duration, segment.start / 100),
        end: Math.min(duration, segment.end / 100),
        text,
      });
    };
    const full = this.whisper.full(params, samples).trim();
    // Bindings that report no segment callback still return the text.
    if (segments.length === 0 && full) segments.push({ start: 0, end: duration, text: full });
    return segments;
  }
}
