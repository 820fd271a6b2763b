import type { RgbImage } from '../engines/face/face-engine.js';

/** Mean grey-level difference (0–255) under which a frame counts as unchanged (recorded and live calls). */
export const UNCHANGED_FRAME_DIFFERENCE = 1.5;

const GRID_WIDTH = 32;
const GRID_HEIGHT = 18;

/**
 * Tells whether a frame differs from the last one looked at, from a 32×18 grey thumbnail: in a
 * call most 1 fps samples show the same people in the same places, and detection is the costly
 * part of the faces stage.
 */
export class FrameChangeDetector {
  private previous: Float32Array | undefined;

  /** `threshold`: mean absolute difference of the thumbnails (0–255) below which nothing changed. */
  constructor(private readonly threshold: number) {}

  /** True when the frame should be looked at (and remembers it); false when it is the same picture. */
  changed(frame: RgbImage): boolean {
    const current = thumbnail(frame);
    const previous = this.previous;
    if (previous) {
      let diff = 0;
      for (let i = 0; i < current.length; i++) diff += Math.abs(current[i]! - previous[i]!);
      if (diff / current.length < this.threshold) return false;
    }
    this.previous = current;
    return true;
  }

  reset(): void {
    this.previous = undefined;
  }
}

function thumbnail({ width, height, rgb }: RgbImage): Float32Array {
  const sums = new Float32Array(GRID_WIDTH * GRID_HEIGHT);
  const counts = new Uint32Array(GRID_WIDTH * GRID_HEIGHT);
  // Every other pixel of every other row is plenty for a 32×18 average.
  for (let y = 0; y < height; y += 2) {
    const row = Math.min(GRID_HEIGHT - 1, Math.floor((y * GRID_HEIGHT) / height)) * GRID_WIDTH;
    for (let x = 0; x < width; x += 2) {
      const p = (y * width + x) * 3;
      const cell = row + Math.min(GRID_WIDTH - 1, Math.floor((x * GRID_WIDTH) / width));
      sums[cell]! += 0.299 * rgb[p]! + 0.587 * rgb[p + 1]! + 0.114 * rgb[p + 2]!;
      counts[cell]!++;
    }
  }
  for (let i = 0; i < sums.length; i++) sums[i] = counts[i]! > 0 ? sums[i]! / counts[i]! : 0;
  return sums;
}
