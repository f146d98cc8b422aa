/**
 * MaxPoolGrad for the wasm backend, replacing its own (≈17 ms of a 38 ms CNN training step at batch 64
 * on 2 cores, a third of the step) with assembly/index.ts's SIMD kernels:
 *
 *   dx[n, h, w, c] = Σ over the windows (oh, ow) whose first maximum is x[n, h, w, c] of dy[n, oh, ow, c]
 *
 * Each window's maximum is the first one in row-major window order (strictly greater wins), exactly as
 * tfjs's cpu backend picks it, so ties — common after ReLU, where whole windows are 0 — send the gradient
 * to one position, not to all. The common 2×2, stride-2, unpadded pool compares four channels at a time;
 * other pools take the general scalar kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { heapOffset, simdKernels } from "./simd";

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

export const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error("stepwise MaxPoolGrad: this runtime lacks wasm SIMD (the kernel is only registered where it has it)");
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const out = wasm.makeOutput(input.shape.slice(), "float32");
  const [x, gradient, dx] = [heapOffset(wasm, input), heapOffset(wasm, dy), heapOffset(wasm, out)];
  if (filterHeight === 2 && filterWidth === 2 && strideHeight === 2 && strideWidth === 2 && top === 0 && left === 0) {
    kernels.maxPoolGrad2x2(x, gradient, dx, batchSize, inHeight, inWidth, inChannels, outHeight, outWidth);
  } else {
    kernels.maxPoolGrad(x, gradient, dx, batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, top, left);
  }
  return out;
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: "MaxPoolGrad",
  backendName: "wasm",
  kernelFunc: maxPoolGrad,
};
