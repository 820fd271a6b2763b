import type { DetectedFace, FaceBox, RgbImage } from '../engines/face/face-engine.js';
import { cosineDistance, meanDirection } from './vectors.js';

/** One person on screen across consecutive frames: one observation, embedded only when needed. */
export type FaceTrack = {
  id: number;
  firstSeenAt: number;
  lastSeenAt: number;
  detections: number;
  lastBox: FaceBox;
  /** Unit mean of the embeddings taken so far (null until the first one). */
  embedding: Float32Array | null;
  embeddings: number;
  lastEmbeddedAt: number;
  /** The largest, most confident face of the track: its thumbnail. */
  best: { crop: RgbImage; quality: number };
};

export type TrackerOptions = {
  /** A track not seen for longer than this ends (the person left, or the camera cut away). */
  maxGapSeconds: number;
  /** Overlap (intersection over union) a face needs with a track's last box to continue it. */
  minIou: number;
  /** A long track is embedded again this often, to notice another person taking the same place. */
  reembedEverySeconds: number;
  /** Cosine distance above which a new embedding does not belong to its track (the match threshold). */
  splitDistance: number;
};

export type TrackAssignment = { face: DetectedFace; track: FaceTrack; needsEmbedding: boolean };

export function iou(a: FaceBox, b: FaceBox): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

const quality = (face: DetectedFace) => face.box.width * face.box.height * face.score;

/**
 * Follows faces from frame to frame by box overlap (people in calls move little between samples),
 * so a face seen in 600 frames is embedded a handful of times instead of 600. A scene cut ends
 * every track; an embedding far from its track's splits it (someone else sat down in that place).
 * Used by the recorded-call stage and by live calls alike: it holds no I/O.
 */
export class FaceTracker {
  private readonly active: FaceTrack[] = [];
  private nextId = 1;

  constructor(private readonly options: TrackerOptions) {}

  /**
   * Assigns a frame's faces to tracks (greedily by overlap) and returns the tracks that ended
   * before this frame, for the caller to identify.
   */
  update(
    timestampSeconds: number,
    faces: DetectedFace[],
    options: { sceneCut?: boolean } = {},
  ): { assignments: TrackAssignment[]; ended: FaceTrack[] } {
    const ended = this.expire(timestampSeconds, options.sceneCut === true);
    const pairs: { face: number; track: number; overlap: number }[] = [];
    faces.forEach((face, f) => {
      this.active.forEach((track, t) => {
        const overlap = iou(face.box, track.lastBox);
        if (overlap >= this.options.minIou) pairs.push({ face: f, track: t, overlap });
      });
    });
    pairs.sort((a, b) => b.overlap - a.overlap);
    const faceTaken = new Set<number>();
    const trackTaken = new Set<number>();
    const assignments: TrackAssignment[] = [];
    for (const pair of pairs) {
      if (faceTaken.has(pair.face) || trackTaken.has(pair.track)) continue;
      faceTaken.add(pair.face);
      trackTaken.add(pair.track);
      const face = faces[pair.face]!;
      const track = this.active[pair.track]!;
      track.lastSeenAt = timestampSeconds;
      track.lastBox = face.box;
      track.detections++;
      if (quality(face) > track.best.quality) track.best = { crop: face.crop, quality: quality(face) };
      const due = timestampSeconds - track.lastEmbeddedAt >= this.options.reembedEverySeconds;
      assignments.push({ face, track, needsEmbedding: track.embedding === null || due });
    }
    faces.forEach((face, f) => {
      if (faceTaken.has(f)) return;
      assignments.push({ face, track: this.start(timestampSeconds, face), needsEmbedding: true });
    });
    return { assignments, ended };
  }

  /** Frames skipped as unchanged: the faces on screen are still there. */
  extend(timestampSeconds: number): void {
    for (const track of this.active) track.lastSeenAt = timestampSeconds;
  }

  /**
   * Adds an embedding of `face` to its track. When it is too far from what the track has seen, the
   * track ends there and the face starts a new one; returns the ended track, if any.
   */
  addEmbedding(
    assignment: TrackAssignment,
    timestampSeconds: number,
    embedding: Float32Array,
  ): FaceTrack | undefined {
    const { track, face } = assignment;
    if (track.embedding && cosineDistance(track.embedding, embedding) > this.options.splitDistance) {
      // This face was someone else: the old track ends, the face starts a new one.
      this.active.splice(this.active.indexOf(track), 1);
      track.detections--;
      const fresh = this.start(timestampSeconds, face);
      fresh.embedding = embedding;
      fresh.embeddings = 1;
      fresh.lastEmbeddedAt = timestampSeconds;
      assignment.track = fresh;
      return track;
    }
    track.embedding = track.embedding
      ? meanDirection(track.embedding, track.embeddings, embedding, 1)
      : embedding;
    track.embeddings++;
    track.lastEmbeddedAt = timestampSeconds;
    return undefined;
  }

  /** Ends every track (the end of the recording or of the call). */
  finish(): FaceTrack[] {
    return this.active.splice(0);
  }

  private start(timestampSeconds: number, face: DetectedFace): FaceTrack {
    const track: FaceTrack = {
      id: this.nextId++,
      firstSeenAt: timestampSeconds,
      lastSeenAt: timestampSeconds,
      detections: 1,
      lastBox: face.box,
      embedding: null,
      embeddings: 0,
      lastEmbeddedAt: Number.NEGATIVE_INFINITY,
      best: { crop: face.crop, quality: quality(face) },
    };
    this.active.push(track);
    return track;
  }

  private expire(timestampSeconds: number, all: boolean): FaceTrack[] {
    const ended: FaceTrack[] = [];
    for (let i = this.active.length - 1; i >= 0; i--) {
      const track = this.active[i]!;
      if (all || timestampSeconds - track.lastSeenAt > this.options.maxGapSeconds) {
        ended.push(track);
        this.active.splice(i, 1);
      }
    }
    return ended.reverse();
  }
}
