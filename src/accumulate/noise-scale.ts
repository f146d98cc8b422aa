/**
 * The simple gradient noise scale B_simple = tr(Σ) / |G|² (McCandlish et al. 2018, "An Empirical Model of
 * Large-Batch Training", Appendix A.1), from gradients at two batch sizes that accumulation already has:
 * each micro-batch's gradient (size B_small) and the window's mean gradient (size B_big).
 *
 *   |G|² ≈ (B_big·|G_big|² − B_small·|G_small|²) / (B_big − B_small)
 *   tr(Σ) ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)
 *
 * Both unbiased estimates are noisy, so each is smoothed by an exponential moving average before the ratio,
 * as the paper recommends.
 */

export interface NoiseScaleEstimate {
  /** B_simple = tr(Σ)/|G|², in items (samples or tokens). */
  bSimple: number;
  /** Smoothed estimate of the true gradient's squared norm |G|². */
  gradientSquaredNorm: number;
  /** Smoothed estimate of tr(Σ), the per-item gradient variance summed over parameters. */
  traceCovariance: number;
  /** How many windows went into the estimate. */
  windows: number;
}

export interface WindowNorms {
  /** Mean over the window's micro-batches of |G_small|². */
  smallSquaredNorm: number;
  /** |G_big|², the squared norm of the window's mean gradient. */
  bigSquaredNorm: number;
  /** Mean micro-batch size. */
  smallBatch: number;
  /** Items in the window. */
  bigBatch: number;
}

export class NoiseScaleTracker {
  private gradientSquaredNorm = 0;
  private traceCovariance = 0;
  private windows = 0;

  /** `smoothing` is the EMA weight of the past (0 keeps only the last window). */
  constructor(private readonly smoothing = 0.95) {
    if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`noise scale: smoothing must be in [0, 1), got ${smoothing}`);
  }

  add(norms: WindowNorms): void {
    const { smallSquaredNorm, bigSquaredNorm, smallBatch, bigBatch } = norms;
    if (!(bigBatch > smallBatch)) return; // a window of one micro-batch has no second batch size
    const g2 = (bigBatch * bigSquaredNorm - smallBatch * smallSquaredNorm) / (bigBatch - smallBatch);
    const s = (smallSquaredNorm - bigSquaredNorm) / (1 / smallBatch - 1 / bigBatch);
    // bias-corrected EMA, so the first windows are not pulled towards 0
    this.windows += 1;
    const w = this.smoothing;
    this.gradientSquaredNorm = w * this.gradientSquaredNorm + (1 - w) * g2;
    this.traceCovariance = w * this.traceCovariance + (1 - w) * s;
  }

  estimate(): NoiseScaleEstimate | undefined {
    if (this.windows === 0) return undefined;
    const correction = 1 - Math.pow(this.smoothing, this.windows);
    const gradientSquaredNorm = this.gradientSquaredNorm / correction;
    const traceCovariance = this.traceCovariance / correction;
    return { bSimple: traceCovariance / gradientSquaredNorm, gradientSquaredNorm, traceCovariance, windows: this.windows };
  }

  state(): { gradientSquaredNorm: number; traceCovariance: number; windows: number } {
    return { gradientSquaredNorm: this.gradientSquaredNorm, traceCovariance: this.traceCovariance, windows: this.windows };
  }

  loadState(state: { gradientSquaredNorm: number; traceCovariance: number; windows: number }): void {
    this.gradientSquaredNorm = state.gradientSquaredNorm;
    this.traceCovariance = state.traceCovariance;
    this.windows = state.windows;
  }
}
