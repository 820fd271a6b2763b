import fs from 'node:fs';
import path from 'node:path';
import { readWav } from '../../src/infra/media/wav.js';
import { parseRttm, parseUem, type ScoredRegion, type SpeakerTurn } from '../../src/pipeline/speech/der.js';
import { FIXTURES } from './fixtures.js';

/** The AMI excerpts in ../shared/fixtures/audio/ami with their RTTM ground truth. */
export const AMI_DIR = path.join(FIXTURES, 'audio/ami');

export type AmiFile = { name: string; file: string; samples: Float32Array; turns: SpeakerTurn[] };

export function amiReference(): { turns: SpeakerTurn[]; regions: ScoredRegion[] } {
  const sets = ['train', 'development', 'test'];
  return {
    turns: sets.flatMap((s) => parseRttm(fs.readFileSync(path.join(AMI_DIR, `debug.${s}.rttm`), 'utf8'))),
    regions: sets.flatMap((s) => parseUem(fs.readFileSync(path.join(AMI_DIR, `debug.${s}.uem`), 'utf8'))),
  };
}

/** Every AMI excerpt that has a recording (the RTTMs also name one that is not shipped). */
export async function amiFiles(): Promise<AmiFile[]> {
  const { turns } = amiReference();
  const names = fs
    .readdirSync(AMI_DIR)
    .filter((f) => /^(trn|dev|tst)\d+\.wav$/.test(f))
    .sort();
  return Promise.all(
    names.map(async (f) => {
      const name = f.replace(/\.wav$/, '');
      const file = path.join(AMI_DIR, f);
      return {
        name,
        file,
        samples: (await readWav(file)).samples,
        turns: turns.filter((t) => t.file === name),
      };
    }),
  );
}

/** Where only `speaker` talks (no overlap), as [start, end) spans in seconds. */
export function soloSpans(turns: SpeakerTurn[], speaker: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  for (let t = 0; t < 3600; t += 0.01) {
    const active = turns.filter((x) => x.start <= t && t < x.end);
    if (active.length === 0 && t > Math.max(...turns.map((x) => x.end))) break;
    const solo = active.length === 1 && active[0]!.speaker === speaker;
    const last = spans[spans.length - 1];
    if (solo && last && Math.abs(last.end - t) < 0.005) last.end = t + 0.01;
    else if (solo) spans.push({ start: t, end: t + 0.01 });
  }
  return spans;
}

export function samplesOf(samples: Float32Array, spans: { start: number; end: number }[]): Float32Array {
  const parts = spans.map((s) => samples.subarray(Math.round(s.start * 16_000), Math.round(s.end * 16_000)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
