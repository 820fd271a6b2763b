import fs from 'node:fs';
import path from 'node:path';
import type sherpa from 'sherpa-onnx-node';
import { sherpaOnnx } from '../sherpa-addon.js';
import type { AsrSegment, EngineStatus, SpeechRecognizer } from './asr.js';

export type SherpaAsrSettings = { modelDir: string; language: string; threads: number };

/** A sherpa-onnx Whisper export: `*-encoder(.int8).onnx`, `*-decoder(.int8).onnx`, `*-tokens.txt`. */
function findModelFiles(dir: string): { encoder: string; decoder: string; tokens: string } | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs.readdirSync(dir).sort();
  // Prefer the int8 files: about 4× smaller and faster on CPU.
  const pick = (suffix: string) =>
    files.find((f) => f.endsWith(`${suffix}.int8.onnx`)) ?? files.find((f) => f.endsWith(`${suffix}.onnx`));
  const encoder = pick('encoder');
  const decoder = pick('decoder');
  const tokens = files.find((f) => f.endsWith('tokens.txt'));
  if (!encoder || !decoder || !tokens) return undefined;
  return {
    encoder: path.join(dir, encoder),
    decoder: path.join(dir, decoder),
    tokens: path.join(dir, tokens),
  };
}

export function sherpaAsrStatus(settings: Pick<SherpaAsrSettings, 'modelDir'>): EngineStatus {
  if (!findModelFiles(settings.modelDir))
    return {
      name: 'sherpa',
      available: false,
      reason: `No sherpa-onnx Whisper model (encoder, decoder, tokens) in ${settings.modelDir} (unpack sherpa-onnx-whisper-base.en from sherpa-onnx's asr-models release there, or set SHERPA_ASR_MODEL_DIR).`,
    };
  return { name: 'sherpa', available: true, reason: `sherpa-onnx Whisper, model ${settings.modelDir}` };
}

/** sherpa-onnx's offline recogniser with a Whisper model directory. */
export class SherpaRecognizer implements SpeechRecognizer {
  readonly name = 'sherpa';
  private readonly recognizer: sherpa.OfflineRecognizer;

  constructor(settings: SherpaAsrSettings) {
    const files = findModelFiles(settings.modelDir);
    if (!files) throw new Error(sherpaAsrStatus(settings).reason);
    const language = settings.language;
    this.recognizer = new (sherpaOnnx().OfflineRecognizer)({
      featConfig: { sampleRate: 16_000, featureDim: 80 },
      modelConfig: {
        whisper: { encoder: files.encoder, decoder: files.decoder, language, task: 'transcribe' },
        tokens: files.tokens,
        numThreads: settings.threads,
        provider: 'cpu',
        debug: 0,
      },
    });
  }

  async transcribe(samples: Float32Array): Promise<AsrSegment[]> {
    const stream = this.recognizer.createStream();
    stream.acceptWaveform({ samples, sampleRate: 16_000 });
    this.recognizer.decode(stream);
    const text = this.recognizer.getResult(stream).text.trim();
    return text ? [{ start: 0, end: samples.length / 16_000, text }] : [];
  }
}
