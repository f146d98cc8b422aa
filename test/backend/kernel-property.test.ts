/**
 * The kernel space on wasm against cpu (kernel-property.ts): a fixed seed's random configurations of
 * every family, forward values and every gradient within a relative 2e-4, refusals where no right answer
 * exists, and the heap intact after each case. `npm run fuzz:kernels -- --cases N --seed S` runs more.
 *
 * Then the guards of stepwise's SIMD kernels themselves: each kernel, given one buffer smaller than its
 * geometry needs, returns that buffer's number and writes nothing.
 *
 * Both builds of stepwise's kernels pass both: relaxed SIMD (fused multiply-add) and plain SIMD. This file runs
 * the machine's default thread count (one thread on two cores or fewer); kernel-property-threaded.test.ts runs
 * the space on tfjs's threaded binary as well.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setUpWasm } from "./helpers";
import { describeKernelSpace } from "./kernel-space-suite";
import { KERNEL_BUILDS, runChecked, simdKernels, useKernelBuild, type HeapBuffer, type SimdKernels } from "../../src/backend/kernels/simd";
import type { WasmBackendLike } from "../../src/backend/kernels/scope";
import { filterScratchFloats } from "../../src/backend/kernels/winograd";

const SEED = 20261201;
const CASES = 2000;

before(setUpWasm);

describeKernelSpace("the default threads", SEED, CASES);

for (const build of KERNEL_BUILDS) describe(`stepwise's SIMD kernels (${build} build) refuse buffers smaller than their geometry`, () => {
  before(() => useKernelBuild(build));
  /** One valid call of a kernel: its buffers' element counts (float32) and the call. */
  interface GuardedCall {
    name: string;
    buffers: number[];
    call(kernels: SimdKernels, b: HeapBuffer[]): number;
  }
  const [n, h, w, c, oh, ow, o] = [2, 6, 6, 5, 3, 3, 4];
  const calls: GuardedCall[] = [
    {
      name: "maxPoolGrad2x2",
      buffers: [n * h * w * c, n * oh * ow * c, n * h * w * c],
      call: (k, [x, dy, dx]) => k.maxPoolGrad2x2(x.offset, dy.offset, dx.offset, n, h, w, c, oh, ow, x.bytes, dy.bytes, dx.bytes),
    },
    {
      name: "maxPoolGrad2x2Relu",
      buffers: [n * h * w * c, n * oh * ow * c, n * h * w * c, c],
      call: (k, [x, dy, dz, db]) => k.maxPoolGrad2x2Relu(x.offset, dy.offset, dz.offset, db.offset, n, h, w, c, oh, ow, x.bytes, dy.bytes, dz.bytes, db.bytes),
    },
    {
      name: "maxPoolGrad",
      buffers: [n * h * w * c, n * oh * ow * c, n * h * w * c],
      call: (k, [x, dy, dx]) => k.maxPoolGrad(x.offset, dy.offset, dx.offset, n, h, w, c, oh, ow, 2, 2, 3, 3, 1, 1, x.bytes, dy.bytes, dx.bytes),
    },
    ...(["maxPool", "avgPool"] as const).map((name): GuardedCall => ({
      name,
      buffers: [n * h * w * c, n * oh * ow * c],
      call: (k, [x, y]) => k[name](x.offset, y.offset, n, h, w, c, oh, ow, 2, 2, 3, 3, 1, 1, x.bytes, y.bytes),
    })),
    { name: "sumRows", buffers: [h * c, c], call: (k, [x, out]) => k.sumRows(x.offset, out.offset, h, c, x.bytes, out.bytes) },
    {
      name: "scaledAdd",
      buffers: [37, 37, 37],
      call: (k, [sum, grad, out]) => k.scaledAdd(sum.offset, grad.offset, out.offset, 37, 0.5, 1, sum.bytes, grad.bytes, out.bytes),
    },
    { name: "matMul", buffers: [h * c, c * o, h * o], call: (k, [a, b, out]) => k.matMul(a.offset, b.offset, out.offset, h, c, o, c, 1, a.bytes, b.bytes, out.bytes) },
    // A read as the transpose of a [c, h] matrix
    { name: "matMul", buffers: [h * c, c * o, h * o], call: (k, [a, b, out]) => k.matMul(a.offset, b.offset, out.offset, h, c, o, 1, h, a.bytes, b.bytes, out.bytes) },
    {
      name: "addRowVector",
      buffers: [h * c, c, h * c],
      call: (k, [x, bias, out]) => k.addRowVector(x.offset, bias.offset, out.offset, h, c, x.bytes, bias.bytes, out.bytes),
    },
    {
      name: "gather",
      buffers: [h * c, 3, 3 * c],
      call: (k, [x, indices, out]) => k.gather(x.offset, indices.offset, out.offset, 1, 1, h, 3, c * 4, x.bytes, indices.bytes, out.bytes),
    },
    {
      name: "adamStep",
      buffers: Array(9).fill(21),
      call: (k, b) =>
        k.adamStep(
          ...(b.map((x) => x.offset) as [number, number, number, number, number, number, number, number, number]),
          21, 0.9, 0.1, 0.999, 0.001, 0.5, 1e-8, 0.01, 1,
          ...(b.map((x) => x.bytes) as [number, number, number, number, number, number, number, number, number]),
        ),
    },
    {
      name: "reluGrad",
      buffers: [37, 37, 37],
      call: (k, [dy, x, dx]) => k.reluGrad(dy.offset, x.offset, dx.offset, 37, dy.bytes, x.bytes, dx.bytes),
    },
    // the loss kernels (assembly/losses.ts): h rows of c classes
    {
      name: "rowMaxShift",
      buffers: [h * c, h, h * c],
      call: (k, [z, m, shifted]) => k.rowMaxShift(z.offset, m.offset, shifted.offset, h, c, z.bytes, m.bytes, shifted.bytes),
    },
    {
      name: "logSoftmaxPick",
      buffers: [h * c, h, h, h, h * c, 1],
      call: (k, [z, m, l, classes, r, value]) =>
        k.logSoftmaxPick(z.offset, m.offset, l.offset, classes.offset, r.offset, value.offset, h, c, z.bytes, m.bytes, l.bytes, classes.bytes, r.bytes, value.bytes),
    },
    {
      name: "crossEntropyOfLogitsGrad",
      buffers: [h * c, h, 1, h * c],
      call: (k, [e, classes, dy, g]) => k.crossEntropyOfLogitsGrad(e.offset, classes.offset, dy.offset, g.offset, h, c, e.bytes, classes.bytes, dy.bytes, g.bytes),
    },
    {
      name: "probabilityPick",
      buffers: [h * c, h, h, h, h],
      call: (k, [p, classes, q, sums, clipped]) =>
        k.probabilityPick(p.offset, classes.offset, q.offset, sums.offset, clipped.offset, h, c, 1e-7, 1 - 1e-7, p.bytes, classes.bytes, q.bytes, sums.bytes, clipped.bytes),
    },
    {
      name: "crossEntropyOfProbabilitiesGrad",
      buffers: [h, h, h, h, 1, h * c],
      call: (k, [classes, q, sums, clipped, dy, g]) =>
        k.crossEntropyOfProbabilitiesGrad(
          classes.offset, q.offset, sums.offset, clipped.offset, dy.offset, g.offset, h, c, 1e-7, 1 - 1e-7,
          classes.bytes, q.bytes, sums.bytes, clipped.bytes, dy.bytes, g.bytes,
        ),
    },
    {
      name: "sparseProbabilityPick",
      buffers: [h * c, h, h, h],
      call: (k, [u, classes, sums, x]) => k.sparseProbabilityPick(u.offset, classes.offset, sums.offset, x.offset, h, c, 1e-7, 1 - 1e-7, u.bytes, classes.bytes, sums.bytes, x.bytes),
    },
    {
      name: "sparseCrossEntropyGrad",
      buffers: [h * c, h, h, h, h * c],
      call: (k, [u, sums, classes, dy, du]) =>
        k.sparseCrossEntropyGrad(u.offset, sums.offset, classes.offset, dy.offset, du.offset, h, c, 1e-7, 1 - 1e-7, u.bytes, sums.bytes, classes.bytes, dy.bytes, du.bytes),
    },
    {
      name: "clipByValue",
      buffers: [37, 37],
      call: (k, [x, out]) => k.clipByValue(x.offset, out.offset, 37, -1, 1, x.bytes, out.bytes),
    },
    {
      name: "clipByValueGrad",
      buffers: [37, 37, 37],
      call: (k, [dy, x, dx]) => k.clipByValueGrad(dy.offset, x.offset, dx.offset, 37, -1, 1, dy.bytes, x.bytes, dx.bytes),
    },
    {
      name: "divideByRowGrad",
      buffers: [h * c, h * c, h, h * c, h],
      call: (k, [dy, a, b, da, db]) => k.divideByRowGrad(dy.offset, a.offset, b.offset, da.offset, db.offset, h, c, dy.bytes, a.bytes, b.bytes, da.bytes, db.bytes),
    },
    {
      name: "maxMin",
      buffers: [37, 37, 37],
      call: (k, [a, b, out]) => k.maxMin(a.offset, b.offset, out.offset, 37, 1, 1, 0, a.bytes, b.bytes, out.bytes),
    },
    {
      name: "reluClamp",
      buffers: [37, 37],
      call: (k, [x, out]) => k.reluClamp(x.offset, out.offset, 37, 1, x.bytes, out.bytes),
    },
    {
      name: "softmaxGrad",
      buffers: [h * c, h * c, h * c],
      call: (k, [dy, y, dx]) => k.softmaxGrad(dy.offset, y.offset, dx.offset, h, c, dy.bytes, y.bytes, dx.bytes),
    },
    {
      name: "softmaxGradColumnSums",
      buffers: [h * c, h * c, h * c, c],
      call: (k, [dy, y, dx, db]) => k.softmaxGradColumnSums(dy.offset, y.offset, dx.offset, db.offset, h, c, dy.bytes, y.bytes, dx.bytes, db.bytes),
    },
    {
      name: "crossEntropyOfProbabilitiesSoftmaxGrad",
      buffers: [h, h, h, h, 1, h * c, h * c, c],
      call: (k, [classes, q, s, cl, dy, y, dx, db]) =>
        k.crossEntropyOfProbabilitiesSoftmaxGrad(
          classes.offset, q.offset, s.offset, cl.offset, dy.offset, y.offset, dx.offset, db.offset, h, c, 1e-7, 1 - 1e-7,
          classes.bytes, q.bytes, s.bytes, cl.bytes, dy.bytes, y.bytes, dx.bytes, db.bytes,
        ),
    },
    { name: "negMean", buffers: [37, 1], call: (k, [x, out]) => k.negMean(x.offset, out.offset, 37, x.bytes, out.bytes) },
    {
      name: "countCorrect",
      buffers: [h * c, h, 1],
      call: (k, [x, classes, out]) => k.countCorrect(x.offset, classes.offset, out.offset, h, c, x.bytes, classes.bytes, out.bytes),
    },
    {
      name: "conv2d",
      buffers: [n * h * w * c, 3 * 3 * c * o, n * oh * ow * o, c, o],
      // with its bias and ReLU epilogue, so that the bias buffer is checked too
      call: (k, [x, filter, y, zeros, bias]) =>
        k.conv2d(
          x.offset, filter.offset, y.offset, zeros.offset, bias.offset, n, h, w, c, oh, ow, o, 3, 3, 2, 2, 1, 1, 1, 1, 3,
          x.bytes, filter.bytes, y.bytes, zeros.bytes, bias.bytes,
        ),
    },
    {
      name: "reluGradColumnSums",
      buffers: [h * c, h * c, h * c, c],
      call: (k, [dy, x, dx, db]) => k.reluGradColumnSums(dy.offset, x.offset, dx.offset, db.offset, h, c, dy.bytes, x.bytes, dx.bytes, db.bytes),
    },
    {
      name: "transposeMatrices",
      buffers: [2 * h * c, 2 * h * c],
      call: (k, [x, out]) => k.transposeMatrices(x.offset, out.offset, 2, h, c, x.bytes, out.bytes),
    },
    {
      name: "biasActivation",
      buffers: [h * c, c],
      call: (k, [y, bias]) => k.biasActivation(y.offset, bias.offset, h, c, 3, y.bytes, bias.bytes),
    },
    // Winograd's kernels take input channels in fours and output channels in eights, and stride 1
    ...([2, 4] as const).flatMap((tile): GuardedCall[] => [
      {
        name: "winogradFilter",
        buffers: [9 * 8 * 16, (tile + 2) ** 2 * 8 * 16],
        call: (k, [filter, u]) => k.winogradFilter(filter.offset, u.offset, tile, 8, 16, filter.bytes, u.bytes),
      },
      {
        name: "conv2dWinograd",
        buffers: [n * h * w * 8, 9 * 8 * 16, (tile + 2) ** 2 * 8 * 16, n * (h - 1) * (w - 1) * 16, 8, 16, 180 * 8 + 1916],
        // padding 1 above and to the left, none after: tiles that read outside x on both sides
        call: (k, [x, filter, u, y, zeros, bias, scratch]) =>
          k.conv2dWinograd(
            x.offset, filter.offset, u.offset, y.offset, zeros.offset, bias.offset, scratch.offset, tile, n, h, w, 8, h - 1, w - 1, 16, 1, 1, 3,
            x.bytes, filter.bytes, u.bytes, y.bytes, zeros.bytes, bias.bytes, scratch.bytes,
          ),
      },
      {
        name: "conv2dFilterGradWinograd",
        buffers: [n * h * w * 8, n * (h - 1) * (w - 1) * 16, 9 * 8 * 16, filterScratchFloats(8, 16)],
        call: (k, [x, dy, dW, scratch]) =>
          k.conv2dFilterGradWinograd(x.offset, dy.offset, dW.offset, scratch.offset, tile, n, h, w, 8, h - 1, w - 1, 16, 1, 1, x.bytes, dy.bytes, dW.bytes, scratch.bytes),
      },
      {
        name: "conv2dInputGradWinograd",
        buffers: [n * (h - 1) * (w - 1) * 16, 9 * 8 * 16, (tile + 2) ** 2 * 8 * 16, n * h * w * 8, 144 * 16 + 2124],
        call: (k, [dy, filter, u, dx, scratch]) =>
          k.conv2dInputGradWinograd(
            dy.offset, filter.offset, u.offset, dx.offset, scratch.offset, tile, n, h, w, 8, h - 1, w - 1, 16, 1, 1,
            dy.bytes, filter.bytes, u.bytes, dx.bytes, scratch.bytes,
          ),
      },
    ]),
    {
      name: "conv2dFilterGrad",
      buffers: [n * h * w * c, n * oh * ow * o, 3 * 3 * c * o],
      call: (k, [x, dy, dW]) => k.conv2dFilterGrad(x.offset, dy.offset, dW.offset, n, h, w, c, oh, ow, o, 3, 3, 2, 2, 1, 1, 1, 1, x.bytes, dy.bytes, dW.bytes),
    },
  ];

  test("each kernel, each buffer one element short: the status names that buffer and no byte changes", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as WasmBackendLike;
    const kernels = simdKernels(backend);
    assert.ok(kernels, "the SIMD kernels load on this runtime");
    for (const { name, buffers, call } of calls) {
      // gather's indices must be valid (zeros are) and conv2d's padding buffer zeros; every other buffer starts at a known pattern
      const zeroFilled = (i: number) => (name === "gather" && i === 1) || (name === "conv2d" && i === 3) || (name === "conv2dWinograd" && i === 4);
      const tensors = buffers.map((size, i) => tf.tensor1d(Float32Array.from({ length: size }, (_, j) => (zeroFilled(i) ? 0 : j % 7))));
      const heap = (shrink: number) =>
        tensors.map((t, i) => {
          const info = { offset: backend.dataIdMap.get(t.dataId)!.memoryOffset, bytes: t.size * 4 };
          return i === shrink ? { ...info, bytes: info.bytes - 4 } : info;
        });
      if (name === "gather") {
        tf.dispose(tensors[1]);
        tensors[1] = tf.tensor1d([0, 2, 5], "int32");
      }
      const before = tensors.map((t) => Float32Array.from(t.dataSync()));
      for (let k = 0; k < buffers.length; k++) {
        assert.equal(call(kernels, heap(k)), k + 1, `${name}: buffer ${k + 1} one element short`);
        tensors.forEach((t, i) => assert.deepEqual(Float32Array.from(t.dataSync()), before[i], `${name}: buffer ${i + 1} changed by a refused call`));
      }
      assert.equal(call(kernels, heap(-1)), 0, `${name}: the valid call runs`);
      tf.dispose(tensors);
    }
  });

  test("sumSquares answers −1 for a short buffer; a gather index outside the slice count is refused", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as WasmBackendLike;
    const kernels = simdKernels(backend)!;
    const x = tf.tensor1d([1, 2, 3, 4, 5]);
    const offset = backend.dataIdMap.get(x.dataId)!.memoryOffset;
    assert.equal(kernels.sumSquares(offset, 5, 20), 55);
    assert.equal(kernels.sumSquares(offset, 6, 20), -1);
    const indices = tf.tensor1d([0, 5], "int32");
    const out = tf.zeros([2]);
    const at = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    assert.equal(kernels.gather(at(x), at(indices), at(out), 1, 1, 5, 2, 4, 20, 8, 8), -1, "index 5 of 5 slices");
    assert.deepEqual(Array.from(out.dataSync()), [0, 0]);
    tf.dispose([x, indices, out]);
  });

  test("runChecked turns a refusal into an error naming the buffer, and releases the outputs it was to fill", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as WasmBackendLike;
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const buffersBefore = backend.numDataIds();
    const out = backend.makeOutput([1], "float32");
    assert.throws(
      () => runChecked(backend, "Example", [["x", x], ["out", out]], [out], () => 2),
      /stepwise Example: out is smaller than the geometry needs \(x \[2,2\], out \[1\]\); nothing was written/,
    );
    assert.equal(backend.numDataIds(), buffersBefore, "the output was released");
    tf.dispose(x);
  });
});
