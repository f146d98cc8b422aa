/**
 * stepwise's kernels split between threads (src/backend/kernels/kernel-pool.ts) on tfjs's threaded wasm
 * build, 2 threads: random large configurations (fixed seed) of every kernel that splits — convolution
 * forward and both its gradients (the input gradient is a convolution too), max pool and its gradient, and the
 * product with new weights — against tfjs's cpu backend, as the property test compares; the pool must have
 * run them. Then the partition itself.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { registerWasmTrainingKernels, startWasm } from "../../src/backend";
import { convGeometry } from "../../src/backend/kernels/geometry";
import { kernelPool, splitRange, worthSplitting } from "../../src/backend/kernels/kernel-pool";
import { winogradTile } from "../../src/backend/kernels/winograd";
import type { WasmBackendLike } from "../../src/backend/kernels/scope";
import { assertAllClose, normals, onCpuAndWasm, seeded } from "./helpers";

const SEED = 20261202;
const CASES = 12;

function poolRuns(): number {
  return kernelPool(tf.engine().findBackend("wasm") as unknown as WasmBackendLike)?.runs ?? 0;
}

describe("kernels split between 2 threads equal cpu", () => {
  before(async () => {
    const setup = await startWasm(2);
    registerWasmTrainingKernels();
    assert.equal(setup.threads, 2, setup.threadsNote);
  });

  test(`${CASES} random CNN layers (seed ${SEED}): conv2d, its filter and input gradients, max-pool gradient`, async () => {
    const random = seeded(SEED);
    const int = (lo: number, hi: number) => lo + random.int(hi - lo + 1);
    let split = 0;
    for (let index = 0; index < CASES; index++) {
      const [n, h, w, c, o, k] = [int(6, 12), int(18, 28), int(18, 28), int(4, 16), int(12, 32), int(2, 4)];
      const stride = int(1, 2);
      const pad = random.next() < 0.5 ? "same" : "valid";
      const x = normals(random, n * h * w * c);
      const f = normals(random, k * k * c * o);
      const config = JSON.stringify({ index, n, h, w, c, o, k, stride, pad });
      const before = poolRuns();
      const results = await onCpuAndWasm(() => {
        const xt = tf.tensor4d(x, [n, h, w, c]);
        const ft = tf.tensor4d(f, [k, k, c, o]);
        const loss = (xv: tf.Tensor, fv: tf.Tensor) =>
          tf.maxPool(tf.relu(tf.conv2d(xv as tf.Tensor4D, fv as tf.Tensor4D, stride, pad)), 2, 2, "valid").square().sum();
        const [dx, df] = tf.grads(loss)([xt, ft]);
        return [tf.conv2d(xt, ft, stride, pad), dx, df];
      });
      assertAllClose(results, 2e-4, config);
      const [oh, ow] = pad === "same" ? [Math.ceil(h / stride), Math.ceil(w / stride)] : [Math.ceil((h - k + 1) / stride), Math.ceil((w - k + 1) / stride)];
      const macs = n * oh * ow * o * k * k * c;
      const runs = poolRuns() - before;
      // the forward convolution, the input gradient's convolution and the filter gradient have as many multiply-adds
      if (worthSplitting(macs)) assert.ok(runs >= 3, `${config}: ${macs} multiply-adds, yet ${runs} kernels ran on the pool`);
      if (runs > 0) split++;
    }
    assert.ok(split >= CASES / 2, `only ${split} of ${CASES} cases ran kernels on the pool`);
  });

  test("the Winograd convolution and its gradients, images split with scratch of their own: the reference CNN's second layer and its input gradient's convolution at batch 64", async () => {
    const random = seeded(SEED + 3);
    const layers: Array<{ x: [number, number, number, number]; filter: [number, number, number, number]; pad: "valid" | number }> = [
      { x: [64, 13, 13, 16], filter: [3, 3, 16, 32], pad: "valid" },
      { x: [64, 11, 11, 32], filter: [3, 3, 32, 16], pad: 2 },
    ];
    for (const { x, filter, pad } of layers) {
      const info = tf.backend_util.computeConv2DInfo(x, filter, 1, 1, pad);
      assert.equal(winogradTile(convGeometry(info), filter[3]), 4, `x [${x}] takes Winograd`);
      const xs = normals(random, tf.util.sizeFromShape(x));
      const fs = normals(random, tf.util.sizeFromShape(filter));
      const bs = normals(random, filter[3]);
      const before = poolRuns();
      const results = await onCpuAndWasm(() => {
        const [xt, ft] = [tf.tensor4d(xs, x), tf.tensor4d(fs, filter)];
        const y = tf.fused.conv2d({ x: xt, filter: ft, strides: 1, pad, bias: tf.tensor1d(bs), activation: "relu" });
        // the filter's and input's gradients for dy = y (Conv2DBackpropFilter and Conv2DBackpropInput, their Winograd kernels too)
        const [dx, dW] = tf.grads((xv: tf.Tensor, f: tf.Tensor) => tf.conv2d(xv as tf.Tensor4D, f as tf.Tensor4D, 1, pad).mul(y).sum())([xt, ft]);
        return [y, dW, dx];
      });
      assertAllClose(results, 2e-4, `Winograd x [${x}], pad ${pad}`);
      assert.ok(poolRuns() > before, `x [${x}]: the convolution ran on the pool`);
    }
  });

  test("a product with new weights, rows split in 4-row blocks: 61×784 · 784×256", async () => {
    const random = seeded(SEED + 1);
    const a = normals(random, 61 * 784);
    const b = normals(random, 784 * 256);
    const before = poolRuns();
    const results = await onCpuAndWasm(() => tf.matMul(tf.tensor2d(a, [61, 784]), tf.tensor2d(b, [784, 256])));
    assertAllClose(results, 2e-4, "matMul");
    assert.ok(poolRuns() > before, "the product ran on the pool");
  });
});

describe("splitRange", () => {
  test("near-equal ranges that tile [0, total), in multiples of the step but the last", () => {
    assert.deepEqual(splitRange(64, 2), [[0, 32], [32, 32]]);
    assert.deepEqual(splitRange(61, 2, 4), [[0, 32], [32, 29]]);
    assert.deepEqual(splitRange(3, 8), [[0, 1], [1, 1], [2, 1]]);
    assert.deepEqual(splitRange(1, 2), [[0, 1]]);
    const random = seeded(SEED + 2);
    for (let i = 0; i < 200; i++) {
      const total = 1 + random.int(500);
      const parts = 1 + random.int(8);
      const step = 1 + random.int(8);
      const ranges = splitRange(total, parts, step);
      let at = 0;
      for (const [start, count] of ranges) {
        assert.equal(start, at);
        assert.ok(count > 0);
        at += count;
      }
      assert.equal(at, total);
      assert.ok(ranges.length <= parts);
      ranges.slice(0, -1).forEach(([, count]) => assert.equal(count % step, 0, `${total}/${parts}/${step}`));
    }
  });
});
