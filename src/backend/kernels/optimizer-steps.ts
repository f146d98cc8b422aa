/**
 * Optimizer arithmetic on wasm in one pass (assembly/index.ts): an Adam step as one kernel instead of the
 * thirteen elementwise kernels (and six scalar uploads) of the composed rule, a micro-batch added into its
 * accumulation buffer as one kernel instead of two, and squared gradient norms read straight from the heap
 * instead of Square, Sum and AddN kernels and a dataSync.
 * On the MLP of the bench the composed Adam costs about as much as the model's own backward pass.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { heapOffset, simdKernels } from "./simd";

/** Inputs param, grad, m, v (and vMax with amsgrad); outputs param', m', v' (and vMax'). */
export const ADAM_STEP_KERNEL = "StepwiseAdamStep";

export interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** √(1 − β₂ᵗ) */
  correction2: number;
  /** lr / (1 − β₁ᵗ) */
  stepSize: number;
  amsgrad: boolean;
}

const adamStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${ADAM_STEP_KERNEL}: this runtime lacks wasm SIMD`);
  const { param, grad, m, v, vMax } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as AdamStepAttrs;
  for (const input of [param, grad, m, v, ...(a.amsgrad ? [vMax] : [])]) {
    if (!input || input.dtype !== "float32" || !tf.util.arraysEqual(input.shape, param.shape)) {
      throw new Error(`stepwise ${ADAM_STEP_KERNEL}: param, grad, m, v${a.amsgrad ? ", vMax" : ""} must be float32 tensors of one shape`);
    }
  }
  const outputs = Array.from({ length: a.amsgrad ? 4 : 3 }, () => wasm.makeOutput(param.shape.slice(), "float32"));
  const at = (info: TensorInfo | undefined) => (info ? heapOffset(wasm, info) : 0);
  kernels.adamStep(
    at(param), at(grad), at(m), at(v), at(a.amsgrad ? vMax : undefined),
    at(outputs[0]), at(outputs[1]), at(outputs[2]), at(outputs[3]), tf.util.sizeFromShape(param.shape),
    a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction2, a.eps, a.stepSize, a.amsgrad ? 1 : 0,
  );
  return outputs;
};

export const adamStepConfig: KernelConfig = { kernelName: ADAM_STEP_KERNEL, backendName: "wasm", kernelFunc: adamStep };

/** Inputs grad (and sum, when the window has one); output sum + grad·scale: one micro-batch accumulated. */
export const ACCUMULATE_KERNEL = "StepwiseAccumulate";

const accumulate: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${ACCUMULATE_KERNEL}: this runtime lacks wasm SIMD`);
  const { grad, sum } = inputs as Record<string, TensorInfo | undefined>;
  const { scale } = attrs as unknown as { scale: number };
  if (!grad || grad.dtype !== "float32" || (sum && (sum.dtype !== "float32" || !tf.util.arraysEqual(sum.shape, grad.shape)))) {
    throw new Error(`stepwise ${ACCUMULATE_KERNEL}: grad (and sum) must be float32 tensors of one shape`);
  }
  const out = wasm.makeOutput(grad.shape.slice(), "float32");
  kernels.scaledAdd(sum ? heapOffset(wasm, sum) : 0, heapOffset(wasm, grad), heapOffset(wasm, out), tf.util.sizeFromShape(grad.shape), scale, sum ? 1 : 0);
  return out;
};

export const accumulateConfig: KernelConfig = { kernelName: ACCUMULATE_KERNEL, backendName: "wasm", kernelFunc: accumulate };

/**
 * Σ x² over `tensors` read in place from the wasm heap, or undefined where that is not possible (another
 * backend, no SIMD, data not on wasm, not float32).
 */
export function wasmSquaredNorm(tensors: readonly tf.Tensor[]): number | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const kernels = simdKernels(backend);
  if (!kernels) return undefined;
  let total = 0;
  for (const t of tensors) {
    if (t.dtype !== "float32" || !backend.dataIdMap.get(t.dataId)) return undefined;
    total += kernels.sumSquares(heapOffset(backend, t), t.size);
  }
  return total;
}
