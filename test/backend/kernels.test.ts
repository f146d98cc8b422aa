/**
 * The wasm training kernels against tfjs's cpu backend: gradients through tf.grads on seeded random
 * shapes, strides and paddings, direct kernel calls for what the gradients cannot reach (NCHW, rounding
 * modes, dilations), and no leaked tensors or wasm buffers.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertAllClose, assertClose, normals, onCpuAndWasm, seeded, setUpWasm, valuesOn } from "./helpers";
import type { Rng } from "../../src/data";
import { padOfKind, type Pad } from "./kernel-space";

type Shape4 = [number, number, number, number];

before(setUpWasm);

const TOL = 1e-4;

/**
 * A filter size for case k: numeric paddings (k % 4 == 2) get square filters and equal strides, because
 * tfjs-core computes the output shape of a numeric padding from the filter's and the stride's height
 * alone, so no backend computes other ones right (stepwise's wasm refuses them: explicit-padding.ts;
 * kernel-property.test.ts covers that).
 */
function filterSize(random: Rng, k: number): [number, number] {
  const kh = 1 + random.int(4);
  return [kh, k % 4 === 2 ? kh : 1 + random.int(4)];
}

/** Strides 1–3, equal for a numeric padding (see filterSize). */
function randomStrides(random: Rng, pad: Pad): [number, number] {
  const sh = 1 + random.int(3);
  return [sh, typeof pad === "number" ? sh : 1 + random.int(3)];
}

/** A random padding of each kind tfjs accepts, in turn. */
function randomPad(random: Rng, k: number): Pad {
  return padOfKind(random, k);
}

function outShape(x: Shape4, f: Shape4, strides: [number, number], pad: Pad, dilations: [number, number] = [1, 1], depthwise = false): number[] {
  return tf.backend_util.computeConv2DInfo(x, f, strides, dilations, pad, undefined, depthwise).outShape;
}

describe("conv2d gradients on wasm match cpu", () => {
  test("tf.grads w.r.t. input and filter on 16 random NHWC shapes, strides and paddings", async () => {
    const random = seeded(1);
    for (let k = 0; k < 16; k++) {
      const [kh, kw] = filterSize(random, k);
      const pad = randomPad(random, k);
      const strides = randomStrides(random, pad);
      const x: Shape4 = [1 + random.int(3), kh + 2 + random.int(8), kw + 2 + random.int(8), 1 + random.int(5)];
      const f: Shape4 = [kh, kw, x[3], 1 + random.int(6)];
      const xv = normals(random, x[0] * x[1] * x[2] * x[3]);
      const fv = normals(random, f[0] * f[1] * f[2] * f[3]);
      const weights = normals(random, outShape(x, f, strides, pad).reduce((a, b) => a * b, 1));
      const results = await onCpuAndWasm(() => {
        const loss = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad), tf.tensor(weights, outShape(x, f, strides, pad))));
        return tf.grads(loss)([tf.tensor(xv, x), tf.tensor(fv, f)]);
      });
      assertAllClose(results, TOL, `case ${k}: x ${x} filter ${f} strides ${strides} pad ${JSON.stringify(pad)}`);
    }
  });

  test("the reference CNN's layers at batch 64 (the im2col and the convolution formulations)", async () => {
    const random = seeded(2);
    for (const [x, f] of [
      [[64, 28, 28, 1], [3, 3, 1, 16]],
      [[64, 13, 13, 16], [3, 3, 16, 32]],
    ] as Array<[Shape4, Shape4]>) {
      const xv = normals(random, x[0] * x[1] * x[2] * x[3]);
      const dy = normals(random, outShape(x, f, [1, 1], "valid").reduce((a, b) => a * b, 1));
      const results = await onCpuAndWasm(
        () =>
          tf.engine().runKernel(
            "Conv2DBackpropFilter",
            { x: tf.tensor(xv, x), dy: tf.tensor(dy, outShape(x, f, [1, 1], "valid")) },
            { strides: 1, pad: "valid", dataFormat: "NHWC", filterShape: f },
          ) as tf.Tensor,
      );
      assertAllClose(results, TOL, `filter gradient ${x} * ${f}`);
    }
  });

  test("direct kernels: NCHW, numeric pads with every rounding mode, batches above the patch budget, wide channels", async () => {
    const random = seeded(3);
    const cases: Array<{ x: Shape4; f: Shape4; strides: [number, number]; pad: Pad; round?: "floor" | "round" | "ceil"; format: "NHWC" | "NCHW" }> = [
      { x: [2, 3, 9, 8], f: [3, 3, 3, 4], strides: [2, 1], pad: "same", format: "NCHW" },
      { x: [2, 2, 10, 7], f: [2, 3, 2, 5], strides: [1, 2], pad: [[0, 0], [0, 0], [1, 2], [2, 0]], format: "NCHW" },
      { x: [1, 11, 9, 2], f: [3, 3, 2, 3], strides: [2, 2], pad: 1, round: "ceil", format: "NHWC" },
      { x: [1, 12, 10, 2], f: [3, 2, 2, 3], strides: [3, 2], pad: 2, round: "round", format: "NHWC" },
      { x: [1, 12, 10, 2], f: [3, 2, 2, 3], strides: [3, 3], pad: 1, round: "floor", format: "NHWC" },
      { x: [600, 30, 30, 1], f: [2, 2, 1, 2], strides: [1, 1], pad: "valid", format: "NHWC" }, // 2 chunks of patches
      // the SIMD kernel's 4×8 and 1×8 register tiles with channel tails, padding and strides
      { x: [3, 9, 11, 7], f: [3, 2, 7, 13], strides: [2, 1], pad: "same", format: "NHWC" },
      { x: [2, 10, 10, 16], f: [3, 3, 16, 20], strides: [1, 2], pad: [[0, 0], [2, 1], [0, 3], [0, 0]], format: "NHWC" },
      { x: [2, 8, 9, 5], f: [3, 3, 5, 8], strides: [3, 3], pad: 1, round: "ceil", format: "NHWC" },
      { x: [2, 12, 5, 6], f: [3, 3, 12, 17], strides: [1, 1], pad: "same", format: "NCHW" },
    ];
    for (const c of cases) {
      const dataFormat = c.format === "NCHW" ? "channelsFirst" : "channelsLast";
      const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, 1, c.pad, c.round, false, dataFormat);
      const xv = normals(random, c.x.reduce((a, b) => a * b, 1));
      const fv = normals(random, c.f.reduce((a, b) => a * b, 1));
      const dyv = normals(random, info.outShape.reduce((a, b) => a * b, 1));
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.format, ...(c.round ? { dimRoundingMode: c.round } : {}) };
      const results = await onCpuAndWasm(() => [
        tf.engine().runKernel(
          "Conv2DBackpropFilter",
          { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, info.outShape) },
          { ...attrs, filterShape: c.f },
        ) as tf.Tensor,
        tf.engine().runKernel(
          "Conv2DBackpropInput",
          { dy: tf.tensor(dyv, info.outShape), filter: tf.tensor(fv, c.f) },
          { ...attrs, inputShape: c.x },
        ) as tf.Tensor,
      ]);
      assertAllClose(results, TOL, `${c.format} x ${c.x} filter ${c.f} strides ${c.strides} pad ${JSON.stringify(c.pad)} ${c.round ?? ""}`);
    }
  });
});

describe("depthwiseConv2d gradients on wasm match cpu", () => {
  test("tf.grads w.r.t. input and filter, channel multipliers 1..3, on 12 random shapes, strides and paddings", async () => {
    const random = seeded(4);
    for (let k = 0; k < 12; k++) {
      const [kh, kw] = filterSize(random, k);
      const pad = randomPad(random, k);
      const strides = k % 3 === 0 ? ([1, 1] as [number, number]) : randomStrides(random, pad);
      const x: Shape4 = [1 + random.int(3), kh + 2 + random.int(8), kw + 2 + random.int(8), 1 + random.int(4)];
      const f: Shape4 = [kh, kw, x[3], 1 + (k % 3)];
      const out = outShape(x, f, strides, pad, [1, 1], true);
      const xv = normals(random, x.reduce((a, b) => a * b, 1));
      const fv = normals(random, f.reduce((a, b) => a * b, 1));
      const weights = normals(random, out.reduce((a, b) => a * b, 1));
      const results = await onCpuAndWasm(() => {
        const loss = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad), tf.tensor(weights, out)));
        return tf.grads(loss)([tf.tensor(xv, x), tf.tensor(fv, f)]);
      });
      assertAllClose(results, TOL, `case ${k}: x ${x} filter ${f} strides ${strides} pad ${JSON.stringify(pad)}`);
    }
  });

  test("dilations: the kernels equal cpu's undilated kernels with a zero-stuffed filter", async () => {
    // tfjs's cpu depthwise backprop kernels ignore dilations (its gradient refuses them), so the reference
    // is the identity conv(x, W, dilation d) = conv(x, W_d) with W_d the filter spread over a d-strided grid.
    const random = seeded(5);
    const cases: Array<{ x: Shape4; f: Shape4; strides: [number, number]; dilations: [number, number]; pad: Pad }> = [
      { x: [2, 11, 10, 3], f: [3, 3, 3, 2], strides: [1, 1], dilations: [2, 2], pad: "same" },
      { x: [1, 13, 12, 2], f: [2, 3, 2, 3], strides: [1, 1], dilations: [3, 2], pad: "valid" },
      { x: [2, 9, 11, 2], f: [3, 2, 2, 1], strides: [1, 1], dilations: [2, 3], pad: [[0, 0], [1, 2], [3, 0], [0, 0]] },
      { x: [1, 10, 10, 3], f: [2, 2, 3, 2], strides: [1, 1], dilations: [4, 1], pad: 1 },
    ];
    for (const c of cases) {
      const [dh, dw] = c.dilations;
      const ekh = (c.f[0] - 1) * dh + 1;
      const ekw = (c.f[1] - 1) * dw + 1;
      const stuffed: Shape4 = [ekh, ekw, c.f[2], c.f[3]];
      const out = outShape(c.x, c.f, c.strides, c.pad, c.dilations, true);
      const xv = normals(random, c.x.reduce((a, b) => a * b, 1));
      const fv = normals(random, c.f.reduce((a, b) => a * b, 1));
      const dyv = normals(random, out.reduce((a, b) => a * b, 1));
      const spread = new Float32Array(stuffed.reduce((a, b) => a * b, 1));
      const inner = c.f[2] * c.f[3];
      for (let i = 0; i < c.f[0]; i++) {
        for (let j = 0; j < c.f[1]; j++) {
          spread.set(fv.subarray((i * c.f[1] + j) * inner, (i * c.f[1] + j + 1) * inner), (i * dh * ekw + j * dw) * inner);
        }
      }
      const expected = await valuesOn("cpu", () => {
        const full = tf.engine().runKernel(
          "DepthwiseConv2dNativeBackpropFilter",
          { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, out) },
          { strides: c.strides, dilations: [1, 1], pad: c.pad, filterShape: stuffed },
        ) as tf.Tensor4D;
        const input = tf.engine().runKernel(
          "DepthwiseConv2dNativeBackpropInput",
          { dy: tf.tensor(dyv, out), filter: tf.tensor(spread, stuffed) },
          { strides: c.strides, dilations: [1, 1], pad: c.pad, inputShape: c.x },
        ) as tf.Tensor;
        return [tf.stridedSlice(full, [0, 0, 0, 0], stuffed, [dh, dw, 1, 1]), input];
      });
      const attrs = { strides: c.strides, dilations: c.dilations, pad: c.pad };
      const wasm = await valuesOn("wasm", () => [
        tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, out) }, { ...attrs, filterShape: c.f }) as tf.Tensor,
        tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", { dy: tf.tensor(dyv, out), filter: tf.tensor(fv, c.f) }, { ...attrs, inputShape: c.x }) as tf.Tensor,
      ]);
      assertClose(wasm[0], expected[0], TOL, `filter gradient, dilations ${c.dilations}, x ${c.x}, filter ${c.f}`);
      assertClose(wasm[1], expected[1], TOL, `input gradient, dilations ${c.dilations}, x ${c.x}, filter ${c.f}`);
    }
  });
});

describe("unsortedSegmentSum and gather gradients on wasm match cpu", () => {
  test("duplicate, negative and out-of-range ids; 1-D to 3-D data; float32 and int32", async () => {
    const random = seeded(6);
    const cases: Array<{ shape: number[]; idsShape: number[]; segments: number; dtype: "float32" | "int32" }> = [
      { shape: [7], idsShape: [7], segments: 4, dtype: "float32" },
      { shape: [9, 5], idsShape: [9], segments: 6, dtype: "float32" },
      { shape: [5, 3, 2], idsShape: [5], segments: 4, dtype: "float32" },
      { shape: [8, 3], idsShape: [8], segments: 3, dtype: "int32" },
      { shape: [6, 2], idsShape: [6], segments: 2, dtype: "float32" },
    ];
    for (const [k, c] of cases.entries()) {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const values = c.dtype === "int32" ? Int32Array.from({ length: size }, () => random.int(20) - 10) : normals(random, size);
      const count = c.idsShape.reduce((a, b) => a * b, 1);
      // ids in [-2, segments + 1]: some dropped on either side; the last case has none in range
      const ids = Int32Array.from({ length: count }, () => (k === cases.length - 1 ? c.segments + random.int(3) : random.int(c.segments + 4) - 2));
      const results = await onCpuAndWasm(() => {
        const segmentIds = tf.tensor1d(ids, "int32");
        return [tf.unsortedSegmentSum(tf.tensor(values, c.shape, c.dtype), segmentIds, c.segments)];
      });
      assertAllClose(results, TOL, `data ${c.shape} ids ${Array.from(ids)} into ${c.segments}`);
    }
  });

  test("embedding lookups: tf.grads of gather with repeated token ids, batched [B, T] indices, axis 0 and 1", async () => {
    const random = seeded(7);
    const table = normals(random, 50 * 8);
    const tokens = Int32Array.from({ length: 6 * 9 }, () => random.int(12)); // many repeats among 50 rows
    const weights = normals(random, 6 * 9 * 8);
    const results = await onCpuAndWasm(() => {
      const loss = (e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor(tokens, [6, 9], "int32")), tf.tensor(weights, [6, 9, 8])));
      const columns = tokens.subarray(0, 7).map((t) => t % 8); // gathering the table's 8 columns
      const byColumn = (e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor(columns, [7], "int32"), 1), tf.tensor(weights.subarray(0, 50 * 7), [50, 7])));
      return [tf.grad(loss)(tf.tensor(table, [50, 8])), tf.grad(byColumn)(tf.tensor(table, [50, 8]))];
    });
    assertAllClose(results, TOL, "embedding gradient");
    assert.ok(results.wasm[0].some((v) => v !== 0), "a non-trivial gradient");
  });
});

describe("maxPool gradients on wasm match cpu", () => {
  test("ties (ReLU zeros), NaN and -Infinity, overlapping windows, odd sizes, 'same' and 'valid', oblong windows", async () => {
    const random = seeded(8);
    const cases: Array<{ x: Shape4; filter: [number, number]; strides: [number, number]; pad: "valid" | "same" | number }> = [
      { x: [4, 26, 26, 16], filter: [2, 2], strides: [2, 2], pad: "valid" }, // the reference CNN's first pool
      { x: [2, 11, 11, 32], filter: [2, 2], strides: [2, 2], pad: "valid" }, // odd size: the last row and column are dropped
      { x: [2, 9, 7, 3], filter: [3, 3], strides: [2, 2], pad: "same" }, // overlapping windows, padded edges
      { x: [1, 8, 8, 5], filter: [2, 2], strides: [1, 1], pad: "valid" },
      { x: [3, 10, 9, 2], filter: [2, 3], strides: [2, 1], pad: "same" },
      { x: [2, 7, 7, 4], filter: [3, 3], strides: [3, 3], pad: 1 },
    ];
    for (const c of cases) {
      const size = c.x.reduce((a, b) => a * b, 1);
      // after ReLU about half the inputs are exactly 0, so many windows tie
      const xv = normals(random, size).map((v) => Math.max(0, Math.round(v * 4) / 4));
      // and a few NaN and -Infinity inputs: neither is ever a window's maximum
      for (let k = 0; k < size; k += 37) xv[k] = k % 2 ? Number.NaN : Number.NEGATIVE_INFINITY;
      const out = tf.backend_util.computePool2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
      const weights = normals(random, out.reduce((a, b) => a * b, 1));
      const results = await onCpuAndWasm(() =>
        tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, c.filter, c.strides, c.pad), tf.tensor(weights, out))))(tf.tensor(xv, c.x)),
      );
      assertAllClose(results, 1e-6, `maxPool x ${c.x} filter ${c.filter} strides ${c.strides} pad ${c.pad}`);
    }
  });
});

describe("the ReLU gradient on wasm (one fused pass) matches cpu's mul(dy, step(x))", () => {
  test("every special value of x and dy, element for element, and random tensors of odd lengths", async () => {
    const specials = [Number.NaN, Number.NEGATIVE_INFINITY, -1, -0, 0, 1e-38, 2, Number.POSITIVE_INFINITY];
    // every pair (x, dy) of specials, then the tail loop: lengths that are not multiples of 4
    const x = specials.flatMap((a) => specials.map(() => a));
    const dy = specials.flatMap(() => specials);
    const grads = (xs: number[], dys: number[]) => () =>
      tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), tf.tensor(dys))))(tf.tensor(xs));
    await tf.setBackend("wasm");
    const profile = await tf.profile(() => tf.dispose(grads(x, dy)()));
    assert.ok(profile.kernelNames.includes("StepwiseReluGrad"), `wasm ran ${profile.kernelNames.join(", ")}`);
    const special = await onCpuAndWasm(grads(x, dy));
    // NaN must sit where cpu has NaN: compare as bit patterns of canonical values
    assert.deepEqual(Array.from(special.wasm[0], String), Array.from(special.cpu[0], String));
    const random = seeded(11);
    for (const length of [1, 3, 4, 5, 1023, 64 * 26 * 26 * 16 + 3]) {
      const xs = Array.from(normals(random, length));
      const dys = Array.from(normals(random, length));
      assertAllClose(await onCpuAndWasm(grads(xs, dys)), 0, `relu gradient, ${length} elements`);
    }
  });
});

/**
 * Element for element by Object.is: NaN where the reference has NaN, and the sign of every zero (a gradient's
 * −0 passes through where a selected-away element is +0). `reference` names where `want` came from.
 */
function assertSameElements(got: Float32Array, want: Float32Array, what: string, reference: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((v, i) => assert.ok(Object.is(v, want[i]), `${what}: element ${i} is ${v} on wasm, ${want[i]} ${reference}`));
}

describe("the clipByValue gradient on wasm (one fused pass) matches cpu's where(x in [min, max], dy, 0)", () => {
  const grads = (xs: number[], dys: number[], min: number, max: number) => () =>
    tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(input, min, max), tf.tensor(dys))))(tf.tensor(xs));

  test("every special value of x and dy, the bounds themselves, element for element", async () => {
    const specials = [Number.NaN, Number.NEGATIVE_INFINITY, -1.5, -1, -0, 0, 0.25, 1, 1.5, Number.POSITIVE_INFINITY];
    const x = specials.flatMap((a) => specials.map(() => a));
    const dy = specials.flatMap(() => specials);
    await tf.setBackend("wasm");
    const profile = await tf.profile(() => tf.dispose(grads(x, dy, -1, 1)()));
    assert.ok(profile.kernelNames.includes("StepwiseClipByValueGrad"), `wasm ran ${profile.kernelNames.join(", ")}`);
    assert.ok(!profile.kernelNames.includes("Select"), `the gradient is one kernel, not tfjs's where(): wasm ran ${profile.kernelNames.join(", ")}`);
    const special = await onCpuAndWasm(grads(x, dy, -1, 1));
    assertSameElements(special.wasm[0], special.cpu[0], "specials in [-1, 1]", "on cpu");
  });

  test("random bounds and lengths (the SIMD body and its tail), seeded", async () => {
    const random = seeded(41);
    for (let k = 0; k < 24; k++) {
      const length = 1 + random.int(k % 3 === 0 ? 5000 : 40);
      // distinct bounds: tfjs's clipByValue fills with the bound, no ClipByValue kernel, when they are equal
      const [a, b] = [random.normal(), random.normal()].map((v) => Math.fround(v));
      const [min, max] = [Math.min(a, b), Math.max(a, b)];
      const xs = Array.from(normals(random, length));
      // some elements exactly on a bound, where >= and <= decide
      for (let i = 0; i < length; i += 7) xs[i] = i % 2 ? min : max;
      const dys = Array.from(normals(random, length));
      const results = await onCpuAndWasm(grads(xs, dys, min, max));
      assertSameElements(results.wasm[0], results.cpu[0], `case ${k}: ${length} elements in [${min}, ${max}]`, "on cpu");
    }
  });
});

describe("the gradient of a row divided by its scalar, a [..., c] / b [..., 1], on wasm (one fused pass)", () => {
  // f(a, b) = Σ w · (a / b): dy = w
  const grads = (a: tf.Tensor, b: tf.Tensor, w: tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.div(x, y), w)))([a, b]);
  // tfjs-core's RealDiv gradient written out with tfjs ops, the composition the fused kernel replaces
  const composed = (a: tf.Tensor, b: tf.Tensor, w: tf.Tensor) => [tf.div(w, b), tf.neg(tf.div(tf.reshape(tf.sum(tf.mul(w, a), -1), b.shape), tf.square(b)))];

  test("random shapes and values, with NaN, ±∞ and ±0 among them: tfjs's bits on wasm, cpu's values within rounding", async () => {
    const random = seeded(43);
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];
    // every twelfth value special, except in the cases also run on cpu (whose sums are not f32's: compared within rounding)
    const values = (n: number, positive: boolean, special: boolean) =>
      Array.from(normals(random, n), (v) => (special && random.int(12) === 0 ? specials[random.int(specials.length)] : positive ? Math.abs(v) + 0.1 : v));
    await tf.setBackend("wasm");
    for (let k = 0; k < 40; k++) {
      const lead = Array.from({ length: random.int(3) }, () => 1 + random.int(5));
      const cols = 2 + random.int(k % 4 === 0 ? 300 : 12);
      const rows = lead.reduce((p, q) => p * q, 1);
      const [aShape, bShape] = [[...lead, cols], [...lead, 1]];
      const onCpuToo = k % 4 === 1;
      const [av, bv, wv] = [values(rows * cols, false, !onCpuToo), values(rows, k % 2 === 0, !onCpuToo), values(rows * cols, false, !onCpuToo)];
      const what = `case ${k}: [${aShape}] / [${bShape}]`;
      const onWasm = tf.tidy(() => {
        const [a, b, w] = [tf.tensor(av, aShape), tf.tensor(bv, bShape), tf.tensor(wv, aShape)];
        return [...grads(a, b, w), ...composed(a, b, w)].map((t) => t.dataSync() as Float32Array);
      });
      assertSameElements(onWasm[0], onWasm[2], `${what}, da`, "from tfjs's composition");
      assertSameElements(onWasm[1], onWasm[3], `${what}, db`, "from tfjs's composition");
      if (onCpuToo) assertAllClose(await onCpuAndWasm(() => grads(tf.tensor(av, aShape), tf.tensor(bv, bShape), tf.tensor(wv, aShape))), 1e-5, what);
    }
    const profile = await tf.profile(() => tf.dispose(grads(tf.ones([4, 3]), tf.ones([4, 1]), tf.ones([4, 3]))));
    assert.ok(profile.kernelNames.includes("StepwiseDivideByRowGrad"), `wasm ran ${profile.kernelNames.join(", ")}`);
    assert.ok(!profile.kernelNames.includes("Square"), `b's gradient is the fused kernel's: wasm ran ${profile.kernelNames.join(", ")}`);
  });

  test("every other division keeps tfjs's gradient: the same shapes, a column over a row, a scalar divisor", async () => {
    const random = seeded(47);
    for (const [aShape, bShape] of [[[3, 4], [3, 4]], [[3, 1], [3, 4]], [[3, 4], [1, 4]], [[3, 4], []], [[2, 3, 4], [3, 1]]] as Array<[number[], number[]]>) {
      const out = tf.broadcast_util.assertAndGetBroadcastShape(aShape, bShape);
      const size = (shape: number[]) => shape.reduce((p, q) => p * q, 1);
      const [av, bv, wv] = [normals(random, size(aShape)), normals(random, size(bShape)).map((v) => Math.abs(v) + 0.5), normals(random, size(out))];
      const run = () => grads(tf.tensor(av, aShape), tf.tensor(bv, bShape), tf.tensor(wv, out));
      await tf.setBackend("wasm");
      const profile = await tf.profile(() => tf.dispose(run()));
      assert.ok(!profile.kernelNames.includes("StepwiseDivideByRowGrad"), `[${aShape}] / [${bShape}]: wasm ran ${profile.kernelNames.join(", ")}`);
      assertAllClose(await onCpuAndWasm(run), 1e-5, `[${aShape}] / [${bShape}]`);
    }
  });
});
