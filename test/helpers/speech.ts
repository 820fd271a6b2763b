import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractAudio } from '../../src/infra/media/index.js';
import { readWav } from '../../src/infra/media/wav.js';

/** Any fixture as 16 kHz mono samples, through the same ffmpeg extraction the pipeline uses. */
export async function fixtureSamples(file: string): Promise<Float32Array> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-speech-test-'));
  try {
    const wav = path.join(dir, 'audio.wav');
    await extractAudio(file, wav, { ffmpeg: { ffmpegPath: undefined, ffprobePath: undefined } });
    return (await readWav(wav)).samples;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Word error rate: word-level edit distance over the reference length, ignoring case and punctuation. */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const words = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9' ]+/g, ' ')
      .split(/\s+/)
      .filter(Boolean);
  const r = words(reference);
  const h = words(hypothesis);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return r.length === 0 ? 0 : prev[h.length]! / r.length;
}

export const JFK_TRANSCRIPT =
  'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';
