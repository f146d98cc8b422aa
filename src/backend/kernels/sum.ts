/**
 * Sum over leading axes on wasm without a transpose.
 *
 * tfjs-backend-wasm 4.22 sums only over innermost axes: any other reduction first transposes the whole
 * input. Bias gradients are exactly the other kind — Σ over [batch, height, width] of an activation-sized
 * gradient — so each conv layer's backward pass paid for a full copy. Here a float32 sum over a leading
 * block of axes is a column sum (assembly/index.ts `sumRows`, four lanes at a time, rows in order);
 * every other sum runs the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

interface SumAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/** The number of leading axes `axis` names, if it names exactly the first k (0 < k < rank) of them. */
export function leadingAxes(axis: number | number[], rank: number): number | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis, Array(rank).fill(1)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return undefined;
  return axes.every((a, i) => a === i) ? axes.length : undefined;
}

export function leadingSumConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const backend = args.backend as unknown as WasmBackendLike;
    const leading = x.dtype === "float32" ? leadingAxes(axis, x.shape.length) : undefined;
    const kernels = leading === undefined ? undefined : simdKernels(backend);
    if (leading === undefined || !kernels) return original.kernelFunc(args);
    const kept = x.shape.slice(leading);
    const rows = x.shape.slice(0, leading).reduce((a, b) => a * b, 1);
    const cols = kept.reduce((a, b) => a * b, 1);
    const out = backend.makeOutput(keepDims ? [...Array(leading).fill(1), ...kept] : kept, "float32");
    if (rows === 0) (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
    else if (cols > 0) {
      runChecked(backend, "Sum", [["x", x], ["out", out]], [out], (input, sum) => kernels.sumRows(input.offset, sum.offset, rows, cols, input.bytes, sum.bytes));
    }
    return out;
  };
  return { kernelName: "Sum", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
