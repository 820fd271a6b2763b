/** Vector arithmetic for merging signatures; embeddings are compared by cosine distance. */

export function normalize(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return norm > 0 ? v.map((x) => x / norm) : v.slice();
}

/**
 * The centroid of several signatures, each weighted by how many samples it stands for. Inputs are
 * normalised first so a signature's weight does not depend on its embedding's length.
 */
export function weightedCentroidOf(parts: { embedding: number[]; weight: number }[]): number[] {
  const dim = parts[0]?.embedding.length ?? 0;
  const sum = new Array<number>(dim).fill(0);
  for (const { embedding, weight } of parts) {
    if (embedding.length !== dim)
      throw new Error(`Cannot merge embeddings of ${dim} and ${embedding.length} dimensions`);
    normalize(embedding).forEach((x, i) => {
      sum[i]! += x * weight;
    });
  }
  return normalize(sum);
}

/** The centroid of two signatures, each weighted by how many samples it stands for. */
export function weightedCentroid(a: number[], aCount: number, b: number[], bCount: number): number[] {
  return weightedCentroidOf([
    { embedding: a, weight: aCount },
    { embedding: b, weight: bCount },
  ]);
}
