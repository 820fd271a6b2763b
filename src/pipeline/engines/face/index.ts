import type { AppConfig } from '../../../infra/config/config.js';
import { FaceApiEngine } from './face-api.js';
import type { FaceEngine } from './face-engine.js';

export * from './face-engine.js';

/** The process's face engine: workers start with the first face, not here. */
export function createFaceEngine(config: AppConfig): FaceEngine {
  return new FaceApiEngine({ workers: config.faces.workers, minScore: config.faces.minScore });
}
