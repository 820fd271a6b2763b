/** The parts of sherpa-onnx-node (a JavaScript package without type declarations) Rapport uses. */
declare module 'sherpa-onnx-node' {
  namespace sherpa {
    export type SpeechSegment = { start: number; samples: Float32Array };
    export type VadConfig = {
      sileroVad: {
        model: string;
        threshold?: number;
        minSilenceDuration?: number;
        minSpeechDuration?: number;
        maxSpeechDuration?: number;
        windowSize?: number;
      };
      sampleRate?: number;
      numThreads?: number;
      debug?: boolean | number;
    };
    export class Vad {
      constructor(config: VadConfig, bufferSizeInSeconds: number);
      acceptWaveform(samples: Float32Array): void;
      isEmpty(): boolean;
      isDetected(): boolean;
      pop(): void;
      front(enableExternalBuffer?: boolean): SpeechSegment;
      flush(): void;
      reset(): void;
    }
    export type OfflineStream = {
      acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
    };
    export type OfflineRecognizerConfig = {
      featConfig?: { sampleRate?: number; featureDim?: number };
      modelConfig: {
        whisper?: { encoder: string; decoder: string; language?: string; task?: string };
        tokens: string;
        numThreads?: number;
        provider?: string;
        debug?: boolean | number;
      };
    };
    export class OfflineRecognizer {
      constructor(config: OfflineRecognizerConfig);
      createStream(): OfflineStream;
      decode(stream: OfflineStream): void;
      getResult(stream: OfflineStream): { text: string; timestamps?: number[]; tokens?: string[] };
    }
    export type OnlineStream = {
      acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
      inputFinished(): void;
    };
    export class SpeakerEmbeddingExtractor {
      constructor(config: { model: string; numThreads?: number; debug?: boolean | number });
      readonly dim: number;
      createStream(): OnlineStream;
      isReady(stream: OnlineStream): boolean;
      compute(stream: OnlineStream, enableExternalBuffer?: boolean): Float32Array;
    }
    export class OfflineSpeakerDiarization {
      constructor(config: {
        segmentation: { pyannote: { model: string }; numThreads?: number };
        embedding: { model: string; numThreads?: number };
        clustering: { numClusters?: number; threshold?: number };
        minDurationOn?: number;
        minDurationOff?: number;
      });
      readonly sampleRate: number;
      process(samples: Float32Array): { start: number; end: number; speaker: number }[];
    }
  }
  export default sherpa;
}
