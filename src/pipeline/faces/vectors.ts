/** Cosine distance (1 − cos) of two embeddings, 0 for the same direction, 2 for opposite. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
}

/** The unit-length weighted mean of two directions (a running centroid). */
export function meanDirection(
  a: ArrayLike<number>,
  aWeight: number,
  b: ArrayLike<number>,
  bWeight: number,
): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * aWeight + b[i]! * bWeight;
  const norm = Math.hypot(...out) || 1;
  for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}
