/**
 * The gradients of resizeBilinear and resizeNearestNeighbor on wasm are the adjoints of the forward passes.
 * No backend's gradient kernel is a reference here (tfjs's cpu one ignores half-pixel centers too and throws on
 * non-square images), so the reference is the forward pass itself, on cpu: the resize R is linear, the
 * gradient of Σ R(x)·c is g = Rᵀc, and ⟨R(v), c⟩ = ⟨v, g⟩ must hold for every v; random probes v test it.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { normals, seeded, setUpWasm } from "./helpers";

before(setUpWasm);

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

describe("resize gradients on wasm are the adjoints of the forward passes", () => {
  test("300 random shapes, sizes, methods, alignCorners and halfPixelCenters", async () => {
    const random = seeded(20261206);
    for (let c = 0; c < 300; c++) {
      const images: [number, number, number, number] = [1 + random.int(2), 1 + random.int(6), 1 + random.int(6), 1 + random.int(3)];
      const size: [number, number] = [1 + random.int(9), 1 + random.int(9)];
      const method = random.int(2) === 0 ? "resizeBilinear" : "resizeNearestNeighbor";
      // tfjs allows at most one of the two
      const [alignCorners, halfPixelCenters] = [[false, false], [true, false], [false, true]][random.int(3)];
      const resize = (x: tf.Tensor4D) => tf.image[method](x, size, alignCorners, halfPixelCenters);
      const count = images.reduce((a, b) => a * b, 1);
      const x = Array.from(normals(random, count));
      const weights = Array.from(normals(random, images[0] * size[0] * size[1] * images[3]));
      const where = `case ${c}: ${method} [${images}] → ${size}, alignCorners ${alignCorners}, halfPixelCenters ${halfPixelCenters}`;

      await tf.setBackend("wasm");
      const before = tf.memory().numTensors;
      const gradient = tf.tidy(() => {
        const w = tf.tensor(weights, [images[0], ...size, images[3]]);
        return Array.from(tf.grad((input: tf.Tensor) => resize(input as tf.Tensor4D).mul(w).sum())(tf.tensor4d(x, images)).dataSync());
      });
      assert.equal(tf.memory().numTensors, before, `${where}: tensors leaked`);

      await tf.setBackend("cpu");
      for (let probe = 0; probe < 4; probe++) {
        const v = Array.from(normals(random, count));
        const forward = tf.tidy(() => Array.from(resize(tf.tensor4d(v, images)).dataSync()));
        const [lhs, rhs] = [dot(forward, weights), dot(v, gradient)];
        const scale = Math.sqrt(dot(weights, weights) * dot(v, v));
        assert.ok(Math.abs(lhs - rhs) <= 1e-5 * scale, `${where}: ⟨R(v), c⟩ = ${lhs}, ⟨v, gradient⟩ = ${rhs}`);
      }
    }
  });
});
