/**
 * The wasm MaxPoolGrad against tfjs's cpu backend: ties (ReLU zeros, repeated values) must send the whole
 * gradient to the first maximal element in window order, on odd sizes, overlapping windows, every padding
 * kind, and windows with nothing above −∞.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertAllClose, normals, onCpuAndWasm, seeded, setUpWasm } from "./helpers";
import type { Rng } from "../../src/data";

type Shape4 = [number, number, number, number];
type Pad = "valid" | "same" | number;

before(setUpWasm);

const TOL = 1e-5;

/** Values with many exact ties: ReLU'd normals (half zeros) or a few small integers. */
function tiedValues(random: Rng, n: number, kind: number): Float32Array {
  const v = normals(random, n);
  if (kind === 0) return v.map((a) => Math.max(0, a));
  if (kind === 1) return v.map((a) => Math.round(a));
  return v;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

describe("MaxPoolGrad on wasm matches cpu", () => {
  test("tf.grad of maxPool on 24 random shapes, windows, strides and paddings, with ties", async () => {
    const random = seeded(11);
    for (let k = 0; k < 24; k++) {
      const wh = 1 + random.int(3);
      // a numeric pad below the window (a larger one leaves whole windows in the padding, which wasm refuses)
      const pad: Pad = k % 4 === 3 ? Math.min(random.int(2), wh - 1) : k % 2 === 0 ? "valid" : "same";
      // numeric pads get square windows and equal strides: tfjs-core sizes their output from the window's and
      // the stride's height alone, so no backend computes other ones right (wasm refuses them, as for conv2d)
      const window: [number, number] = [wh, typeof pad === "number" ? wh : 1 + random.int(3)];
      const sh = 1 + random.int(3);
      const strides: [number, number] = k % 3 === 0 ? window : [sh, typeof pad === "number" ? sh : 1 + random.int(3)];
      const x: Shape4 = [1 + random.int(3), window[0] + random.int(8), window[1] + random.int(8), 1 + random.int(5)];
      const xv = tiedValues(random, size(x), k % 3);
      const round = typeof pad === "number" ? "floor" : undefined;
      const out = tf.backend_util.computePool2DInfo(x, window, strides, 1, pad, round).outShape;
      const weights = normals(random, size(out));
      const results = await onCpuAndWasm(() => {
        const loss = (a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, window, strides, pad, round), tf.tensor(weights, out)));
        return tf.grad(loss)(tf.tensor(xv, x));
      });
      assertAllClose(results, TOL, `case ${k}: x ${x} window ${window} strides ${strides} pad ${pad}`);
    }
  });

  test("the reference CNN's pools at batch 64 after ReLU (2x2, stride 2, valid; 11x11 leaves a row and column out)", async () => {
    const random = seeded(12);
    for (const x of [
      [64, 26, 26, 16],
      [64, 11, 11, 32],
    ] as Shape4[]) {
      const xv = tiedValues(random, size(x), 0);
      const out = tf.backend_util.computePool2DInfo(x, 2, 2, 1, "valid").outShape;
      const dy = normals(random, size(out));
      const results = await onCpuAndWasm(() => {
        const input = tf.tensor(xv, x) as tf.Tensor4D;
        const output = tf.maxPool(input, 2, 2, "valid");
        return tf.engine().runKernel("MaxPoolGrad", { dy: tf.tensor(dy, out), input, output }, { filterSize: 2, strides: 2, pad: "valid" }) as tf.Tensor;
      });
      assertAllClose(results, TOL, `pool of ${x}`);
      assert.ok(results.wasm[0].some((v) => v !== 0), "a non-trivial gradient");
    }
  });

  test("all-equal windows, −∞ windows and rounding modes: the gradient goes where cpu sends it", async () => {
    const x: Shape4 = [2, 7, 9, 3];
    const values = new Float32Array(size(x)).fill(0.5);
    for (let i = 0; i < values.length; i += 5) values[i] = -Infinity;
    for (let i = 0; i < 3 * 9 * 3; i++) values[i] = -Infinity; // whole windows of −∞ in the first image
    for (const [window, pad, round] of [
      [[3, 3], 1, "ceil"],
      [[2, 2], 2, "round"],
      [[3, 2], "same", undefined],
      [[2, 3], "valid", undefined],
    ] as Array<[[number, number], Pad, "ceil" | "round" | undefined]>) {
      const info = tf.backend_util.computePool2DInfo(x, window, [2, 3], 1, pad, round);
      const dy = Float32Array.from({ length: size(info.outShape) }, (_, i) => 1 + i);
      const results = await onCpuAndWasm(() => {
        const input = tf.tensor(values, x) as tf.Tensor4D;
        return tf.engine().runKernel(
          "MaxPoolGrad",
          // the output input is not read (both kernels find the maxima in the input); some of these geometries
          // have no forward value on wasm (numeric padding with unequal strides, windows wholly in the padding)
          { dy: tf.tensor(dy, info.outShape), input, output: tf.zeros(info.outShape) },
          { filterSize: window, strides: [2, 3], pad, ...(round ? { dimRoundingMode: round } : {}) },
        ) as tf.Tensor;
      });
      assertAllClose(results, TOL, `window ${window} pad ${pad} ${round ?? ""}`);
    }
  });
});

describe("MaxPool on wasm matches cpu where windows hold NaN and infinities", () => {
  test("80 random geometries over values with NaN, ±∞ and ties: the forward values exactly, and the gradient", async () => {
    const random = seeded(13);
    const special = [NaN, Infinity, -Infinity, 0, 1];
    let infinite = 0;
    for (let k = 0; k < 80; k++) {
      const wh = 1 + random.int(3);
      const pad: "valid" | "same" = k % 2 === 0 ? "valid" : "same";
      const window: [number, number] = [wh, 1 + random.int(3)];
      const strides: [number, number] = [1 + random.int(3), 1 + random.int(3)];
      const x: Shape4 = [1 + random.int(2), window[0] + random.int(6), window[1] + random.int(6), 1 + random.int(9)];
      // a third of the values special, so that windows of NaN only, of −∞ only and of NaN beside numbers occur
      const xv = tiedValues(random, size(x), k % 3).map((v) => (random.int(3) === 0 ? special[random.int(special.length)] : v));
      const out = tf.backend_util.computePool2DInfo(x, window, strides, 1, pad).outShape;
      const weights = normals(random, size(out));
      const results = await onCpuAndWasm(() => {
        const input = tf.tensor(xv, x) as tf.Tensor4D;
        const loss = (a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, window, strides, pad), tf.tensor(weights, out)));
        return [tf.maxPool(input, window, strides, pad), tf.grad(loss)(input)];
      });
      const where = `case ${k}: x ${x} window ${window} strides ${strides} pad ${pad}`;
      // exactly (deepEqual takes NaN as equal to NaN)
      assert.deepEqual(Array.from(results.wasm[0]), Array.from(results.cpu[0]), `${where}: forward`);
      infinite += results.cpu[0].filter((v) => !Number.isFinite(v)).length;
      assertAllClose({ cpu: [results.cpu[1]], wasm: [results.wasm[1]] }, TOL, `${where}: gradient`);
    }
    assert.ok(infinite > 0, "some windows held only −∞ or NaN, or +∞");
  });
});
