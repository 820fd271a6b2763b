import type { NotesInput, NotesResult } from './engine.js';
import { extractLocally } from './local.js';

/** Runs in a worker thread (piscina): compromise is synchronous CPU work, kept off the event loop. */
export default function extract(input: NotesInput): NotesResult {
  return extractLocally(input);
}
