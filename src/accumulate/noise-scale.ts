/**
 * The simple gradient noise scale B_simple = tr(Σ) / |G|² (McCandlish et al. 2018, "An Empirical Model of
 * Large-Batch Training", Appendix A.1), from gradients at two batch sizes that accumulation already has:
 * each micro-batch's gradient (size B_small) and the window's mean gradient (size B_big).
 *
 *   |G|² ≈ (B_big·|G_big|² − B_small·|G_small|²) / (B_big − B_small)
 *   tr(Σ) ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)
 *
 * Both unbiased estimates are noisy, so each is smoothed by an exponential moving average before the ratio,
 * as the paper recommends (bias-corrected, so the first windows are not pulled towards 0).
 */
import { DebiasedAverage } from "../util/moving-average";
import { requireUnitInterval } from "../util/validate";

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

export interface NoiseScaleState {
  /** The uncorrected moving averages of |G|² and tr(Σ), and the windows folded into them. */
  gradientSquaredNorm: number;
  traceCovariance: number;
  windows: number;
}

export class NoiseScaleTracker {
  private readonly gradientSquaredNorm: DebiasedAverage;
  private readonly traceCovariance: DebiasedAverage;

  /** `smoothing` is the EMA weight of the past (0 keeps only the last window). */
  constructor(smoothing = 0.95) {
    requireUnitInterval("noise scale", "smoothing", smoothing);
    this.gradientSquaredNorm = new DebiasedAverage(smoothing);
    this.traceCovariance = new DebiasedAverage(smoothing);
  }

  add(norms: WindowNorms): void {
    const { smallSquaredNorm, bigSquaredNorm, smallBatch, bigBatch } = norms;
    if (!(bigBatch > smallBatch)) return; // a window of one micro-batch has no second batch size
    this.gradientSquaredNorm.add((bigBatch * bigSquaredNorm - smallBatch * smallSquaredNorm) / (bigBatch - smallBatch));
    this.traceCovariance.add((smallSquaredNorm - bigSquaredNorm) / (1 / smallBatch - 1 / bigBatch));
  }

  estimate(): NoiseScaleEstimate | undefined {
    const windows = this.gradientSquaredNorm.size;
    if (windows === 0) return undefined;
    const gradientSquaredNorm = this.gradientSquaredNorm.value;
    const traceCovariance = this.traceCovariance.value;
    return { bSimple: traceCovariance / gradientSquaredNorm, gradientSquaredNorm, traceCovariance, windows };
  }

  state(): NoiseScaleState {
    const g = this.gradientSquaredNorm.state();
    return { gradientSquaredNorm: g.average, traceCovariance: this.traceCovariance.state().average, windows: g.count };
  }

  loadState(state: NoiseScaleState): void {
    this.gradientSquaredNorm.loadState({ average: state.gradientSquaredNorm, count: state.windows });
    this.traceCovariance.loadState({ average: state.traceCovariance, count: state.windows });
  }
}
