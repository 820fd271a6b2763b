import { describe, expect, it } from 'vitest';
import type { DetectedFace } from '../../src/pipeline/engines/face/face-engine.js';
import { FrameChangeDetector } from '../../src/pipeline/faces/frame-change.js';
import { FaceTracker, iou } from '../../src/pipeline/faces/tracker.js';
import { cosineDistance, meanDirection } from '../../src/pipeline/faces/vectors.js';

// The tracker and the frame-change test are pure logic: synthetic faces and frames.

function face(x: number, y = 50, size = 80, score = 0.9): DetectedFace {
  return {
    box: { x, y, width: size, height: size },
    score,
    landmarks: [],
    crop: { width: 1, height: 1, rgb: new Uint8Array([x % 256, 0, 0]) },
    sharpness: 100,
  };
}

/** A unit vector along axis `i` of 128, optionally tilted toward axis `j`. */
function direction(i: number, tilt = 0, j = (i + 1) % 128): Float32Array {
  const v = new Float32Array(128);
  v[i] = Math.cos(tilt);
  v[j] = Math.sin(tilt);
  return v;
}

const options = { maxGapSeconds: 2.5, minIou: 0.3, reembedEverySeconds: 10, splitDistance: 0.09 };

describe('face tracker', () => {
  it('follows a face that moves a little from frame to frame, embedding it once', () => {
    const tracker = new FaceTracker(options);
    const first = tracker.update(0, [face(100)]);
    expect(first.assignments[0]!.needsEmbedding).toBe(true);
    tracker.addEmbedding(first.assignments[0]!, 0, direction(0));
    for (let t = 1; t <= 5; t++) {
      const { assignments, ended } = tracker.update(t, [face(100 + t * 5)]);
      expect(ended).toEqual([]);
      expect(assignments[0]!.track.id).toBe(first.assignments[0]!.track.id);
      expect(assignments[0]!.needsEmbedding).toBe(false);
    }
    const [track] = tracker.finish();
    expect(track).toMatchObject({ firstSeenAt: 0, lastSeenAt: 5, detections: 6, embeddings: 1 });
  });

  it('keeps two people apart, and ends a track after a gap or at a scene cut', () => {
    const tracker = new FaceTracker(options);
    const a = tracker.update(0, [face(0), face(300)]);
    expect(new Set(a.assignments.map((x) => x.track.id)).size).toBe(2);
    const b = tracker.update(1, [face(300)]);
    expect(b.assignments[0]!.track.id).toBe(a.assignments[1]!.track.id);
    // The left face was last seen at 0: by 3 s it has left.
    const c = tracker.update(3, [face(300)]);
    expect(c.ended.map((t) => t.id)).toEqual([a.assignments[0]!.track.id]);
    const d = tracker.update(4, [face(300)], { sceneCut: true });
    expect(d.ended.map((t) => t.id)).toEqual([a.assignments[1]!.track.id]);
    expect(d.assignments[0]!.needsEmbedding).toBe(true);
  });

  it('embeds a long track again, and splits it when someone else took the place', () => {
    const tracker = new FaceTracker(options);
    const start = tracker.update(0, [face(100)]);
    tracker.addEmbedding(start.assignments[0]!, 0, direction(0));
    for (let t = 1; t < 10; t++)
      expect(tracker.update(t, [face(100)]).assignments[0]!.needsEmbedding).toBe(false);
    const later = tracker.update(10, [face(100)]);
    expect(later.assignments[0]!.needsEmbedding).toBe(true);
    // Same person, slightly different: the track continues and its mean moves.
    expect(tracker.addEmbedding(later.assignments[0]!, 10, direction(0, 0.2))).toBeUndefined();
    for (let t = 11; t < 20; t++) tracker.update(t, [face(100)]);
    const other = tracker.update(20, [face(100)]);
    expect(other.assignments[0]!.needsEmbedding).toBe(true);
    const ended = tracker.addEmbedding(other.assignments[0]!, 20, direction(5));
    expect(ended?.id).toBe(start.assignments[0]!.track.id);
    expect(other.assignments[0]!.track.id).not.toBe(ended?.id);
    expect(other.assignments[0]!.track.firstSeenAt).toBe(20);
  });

  it('keeps the largest, most confident face of a track as its thumbnail', () => {
    const tracker = new FaceTracker(options);
    tracker.update(0, [face(100, 50, 60, 0.6)]);
    tracker.update(1, [face(100, 50, 70, 0.95)]);
    tracker.update(2, [face(100, 50, 66, 0.7)]);
    expect(tracker.finish()[0]!.best.crop.rgb[0]).toBe(100);
    expect(tracker.finish()).toEqual([]);
  });
});

describe('vectors and boxes', () => {
  it('cosine distance, running mean, IoU', () => {
    expect(cosineDistance(direction(0), direction(0))).toBeCloseTo(0);
    expect(cosineDistance(direction(0), direction(1))).toBeCloseTo(1);
    const mean = meanDirection(direction(0), 1, direction(1), 1);
    expect(Math.hypot(...mean)).toBeCloseTo(1);
    expect(cosineDistance(mean, direction(0))).toBeCloseTo(1 - Math.SQRT1_2);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(
      50 / 150,
    );
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 })).toBe(0);
  });
});

describe('frame change detector', () => {
  const frame = (value: number, width = 64, height = 36) => ({
    width,
    height,
    rgb: new Uint8Array(width * height * 3).fill(value),
  });

  it('skips a frame identical (or nearly) to the last one looked at, not one that changed', () => {
    const changes = new FrameChangeDetector(1.5);
    expect(changes.changed(frame(100))).toBe(true);
    expect(changes.changed(frame(100))).toBe(false);
    expect(changes.changed(frame(101))).toBe(false);
    expect(changes.changed(frame(140))).toBe(true);
    changes.reset();
    expect(changes.changed(frame(140))).toBe(true);
  });
});
