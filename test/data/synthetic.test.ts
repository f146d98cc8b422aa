/** Synthetic sets: shapes, class balance, reproducibility, exact geometry without noise, noise of the stated size. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Dataset, linearRegression, spirals, twoMoons } from "../../src/data";

/** Least squares for y ≈ X w + b by the normal equations, in float64 with Gaussian elimination. */
function ordinaryLeastSquares(x: Float32Array, y: Float32Array, features: number): number[] {
  const k = features + 1;
  const a = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  for (let i = 0; i < y.length; i++) {
    const row = [...x.subarray(i * features, (i + 1) * features), 1];
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < k; q++) a[p][q] += row[p] * row[q];
      a[p][k] += row[p] * y[i];
    }
  }
  for (let p = 0; p < k; p++) {
    const pivot = a.slice(p).reduce((best, row, r) => (Math.abs(row[p]) > Math.abs(a[best][p]) ? p + r : best), p);
    [a[p], a[pivot]] = [a[pivot], a[p]];
    for (let r = 0; r < k; r++) {
      if (r === p) continue;
      const factor = a[r][p] / a[p][p];
      for (let c = p; c <= k; c++) a[r][c] -= factor * a[p][c];
    }
  }
  return a.map((row, p) => row[k] / row[p]);
}

function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.numClasses ?? 0).fill(0);
  for (const label of ds.y) counts[label]++;
  return counts;
}

const std = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
};

describe("linearRegression", () => {
  test("shapes, and noise-free data from which least squares recovers the true weights and bias", () => {
    const data = linearRegression({ n: 200, features: 3, seed: 4 });
    assert.equal(data.size, 200);
    assert.deepEqual(data.xShape, [3]);
    assert.deepEqual(data.yShape, [1]);
    assert.ok(data.x instanceof Float32Array && data.y instanceof Float32Array);
    assert.equal(data.weights.length, 3);
    const fitted = ordinaryLeastSquares(data.x, data.y as Float32Array, 3);
    [...data.weights, data.bias].forEach((truth, i) => assert.ok(Math.abs(fitted[i] - truth) < 1e-5, `parameter ${i}: ${fitted[i]} vs ${truth}`));
  });

  test("given weights and bias are used; x is standard normal; residuals have the noise's standard deviation", () => {
    const data = linearRegression({ n: 20000, features: 2, noise: 0.5, seed: 1, weights: [2, -3], bias: 0.25 });
    assert.deepEqual(data.weights, [2, -3]);
    assert.equal(data.bias, 0.25);
    const residuals = Array.from({ length: data.size }, (_, i) => data.y[i] - (2 * data.x[2 * i] - 3 * data.x[2 * i + 1] + 0.25));
    // Standard error of the sample std is 0.5 / sqrt(2 n) = 0.0025.
    assert.ok(Math.abs(std(residuals) - 0.5) < 0.0125, `residual std ${std(residuals)}`);
    assert.ok(Math.abs(std(Array.from(data.x)) - 1) < 0.02);
    const fitted = ordinaryLeastSquares(data.x, data.y as Float32Array, 2);
    assert.ok(Math.abs(fitted[0] - 2) < 0.02 && Math.abs(fitted[1] + 3) < 0.02 && Math.abs(fitted[2] - 0.25) < 0.02, `fit ${fitted}`);
  });

  test("the same seed gives the same data and weights, another seed different ones", () => {
    const a = linearRegression({ n: 50, features: 2, noise: 0.1, seed: 7 });
    const b = linearRegression({ n: 50, features: 2, noise: 0.1, seed: 7 });
    const c = linearRegression({ n: 50, features: 2, noise: 0.1, seed: 8 });
    assert.deepEqual([a.x, a.y, a.weights, a.bias], [b.x, b.y, b.weights, b.bias]);
    assert.notDeepEqual(a.weights, c.weights);
    assert.notDeepEqual(a.x, c.x);
  });

  test("options are checked", () => {
    assert.throws(() => linearRegression({ n: 0 }), /linearRegression: n must be an integer >= 1, got 0/);
    assert.throws(() => linearRegression({ n: 10, features: 1.5 }), /linearRegression: features must be an integer >= 1, got 1.5/);
    assert.throws(() => linearRegression({ n: 10, noise: -0.1 }), /linearRegression: noise must be a finite number >= 0, got -0.1/);
    assert.throws(() => linearRegression({ n: 10, seed: -1 }), /linearRegression: seed must be an integer >= 0, got -1/);
    assert.throws(() => linearRegression({ n: 10, features: 2, weights: [1] }), /linearRegression: weights must be an array of 2 numbers \(one per feature\), got \[1\]/);
    assert.throws(() => linearRegression({ n: 10, weights: [NaN] }), /linearRegression: weights\[0\] must be a finite number, got NaN/);
    assert.throws(() => linearRegression({ n: 10, bias: Infinity }), /linearRegression: bias must be a finite number, got Infinity/);
    assert.throws(() => linearRegression({ n: 10, sigma: 1 } as never), /linearRegression: unknown option "sigma"/);
  });
});

describe("twoMoons", () => {
  test("noise 0: the upper moon on the unit half circle, the lower on its shifted mirror, evenly spaced, shuffled", () => {
    const ds = twoMoons({ n: 101, seed: 3 });
    assert.equal(ds.size, 101);
    assert.deepEqual(ds.xShape, [2]);
    assert.equal(ds.numClasses, 2);
    assert.deepEqual(classCounts(ds), [50, 51]);
    const angles: number[][] = [[], []];
    for (let i = 0; i < ds.size; i++) {
      const [x, y] = [ds.x[2 * i], ds.x[2 * i + 1]];
      if (ds.y[i] === 0) {
        assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-6 && y >= -1e-7, `upper point ${x}, ${y}`);
        angles[0].push(Math.atan2(y, x));
      } else {
        assert.ok(Math.abs(Math.hypot(x - 1, y - 0.5) - 1) < 1e-6 && y <= 0.5 + 1e-7, `lower point ${x}, ${y}`);
        angles[1].push(Math.atan2(0.5 - y, 1 - x));
      }
    }
    for (const [label, list] of angles.entries()) {
      list.sort((a, b) => a - b);
      list.forEach((angle, k) => assert.ok(Math.abs(angle - (Math.PI * k) / (list.length - 1)) < 1e-6, `moon ${label} angle ${k}`));
    }
    const firstHalf = Array.from(ds.y.subarray(0, 50));
    assert.ok(firstHalf.includes(0) && firstHalf.includes(1), "labels are shuffled");
  });

  test("noise adds N(0, noise²) to each coordinate of the same shuffled points", () => {
    const clean = twoMoons({ n: 4000, seed: 5 });
    const noisy = twoMoons({ n: 4000, noise: 0.1, seed: 5 });
    assert.deepEqual(noisy.y, clean.y);
    const offsets = Array.from(noisy.x, (v, i) => v - clean.x[i]);
    assert.ok(Math.abs(std(offsets) - 0.1) < 0.004, `noise std ${std(offsets)}`);
  });

  test("reproducible from the seed; options are checked", () => {
    assert.deepEqual(twoMoons({ n: 30, noise: 0.2, seed: 1 }), twoMoons({ n: 30, noise: 0.2, seed: 1 }));
    assert.notDeepEqual(twoMoons({ n: 30, noise: 0.2, seed: 1 }).x, twoMoons({ n: 30, noise: 0.2, seed: 2 }).x);
    assert.deepEqual(classCounts(twoMoons({ n: 2 })), [1, 1]);
    assert.throws(() => twoMoons({ n: 1 }), /twoMoons: n must be an integer >= 2, got 1/);
    assert.throws(() => twoMoons({ n: 10, noise: NaN }), /twoMoons: noise must be a finite number >= 0, got NaN/);
    assert.throws(() => twoMoons(undefined as never), /twoMoons: n must be an integer >= 2, got undefined/);
  });
});

describe("spirals", () => {
  test("noise 0: class j's points at radius k/(m-1) and angle 2πj/K + 4r; counts differ by at most 1", () => {
    const classes = 3;
    const ds = spirals({ n: 301, classes, seed: 2 });
    assert.equal(ds.size, 301);
    assert.equal(ds.numClasses, 3);
    assert.deepEqual(classCounts(ds), [101, 100, 100]);
    const radii: number[][] = [[], [], []];
    for (let i = 0; i < ds.size; i++) {
      const [x, y] = [ds.x[2 * i], ds.x[2 * i + 1]];
      const j = ds.y[i];
      const r = Math.hypot(x, y);
      radii[j].push(r);
      if (r < 1e-6) continue;
      const expected = (2 * Math.PI * j) / classes + 4 * r;
      const gap = Math.atan2(y, x) - expected;
      const wrapped = gap - 2 * Math.PI * Math.round(gap / (2 * Math.PI));
      assert.ok(Math.abs(wrapped) < 1e-5, `class ${j} point ${x}, ${y}: angle off by ${wrapped}`);
    }
    for (const list of radii) {
      list.sort((a, b) => a - b);
      list.forEach((r, k) => assert.ok(Math.abs(r - k / (list.length - 1)) < 1e-6));
    }
  });

  test("reproducible from the seed, noise of the stated size; options are checked", () => {
    const clean = spirals({ n: 3000, classes: 2, seed: 9 });
    const noisy = spirals({ n: 3000, classes: 2, noise: 0.05, seed: 9 });
    assert.deepEqual(noisy, spirals({ n: 3000, classes: 2, noise: 0.05, seed: 9 }));
    assert.deepEqual(noisy.y, clean.y);
    const offsets = Array.from(noisy.x, (v, i) => v - clean.x[i]);
    assert.ok(Math.abs(std(offsets) - 0.05) < 0.002, `noise std ${std(offsets)}`);
    assert.deepEqual(classCounts(spirals({ n: 2 })), [1, 1]);
    assert.throws(() => spirals({ n: 2, classes: 3 }), /spirals: n must be an integer >= 3, got 2/);
    assert.throws(() => spirals({ n: 10, classes: 1 }), /spirals: classes must be an integer >= 2, got 1/);
    assert.throws(() => spirals({ n: 10, noise: -1 }), /spirals: noise must be a finite number >= 0, got -1/);
    assert.throws(() => spirals({ n: 10, arms: 3 } as never), /spirals: unknown option "arms"/);
  });
});
