/**
 * The exact minimum of a linear model's mean-squared-error loss on a regression Dataset, in float64:
 * the reference point for measuring how far an optimizer's iterate is from the best fit.
 *
 *   L(w, b) = (1/N) Σᵢ (xᵢ·w + b − yᵢ)²,   θ = (w, b),   x̃ᵢ = (xᵢ, 1)
 *   H = (2/N) Σᵢ x̃ᵢ x̃ᵢᵀ                      the Hessian (the same at every θ: L is quadratic)
 *   θ* solves the normal equations (Σ x̃ x̃ᵀ) θ = Σ x̃ y   (Cholesky)
 *   L(θ) = L* + ½ (θ − θ*)ᵀ H (θ − θ*)         exactly, so the excess loss needs no pass over the data
 */
import type { Dataset } from "../data";

export interface LeastSquaresSolution {
  /** w*, one per feature. */
  readonly weights: number[];
  /** b*. */
  readonly bias: number;
  /** L* = L(w*, b*), the smallest mean squared error any linear model reaches on this data. */
  readonly loss: number;
  /** H, (features + 1) × (features + 1), the bias last. */
  readonly hessian: number[][];
  /** L(w, b) − L* = ½ (θ − θ*)ᵀ H (θ − θ*). */
  excessLoss(weights: ArrayLike<number>, bias: number): number;
}

export function leastSquares(data: Dataset): LeastSquaresSolution {
  const where = "leastSquares";
  if (data === null || typeof data !== "object" || !(data.x instanceof Float32Array) || !Array.isArray(data.xShape)) {
    throw new Error(`${where}: data must be a stepwise Dataset (e.g. linearRegression({ n, features }))`);
  }
  if (!(data.y instanceof Float32Array) || !(data.yShape.length === 0 || (data.yShape.length === 1 && data.yShape[0] === 1))) {
    throw new Error(`${where}: data.y must hold one float target per item (yShape [1] or []), got yShape [${data.yShape.join(", ")}]`);
  }
  const n = data.size;
  const features = data.xShape.reduce((a, b) => a * b, 1);
  const p = features + 1;
  if (!(Number.isInteger(n) && n >= p)) throw new Error(`${where}: data must have at least features + 1 = ${p} items, got ${n}`);
  // A = Σ x̃ x̃ᵀ, c = Σ x̃ y, yy = Σ y²
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const c = new Array<number>(p).fill(0);
  let yy = 0;
  const row = new Float64Array(p);
  row[features] = 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++) row[j] = data.x[i * features + j];
    const y = data.y[i];
    yy += y * y;
    for (let j = 0; j < p; j++) {
      c[j] += row[j] * y;
      for (let k = 0; k <= j; k++) a[j][k] += row[j] * row[k];
    }
  }
  for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) a[j][k] = a[k][j];
  const theta = choleskySolve(a, c, where);
  // L* = (yy − θ*·c) / N, since Aθ* = c
  const loss = Math.max(0, (yy - theta.reduce((s, t, j) => s + t * c[j], 0)) / n);
  const hessian = a.map((r) => r.map((v) => (2 * v) / n));
  const weights = theta.slice(0, features);
  const bias = theta[features];
  return {
    weights,
    bias,
    loss,
    hessian,
    excessLoss(w, b) {
      if (w === null || typeof w !== "object" || w.length !== features) {
        throw new Error(`${where}: excessLoss takes ${features} weights, got ${w === null || typeof w !== "object" ? String(w) : `${w.length}`}`);
      }
      const e = Array.from({ length: p }, (_, j) => (j < features ? w[j] : b) - theta[j]);
      let quadratic = 0;
      for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) quadratic += e[j] * hessian[j][k] * e[k];
      return 0.5 * quadratic;
    },
  };
}

/** Solves A θ = c for a symmetric positive definite A (Cholesky, A = R Rᵀ). */
function choleskySolve(a: number[][], c: number[], where: string): number[] {
  const p = c.length;
  const r = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let j = 0; j < p; j++) {
    let diagonal = a[j][j];
    for (let k = 0; k < j; k++) diagonal -= r[j][k] * r[j][k];
    if (!(diagonal > 1e-12 * a[j][j])) {
      throw new Error(`${where}: the features are linearly dependent (Σ x̃ x̃ᵀ is singular), so the least-squares fit is not unique`);
    }
    r[j][j] = Math.sqrt(diagonal);
    for (let i = j + 1; i < p; i++) {
      let sum = a[i][j];
      for (let k = 0; k < j; k++) sum -= r[i][k] * r[j][k];
      r[i][j] = sum / r[j][j];
    }
  }
  const z = new Array<number>(p).fill(0);
  for (let i = 0; i < p; i++) {
    let sum = c[i];
    for (let k = 0; k < i; k++) sum -= r[i][k] * z[k];
    z[i] = sum / r[i][i];
  }
  const theta = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    let sum = z[i];
    for (let k = i + 1; k < p; k++) sum -= r[k][i] * theta[k];
    theta[i] = sum / r[i][i];
  }
  return theta;
}
