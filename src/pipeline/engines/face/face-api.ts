import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { DetectTask, EmbedTask } from './face-api-worker.js';
import type {
  DetectedFace,
  DetectOptions,
  EngineStatus,
  FaceDetector,
  FaceEngine,
  RgbImage,
} from './face-engine.js';

export type FaceApiEngineOptions = {
  /** Worker threads, each with its own WASM backend and its own copy of the models (~650 MB). */
  workers: number;
  /** Default detector confidence. */
  minScore: number;
  /** Default detector (ssd). */
  detector?: FaceDetector;
  /** Workers idle this long exit and free their memory; the next task starts one again. */
  idleTimeoutMs?: number;
};

// From source (tests, tsx) the worker is a .ts file, which a worker thread loads through tsx.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_FILE = fileURLToPath(
  new URL(fromSource ? './face-api-worker-from-source.mjs' : './face-api-worker.js', import.meta.url),
);

/**
 * @vladmandic/face-api (SSD MobileNet v1 detector, 68-point landmarks, the 128-d ResNet of dlib)
 * on tfjs's WASM backend, in a pool of worker threads. Nothing is started until the first face
 * is asked for: a server that never sees a face never pays for the models.
 */
export class FaceApiEngine implements FaceEngine {
  readonly name = 'face-api (SSD MobileNet v1, 68 landmarks, 128-d ResNet), tfjs WASM';
  readonly dimensions = 128;
  private pool: Piscina | undefined;

  constructor(private readonly options: FaceApiEngineOptions) {}

  status(): EngineStatus {
    try {
      // Resolving the worker's own paths checks the package, the models and the WASM binary are there.
      const require = (p: string) => fileURLToPath(import.meta.resolve(p));
      const model = fileURLToPath(
        new URL('model/face_recognition_model.bin', import.meta.resolve('@vladmandic/face-api/package.json')),
      );
      const wasm = require('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
      for (const file of [model, wasm, WORKER_FILE])
        if (!fs.existsSync(file)) return { name: this.name, available: false, reason: `missing ${file}` };
      return { name: this.name, available: true, reason: null };
    } catch (error) {
      return { name: this.name, available: false, reason: (error as Error).message };
    }
  }

  private workers(): Piscina {
    this.pool ??= new Piscina({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: this.options.workers,
      idleTimeout: this.options.idleTimeoutMs ?? 5 * 60_000,
      // One task per worker at a time: inference is CPU-bound, queueing in the pool is fairer.
      concurrentTasksPerWorker: 1,
    });
    return this.pool;
  }

  async detect(image: RgbImage, options: DetectOptions = {}): Promise<DetectedFace[]> {
    const task: DetectTask = {
      image,
      minScore: options.minScore ?? this.options.minScore,
      detector: options.detector ?? this.options.detector ?? 'ssd',
    };
    return this.workers().run(task, { name: 'detect' });
  }

  async embed(crops: RgbImage[]): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    const task: EmbedTask = { crops };
    return this.workers().run(task, { name: 'embed' });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
