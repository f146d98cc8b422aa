/**
 * Transpose on wasm where it swaps the last two axes (a matrix, or a batch of them) of 4-byte elements:
 * stepwise's blocked SIMD transpose (assembly/index.ts `transposeMatrices`). The wasm backend's own kernel
 * computes every element's index in a generic loop, at ~2 GB/s: laying out the [784, 256] weights of a
 * dense layer for its input gradient dy·Wᵀ took longer than a pass over them should. Other permutations
 * and dtypes go to the original.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

/** The matrices a permutation transposes, when it keeps the leading axes and swaps the last two. */
export function matrixSwap(shape: readonly number[], perm: readonly number[]): { batch: number; rows: number; cols: number } | undefined {
  const rank = shape.length;
  if (rank < 2 || perm.length !== rank) return undefined;
  for (let i = 0; i < rank - 2; i++) if (perm[i] !== i) return undefined;
  if (perm[rank - 2] !== rank - 1 || perm[rank - 1] !== rank - 2) return undefined;
  return { batch: tf.util.sizeFromShape(shape.slice(0, -2)), rows: shape[rank - 2], cols: shape[rank - 1] };
}

/** The dtypes whose elements are 4 bytes in the wasm heap. */
const FOUR_BYTE_DTYPES = new Set(["float32", "int32"]);

export function matrixTransposeConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    const backend = args.backend as unknown as WasmBackendLike;
    const kernels = simdKernels(backend);
    const plan = kernels && FOUR_BYTE_DTYPES.has(x.dtype) ? matrixSwap(x.shape, perm) : undefined;
    if (!kernels || !plan) return original.kernelFunc(args);
    const out = backend.makeOutput(
      perm.map((axis) => x.shape[axis]),
      x.dtype,
    );
    runChecked(backend, "Transpose", [["x", x], ["out", out]], [out], (input, output) =>
      kernels.transposeMatrices(input.offset, output.offset, plan.batch, plan.rows, plan.cols, input.bytes, output.bytes),
    );
    return out;
  };
  return { kernelName: "Transpose", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
