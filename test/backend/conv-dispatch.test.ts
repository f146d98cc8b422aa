/**
 * Which kernel a forward convolution with a filter used before runs on (src/backend/kernels/conv2d.ts):
 * stepwise's own, whose bits do not depend on how often the filter was used, unless the convolution is
 * smaller than XNNPACK_CACHED_BELOW multiply-adds, where XNNPACK's cached operator takes it. An
 * accumulation window's later micro-batches and every evaluation batch reuse the weights, and XNNPACK was
 * 1.3–3.4× slower there.
 *
 * Over random layer geometries (a fixed seed): the same filter three times gives the first call's bits,
 * every call within the property test's tolerance of cpu, above the threshold; below it every call is within
 * that tolerance of cpu.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose, normals, seeded, setUpWasm, valuesOn } from "./helpers";
import { RELATIVE_TOLERANCE } from "./kernel-property";
import { XNNPACK_CACHED_BELOW } from "../../src/backend/kernels/conv2d";
import type { Rng } from "../../src/data";

before(setUpWasm);

interface Layer {
  n: number;
  size: number;
  c: number;
  o: number;
  k: number;
  stride: number;
  pad: "same" | "valid";
  activation: "linear" | "relu";
}

function drawLayer(random: Rng): Layer {
  const k = [1, 3, 5][random.int(3)];
  return {
    n: 1 + random.int(8),
    size: k + random.int(14),
    c: 1 + random.int(24),
    o: 1 + random.int(40),
    k,
    stride: 1 + random.int(2),
    pad: random.int(2) === 0 ? "same" : "valid",
    activation: random.int(2) === 0 ? "linear" : "relu",
  };
}

function multiplyAdds(layer: Layer): number {
  const out = layer.pad === "same" ? Math.ceil(layer.size / layer.stride) : Math.ceil((layer.size - layer.k + 1) / layer.stride);
  return layer.n * out * out * layer.o * layer.k * layer.k * layer.c;
}

function describeLayer(l: Layer): string {
  return `[${l.n},${l.size},${l.size},${l.c}] * ${l.k}x${l.k}x${l.o} stride ${l.stride} ${l.pad} ${l.activation}`;
}

/** The layer's output three times with one filter tensor, then the same on cpu. */
async function threeCalls(layer: Layer, random: Rng): Promise<{ wasm: Float32Array[]; cpu: Float32Array }> {
  const x = normals(random, layer.n * layer.size * layer.size * layer.c);
  const filter = normals(random, layer.k * layer.k * layer.c * layer.o);
  const bias = normals(random, layer.o);
  const run = (f: tf.Tensor4D) =>
    tf.fused.conv2d({
      x: tf.tensor4d(x, [layer.n, layer.size, layer.size, layer.c]),
      filter: f,
      bias: tf.tensor1d(bias),
      strides: layer.stride,
      pad: layer.pad,
      activation: layer.activation,
    });
  const wasm = await valuesOn("wasm", () => {
    const f = tf.tensor4d(filter, [layer.k, layer.k, layer.c, layer.o]);
    return [run(f), run(f), run(f)];
  });
  const [cpu] = await valuesOn("cpu", () => run(tf.tensor4d(filter, [layer.k, layer.k, layer.c, layer.o])));
  return { wasm, cpu };
}

describe("a forward convolution with a filter used before", () => {
  test("above the threshold: stepwise's kernel every time (the first call's bits), within tolerance of cpu", async () => {
    const random = seeded(41);
    let checked = 0;
    while (checked < 30) {
      const layer = drawLayer(random);
      if (multiplyAdds(layer) < XNNPACK_CACHED_BELOW) continue;
      const { wasm, cpu } = await threeCalls(layer, random);
      for (const [i, values] of wasm.entries()) assertClose(values, cpu, RELATIVE_TOLERANCE, `${describeLayer(layer)}, call ${i + 1}`);
      assert.deepEqual(wasm[1], wasm[0], `${describeLayer(layer)}: the second call's bits`);
      assert.deepEqual(wasm[2], wasm[0], `${describeLayer(layer)}: the third call's bits`);
      checked++;
    }
  });

  test("below the threshold (XNNPACK from the second call): within tolerance of cpu", async () => {
    const random = seeded(42);
    let checked = 0;
    while (checked < 30) {
      const layer = drawLayer(random);
      if (multiplyAdds(layer) >= XNNPACK_CACHED_BELOW) continue;
      const { wasm, cpu } = await threeCalls(layer, random);
      for (const [i, values] of wasm.entries()) assertClose(values, cpu, RELATIVE_TOLERANCE, `${describeLayer(layer)}, call ${i + 1}`);
      checked++;
    }
  });
});
