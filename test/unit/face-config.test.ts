import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/infra/http/errors.js';
import { createFaceEngine } from '../../src/pipeline/engines/face/index.js';
import { testConfig } from '../helpers/app.js';

describe('FACE_RECOGNITION_ENABLED', () => {
  it('on by default: the engine is available without loading anything', () => {
    const config = testConfig();
    expect(config.faces).toMatchObject({ enabled: true, matchThreshold: 0.09, minScore: 0.5 });
    expect(createFaceEngine(config).status()).toMatchObject({ available: true, reason: null });
  });

  it('false: the engine says why it is unavailable and refuses work with a 503', async () => {
    const engine = createFaceEngine(testConfig({ FACE_RECOGNITION_ENABLED: 'false' }));
    expect(engine.status()).toMatchObject({ available: false, reason: expect.stringMatching(/disabled/) });
    const error = await engine.detect({ width: 1, height: 1, rgb: new Uint8Array(3) }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(503);
  });
});
