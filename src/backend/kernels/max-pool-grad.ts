/**
 * MaxPoolGrad for the wasm backend, replacing its own (≈17 ms of a 38 ms CNN training step at batch 64
 * on 2 cores, a third of the step) with assembly/index.ts's SIMD kernels:
 *
 *   dx[n, h, w, c] = Σ over the windows (oh, ow) whose first maximum is x[n, h, w, c] of dy[n, oh, ow, c]
 *
 * Each window's maximum is the first one in row-major window order (strictly greater wins), exactly as
 * tfjs's cpu backend picks it, so ties — common after ReLU, where whole windows are 0 — send the gradient
 * to one position, not to all. The common 2×2, stride-2 pool whose windows all lie inside the input
 * (unpadded, or "same" on even sizes) compares four channels at a time;
 * other pools take the general scalar kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { requireForwardOutputShape } from "./geometry";
import type { WasmBackendLike } from "./scope";
import { kernelPool, runInParts, worthSplitting } from "./kernel-pool";
import { runChecked, simdKernels } from "./simd";

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
  requireForwardOutputShape("MaxPoolGrad", dy.shape, info);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const out = wasm.makeOutput(input.shape.slice(), "float32");
  const buffers = [["x", input], ["dy", dy], ["dx", out]] as const;
  // the fast path needs every window whole: a "same" pool of an odd size truncates the last row or column
  const wholeWindows = top === 0 && left === 0 && 2 * outHeight <= inHeight && 2 * outWidth <= inWidth;
  if (filterHeight === 2 && filterWidth === 2 && strideHeight === 2 && strideWidth === 2 && wholeWindows) {
    const image = inHeight * inWidth * inChannels * 4;
    const outImage = outHeight * outWidth * inChannels * 4;
    // a large batch is split between the threads of tfjs's threaded build (kernel-pool.ts)
    const pool = batchSize > 1 && worthSplitting(batchSize * image) ? kernelPool(wasm) : undefined;
    runChecked(wasm, "MaxPoolGrad", buffers, [out], (x, gradient, dx) => {
      const geometry = [inHeight, inWidth, inChannels, outHeight, outWidth];
      const whole = [x.offset, gradient.offset, dx.offset, batchSize, ...geometry, x.bytes, gradient.bytes, dx.bytes];
      const splittable = x.bytes >= batchSize * image && gradient.bytes >= batchSize * outImage && dx.bytes >= batchSize * image;
      return runInParts(kernels, splittable ? pool : undefined, "maxPoolGrad2x2", whole, batchSize, (start, images) => [
        x.offset + start * image, gradient.offset + start * outImage, dx.offset + start * image, images, ...geometry,
        images * image, images * outImage, images * image,
      ]);
    });
  } else {
    runChecked(wasm, "MaxPoolGrad", buffers, [out], (x, gradient, dx) =>
      kernels.maxPoolGrad(
        x.offset, gradient.offset, dx.offset, batchSize, inHeight, inWidth, inChannels, outHeight, outWidth,
        strideHeight, strideWidth, filterHeight, filterWidth, top, left, x.bytes, gradient.bytes, dx.bytes,
      ),
    );
  }
  return out;
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: "MaxPoolGrad",
  backendName: "wasm",
  kernelFunc: maxPoolGrad,
};
