/**
 * Diarization error rate as NIST's md-eval defines it: over the scored regions, minus a collar
 * around every reference boundary, DER = (missed speech + false alarm + speaker confusion) /
 * reference speech, where overlapping speech counts once per speaker and system speakers are
 * mapped one-to-one onto reference speakers so as to maximise their overlap. Time is sampled in
 * 10 ms steps.
 */

export type SpeakerTurn = { file: string; start: number; end: number; speaker: string };
export type ScoredRegion = { file: string; start: number; end: number };

/** RTTM `SPEAKER file channel start duration <NA> <NA> speaker <NA> <NA>` lines. */
export function parseRttm(text: string): SpeakerTurn[] {
  const turns: SpeakerTurn[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'SPEAKER' || f.length < 8) continue;
    const start = Number(f[3]);
    const duration = Number(f[4]);
    if (!Number.isFinite(start) || !Number.isFinite(duration)) continue;
    turns.push({ file: f[1]!, start, end: start + duration, speaker: f[7]! });
  }
  return turns;
}

/** UEM `file channel start end` lines: the regions that are scored. */
export function parseUem(text: string): ScoredRegion[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && Number.isFinite(Number(f[2])))
    .map((f) => ({ file: f[0]!, start: Number(f[2]), end: Number(f[3]) }));
}

export function toRttm(turns: SpeakerTurn[]): string {
  return turns
    .map(
      (t) =>
        `SPEAKER ${t.file} 1 ${t.start.toFixed(3)} ${(t.end - t.start).toFixed(3)} <NA> <NA> ${t.speaker} <NA> <NA>`,
    )
    .join('\n');
}

export type DerResult = {
  der: number;
  missed: number;
  falseAlarm: number;
  confusion: number;
  /** Seconds of reference speech scored (overlaps counted once per speaker). */
  total: number;
};

const STEP = 0.01;

/** Largest total overlap of a one-to-one mapping (exhaustive: speakers per file are few). */
function bestMapping(overlap: number[][]): number[] {
  const nRef = overlap.length;
  const nSys = overlap[0]?.length ?? 0;
  let best = -1;
  let bestMap: number[] = [];
  const map: number[] = new Array(nSys).fill(-1);
  const used = new Array<boolean>(nRef).fill(false);
  const search = (s: number, score: number) => {
    if (s === nSys) {
      if (score > best) {
        best = score;
        bestMap = map.slice();
      }
      return;
    }
    map[s] = -1;
    search(s + 1, score);
    for (let r = 0; r < nRef; r++) {
      if (used[r] || overlap[r]![s]! <= 0) continue;
      used[r] = true;
      map[s] = r;
      search(s + 1, score + overlap[r]![s]!);
      used[r] = false;
      map[s] = -1;
    }
  };
  search(0, 0);
  return bestMap;
}

export function diarizationErrorRate(
  reference: SpeakerTurn[],
  hypothesis: SpeakerTurn[],
  options: { collar?: number; regions?: ScoredRegion[] } = {},
): DerResult {
  const collar = options.collar ?? 0.25;
  const files = new Set(reference.map((t) => t.file));
  const sum: DerResult = { der: 0, missed: 0, falseAlarm: 0, confusion: 0, total: 0 };
  for (const file of files) {
    const ref = reference.filter((t) => t.file === file);
    const hyp = hypothesis.filter((t) => t.file === file);
    const regions = options.regions?.filter((r) => r.file === file) ?? [];
    const end = Math.max(...ref.map((t) => t.end), ...hyp.map((t) => t.end), ...regions.map((r) => r.end));
    const frames = Math.ceil(end / STEP);
    const refSpeakers = [...new Set(ref.map((t) => t.speaker))];
    const hypSpeakers = [...new Set(hyp.map((t) => t.speaker))];
    const activity = (turns: SpeakerTurn[], speakers: string[]) =>
      speakers.map((speaker) => {
        const active = new Uint8Array(frames);
        for (const t of turns.filter((x) => x.speaker === speaker)) {
          for (let i = Math.round(t.start / STEP); i < Math.min(frames, Math.round(t.end / STEP)); i++)
            active[i] = 1;
        }
        return active;
      });
    const refActive = activity(ref, refSpeakers);
    const hypActive = activity(hyp, hypSpeakers);
    const scored = new Uint8Array(frames);
    if (regions.length === 0) scored.fill(1);
    for (const r of regions)
      for (let i = Math.round(r.start / STEP); i < Math.min(frames, Math.round(r.end / STEP)); i++)
        scored[i] = 1;
    for (const t of ref) {
      for (const boundary of [t.start, t.end]) {
        const from = Math.max(0, Math.round((boundary - collar) / STEP));
        const to = Math.min(frames, Math.round((boundary + collar) / STEP));
        for (let i = from; i < to; i++) scored[i] = 0;
      }
    }
    const overlap = refActive.map((r) =>
      hypActive.map((h) => {
        let n = 0;
        for (let i = 0; i < frames; i++) if (scored[i] && r[i] && h[i]) n++;
        return n;
      }),
    );
    const mapping = bestMapping(overlap);
    for (let i = 0; i < frames; i++) {
      if (!scored[i]) continue;
      let nRef = 0;
      let nHyp = 0;
      let correct = 0;
      for (const r of refActive) nRef += r[i]!;
      hypActive.forEach((h, s) => {
        if (!h[i]) return;
        nHyp++;
        const r = mapping[s] ?? -1;
        if (r >= 0 && refActive[r]![i]) correct++;
      });
      sum.total += nRef * STEP;
      sum.missed += Math.max(0, nRef - nHyp) * STEP;
      sum.falseAlarm += Math.max(0, nHyp - nRef) * STEP;
      sum.confusion += (Math.min(nRef, nHyp) - correct) * STEP;
    }
  }
  sum.der = sum.total > 0 ? (sum.missed + sum.falseAlarm + sum.confusion) / sum.total : 0;
  return sum;
}
