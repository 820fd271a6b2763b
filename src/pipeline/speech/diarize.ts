import type { SpeakerTurn } from '../engines/diarization/diarization.js';
import type { SpeechRegion } from '../engines/vad/vad.js';
import type { VoiceEmbedder } from '../engines/voice/voice.js';

const SAMPLE_RATE = 16_000;
/** Windows embedded for clustering: long enough for a stable embedding, short enough for turns. */
const WINDOW_SECONDS = 3;
const HOP_SECONDS = 1.5;
/** Average-linkage clustering is O(n³): longer recordings cluster a sample and assign the rest. */
const MAX_CLUSTERED_WINDOWS = 400;

export type { SpeakerTurn };

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Speech windows inside the VAD regions; a region shorter than a window is one window. */
export function speechWindows(
  regions: SpeechRegion[],
  minSeconds: number,
  { window, hop } = { window: WINDOW_SECONDS, hop: HOP_SECONDS },
): SpeechRegion[] {
  const windows: SpeechRegion[] = [];
  for (const region of regions) {
    const length = region.end - region.start;
    if (length < minSeconds) continue;
    if (length <= window + hop / 2) {
      windows.push(region);
      continue;
    }
    for (let start = region.start; start < region.end - hop / 2; start += hop) {
      const end = Math.min(region.end, start + window);
      if (end - start < minSeconds) break;
      windows.push({ start, end });
    }
  }
  return windows;
}

export function slice(samples: Float32Array, region: SpeechRegion): Float32Array {
  return samples.subarray(Math.floor(region.start * SAMPLE_RATE), Math.ceil(region.end * SAMPLE_RATE));
}

/**
 * Agglomerative clustering with average linkage on cosine similarity: merge the two closest
 * clusters while their average similarity is at least `threshold`. Returns a label per item.
 */
export function clusterEmbeddings(raw: Float32Array[], threshold: number): number[] {
  const n = raw.length;
  if (n === 0) return [];
  const embeddings = raw;
  const clustered =
    n > MAX_CLUSTERED_WINDOWS ? sampleIndices(n, MAX_CLUSTERED_WINDOWS) : [...Array(n).keys()];
  const m = clustered.length;
  const sim = clustered.map((i) => clustered.map((j) => cosine(embeddings[i]!, embeddings[j]!)));
  const members: number[][] = clustered.map((_, k) => [k]);
  const alive = new Array<boolean>(m).fill(true);
  for (;;) {
    let best = -Infinity;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < m; i++) {
      if (!alive[i]) continue;
      for (let j = i + 1; j < m; j++) {
        if (alive[j] && sim[i]![j]! > best) {
          best = sim[i]![j]!;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0 || best < threshold) break;
    // Average linkage: the merged cluster's similarity to k is the size-weighted mean.
    const ni = members[bi]!.length;
    const nj = members[bj]!.length;
    for (let k = 0; k < m; k++) {
      if (!alive[k] || k === bi || k === bj) continue;
      const merged = (sim[bi]![k]! * ni + sim[bj]![k]! * nj) / (ni + nj);
      sim[bi]![k] = merged;
      sim[k]![bi] = merged;
    }
    members[bi]!.push(...members[bj]!);
    alive[bj] = false;
  }
  const labels = new Array<number>(n).fill(-1);
  const centroids: Float32Array[] = [];
  members.forEach((group, k) => {
    if (!alive[k]) return;
    const label = centroids.length;
    for (const g of group) labels[clustered[g]!] = label;
    centroids.push(mean(group.map((g) => embeddings[clustered[g]!]!)));
  });
  // Windows left out of a long recording's sample join the closest cluster.
  for (let i = 0; i < n; i++) {
    if (labels[i] !== -1) continue;
    let bestLabel = 0;
    let bestSim = -Infinity;
    centroids.forEach((c, label) => {
      const s = cosine(embeddings[i]!, c);
      if (s > bestSim) {
        bestSim = s;
        bestLabel = label;
      }
    });
    labels[i] = bestLabel;
  }
  return relabelByFirstAppearance(labels);
}

function sampleIndices(n: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => Math.floor((k * n) / count));
}

function mean(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0]?.length ?? 0);
  for (const v of vectors) for (let i = 0; i < v.length; i++) out[i]! += v[i]! / vectors.length;
  return out;
}

/** Speaker 1 is whoever speaks first. */
function relabelByFirstAppearance(labels: number[]): number[] {
  const order = new Map<number, number>();
  return labels.map((label) => {
    if (!order.has(label)) order.set(label, order.size);
    return order.get(label)!;
  });
}

/**
 * Who spoke when: windows over the speech regions are embedded and clustered; each 10 ms of
 * speech takes the label of the window centred nearest to it, and runs of one label are turns.
 */
export function diarize(
  samples: Float32Array,
  regions: SpeechRegion[],
  embedder: VoiceEmbedder,
  clusterThreshold: number,
): { turns: SpeakerTurn[]; windows: (SpeechRegion & { speaker: number })[] } {
  const windows = speechWindows(regions, Math.min(embedder.minSeconds, 0.5));
  const embeddings = windows.map((w) => embedder.embed(slice(samples, w)));
  const labels = clusterEmbeddings(embeddings, clusterThreshold);
  const labelled = windows.map((w, i) => ({ ...w, speaker: labels[i]! }));
  const turns: SpeakerTurn[] = [];
  for (const region of regions) {
    const inside = labelled.filter((w) => w.end > region.start && w.start < region.end);
    if (inside.length === 0) continue;
    const step = 0.01;
    for (let t = region.start; t < region.end; t += step) {
      let nearest = inside[0]!;
      for (const w of inside) {
        if (Math.abs((w.start + w.end) / 2 - t) < Math.abs((nearest.start + nearest.end) / 2 - t))
          nearest = w;
      }
      const last = turns[turns.length - 1];
      const end = Math.min(region.end, t + step);
      if (last && last.speaker === nearest.speaker && Math.abs(last.end - t) < step / 2) last.end = end;
      else turns.push({ start: t, end, speaker: nearest.speaker });
    }
  }
  return { turns, windows: labelled };
}
