import { Dataset, identity } from "./dataset";
import { Rng, rng } from "./rng";
import { fail, requireFinite, requireInteger, requireKnownKeys, requireNonNegative } from "../util/validate";

export interface LinearRegressionOptions {
  /** Items, an integer >= 1. */
  n: number;
  /** Input features, an integer >= 1. Default 1. */
  features?: number;
  /** Standard deviation of the Gaussian noise on the targets, >= 0. Default 0. */
  noise?: number;
  /** Seed of the generator, an integer >= 0. Default 0. */
  seed?: number;
  /** True weights, `features` finite numbers. Default: drawn from N(0, 1). */
  weights?: readonly number[];
  /** True bias. Default: drawn from N(0, 1). */
  bias?: number;
}

/** A regression dataset together with the parameters that generated it. */
export interface RegressionDataset extends Dataset {
  readonly weights: number[];
  readonly bias: number;
}

/**
 * y = x·w + b + noise·ε with x ~ N(0, I) of `features` dimensions and ε ~ N(0, 1), all drawn from
 * `rng(seed)` in this order: weights (if not given), bias (if not given), x row by row, ε.
 * Targets have shape [1]; they are computed from the float32-rounded x, so noise 0 gives
 * exactly linear data up to float32 rounding of y.
 */
export function linearRegression(options: LinearRegressionOptions): RegressionDataset {
  const where = "linearRegression";
  const n = requireInteger(where, "n", options?.n, 1);
  requireKnownKeys(where, options, ["n", "features", "noise", "seed", "weights", "bias"]);
  const features = requireInteger(where, "features", options.features ?? 1, 1);
  const noise = requireNonNegative(where, "noise", options.noise ?? 0);
  const random = rng(requireInteger(where, "seed", options.seed ?? 0, 0));
  if (options.weights !== undefined && (!Array.isArray(options.weights) || options.weights.length !== features)) {
    fail(where, "weights", `an array of ${features} numbers (one per feature)`, options.weights);
  }
  const weights = options.weights === undefined ? Array.from({ length: features }, () => random.normal()) : [...options.weights];
  weights.forEach((w, i) => requireFinite(where, `weights[${i}]`, w));
  const bias = options.bias === undefined ? random.normal() : requireFinite(where, "bias", options.bias);

  const x = new Float32Array(n * features);
  for (let i = 0; i < x.length; i++) x[i] = random.normal();
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let target = bias;
    for (let j = 0; j < features; j++) target += x[i * features + j] * weights[j];
    y[i] = target;
  }
  if (noise > 0) for (let i = 0; i < n; i++) y[i] += noise * random.normal();
  return { x, xShape: [features], y, yShape: [1], size: n, weights, bias };
}

export interface TwoMoonsOptions {
  /** Points, an integer >= 2: floor(n / 2) on the upper moon (label 0), the rest on the lower (label 1). */
  n: number;
  /** Standard deviation of the Gaussian noise added to each coordinate, >= 0. Default 0. */
  noise?: number;
  /** Seed of the generator, an integer >= 0. Default 0. */
  seed?: number;
}

/** Evenly spaced angles in [0, pi], like numpy.linspace(0, pi, count). */
function halfTurn(count: number, k: number): number {
  return count === 1 ? 0 : (Math.PI * k) / (count - 1);
}

/** Shuffles the rows of (points, labels) together with `random`, then adds N(0, noise^2) to every coordinate. */
function shuffleAndJitter(points: Float64Array, labels: Int32Array, random: Rng, noise: number): { x: Float32Array; y: Int32Array } {
  const n = labels.length;
  const order = random.shuffle(identity(n));
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = labels[order[i]];
  for (let i = 0; i < 2 * n; i++) {
    const clean = points[2 * order[i >> 1] + (i & 1)];
    x[i] = noise > 0 ? clean + noise * random.normal() : clean;
  }
  return { x, y };
}

/**
 * Two interleaving half circles, scikit-learn's `make_moons` geometry: the upper moon
 * (cos t, sin t) and the lower moon (1 - cos t, 0.5 - sin t) for t evenly spaced in [0, pi];
 * the points are shuffled with `rng(seed)`, then Gaussian noise is added (as sklearn does).
 * Labels are int32 class indices (0 upper, 1 lower), features float32 [2].
 */
export function twoMoons(options: TwoMoonsOptions): Dataset {
  const where = "twoMoons";
  const n = requireInteger(where, "n", options?.n, 2);
  requireKnownKeys(where, options, ["n", "noise", "seed"]);
  const noise = requireNonNegative(where, "noise", options.noise ?? 0);
  const random = rng(requireInteger(where, "seed", options.seed ?? 0, 0));
  const outer = Math.floor(n / 2);
  const inner = n - outer;
  const points = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  for (let k = 0; k < outer; k++) {
    const t = halfTurn(outer, k);
    points[2 * k] = Math.cos(t);
    points[2 * k + 1] = Math.sin(t);
  }
  for (let k = 0; k < inner; k++) {
    const t = halfTurn(inner, k);
    points[2 * (outer + k)] = 1 - Math.cos(t);
    points[2 * (outer + k) + 1] = 0.5 - Math.sin(t);
    labels[outer + k] = 1;
  }
  const { x, y } = shuffleAndJitter(points, labels, random, noise);
  return { x, xShape: [2], y, yShape: [], size: n, numClasses: 2 };
}

export interface SpiralsOptions {
  /** Points, an integer >= classes, shared out as evenly as possible (counts differ by at most 1). */
  n: number;
  /** Spiral arms, one class each, an integer >= 2. Default 2. */
  classes?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate, >= 0. Default 0. */
  noise?: number;
  /** Seed of the generator, an integer >= 0. Default 0. */
  seed?: number;
}

/** Radians an arm turns from its centre to its tip (as in the CS231n spiral data). */
const SPIRAL_SWEEP = 4;

/**
 * Interleaved spiral arms (the CS231n "spiral data"): the k-th of m points of class j has radius
 * r = k / (m - 1) and angle θ = 2πj / classes + 4r, at (r cos θ, r sin θ); every arm starts at the
 * origin and turns 4 radians outwards to radius 1 (a class of one point sits at the tip). Points are shuffled with `rng(seed)`, then
 * Gaussian noise is added to each coordinate. Labels are int32 class indices, features float32 [2].
 */
export function spirals(options: SpiralsOptions): Dataset {
  const where = "spirals";
  const classes = requireInteger(where, "classes", options?.classes ?? 2, 2);
  const n = requireInteger(where, "n", options?.n, classes);
  requireKnownKeys(where, options, ["n", "classes", "noise", "seed"]);
  const noise = requireNonNegative(where, "noise", options.noise ?? 0);
  const random = rng(requireInteger(where, "seed", options.seed ?? 0, 0));
  const points = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  let item = 0;
  for (let j = 0; j < classes; j++) {
    const m = Math.floor(n / classes) + (j < n % classes ? 1 : 0);
    for (let k = 0; k < m; k++, item++) {
      const r = m === 1 ? 1 : k / (m - 1);
      const theta = (2 * Math.PI * j) / classes + SPIRAL_SWEEP * r;
      points[2 * item] = r * Math.cos(theta);
      points[2 * item + 1] = r * Math.sin(theta);
      labels[item] = j;
    }
  }
  const { x, y } = shuffleAndJitter(points, labels, random, noise);
  return { x, xShape: [2], y, yShape: [], size: n, numClasses: classes };
}
