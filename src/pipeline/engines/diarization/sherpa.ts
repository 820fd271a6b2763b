import fs from 'node:fs';
import type sherpa from 'sherpa-onnx-node';
import type { EngineStatus } from '../asr/asr.js';
import { sherpaOnnx } from '../sherpa-addon.js';
import type { SpeakerDiarizer, SpeakerTurn } from './diarization.js';

export type SherpaDiarizationSettings = {
  segmentationModelPath: string;
  speakerModelPath: string;
  /** Cosine-distance threshold of sherpa's clustering (smaller: more speakers). */
  threshold?: number;
  threads: number;
};

export function sherpaDiarizationStatus(s: SherpaDiarizationSettings): EngineStatus {
  const missing = [s.segmentationModelPath, s.speakerModelPath].filter((f) => !fs.existsSync(f));
  if (missing.length > 0)
    return {
      name: 'sherpa',
      available: false,
      reason: `sherpa-onnx diarization needs ${missing.join(' and ')} (rapport models download pyannote-segmentation-3.0 speaker-titanet-small).`,
    };
  return {
    name: 'sherpa',
    available: true,
    reason: 'sherpa-onnx offline diarization (pyannote segmentation)',
  };
}

/** sherpa-onnx's offline diarization: pyannote segmentation + speaker embeddings + clustering. */
export class SherpaDiarizer implements SpeakerDiarizer {
  readonly name = 'sherpa';
  private readonly engine: sherpa.OfflineSpeakerDiarization;

  constructor(settings: SherpaDiarizationSettings) {
    const status = sherpaDiarizationStatus(settings);
    if (!status.available) throw new Error(status.reason);
    this.engine = new (sherpaOnnx().OfflineSpeakerDiarization)({
      segmentation: { pyannote: { model: settings.segmentationModelPath }, numThreads: settings.threads },
      embedding: { model: settings.speakerModelPath, numThreads: settings.threads },
      clustering: { numClusters: -1, threshold: settings.threshold ?? 0.5 },
      minDurationOn: 0.3,
      minDurationOff: 0.5,
    });
  }

  diarize(samples: Float32Array): SpeakerTurn[] {
    return this.engine
      .process(samples)
      .map((t) => ({ start: t.start, end: t.end, speaker: t.speaker }))
      .sort((a, b) => a.start - b.start);
  }
}
