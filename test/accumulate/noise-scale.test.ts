/**
 * The gradient noise scale B_simple = tr(Σ)/|G|² estimated from accumulation windows, checked on synthetic
 * per-item gradients g = G + ε with ε ~ N(0, σ²I) in d dimensions, where tr(Σ) = dσ² is known exactly.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { sgd } from "../../src/optim";
import { NoiseScaleTracker } from "../../src/accumulate";
import { randomValues } from "../optim/helpers";

function gaussian(count: number, seed: number): Float64Array {
  const u = randomValues(2 * count, seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const a = (u[2 * i] + 1) / 2 || 1e-12;
    const b = (u[2 * i + 1] + 1) / 2;
    out[i] = Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  }
  return out;
}

describe("gradient noise scale", () => {
  test("the estimator recovers tr(Σ)/|G|² for known statistics", () => {
    const d = 50;
    const sigma = 2;
    const G = Array.from({ length: d }, (_, i) => (i % 5 === 0 ? 1 : 0.2));
    const g2 = G.reduce((s, x) => s + x * x, 0);
    const expected = (d * sigma * sigma) / g2;
    const v = tf.variable(tf.zeros([d]), true, "noise/w");
    const b = 16;
    const k = 4;
    const opt = sgd({ lr: 1e-9, accumulate: { steps: k } });
    let seed = 100;
    for (let window = 0; window < 400; window++) {
      for (let micro = 0; micro < k; micro++) {
        const noise = gaussian(b * d, seed++);
        const mean = new Float32Array(d);
        for (let j = 0; j < b; j++) for (let i = 0; i < d; i++) mean[i] += (G[i] + sigma * noise[j * d + i]) / b;
        opt.applyGradients({ [v.name]: tf.tensor1d(mean) }, { itemCount: b });
      }
    }
    const estimate = opt.noiseScale().default!;
    assert.equal(estimate.windows, 400);
    assert.ok(Math.abs(estimate.traceCovariance - d * sigma * sigma) / (d * sigma * sigma) < 0.1, `tr(Σ) ${estimate.traceCovariance}`);
    assert.ok(Math.abs(estimate.bSimple - expected) / expected < 0.15, `B_simple ${estimate.bSimple} vs ${expected}`);
    opt.dispose();
    v.dispose();
  });

  test("the tracker's formulas on exact expectations", () => {
    // with E|G_small|² = |G|² + tr(Σ)/B_small and E|G_big|² = |G|² + tr(Σ)/B_big the estimates are exact
    const tracker = new NoiseScaleTracker(0);
    const [g2, trace, small, big] = [4, 100, 8, 32];
    tracker.add({ smallSquaredNorm: g2 + trace / small, bigSquaredNorm: g2 + trace / big, smallBatch: small, bigBatch: big });
    const estimate = tracker.estimate()!;
    assert.ok(Math.abs(estimate.gradientSquaredNorm - g2) < 1e-12);
    assert.ok(Math.abs(estimate.traceCovariance - trace) < 1e-9);
    assert.ok(Math.abs(estimate.bSimple - trace / g2) < 1e-9);
  });
});
