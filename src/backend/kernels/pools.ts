/**
 * MaxPool and AvgPool on wasm by stepwise's SIMD kernels. MaxPool (assembly/index.ts `maxPool`) replaces
 * XNNPACK's behind the backend's own: each output is its window's first maximum, strictly greater winning
 * from −∞, exactly as tfjs's cpu backend computes it, and so the value whose position MaxPoolGrad
 * (max-pool-grad.ts) sends the gradient to. XNNPACK's pool gave other values where a window holds NaN (2 for {2, 3, NaN, NaN}, −∞ for
 * {NaN, 1, NaN, NaN}, where cpu gives 3 and 1). It is faster too: the reference CNN's first pool
 * (64×26×26×16, 2×2) took 0.56 ms there and 0.35 ms here, its second (64×11×11×32) 0.32 and 0.22 (medians
 * of interleaved runs of 300 pools each).
 *
 * AvgPool too (assembly/index.ts `avgPool`): XNNPACK's average pool clamps its output and gave −∞ for a
 * window holding NaN; stepwise's sums each window in f64 and divides in f64, as tfjs's cpu backend does, so
 * the result is cpu's bit for bit.
 *
 * Each wraps the backend's pool beneath explicit-padding.ts, so it receives explicit paddings (and no
 * rounding mode) that tfjs has checked; non-float32 inputs go to the original. On tfjs's threaded build
 * the images of a large batch are split between the threads (kernel-pool.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { share } from "./forward";
import type { WasmBackendLike } from "./scope";
import { kernelPool, runInParts, worthSplitting } from "./kernel-pool";
import { runChecked, simdKernels } from "./simd";

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

export const directMaxPoolConfig = (original: KernelConfig): KernelConfig => directPoolConfig(original, "maxPool");
export const directAvgPoolConfig = (original: KernelConfig): KernelConfig => directPoolConfig(original, "avgPool");

function directPoolConfig(original: KernelConfig, pool: "maxPool" | "avgPool"): KernelConfig {
  const kernelName = original.kernelName;
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = args.backend as unknown as WasmBackendLike;
    const kernels = simdKernels(backend);
    if (!kernels || x.dtype !== "float32") return original.kernelFunc(args);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as PoolAttrs;
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
    const { top, left } = info.padInfo;
    if (filterHeight === 1 && filterWidth === 1 && tf.util.arraysEqual(info.inShape, info.outShape)) {
      // a 1×1 pool that keeps the shape is x itself on cpu, NaN and −0 included (its kernels' shortcut)
      return share(x, backend);
    }
    const y = backend.makeOutput(info.outShape.slice(), "float32");
    const image = inHeight * inWidth * inChannels * 4;
    const outImage = outHeight * outWidth * inChannels * 4;
    const threads = batchSize > 1 && worthSplitting(batchSize * image) ? kernelPool(backend) : undefined;
    runChecked(backend, kernelName, [["x", x], ["y", y]], [y], (input, output) => {
      const geometry = [inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, top, left];
      const whole = [input.offset, output.offset, batchSize, ...geometry, input.bytes, output.bytes];
      const splittable = input.bytes >= batchSize * image && output.bytes >= batchSize * outImage;
      // a part: its images of x and y
      return runInParts(kernels, splittable ? threads : undefined, pool, whole, batchSize, (start, images) => [
        input.offset + start * image, output.offset + start * outImage, images, ...geometry, images * image, images * outImage,
      ]);
    });
    return y;
  };
  return { kernelName, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
