import type { AppConfig } from '../../../infra/config/config.js';
import { ApiError } from '../../../infra/http/errors.js';
import { FaceApiEngine } from './face-api.js';
import type { FaceEngine } from './face-engine.js';

export * from './face-engine.js';

/** The process's face engine: workers start with the first face, not here. */
export function createFaceEngine(config: AppConfig): FaceEngine {
  const engine = new FaceApiEngine({
    workers: config.faces.workers,
    minScore: config.faces.minScore,
    detector: config.faces.detector,
  });
  return config.faces.enabled ? engine : new DisabledFaceEngine(engine.name);
}

/** FACE_RECOGNITION_ENABLED=false: the engine says so, and enrolment answers 503. */
export class DisabledFaceEngine implements FaceEngine {
  readonly dimensions = 128;
  constructor(readonly name: string) {}
  status() {
    return { name: this.name, available: false, reason: 'disabled (FACE_RECOGNITION_ENABLED=false)' };
  }
  detect(): Promise<never> {
    return Promise.reject(new ApiError(503, { detail: 'Face recognition is disabled on this server.' }));
  }
  embed(): Promise<never> {
    return this.detect();
  }
  async close(): Promise<void> {}
}
