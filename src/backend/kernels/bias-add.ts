/**
 * Add of a bias vector on wasm without the generic broadcast.
 *
 * tfjs-layers adds a convolution's or dense layer's bias as x [..., C] + b [C]; tfjs-backend-wasm 4.22
 * runs that through its generic broadcasting loop (about 0.5 ms on the reference CNN's first activation,
 * [64, 26, 26, 16], twice the time of an elementwise product of that size). Here it is one SIMD pass
 * (assembly/index.ts `addRowVector`); every other Add runs the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

/** Whether `b` is a vector along the last axis of `a`: shape [C] or [1, ..., 1, C] with C = a's last size. */
export function isRowVectorOf(a: readonly number[], b: readonly number[]): boolean {
  if (a.length === 0 || b.length === 0 || b.length > a.length) return false;
  const cols = a[a.length - 1];
  return b[b.length - 1] === cols && b.slice(0, -1).every((d) => d === 1);
}

export function biasAddConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const backend = args.backend as unknown as WasmBackendLike;
    if (a.dtype !== "float32" || b.dtype !== "float32") return original.kernelFunc(args);
    const [x, bias] = isRowVectorOf(a.shape, b.shape) ? [a, b] : isRowVectorOf(b.shape, a.shape) ? [b, a] : [undefined, undefined];
    const kernels = x ? simdKernels(backend) : undefined;
    if (!x || !bias || !kernels || tf.util.sizeFromShape(x.shape) === 0) return original.kernelFunc(args);
    const cols = x.shape[x.shape.length - 1];
    const out = backend.makeOutput(x.shape.slice(), "float32");
    const rows = tf.util.sizeFromShape(x.shape) / cols;
    runChecked(backend, "Add", [["x", x], ["bias", bias], ["out", out]], [out], (input, row, sum) =>
      kernels.addRowVector(input.offset, row.offset, sum.offset, rows, cols, input.bytes, row.bytes, sum.bytes),
    );
    return out;
  };
  return { kernelName: "Add", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
