import { speechWindows } from '../../speech/diarize.js';
import type { SpeechRegion } from '../vad/vad.js';
import { mfcc } from '../voice/mfcc.js';
import type { SpeakerDiarizer, SpeakerTurn } from './diarization.js';
import { deltaBic, FrameStats, type Gaussian } from './gaussian.js';

const FRAMES_PER_SECOND = 100; // mfcc(): one frame per 10 ms
/** c1…c19: c0 is loudness, which says where someone sits, not who they are. */
const FIRST_CEPSTRUM = 1;
/** Short windows keep short turns (two_speakers.wav has 0.4–1 s ones); 3 s windows lost them. */
const WINDOW_SECONDS = 2;
const HOP_SECONDS = 1;
/**
 * Recordings are diarized in chunks of this length, then the chunks' speakers are linked. BIC's
 * likelihood ratio grows with the amount of speech and its penalty only with the logarithm, so on a
 * whole long call one voice splits into many (two_speakers.wav repeated 4 times: 10 "speakers");
 * per chunk the criterion works at the scale it was measured on (30 s fixtures).
 */
const CHUNK_SECONDS = 30;
/** Re-segmentation scores each frame by its neighbours' likelihoods over this span. */
const SMOOTHING_SECONDS = 1;
const RESEGMENTATION_PASSES = 2;

export type GaussianBicSettings = {
  /** BIC penalty weight when clustering windows (windows overlap, so each frame counts twice). */
  windowPenalty: number;
  /** BIC penalty weight when re-checking the re-segmented speakers, each frame counted once. */
  speakerPenalty: number;
};

/**
 * Measured with bench/speech.ts (sweep in the README): two_speakers.wav's two voices are found for
 * every window penalty in 1.8–2.8 with speaker penalties 1.6–2.2 (one voice again at 2.4, or a window
 * penalty of 3.2); the AMI excerpts, mostly one dominant speaker, prefer higher penalties.
 */
export const GAUSSIAN_BIC_DEFAULTS: GaussianBicSettings = { windowPenalty: 2.2, speakerPenalty: 2.0 };

/**
 * Training-free diarization (no model to download), the classic way, per 30 s chunk: each speech
 * window is a full-covariance Gaussian over its MFCC frames; windows are merged bottom-up while the
 * Bayesian information criterion says one Gaussian explains two clusters better than two; then
 * every 10 ms frame is re-assigned to the speaker whose Gaussian explains it and its neighbours
 * best (turn boundaries land where the voice changes, not on the window grid), and re-segmented
 * speakers the criterion no longer tells apart are merged. The chunks' speakers are then linked
 * across the recording. On two voices that the cosine of MFCC statistics could not tell apart, the
 * likelihood ratio of full covariances could (bench/speech.ts).
 */
export class GaussianBicDiarizer implements SpeakerDiarizer {
  readonly name = 'gaussian-bic';

  constructor(private readonly settings: GaussianBicSettings = GAUSSIAN_BIC_DEFAULTS) {}

  diarize(samples: Float32Array, speech: SpeechRegion[]): SpeakerTurn[] {
    const frames = mfcc(samples).cepstra.map((c) => c.subarray(FIRST_CEPSTRUM));
    const dim = frames[0]?.length ?? 0;
    if (dim === 0) return [];
    const local = chunksOf(speech, CHUNK_SECONDS).flatMap((regions, chunk) =>
      localSpeakers(chunk, this.diarizeChunk(regions, frames, dim), frames, dim),
    );
    const labels = linkSpeakers(local, this.settings.speakerPenalty);
    const speakerOf: FrameSpeakers = new Map();
    local.forEach((speaker, k) => {
      for (const i of speaker.frames) speakerOf.set(i, labels[k]!);
    });
    return turnsOf(speakerOf);
  }

  /** Who spoke when within one chunk: a label per speech frame (labels local to the chunk). */
  private diarizeChunk(speech: SpeechRegion[], frames: Float64Array[], dim: number): FrameSpeakers {
    const windows = speechWindows(speech, 0.5, { window: WINDOW_SECONDS, hop: HOP_SECONDS });
    if (windows.length === 0) return new Map();
    const labels = clusterWindows(
      windows.map((w) => FrameStats.of(frames.slice(frameIndex(w.start), frameIndex(w.end)), dim)),
      this.settings.windowPenalty,
    );
    const speakerOf = labelFramesByNearestWindow(
      speech,
      windows.map((w, i) => ({ ...w, speaker: labels[i]! })),
      frames.length,
    );
    for (let pass = 0; pass < RESEGMENTATION_PASSES; pass++) resegment(speech, frames, speakerOf, dim);
    mergeAlikeSpeakers(speech, frames, speakerOf, dim, this.settings.speakerPenalty);
    return speakerOf;
  }
}

/** One speaker found in one chunk: the frames they were given there. */
type LocalSpeaker = { chunk: number; frames: number[]; stats: FrameStats };

function localSpeakers(
  chunk: number,
  speakerOf: FrameSpeakers,
  frames: Float64Array[],
  dim: number,
): LocalSpeaker[] {
  const bySpeaker = new Map<number, number[]>();
  for (const [i, speaker] of speakerOf) {
    if (speaker < 0) continue;
    const indices = bySpeaker.get(speaker);
    if (indices) indices.push(i);
    else bySpeaker.set(speaker, [i]);
  }
  return [...bySpeaker.values()].map((indices) => ({
    chunk,
    frames: indices,
    stats: FrameStats.of(
      indices.map((i) => frames[i]!),
      dim,
    ),
  }));
}

/** Speech regions split at every multiple of `seconds`, grouped by chunk (empty chunks dropped). */
function chunksOf(speech: SpeechRegion[], seconds: number): SpeechRegion[][] {
  const chunks = new Map<number, SpeechRegion[]>();
  for (const region of speech) {
    for (let k = Math.floor(region.start / seconds); k * seconds < region.end; k++) {
      const start = Math.max(region.start, k * seconds);
      const end = Math.min(region.end, (k + 1) * seconds);
      if (end > start) chunks.set(k, [...(chunks.get(k) ?? []), { start, end }]);
    }
  }
  return [...chunks.entries()].sort((a, b) => a[0] - b[0]).map(([, regions]) => regions);
}

/**
 * The chunks' speakers → speakers of the recording: average linkage on the same BIC criterion as
 * within a chunk (the mean over pairs of chunk speakers, so it stays at the chunk scale however
 * long the call), never joining two speakers of one chunk (they were told apart there).
 */
function linkSpeakers(local: LocalSpeaker[], penalty: number): number[] {
  const n = local.length;
  const score = local.map((a, i) => local.map((b, j) => (i < j ? deltaBic(a.stats, b.stats, penalty) : 0)));
  const pair = (i: number, j: number) => (i < j ? score[i]![j]! : score[j]![i]!);
  const members = local.map((_, i) => [i]);
  const chunks = local.map((s) => new Set([s.chunk]));
  const alive = new Array<boolean>(n).fill(true);
  const linkage = (a: number[], b: number[]) => {
    let sum = 0;
    for (const i of a) for (const j of b) sum += pair(i, j);
    return sum / (a.length * b.length);
  };
  for (;;) {
    let best = 0;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (!alive[j] || [...chunks[j]!].some((c) => chunks[i]!.has(c))) continue;
        const s = linkage(members[i]!, members[j]!);
        if (s < best) {
          best = s;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) break;
    members[bi]!.push(...members[bj]!);
    for (const c of chunks[bj]!) chunks[bi]!.add(c);
    alive[bj] = false;
  }
  return labelsOf(members, alive, n);
}

/** Clusters (the surviving groups of members) → a label per item, 0, 1, … in group order. */
function labelsOf(members: number[][], alive: boolean[], n: number): number[] {
  const labels = new Array<number>(n).fill(0);
  let label = 0;
  members.forEach((group, k) => {
    if (!alive[k]) return;
    for (const i of group) labels[i] = label;
    label++;
  });
  return labels;
}

const frameIndex = (seconds: number) => Math.floor(seconds * FRAMES_PER_SECOND);

/** Bottom-up: merge the pair with the lowest ΔBIC while it is negative. Returns a label per window. */
function clusterWindows(windows: FrameStats[], penalty: number): number[] {
  const n = windows.length;
  const stats = windows.slice();
  const members = windows.map((_, i) => [i]);
  const alive = new Array<boolean>(n).fill(true);
  const score = stats.map((a, i) => stats.map((b, j) => (i < j ? deltaBic(a, b, penalty) : 0)));
  for (;;) {
    let best = 0;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (alive[j] && score[i]![j]! < best) {
          best = score[i]![j]!;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) break;
    stats[bi] = stats[bi]!.plus(stats[bj]!);
    members[bi]!.push(...members[bj]!);
    alive[bj] = false;
    for (let k = 0; k < n; k++) {
      if (!alive[k] || k === bi) continue;
      const s = deltaBic(stats[bi]!, stats[k]!, penalty);
      if (k < bi) score[k]![bi] = s;
      else score[bi]![k] = s;
    }
  }
  return labelsOf(members, alive, n);
}

/** Speech frames without a label yet are −1; frames outside speech are absent. */
type FrameSpeakers = Map<number, number>;

function speechFrames(speech: SpeechRegion[], frameCount: number): [number, number][] {
  return speech
    .map((r) => [frameIndex(r.start), Math.min(frameCount, frameIndex(r.end))] as [number, number])
    .filter(([a, b]) => b > a);
}

/** Each speech frame starts with the label of the clustered window centred nearest to it in its region. */
function labelFramesByNearestWindow(
  speech: SpeechRegion[],
  windows: (SpeechRegion & { speaker: number })[],
  frameCount: number,
): FrameSpeakers {
  const speakerOf: FrameSpeakers = new Map();
  for (const region of speech) {
    const inside = windows.filter((w) => w.end > region.start && w.start < region.end);
    const [a, b] = [frameIndex(region.start), Math.min(frameCount, frameIndex(region.end))];
    for (let i = a; i < b; i++) {
      const t = i / FRAMES_PER_SECOND;
      let nearest: (typeof inside)[number] | undefined;
      for (const w of inside) {
        if (!nearest || Math.abs((w.start + w.end) / 2 - t) < Math.abs((nearest.start + nearest.end) / 2 - t))
          nearest = w;
      }
      speakerOf.set(i, nearest?.speaker ?? -1);
    }
  }
  return speakerOf;
}

function speakerModels(
  frames: Float64Array[],
  speakerOf: FrameSpeakers,
  dim: number,
): Map<number, FrameStats> {
  const stats = new Map<number, FrameStats>();
  for (const [i, speaker] of speakerOf) {
    if (speaker < 0) continue;
    let s = stats.get(speaker);
    if (!s) {
      s = new FrameStats(dim);
      stats.set(speaker, s);
    }
    s.add(frames[i]!);
  }
  return stats;
}

/**
 * Every speech frame goes to the speaker whose Gaussian best explains the frames within ±0.5 s of
 * it (in its speech region). Speakers with too few frames for a covariance (3 per dimension) give
 * their frames away.
 */
function resegment(speech: SpeechRegion[], frames: Float64Array[], speakerOf: FrameSpeakers, dim: number) {
  const models: { speaker: number; gaussian: Gaussian }[] = [];
  for (const [speaker, stats] of speakerModels(frames, speakerOf, dim))
    if (stats.count > 3 * dim) models.push({ speaker, gaussian: stats.gaussian() });
  if (models.length === 0) return;
  const half = Math.round((SMOOTHING_SECONDS * FRAMES_PER_SECOND) / 2);
  for (const [a, b] of speechFrames(speech, frames.length)) {
    // Prefix sums of each model's log-likelihood make every smoothed score O(1).
    const prefix = models.map(({ gaussian }) => {
      const sums = new Float64Array(b - a + 1);
      for (let i = a; i < b; i++) sums[i - a + 1] = sums[i - a]! + gaussian.logLikelihood(frames[i]!);
      return sums;
    });
    for (let i = a; i < b; i++) {
      const lo = Math.max(0, i - a - half);
      const hi = Math.min(b - a, i - a + half + 1);
      let best = -Infinity;
      let speaker = models[0]!.speaker;
      models.forEach((m, k) => {
        const score = prefix[k]![hi]! - prefix[k]![lo]!;
        if (score > best) {
          best = score;
          speaker = m.speaker;
        }
      });
      speakerOf.set(i, speaker);
    }
  }
}

/**
 * After re-segmentation each speaker's frames are their own (no window overlap): the closest pair
 * is merged while BIC prefers one Gaussian for them, re-segmenting after each merge.
 */
function mergeAlikeSpeakers(
  speech: SpeechRegion[],
  frames: Float64Array[],
  speakerOf: FrameSpeakers,
  dim: number,
  penalty: number,
) {
  for (;;) {
    const models = [...speakerModels(frames, speakerOf, dim)];
    let best = 0;
    let pair: [number, number] | undefined;
    for (let i = 0; i < models.length; i++) {
      for (let j = i + 1; j < models.length; j++) {
        const score = deltaBic(models[i]![1], models[j]![1], penalty);
        if (score < best) {
          best = score;
          pair = [models[i]![0], models[j]![0]];
        }
      }
    }
    if (!pair) return;
    const [keep, drop] = pair;
    for (const [i, speaker] of speakerOf) if (speaker === drop) speakerOf.set(i, keep);
    resegment(speech, frames, speakerOf, dim);
  }
}

/** Runs of one speaker over consecutive frames; speaker 0 is whoever speaks first. */
function turnsOf(speakerOf: FrameSpeakers): SpeakerTurn[] {
  const order = new Map<number, number>();
  const turns: SpeakerTurn[] = [];
  let previous = -2;
  for (const [i, speaker] of [...speakerOf].sort((x, y) => x[0] - y[0])) {
    if (speaker < 0) continue;
    if (!order.has(speaker)) order.set(speaker, order.size);
    const label = order.get(speaker)!;
    const start = i / FRAMES_PER_SECOND;
    const last = turns[turns.length - 1];
    if (last && last.speaker === label && previous === i - 1) last.end = start + 1 / FRAMES_PER_SECOND;
    else turns.push({ start, end: start + 1 / FRAMES_PER_SECOND, speaker: label });
    previous = i;
  }
  return turns;
}
