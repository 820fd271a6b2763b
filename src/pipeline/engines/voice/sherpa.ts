import fs from 'node:fs';
import path from 'node:path';
import type sherpa from 'sherpa-onnx-node';
import type { EngineStatus } from '../asr/asr.js';
import { sherpaOnnx } from '../sherpa-addon.js';
import type { VoiceEmbedder } from './voice.js';

export function sherpaVoiceStatus(modelPath: string): EngineStatus {
  if (!fs.existsSync(modelPath))
    return {
      name: 'sherpa',
      available: false,
      reason: `No speaker-embedding model at ${modelPath} (rapport models download speaker-titanet-small, or set SPEAKER_MODEL_PATH).`,
    };
  return { name: 'sherpa', available: true, reason: `sherpa-onnx speaker embedding, model ${modelPath}` };
}

/** Cosine similarity above which two neural speaker embeddings are one speaker (typical for 3D-Speaker/WeSpeaker). */
export const SHERPA_MATCH_THRESHOLD = 0.5;

/** A neural speaker-embedding model (3D-Speaker, WeSpeaker, NeMo ONNX exports) run by sherpa-onnx. */
export class SherpaVoiceEmbedder implements VoiceEmbedder {
  readonly name: string;
  readonly dim: number;
  readonly minSeconds = 1;
  readonly clusterThreshold = SHERPA_MATCH_THRESHOLD;
  private readonly extractor: sherpa.SpeakerEmbeddingExtractor;

  constructor(
    modelPath: string,
    readonly matchThreshold = SHERPA_MATCH_THRESHOLD,
  ) {
    if (!fs.existsSync(modelPath)) throw new Error(sherpaVoiceStatus(modelPath).reason);
    this.extractor = new (sherpaOnnx().SpeakerEmbeddingExtractor)({
      model: modelPath,
      numThreads: 1,
      debug: 0,
    });
    this.dim = this.extractor.dim;
    // Embeddings are only comparable within one model: the model's file name names the space.
    this.name = `sherpa:${path.basename(modelPath, '.onnx')}`.slice(0, 64);
  }

  embed(samples: Float32Array): Float32Array {
    const stream = this.extractor.createStream();
    stream.acceptWaveform({ samples, sampleRate: 16_000 });
    stream.inputFinished();
    if (!this.extractor.isReady(stream)) throw new Error('Too little audio for a speaker embedding');
    return Float32Array.from(this.extractor.compute(stream, false));
  }
}
