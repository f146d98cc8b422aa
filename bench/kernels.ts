/**
 * Kernel micro-benchmark for the wasm training kernels (not a test: it prints timings).
 *
 *   npx tsc -p . && node dist/bench/kernels.js [--threads N] [--reps R]
 *
 * Shapes are those of the reference CNN (shared/peers/torch_bench.py) at batch 64, NHWC:
 * Conv2d(1,16,3) -> ReLU -> MaxPool2d(2) -> Conv2d(16,32,3) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(800,10).
 *
 * For the filter gradient it times the registered kernel (stepwise's SIMD kernel where wasm SIMD runs) and
 * every composed formulation considered before it:
 *   - im2col, dyᵀ·P     patches by XNNPACK depthwise conv with an identity filter, dy transposed, one GEMM
 *   - im2col, Pᵀ·dy     the same patches, transposed instead of dy (the larger operand)
 *   - slices, Pᵀ·dy     patches built transposed from kh·kw strided slices of the CNHW input, one GEMM
 *   - conv(xᵀ, dyᵀ)     a convolution of the transposed input with the transposed output gradient
 *   - Conv3DBackpropFilterV2 (depth 1), the wasm backend's own (scalar) 3-D filter gradient
 * then the other backward kernels of the model (and a batch sliced out of a data set), and a whole training
 * step (Adam) in samples/s.
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { convGeometry, explicitPads, type ConvGeometry } from "../src/backend/kernels/geometry";
import { cropUnread, im2col } from "../src/backend/kernels/im2col";
import { filterGradientIm2col } from "../src/backend/kernels/conv2d-backprop-filter";
import { composed, type KernelScope } from "../src/backend/kernels/scope";
import { registerWasmTrainingKernels } from "../src/backend/kernels/register";
import { startWasm } from "../src/backend/wasm";
import { benchData, buildModel } from "./models";

type Variant = (scope: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, oc: number) => TensorInfo;

const filterVariants: Record<string, Variant> = {
  "registered (SIMD direct)": (scope, x, dy) => {
    const out = scope.run("Conv2DBackpropFilter", { x, dy }, attrsFor(x, dy, currentFilterShape));
    return out;
  },
  "im2col, dyᵀ·P": (scope, x, dy, g, oc) => filterGradientIm2col(scope, x, dy, g, oc),
  "im2col, Pᵀ·dy": (scope, x, dy, g, oc) => {
    const rows = g.n * g.oh * g.ow;
    const patches = scope.reshape(im2col(scope, cropUnread(scope, x, g), g), [rows, g.c * g.kh * g.kw]);
    const dW = scope.matMul(patches, scope.reshape(dy, [rows, oc]), true, false); // [c·kh·kw, oc]
    return scope.transpose(scope.reshape(dW, [g.c, g.kh, g.kw, oc]), [1, 2, 0, 3]);
  },
  "slices, Pᵀ·dy": (scope, x, dy, g, oc) => {
    const xt = scope.pad(scope.transpose(cropUnread(scope, x, g), [3, 0, 1, 2]), [
      [0, 0],
      [0, 0],
      [g.top, g.bottom],
      [g.left, g.right],
    ]);
    const taps: TensorInfo[] = [];
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const begin = [0, 0, i * g.dh, j * g.dw];
        const end = [xt.shape[0], xt.shape[1], i * g.dh + (g.oh - 1) * g.sh + 1, j * g.dw + (g.ow - 1) * g.sw + 1];
        const strides = [1, 1, g.sh, g.sw];
        taps.push(
          scope.run("StridedSlice", { x: xt }, { begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 }),
        );
      }
    }
    const rows = g.n * g.oh * g.ow;
    const flat = taps.map((t) => scope.reshape(t, [1, g.c * rows]));
    const patchesT = scope.reshape(taps.length === 1 ? flat[0] : scope.run("Concat", flat, { axis: 0 }), [g.kh * g.kw * g.c, rows]);
    const dW = scope.matMul(patchesT, scope.reshape(dy, [rows, oc]));
    return scope.reshape(dW, [g.kh, g.kw, g.c, oc]);
  },
  "conv(xᵀ, dyᵀ)": (scope, x, dy, g) => {
    // dW[i, j, c, o] = Σ_{p, q, n} xᵀ[c, i + p·sh − top, j + q·sw − left, n] · dyᵀ[p, q, n, o]: a convolution with
    // stride 1 and dilation (sh, sw) over C "images" of N channels; its output is at least kh x kw.
    const xt = scope.transpose(cropUnread(scope, x, g), [3, 1, 2, 0]);
    const dyt = scope.transpose(dy, [1, 2, 0, 3]);
    const out = scope.run(
      "Conv2D",
      { x: xt, filter: dyt },
      { strides: [1, 1], dilations: [g.sh, g.sw], pad: explicitPads(g), dataFormat: "NHWC", dimRoundingMode: undefined },
    );
    const cropped = scope.slice(out, [0, 0, 0, 0], [g.c, g.kh, g.kw, out.shape[3]]);
    return scope.transpose(cropped, [1, 2, 0, 3]);
  },
  "Conv3DBackpropFilterV2 (depth 1)": (scope, x, dy, g, oc) => {
    const x5 = scope.reshape(x, [g.n, 1, g.h, g.w, g.c]);
    const dy5 = scope.reshape(dy, [g.n, 1, g.oh, g.ow, oc]);
    const out = scope.run("Conv3DBackpropFilterV2", { x: x5, dy: dy5 }, { strides: [1, g.sh, g.sw], pad: "valid", filterShape: [1, g.kh, g.kw, g.c, oc] });
    return scope.reshape(out, [g.kh, g.kw, g.c, oc]);
  },
};

let currentFilterShape: [number, number, number, number] = [1, 1, 1, 1];

function attrsFor(_x: TensorInfo, _dy: TensorInfo, filterShape: [number, number, number, number]): object {
  return { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dimRoundingMode: undefined, filterShape };
}

function parseArgs(): { threads?: number; reps: number } {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  return { threads: value("--threads"), reps: value("--reps") ?? 15 };
}

/** Median wall time of `run` in ms after two warm-up calls. */
function time(run: () => void, reps: number): number {
  run();
  run();
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
}

async function main(): Promise<void> {
  const { threads, reps } = parseArgs();
  const setup = await startWasm(threads);
  registerWasmTrainingKernels();
  const backend = tf.backend();
  console.log(`wasm backend: simd=${setup.simd} threads=${setup.threads}${setup.threadsNote ? ` (${setup.threadsNote})` : ""}, tfjs ${tf.version.tfjs}, median of ${reps}`);

  const layers: Array<{ name: string; x: number[]; filter: [number, number, number, number] }> = [
    { name: "conv1 64x28x28x1 -> 16", x: [64, 28, 28, 1], filter: [3, 3, 1, 16] },
    { name: "conv2 64x13x13x16 -> 32", x: [64, 13, 13, 16], filter: [3, 3, 16, 32] },
  ];
  const widths = [34, 12, 12, 10];
  console.log("\nConv2DBackpropFilter, ms (max |Δ| vs the registered kernel)");
  console.log(row(["formulation", ...layers.map((l) => l.name.split(" ")[0]), ""], widths));
  const results: Record<string, string[]> = {};
  for (const layer of layers) {
    const x = tf.randomNormal(layer.x, 0, 1, "float32", 1);
    const info = tf.backend_util.computeConv2DInfo(layer.x as [number, number, number, number], layer.filter, 1, 1, "valid");
    const dy = tf.randomNormal(info.outShape, 0, 1, "float32", 2);
    const g = convGeometry(info);
    currentFilterShape = layer.filter;
    let reference: Float32Array | undefined;
    for (const [name, variant] of Object.entries(filterVariants)) {
      const runOnce = () => composed(backend, (scope) => variant(scope, x, dy, g, layer.filter[3]));
      const out = runOnce();
      const values = (backend as unknown as { readSync(id: object): Float32Array }).readSync(out.dataId);
      backend.disposeData(out.dataId);
      reference ??= values;
      let diff = 0;
      for (let i = 0; i < values.length; i++) diff = Math.max(diff, Math.abs(values[i] - reference[i]));
      const ms = time(() => {
        const o = runOnce();
        backend.disposeData(o.dataId);
      }, reps);
      (results[name] ??= []).push(`${ms.toFixed(2)} (${diff.toExponential(0)})`);
    }
    x.dispose();
    dy.dispose();
  }
  for (const [name, cells] of Object.entries(results)) console.log(row([name, ...cells], widths));

  console.log("\nother kernels of the model, and a batch out of a data set, ms");
  const others: Array<[string, () => tf.Tensor]> = [];
  {
    const dy2 = tf.randomNormal<tf.Rank.R4>([64, 11, 11, 32]);
    const w2 = tf.randomNormal<tf.Rank.R4>([3, 3, 16, 32]);
    others.push(["Conv2DBackpropInput conv2", () => tf.conv2dTranspose(dy2, w2, [64, 13, 13, 16], 1, "valid")]);
    const a1 = tf.randomNormal<tf.Rank.R4>([64, 26, 26, 16]);
    const p1 = tf.maxPool(a1, 2, 2, "valid");
    others.push([
      "MaxPoolGrad pool1",
      () => tf.engine().runKernel("MaxPoolGrad", { dy: p1, input: a1, output: p1 }, { filterSize: 2, strides: 2, pad: "valid" }) as tf.Tensor,
    ]);
    const x1 = tf.randomNormal<tf.Rank.R4>([64, 28, 28, 1]);
    const w1 = tf.randomNormal<tf.Rank.R4>([3, 3, 1, 16]);
    others.push(["Conv2D conv1 (forward)", () => tf.conv2d(x1, w1, 1, "valid")]);
    const x2 = tf.randomNormal<tf.Rank.R4>([64, 13, 13, 16]);
    others.push(["Conv2D conv2 (forward)", () => tf.conv2d(x2, w2, 1, "valid")]);
    // slice.ts: tfjs-backend-wasm's own Slice copied the whole input first (17.6 ms here)
    const images = tf.randomNormal<tf.Rank.R2>([10000, 784]);
    others.push(["Slice 32 rows of [10000, 784]", () => tf.slice(images, [5000, 0], [32, 784])]);
  }
  for (const [name, run] of others) console.log(row([name, time(() => run().dispose(), reps).toFixed(2)], [34, 12]));

  console.log("\ntraining step (Adam, batch 64)");
  for (const name of ["mlp", "cnn"] as const) {
    const model = buildModel(name);
    // the model ends in a softmax (models.ts): cross-entropy of its probabilities, as PyTorch's CrossEntropyLoss of logits
    model.compile({ optimizer: tf.train.adam(), loss: "categoricalCrossentropy" });
    const { x, y } = benchData(name, 512);
    const yf = tf.oneHot(y, 10);
    await model.fit(x, yf, { batchSize: 64, epochs: 1, verbose: 0 });
    const t0 = process.hrtime.bigint();
    const epochs = 3;
    await model.fit(x, yf, { batchSize: 64, epochs, verbose: 0 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(row([`${name} samples/s`, ((epochs * 512) / s).toFixed(0)], [34, 12]));
    x.dispose();
    y.dispose();
    yf.dispose();
    model.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
