import { CholeskyDecomposition, inverse, Matrix } from 'ml-matrix';

/** Added to the covariance's diagonal: a 0.5 s window has fewer frames than a 19×19 covariance has parameters. */
const RIDGE = 1e-3;

/**
 * Sufficient statistics of feature frames (count, sum, sum of outer products): two sets merge by
 * adding them, which is what agglomerative clustering does thousands of times.
 */
export class FrameStats {
  count = 0;
  readonly sum: Float64Array;
  readonly outer: Float64Array;
  private model: Gaussian | undefined;

  constructor(readonly dim: number) {
    this.sum = new Float64Array(dim);
    this.outer = new Float64Array(dim * dim);
  }

  static of(frames: ArrayLike<number>[], dim: number): FrameStats {
    const stats = new FrameStats(dim);
    for (const frame of frames) stats.add(frame);
    return stats;
  }

  add(frame: ArrayLike<number>): void {
    const d = this.dim;
    this.model = undefined;
    this.count++;
    for (let i = 0; i < d; i++) {
      const xi = frame[i]!;
      this.sum[i]! += xi;
      for (let j = i; j < d; j++) this.outer[i * d + j]! += xi * frame[j]!;
    }
  }

  plus(other: FrameStats): FrameStats {
    const merged = new FrameStats(this.dim);
    merged.count = this.count + other.count;
    for (let i = 0; i < this.sum.length; i++) merged.sum[i] = this.sum[i]! + other.sum[i]!;
    for (let i = 0; i < this.outer.length; i++) merged.outer[i] = this.outer[i]! + other.outer[i]!;
    return merged;
  }

  /** The maximum-likelihood full-covariance Gaussian of these frames. */
  gaussian(): Gaussian {
    this.model ??= new Gaussian(this);
    return this.model;
  }
}

export class Gaussian {
  readonly count: number;
  readonly mean: Float64Array;
  readonly logDet: number;
  private readonly cholesky: Matrix;
  /** L⁻¹ (row-major, lower triangle), made on the first likelihood asked for. */
  private inverseCholesky: Float64Array | undefined;

  constructor(stats: FrameStats) {
    const d = stats.dim;
    const n = Math.max(1, stats.count);
    this.count = stats.count;
    this.mean = stats.sum.map((s) => s / n);
    const cov = new Matrix(d, d);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const c = stats.outer[i * d + j]! / n - this.mean[i]! * this.mean[j]! + (i === j ? RIDGE : 0);
        cov.set(i, j, c);
        cov.set(j, i, c);
      }
    }
    const decomposition = new CholeskyDecomposition(cov);
    this.cholesky = decomposition.isPositiveDefinite()
      ? decomposition.lowerTriangularMatrix
      : new CholeskyDecomposition(cov.add(Matrix.eye(d, d).mul(RIDGE * 100))).lowerTriangularMatrix;
    let logDet = 0;
    for (let i = 0; i < d; i++) logDet += 2 * Math.log(this.cholesky.get(i, i));
    this.logDet = logDet;
  }

  /** log N(x; mean, cov) without the constant −d/2·log 2π (it cancels in every comparison). */
  logLikelihood(x: ArrayLike<number>): number {
    const d = this.mean.length;
    this.inverseCholesky ??= Float64Array.from(inverse(this.cholesky).to1DArray());
    const inv = this.inverseCholesky;
    let quadratic = 0;
    for (let i = 0; i < d; i++) {
      let y = 0;
      for (let k = 0; k <= i; k++) y += inv[i * d + k]! * (x[k]! - this.mean[k]!);
      quadratic += y * y;
    }
    return -0.5 * (quadratic + this.logDet);
  }
}

/**
 * The Bayesian information criterion's verdict on two sets of frames: the log-likelihood gained by
 * modelling them with two Gaussians rather than one (the generalised likelihood ratio), minus
 * `penalty` × the cost of the extra Gaussian's parameters. Above 0: two speakers.
 */
export function deltaBic(a: FrameStats, b: FrameStats, penalty: number): number {
  const merged = a.plus(b);
  const d = a.dim;
  const ratio =
    merged.count * merged.gaussian().logDet - a.count * a.gaussian().logDet - b.count * b.gaussian().logDet;
  const parameters = d + (d * (d + 1)) / 2;
  return 0.5 * ratio - penalty * 0.5 * parameters * Math.log(merged.count);
}
