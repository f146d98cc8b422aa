/**
 * The Winograd convolution (assembly/winograd.ts, src/backend/kernels/winograd.ts) against tfjs's cpu
 * backend:
 *
 * - the kernel itself, with 2 × 2 and 4 × 4 output tiles on both builds of stepwise's kernels, over random
 *   geometries (images smaller than a tile, paddings on any side, channel counts up to 64, every epilogue),
 *   within the property test's tolerance;
 * - the same with NaN and ±∞ in the input and in the filter: every output that cpu makes NaN or ±∞ is
 *   the same here, the finite ones within the tolerance;
 * - the filter and input gradients' kernels (Winograd's transpose) the same way;
 * - the ops that reach it (conv2d, its input gradient, the fused layer with bias and ReLU) where the cost
 *   model chooses it, and the cost model's choices on the reference CNN.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertAllClose, normals, onCpuAndWasm, seeded, setUpWasm, valuesOn } from "./helpers";
import { HeapCanary, RELATIVE_TOLERANCE } from "./kernel-property";
import { convGeometry } from "../../src/backend/kernels/geometry";
import { KERNEL_BUILDS, heapBuffer, simdKernels, useKernelBuild, type KernelBuild } from "../../src/backend/kernels/simd";
import type { WasmBackendLike } from "../../src/backend/kernels/scope";
import { filterScratchFloats, inputGradientTile, winogradTile } from "../../src/backend/kernels/winograd";
import type { Rng } from "../../src/data";

before(setUpWasm);

interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
  o: number;
  /** top, bottom, left, right */
  pads: [number, number, number, number];
  epilogue: 0 | 1 | 2 | 3;
  tile: 2 | 4;
}

function drawGeometry(random: Rng, index: number): Geometry {
  const pads: [number, number, number, number] = [random.int(3), random.int(3), random.int(3), random.int(3)];
  // an output of 1 to 14 rows and columns: smaller than a tile, a tile and a part, several tiles
  const h = Math.max(1, 1 + random.int(14) + 2 - pads[0] - pads[1]);
  const w = Math.max(1, 1 + random.int(14) + 2 - pads[2] - pads[3]);
  return {
    n: 1 + random.int(3),
    h: Math.max(h, 3 - pads[0] - pads[1]),
    w: Math.max(w, 3 - pads[2] - pads[3]),
    c: 4 * (1 + random.int(random.int(4) === 0 ? 16 : 4)),
    o: 8 * (1 + random.int(random.int(4) === 0 ? 8 : 3)),
    pads,
    epilogue: random.int(4) as 0 | 1 | 2 | 3,
    tile: index % 2 === 0 ? 2 : 4,
  };
}

/** The values of the three inputs, some of them NaN or ±∞ when `specials`. */
function drawValues(random: Rng, g: Geometry, specials: boolean): { x: Float32Array; filter: Float32Array; bias: Float32Array } {
  const x = normals(random, g.n * g.h * g.w * g.c);
  const filter = normals(random, 9 * g.c * g.o);
  const bias = normals(random, g.o);
  if (specials) {
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (let i = 0; i < x.length; i++) if (random.int(60) === 0) x[i] = special[random.int(3)];
    // one case in three: a non-finite weight, which reaches every output of its channel that reads x
    if (random.int(3) === 0) filter[random.int(filter.length)] = special[random.int(3)];
  }
  return { x, filter, bias };
}

/** cpu's conv2d with explicit padding, then the bias and ReLU the epilogue asks for. */
function reference(g: Geometry, values: { x: Float32Array; filter: Float32Array; bias: Float32Array }): Promise<Float32Array[]> {
  return valuesOn("cpu", () => {
    const [top, bottom, left, right] = g.pads;
    let y: tf.Tensor = tf.conv2d(tf.tensor4d(values.x, [g.n, g.h, g.w, g.c]), tf.tensor4d(values.filter, [3, 3, g.c, g.o]), 1, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
    if (g.epilogue & 1) y = tf.add(y, tf.tensor1d(values.bias));
    if (g.epilogue & 2) y = tf.relu(y);
    return y;
  });
}

/** winogradFilter then conv2dWinograd on wasm, on the build in use. */
function runWinograd(g: Geometry, values: { x: Float32Array; filter: Float32Array; bias: Float32Array }): Float32Array {
  const backend = tf.engine().findBackend("wasm") as unknown as WasmBackendLike;
  const kernels = simdKernels(backend);
  assert.ok(kernels, "the SIMD kernels load");
  const [top, bottom, left, right] = g.pads;
  const oh = g.h + top + bottom - 2;
  const ow = g.w + left + right - 2;
  return tf.tidy(() => {
    const tensors = [
      tf.tensor1d(values.x),
      tf.tensor1d(values.filter),
      tf.zeros([(g.tile + 2) ** 2 * g.c * g.o]),
      tf.fill([g.n * oh * ow * g.o], 12345),
      tf.zeros([g.c]),
      tf.tensor1d(values.bias),
      tf.fill([180 * g.c + 1916], Number.NaN), // scratch holds anything
    ];
    const [x, filter, u, y, zeros, bias, scratch] = tensors.map((t) => heapBuffer(backend, t));
    assert.equal(kernels.winogradFilter(filter.offset, u.offset, g.tile, g.c, g.o, filter.bytes, u.bytes), 0, "winogradFilter ran");
    const status = kernels.conv2dWinograd(
      x.offset, filter.offset, u.offset, y.offset, zeros.offset, bias.offset, scratch.offset, g.tile,
      g.n, g.h, g.w, g.c, oh, ow, g.o, top, left, g.epilogue,
      x.bytes, filter.bytes, u.bytes, y.bytes, zeros.bytes, bias.bytes, scratch.bytes,
    );
    assert.equal(status, 0, "conv2dWinograd ran");
    return Float32Array.from(tensors[3].dataSync());
  });
}

/** Non-finite outputs equal cpu's (NaN for NaN, the same infinity); finite ones within the property's tolerance. */
function compare(actual: Float32Array, expected: Float32Array, where: string): void {
  assert.equal(actual.length, expected.length, `${where}: length`);
  let scale = 1;
  for (const v of expected) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      assert.ok(Number.isNaN(a) && Number.isNaN(e), `${where}: element ${i} is ${a} on wasm, ${e} on cpu`);
    } else if (!Number.isFinite(e) || !Number.isFinite(a)) {
      assert.equal(a, e, `${where}: element ${i}`);
    } else {
      assert.ok(Math.abs(a - e) <= RELATIVE_TOLERANCE * scale, `${where}: element ${i} is ${a} on wasm, ${e} on cpu (scale ${scale})`);
    }
  }
}

function describeCase(index: number, g: Geometry): string {
  return `case ${index}: ${JSON.stringify(g)}`;
}

for (const build of KERNEL_BUILDS) {
  describe(`conv2dWinograd (${build} build) equals cpu's conv2d`, () => {
    let canary: HeapCanary;
    before(async () => {
      await tf.setBackend("wasm");
      useKernelBuild(build as KernelBuild);
      canary = new HeapCanary();
    });
    after(async () => {
      const damage = await canary.check();
      canary.dispose();
      useKernelBuild(KERNEL_BUILDS[0]);
      assert.equal(damage, undefined, "the wasm heap after the cases");
    });

    test("over 120 random geometries, 2 × 2 and 4 × 4 tiles, every epilogue", async () => {
      const random = seeded(20261203);
      for (let index = 0; index < 120; index++) {
        const g = drawGeometry(random, index);
        const values = drawValues(random, g, false);
        const [expected] = await reference(g, values);
        await tf.setBackend("wasm");
        compare(runWinograd(g, values), expected, describeCase(index, g));
      }
    });

    test("over 80 random geometries whose inputs and filters hold NaN and ±∞", async () => {
      const random = seeded(20261204);
      let nonFinite = 0;
      for (let index = 0; index < 80; index++) {
        const g = drawGeometry(random, index);
        const values = drawValues(random, g, true);
        const [expected] = await reference(g, values);
        nonFinite += expected.filter((v) => !Number.isFinite(v)).length;
        await tf.setBackend("wasm");
        compare(runWinograd(g, values), expected, describeCase(index, g));
      }
      assert.ok(nonFinite > 1000, `only ${nonFinite} non-finite outputs were drawn`);
    });
  });
}

/** One case of a gradient kernel: its geometry, cpu's answer, and the kernel's on wasm. */
interface GradientCase {
  g: Geometry;
  expected(): Promise<Float32Array[]>;
  actual(): Float32Array;
}

/**
 * `cases` cases of a gradient kernel, drawn by `draw`, on one build: each within the tolerance of cpu, at
 * least `nonFiniteAtLeast` non-finite expected values among them, and the heap intact after.
 */
async function checkGradientCases(build: KernelBuild, seed: number, cases: number, nonFiniteAtLeast: number, draw: (random: Rng, index: number) => GradientCase): Promise<void> {
  await tf.setBackend("wasm");
  useKernelBuild(build);
  const canary = new HeapCanary();
  const random = seeded(seed);
  let nonFinite = 0;
  try {
    for (let index = 0; index < cases; index++) {
      const c = draw(random, index);
      const [expected] = await c.expected();
      nonFinite += expected.filter((v) => !Number.isFinite(v)).length;
      await tf.setBackend("wasm");
      compare(c.actual(), expected, describeCase(index, c.g));
    }
    assert.ok(nonFinite >= nonFiniteAtLeast, `only ${nonFinite} non-finite gradients were drawn`);
    assert.equal(await canary.check(), undefined, "the wasm heap after the cases");
  } finally {
    canary.dispose();
    useKernelBuild(KERNEL_BUILDS[0]);
  }
}

/** dy's [oh, ow] for a geometry's padded 3 × 3 convolution. */
function outputSides(g: Geometry): [number, number] {
  const [top, bottom, left, right] = g.pads;
  return [g.h + top + bottom - 2, g.w + left + right - 2];
}

/** cpu's filter gradient of conv2d with explicit padding: Conv2DBackpropFilter(x, dy). */
function filterReference(g: Geometry, x: Float32Array, dy: Float32Array): Promise<Float32Array[]> {
  const [top, bottom, left, right] = g.pads;
  const [oh, ow] = outputSides(g);
  return valuesOn("cpu", () => {
    const xt = tf.tensor4d(x, [g.n, g.h, g.w, g.c]);
    const dyt = tf.tensor4d(dy, [g.n, oh, ow, g.o]);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [top, bottom], [left, right], [0, 0]];
    // the gradient of Σ conv2d(x, f)·dy with respect to f is Conv2DBackpropFilter(x, dy)
    return tf.grad((f: tf.Tensor) => tf.conv2d(xt, f as tf.Tensor4D, 1, pad).mul(dyt).sum())(tf.zeros([3, 3, g.c, g.o]));
  });
}

/** conv2dFilterGradWinograd on wasm, on the build in use. */
function runFilterWinograd(g: Geometry, x: Float32Array, dy: Float32Array): Float32Array {
  const backend = tf.engine().findBackend("wasm") as unknown as WasmBackendLike;
  const kernels = simdKernels(backend)!;
  const [top, bottom, left, right] = g.pads;
  const [oh, ow] = [g.h + top + bottom - 2, g.w + left + right - 2];
  return tf.tidy(() => {
    const tensors = [tf.tensor1d(x), tf.tensor1d(dy), tf.fill([9 * g.c * g.o], 12345), tf.fill([filterScratchFloats(g.c, g.o)], Number.NaN)];
    const [xb, dyb, dW, scratch] = tensors.map((t) => heapBuffer(backend, t));
    const status = kernels.conv2dFilterGradWinograd(
      xb.offset, dyb.offset, dW.offset, scratch.offset, g.tile, g.n, g.h, g.w, g.c, oh, ow, g.o, top, left,
      xb.bytes, dyb.bytes, dW.bytes, scratch.bytes,
    );
    assert.equal(status, 0, "conv2dFilterGradWinograd ran");
    return Float32Array.from(tensors[2].dataSync());
  });
}

for (const build of KERNEL_BUILDS) {
  test(`conv2dFilterGradWinograd (${build} build) equals cpu's filter gradient over 100 random geometries, a third with NaN, ±∞ and exact zeros`, () =>
    checkGradientCases(build, 20261206, 100, 200, (random, index) => {
      const g = drawGeometry(random, index);
      const [oh, ow] = outputSides(g);
      const x = normals(random, g.n * g.h * g.w * g.c);
      const dy = normals(random, g.n * oh * ow * g.o);
      if (index % 3 === 2) {
        // a relu's gradient is exactly zero in places, and ∞ · 0 is NaN
        for (let i = 0; i < dy.length; i++) if (random.int(3) === 0) dy[i] = 0;
        const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        for (let i = 0; i < x.length; i++) if (random.int(200) === 0) x[i] = special[random.int(3)];
        if (random.int(2) === 0) dy[random.int(dy.length)] = special[random.int(3)];
      }
      return { g, expected: () => filterReference(g, x, dy), actual: () => runFilterWinograd(g, x, dy) };
    }),
  );
}

/** cpu's input gradient of conv2d with explicit padding: Conv2DBackpropInput(dy, filter). */
function inputReference(g: Geometry, dy: Float32Array, filter: Float32Array): Promise<Float32Array[]> {
  const [top, bottom, left, right] = g.pads;
  const [oh, ow] = [g.h + top + bottom - 2, g.w + left + right - 2];
  return valuesOn("cpu", () => {
    const ft = tf.tensor4d(filter, [3, 3, g.c, g.o]);
    const dyt = tf.tensor4d(dy, [g.n, oh, ow, g.o]);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [top, bottom], [left, right], [0, 0]];
    // the gradient of Σ conv2d(x, f)·dy with respect to x is Conv2DBackpropInput(dy, f)
    return tf.grad((x: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, ft, 1, pad).mul(dyt).sum())(tf.zeros([g.n, g.h, g.w, g.c]));
  });
}

/** conv2dInputGradWinograd on wasm, on the build in use (its filter transform from the filter with its channel axes swapped). */
function runInputWinograd(g: Geometry, dy: Float32Array, filter: Float32Array): Float32Array {
  const backend = tf.engine().findBackend("wasm") as unknown as WasmBackendLike;
  const kernels = simdKernels(backend)!;
  const [top, bottom, left, right] = g.pads;
  const [oh, ow] = [g.h + top + bottom - 2, g.w + left + right - 2];
  return tf.tidy(() => {
    const swapped = tf.transpose(tf.tensor4d(filter, [3, 3, g.c, g.o]), [0, 1, 3, 2]);
    const tensors = [
      tf.tensor1d(dy),
      tf.tensor1d(filter),
      tf.zeros([(g.tile + 2) ** 2 * g.c * g.o]),
      tf.fill([g.n * g.h * g.w * g.c], 12345),
      tf.fill([144 * g.o + 2124], Number.NaN),
      swapped,
    ];
    const [dyb, f, u, dx, scratch, w] = tensors.map((t) => heapBuffer(backend, t));
    assert.equal(kernels.winogradFilter(w.offset, u.offset, g.tile, g.o, g.c, w.bytes, u.bytes), 0, "winogradFilter ran");
    const status = kernels.conv2dInputGradWinograd(
      dyb.offset, f.offset, u.offset, dx.offset, scratch.offset, g.tile, g.n, g.h, g.w, g.c, oh, ow, g.o, top, left,
      dyb.bytes, f.bytes, u.bytes, dx.bytes, scratch.bytes,
    );
    assert.equal(status, 0, "conv2dInputGradWinograd ran");
    return Float32Array.from(tensors[3].dataSync());
  });
}

for (const build of KERNEL_BUILDS) {
  test(`conv2dInputGradWinograd (${build} build) equals cpu's input gradient over 100 random geometries, a third with NaN and ±∞`, () =>
    checkGradientCases(build, 20261207, 100, 200, (random, index) => {
      // its register tile runs over the input channels: those in eights, the output channels in fours
      const drawn = drawGeometry(random, index);
      const g = { ...drawn, c: 2 * drawn.c, o: drawn.o / 2 };
      const [oh, ow] = outputSides(g);
      const dy = normals(random, g.n * oh * ow * g.o);
      const filter = normals(random, 9 * g.c * g.o);
      if (index % 3 === 2) {
        const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        for (let i = 0; i < dy.length; i++) if (random.int(100) === 0) dy[i] = special[random.int(3)];
        if (random.int(2) === 0) filter[random.int(filter.length)] = special[random.int(3)];
      }
      return { g, expected: () => inputReference(g, dy, filter), actual: () => runInputWinograd(g, dy, filter) };
    }),
  );
}

test("the cost model takes Winograd for the reference CNN's second layer and its input gradient, and not where it does not pay", () => {
  const geometry = (x: [number, number, number, number], filter: [number, number, number, number], strides: number, pad: "valid" | "same" | number) =>
    convGeometry(tf.backend_util.computeConv2DInfo(x, filter, strides, 1, pad));
  // the forward convolution, 13 × 13 × 16 → 11 × 11 × 32, and the input gradient's, 11 × 11 × 32 padded by 2 → 13 × 13 × 16
  assert.equal(winogradTile(geometry([64, 13, 13, 16], [3, 3, 16, 32], 1, "valid"), 32), 4);
  assert.equal(winogradTile(geometry([64, 11, 11, 32], [3, 3, 32, 16], 1, 2), 16), 4);
  // the input gradient over the forward convolution's own tiles: 16 channels in eights, 32 in fours
  assert.equal(inputGradientTile(geometry([64, 13, 13, 16], [3, 3, 16, 32], 1, "valid"), 32), 4);
  assert.equal(inputGradientTile(geometry([64, 13, 13, 12], [3, 3, 12, 32], 1, "valid"), 32), undefined);
  // a 2 × 2 output is one 2 × 2 tile, where a 4 × 4 one would waste three quarters; a 1 × 1 output pays for neither
  assert.equal(winogradTile(geometry([8, 4, 4, 64], [3, 3, 64, 64], 1, "valid"), 64), 2);
  assert.equal(winogradTile(geometry([8, 3, 3, 64], [3, 3, 64, 64], 1, "valid"), 64), undefined);
  // the first layer's single input channel, 5 × 5 windows, stride 2, dilation, channel counts it does not take
  assert.equal(winogradTile(geometry([64, 28, 28, 1], [3, 3, 1, 16], 1, "valid"), 16), undefined);
  assert.equal(winogradTile(geometry([64, 13, 13, 16], [5, 5, 16, 32], 1, "valid"), 32), undefined);
  assert.equal(winogradTile(geometry([64, 13, 13, 16], [3, 3, 16, 32], 2, "valid"), 32), undefined);
  assert.equal(winogradTile(convGeometry(tf.backend_util.computeConv2DInfo([4, 13, 13, 16], [3, 3, 16, 32], 1, 2, "valid")), 32), undefined);
  assert.equal(winogradTile(geometry([64, 13, 13, 6], [3, 3, 6, 32], 1, "valid"), 32), undefined);
  assert.equal(winogradTile(geometry([64, 13, 13, 16], [3, 3, 16, 12], 1, "valid"), 12), undefined);
  // few channels: 4 in and 8 out still take 4 × 4 tiles (measured 1.4 × faster), where 2 × 2 tiles would be slower than the direct sum
  assert.equal(winogradTile(geometry([64, 13, 13, 4], [3, 3, 4, 8], 1, "valid"), 8), 4);
});

test("conv2d, its input and filter gradients, and the fused layer equal cpu over 30 random layers that take Winograd", async () => {
  const random = seeded(20261205);
  let taken = 0;
  for (let index = 0; index < 30; index++) {
    const [n, h, w] = [1 + random.int(4), 5 + random.int(16), 5 + random.int(16)];
    const [c, o] = [4 * (2 + random.int(8)), 8 * (2 + random.int(6))];
    const pad = random.int(2) === 0 ? "same" : "valid";
    const g = convGeometry(tf.backend_util.computeConv2DInfo([n, h, w, c], [3, 3, c, o], 1, 1, pad));
    if (winogradTile(g, o) !== undefined) taken++;
    const x = normals(random, n * h * w * c);
    const f = normals(random, 9 * c * o);
    const b = normals(random, o);
    const results = await onCpuAndWasm(() => {
      const xt = tf.tensor4d(x, [n, h, w, c]);
      const ft = tf.tensor4d(f, [3, 3, c, o]);
      const bt = tf.tensor1d(b);
      const loss = (xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) =>
        tf.fused.conv2d({ x: xv as tf.Tensor4D, filter: fv as tf.Tensor4D, strides: 1, pad, bias: bv, activation: "relu" }).square().sum();
      const [dx, df, db] = tf.grads(loss)([xt, ft, bt]);
      return [tf.conv2d(xt, ft, 1, pad), tf.fused.conv2d({ x: xt, filter: ft, strides: 1, pad, bias: bt, activation: "relu" }), dx, df, db];
    });
    assertAllClose(results, RELATIVE_TOLERANCE, `case ${index}: x [${n}, ${h}, ${w}, ${c}], ${o} filters, ${pad}`);
  }
  assert.ok(taken >= 20, `only ${taken} of 30 layers took Winograd`);
});
