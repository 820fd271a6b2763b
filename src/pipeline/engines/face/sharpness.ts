import type { RgbImage } from './face-engine.js';

/**
 * Variance of the 4-neighbour Laplacian of the luminance, the usual focus measure: edges make it
 * large, blur flattens it. Computed on the normalised face crop so faces of any size compare.
 */
export function laplacianVariance(image: RgbImage): number {
  const { width, height, rgb } = image;
  if (width < 3 || height < 3) return 0;
  const gray = new Float32Array(width * height);
  for (let i = 0, p = 0; i < gray.length; i++, p += 3)
    gray[i] = 0.299 * rgb[p]! + 0.587 * rgb[p + 1]! + 0.114 * rgb[p + 2]!;
  let sum = 0;
  let sumSquares = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v = gray[i - 1]! + gray[i + 1]! + gray[i - width]! + gray[i + width]! - 4 * gray[i]!;
      sum += v;
      sumSquares += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return sumSquares / n - mean * mean;
}
