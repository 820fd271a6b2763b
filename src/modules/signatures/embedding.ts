/** Vector arithmetic for merging signatures; embeddings are compared by cosine distance. */

export function normalize(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return norm > 0 ? v.map((x) => x / norm) : v.slice();
}

/**
 * The centroid of two signatures, each weighted by how many samples it stands for. Inputs are
 * normalised first so a signature's weight does not depend on its embedding's length.
 */
export function weightedCentroid(a: number[], aCount: number, b: number[], bCount: number): number[] {
  if (a.length !== b.length)
    throw new Error(`Cannot merge embeddings of ${a.length} and ${b.length} dimensions`);
  const na = normalize(a);
  const nb = normalize(b);
  return normalize(na.map((x, i) => x * aCount + nb[i]! * bCount));
}
