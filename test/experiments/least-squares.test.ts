import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { leastSquares } from "../../src/experiments";
import { dataset, linearRegression, twoMoons } from "../../src/data";

/** The mean squared error of (w, b) by a direct pass over the data, in float64. */
function meanSquaredError(data: { x: Float32Array; y: Float32Array | Int32Array; size: number }, w: number[], b: number): number {
  const features = w.length;
  let sum = 0;
  for (let i = 0; i < data.size; i++) {
    let prediction = b;
    for (let j = 0; j < features; j++) prediction += data.x[i * features + j] * w[j];
    sum += (prediction - data.y[i]) ** 2;
  }
  return sum / data.size;
}

describe("leastSquares", () => {
  test("noise-free data: recovers the generating weights and bias, with zero loss", () => {
    const data = linearRegression({ n: 64, features: 3, weights: [2, -3, 0.5], bias: 1, seed: 4 });
    const fit = leastSquares(data);
    fit.weights.forEach((w, j) => assert.ok(Math.abs(w - [2, -3, 0.5][j]) < 1e-5, `weight ${j}: ${w}`));
    assert.ok(Math.abs(fit.bias - 1) < 1e-5, `bias ${fit.bias}`);
    assert.ok(fit.loss < 1e-10, `loss ${fit.loss}`);
  });

  test("noisy data: the loss is the direct mean squared error at θ*, nothing does better, and the excess loss is exact", () => {
    const data = linearRegression({ n: 200, features: 4, noise: 0.5, seed: 7 });
    const fit = leastSquares(data);
    const direct = meanSquaredError(data, fit.weights, fit.bias);
    assert.ok(Math.abs(fit.loss - direct) < 1e-9 * direct, `loss ${fit.loss} vs ${direct}`);
    // the gradient (2/N) Σ x̃ (x̃·θ* − y) vanishes at the solution
    const p = 5;
    const gradient = new Array<number>(p).fill(0);
    for (let i = 0; i < data.size; i++) {
      let residual = fit.bias - data.y[i];
      for (let j = 0; j < 4; j++) residual += data.x[i * 4 + j] * fit.weights[j];
      for (let j = 0; j < 4; j++) gradient[j] += (2 * residual * data.x[i * 4 + j]) / data.size;
      gradient[4] += (2 * residual) / data.size;
    }
    gradient.forEach((g, j) => assert.ok(Math.abs(g) < 1e-9, `gradient ${j}: ${g}`));
    for (const shift of [[0.1, 0, 0, 0, 0], [0.3, -0.2, 0.5, 1, -0.7]]) {
      const w = fit.weights.map((v, j) => v + shift[j]);
      const b = fit.bias + shift[4];
      const excess = fit.excessLoss(w, b);
      assert.ok(excess > 0);
      assert.ok(Math.abs(excess - (meanSquaredError(data, w, b) - fit.loss)) < 1e-9, `excess ${excess}`);
    }
    // H = (2/N) Σ x̃ x̃ᵀ: symmetric, with 2 in the bias corner
    assert.equal(fit.hessian.length, p);
    assert.equal(fit.hessian[4][4], 2);
    for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) assert.equal(fit.hessian[j][k], fit.hessian[k][j]);
  });

  test("bad input: errors name what is wrong", () => {
    assert.throws(() => leastSquares(twoMoons({ n: 20 })), /leastSquares: data\.y must hold one float target per item/);
    assert.throws(() => leastSquares(linearRegression({ n: 3, features: 3 })), /at least features \+ 1 = 4 items, got 3/);
    const x = new Float32Array(20);
    for (let i = 0; i < 10; i++) x[2 * i] = x[2 * i + 1] = i; // two equal columns
    assert.throws(() => leastSquares(dataset({ x, xShape: [2], y: new Float32Array(10), yShape: [1] })), /linearly dependent/);
    assert.throws(() => leastSquares(null as never), /data must be a stepwise Dataset/);
    assert.throws(() => leastSquares(linearRegression({ n: 10, features: 2 })).excessLoss([1], 0), /excessLoss takes 2 weights, got 1/);
  });
});
