/**
 * Conv2D on wasm: stepwise's direct SIMD convolution (assembly/index.ts `conv2d`), which reads the filter in
 * place, or, for a 3 × 3 window at stride 1 with channels enough for it to pay, the Winograd convolution
 * (winograd.ts), which needs 2.25 to 4 × fewer multiplications.
 *
 * XNNPACK, behind the wasm backend's own Conv2D, first packs the filter into its own layout and caches that
 * packed operator per filter tensor. In training the weights are a new tensor after every update, and so is
 * the flipped filter that Conv2DBackpropInput convolves with, so every call would pack (the same reason
 * wasm-matmul.ts multiplies new weights itself). Even with its packing cached, XNNPACK's convolution was
 * slower than these kernels wherever the work is more than a few microseconds' worth: 1.3–2.4× for the
 * reference CNN's layers at 16 and 64 images (an accumulation window's later micro-batches had gone there,
 * and so had every evaluation batch), up to 3.4× over 30 layer shapes, timed in turns in one process. Only
 * a convolution of fewer than XNNPACK_CACHED_BELOW multiply-adds with a filter seen before goes to XNNPACK:
 * there its cached operator's short fixed cost wins (7 of 8 such shapes timed, by 4–14 %).
 *
 * This wraps the backend's Conv2D beneath explicit-padding.ts, so it receives explicit paddings that tfjs
 * has already checked; NCHW and non-float32 inputs go to the original. On tfjs's threaded build the
 * images of a large batch are split between the threads (kernel-pool.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { convGeometry, type PadAttr } from "./geometry";
import { kernelPool, runInParts, worthSplitting } from "./kernel-pool";
import { composed, type WasmBackendLike } from "./scope";
import { epilogueOf, runChecked, simdKernels } from "./simd";
import { convolveWinograd, winogradTile } from "./winograd";

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** Filters already convolved with once (their packing is cached by the backend from the second use). */
const seenFilters = new WeakSet<object>();

/** Below this many multiply-adds, a convolution with a filter seen before runs faster on XNNPACK's cached operator. */
export const XNNPACK_CACHED_BELOW = 2 ** 17;

/** Whether XNNPACK should take this call (see the header); remembers the filter for its next call. */
function prefersXnnpack(filter: TensorInfo, info: tf.backend_util.Conv2DInfo): boolean {
  const seen = seenFilters.has(filter.dataId);
  seenFilters.add(filter.dataId);
  const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = info;
  return seen && batchSize * outHeight * outWidth * outChannels * filterHeight * filterWidth * inChannels < XNNPACK_CACHED_BELOW;
}

export function directConv2DConfig(original: KernelConfig): KernelConfig {
  return directConfig(original, "Conv2D");
}

/**
 * FusedConv2D the same way, its bias and ReLU applied as the kernel stores each register tile (its
 * epilogue): the bits of Conv2D, Add and Relu one after another. A bias that is not one value per output
 * channel, another activation, PReLU weights, and the cases Conv2D hands on go to the original.
 */
export function directFusedConv2DConfig(original: KernelConfig): KernelConfig {
  return directConfig(original, "FusedConv2D");
}

interface FusedConv2DAttrs extends Conv2DAttrs {
  activation?: string;
}

function directConfig(original: KernelConfig, kernelName: "Conv2D" | "FusedConv2D"): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const attrs = args.attrs as unknown as FusedConv2DAttrs;
    const activation = kernelName === "FusedConv2D" ? (attrs.activation ?? "linear") : "linear";
    const channelsLast = attrs.dataFormat === undefined || attrs.dataFormat === "NHWC" || attrs.dataFormat === "channelsLast";
    const kernels = simdKernels(args.backend as unknown as WasmBackendLike);
    const outChannels = filter.shape[3];
    const epilogueFits =
      (activation === "linear" || activation === "relu") &&
      preluActivationWeights === undefined &&
      (bias === undefined || (bias.dtype === "float32" && tf.util.sizeFromShape(bias.shape) === outChannels && bias.shape[bias.shape.length - 1] === outChannels));
    if (!kernels || !channelsLast || !epilogueFits || x.dtype !== "float32" || filter.dtype !== "float32") return original.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (prefersXnnpack(filter, info)) return original.kernelFunc(args);
    const g = convGeometry(info);
    const epilogue = epilogueOf(bias !== undefined, activation);
    return composed(args.backend, (scope) => {
      const zeros = scope.tensor([g.c], "float32", new Float32Array(g.c));
      const y = scope.output(info.outShape, "float32");
      const o = info.outChannels;
      const tile = winogradTile(g, o);
      if (tile !== undefined) {
        convolveWinograd(kernels, scope, kernelName, { x, filter, bias, zeros }, y, g, o, tile, epilogue);
        return y;
      }
      const xImage = g.h * g.w * g.c * 4;
      const yImage = g.oh * g.ow * o * 4;
      const pool = worthSplitting(g.n * g.oh * g.ow * o * g.kh * g.kw * g.c) ? kernelPool(scope.backend) : undefined;
      // without a bias, the zeros stand in for its buffer (the kernel reads a bias only when it adds one)
      const buffers: Array<[string, TensorInfo]> = [["x", x], ["filter", filter], ["y", y], ["zeros", zeros], ["bias", bias ?? zeros]];
      runChecked(scope.backend, kernelName, buffers, [], (input, weights, output, zero, shift) => {
        const geometry = [g.h, g.w, g.c, g.oh, g.ow, o, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.top, g.left, epilogue];
        const whole = [input.offset, weights.offset, output.offset, zero.offset, shift.offset, g.n, ...geometry, input.bytes, weights.bytes, output.bytes, zero.bytes, shift.bytes];
        const splittable = input.bytes >= g.n * xImage && output.bytes >= g.n * yImage;
        // a part: its images of x and y
        return runInParts(kernels, splittable ? pool : undefined, "conv2d", whole, g.n, (start, images) => [
          input.offset + start * xImage, weights.offset, output.offset + start * yImage, zero.offset, shift.offset, images, ...geometry,
          images * xImage, weights.bytes, images * yImage, zero.bytes, shift.bytes,
        ]);
      });
      return y;
    });
  };
  return { kernelName, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
