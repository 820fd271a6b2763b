import { createRequire } from 'node:module';
import type sherpaModule from 'sherpa-onnx-node';

let loaded: typeof sherpaModule | undefined;

/**
 * sherpa-onnx's native addon (with onnxruntime), loaded on first use: only the speech worker
 * threads need it, not the HTTP process that merely reports engine status.
 */
export function sherpaOnnx(): typeof sherpaModule {
  loaded ??= createRequire(import.meta.url)('sherpa-onnx-node') as typeof sherpaModule;
  return loaded;
}
