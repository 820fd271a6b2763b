// Worker entry when Rapport runs from its TypeScript sources (tests, `tsx`): worker threads do not
// inherit tsx's loader, so the worker module is imported through tsx's API. Built code
// (`dist/`) uses the compiled face-api-worker.js directly.
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('./face-api-worker.ts', import.meta.url);
export const { detect, embed, warm } = worker;
