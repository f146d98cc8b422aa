/**
 * Maximum and Minimum of float32 on wasm with the cpu backend's answers.
 *
 * tfjs-backend-wasm 4.22's (XNNPACK's) dropped a NaN in the second operand: maximum(1, NaN) was 1 where cpu
 * gives NaN, so whichever operand a caller wrote second decided whether a NaN survived. Here two operands of
 * one size, or one of them a single value, take one SIMD pass with Math.max's and Math.min's semantics
 * (assembly/index.ts `maxMin`); other broadcasts, seldom met in training, run on tfjs's cpu backend
 * (dtype-fallback.ts `onCpu`), and other dtypes on the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { onCpu } from "./dtype-fallback";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

export function nanKeepingMaxMinConfig(original: KernelConfig): KernelConfig {
  const min = original.kernelName === "Minimum";
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const backend = args.backend as unknown as WasmBackendLike;
    const kernels = simdKernels(backend);
    if (a.dtype !== "float32" || b.dtype !== "float32" || !kernels) return original.kernelFunc(args);
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = tf.util.sizeFromShape(shape);
    const [aSize, bSize] = [tf.util.sizeFromShape(a.shape), tf.util.sizeFromShape(b.shape)];
    // each operand is either all n values in order or one value broadcast
    const layout = (size: number) => (size === n ? 1 : size === 1 ? 0 : undefined);
    const [aStep, bStep] = [layout(aSize), layout(bSize)];
    if (aStep === undefined || bStep === undefined) return onCpu(original.kernelName, args);
    const out = backend.makeOutput(shape, "float32");
    if (n === 0) return out;
    runChecked(backend, original.kernelName, [["a", a], ["b", b], ["out", out]], [out], (left, right, result) =>
      kernels.maxMin(left.offset, right.offset, result.offset, n, aStep, bStep, min ? 1 : 0, left.bytes, right.bytes, result.bytes),
    );
    return out;
  };
  return { kernelName: original.kernelName, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
