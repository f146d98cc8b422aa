/**
 * The gradient of Softmax in one pass on wasm.
 *
 * tfjs-core's gradient of Softmax is sub(mul(dy, y), mul(sum(mul(dy, y), -1, keepDims), y)): four kernels,
 * two of them broadcasts, on every softmax output layer of a tfjs-layers model (`activation: "softmax"`)
 * in every training step. `StepwiseSoftmaxGrad` computes the same products, the same row sums in the same
 * order and the same difference in one pass (assembly/losses.ts `softmaxGrad`), so the same bits, and
 * Softmax's gradient is re-registered to use it where the active backend has it; on every other backend it
 * is tfjs's own formula, unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";
import { SOFTMAX_GRAD_COLUMN_SUMS_KERNEL, SOFTMAX_GRAD_KERNEL } from "../../train/loss-kernels";

const softmaxGrad: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${SOFTMAX_GRAD_KERNEL}: this runtime lacks wasm SIMD`);
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  if (dy.dtype !== "float32" || y.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, y.shape) || y.shape.length === 0) {
    throw new Error(`stepwise ${SOFTMAX_GRAD_KERNEL}: dy and y must be float32 tensors of one shape, rank 1 or more, got ${dy.dtype} [${dy.shape}] and ${y.dtype} [${y.shape}]`);
  }
  const cols = y.shape[y.shape.length - 1];
  const rows = cols === 0 ? 0 : tf.util.sizeFromShape(y.shape) / cols;
  const dx = wasm.makeOutput(y.shape.slice(), "float32");
  if (rows === 0) return dx;
  runChecked(wasm, SOFTMAX_GRAD_KERNEL, [["dy", dy], ["y", y], ["dx", dx]], [dx], (g, out, input) =>
    kernels.softmaxGrad(g.offset, out.offset, input.offset, rows, cols, g.bytes, out.bytes, input.bytes),
  );
  return dx;
};

export const softmaxGradConfig: KernelConfig = { kernelName: SOFTMAX_GRAD_KERNEL, backendName: "wasm", kernelFunc: softmaxGrad };

/**
 * StepwiseSoftmaxGrad's dx and db = Σ dx over every axis but the last, in one pass (assembly/losses.ts
 * `softmaxGradColumnSums`), with the bits of StepwiseSoftmaxGrad and of Sum over the leading axes: the
 * gradients of a softmax layer's logits and of its bias. A replayed step runs it in place of the two
 * (src/train/replay-fusion.ts).
 */
const softmaxGradColumnSums: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${SOFTMAX_GRAD_COLUMN_SUMS_KERNEL}: this runtime lacks wasm SIMD`);
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  if (dy.dtype !== "float32" || y.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, y.shape) || y.shape.length === 0 || y.shape[y.shape.length - 1] === 0) {
    throw new Error(
      `stepwise ${SOFTMAX_GRAD_COLUMN_SUMS_KERNEL}: dy and y must be float32 tensors of one shape, rank 1 or more, with a last axis of 1 or more, got ${dy.dtype} [${dy.shape}] and ${y.dtype} [${y.shape}]`,
    );
  }
  const cols = y.shape[y.shape.length - 1];
  const rows = tf.util.sizeFromShape(y.shape) / cols;
  const dx = wasm.makeOutput(y.shape.slice(), "float32");
  const db = wasm.makeOutput([cols], "float32");
  runChecked(wasm, SOFTMAX_GRAD_COLUMN_SUMS_KERNEL, [["dy", dy], ["y", y], ["dx", dx], ["db", db]], [dx, db], (g, input, out, sums) =>
    kernels.softmaxGradColumnSums(g.offset, input.offset, out.offset, sums.offset, rows, cols, g.bytes, input.bytes, out.bytes, sums.bytes),
  );
  return [dx, db];
};

export const softmaxGradColumnSumsConfig: KernelConfig = { kernelName: SOFTMAX_GRAD_COLUMN_SUMS_KERNEL, backendName: "wasm", kernelFunc: softmaxGradColumnSums };

/** Softmax's gradient: the fused kernel where the active backend has it (float32, the last axis), else tfjs-core's formula. */
export const softmaxGradientConfig: GradConfig = {
  kernelName: "Softmax",
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs: NamedAttrMap) => {
    const [y] = saved;
    const gradient = dy as tf.Tensor;
    const dim = attrs.dim as number;
    const last = dim === -1 || dim === y.rank - 1;
    const fused = last && y.dtype === "float32" && gradient.dtype === "float32" && tf.getKernel(SOFTMAX_GRAD_KERNEL, tf.getBackend()) !== undefined;
    return {
      logits: () => {
        if (fused) return tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { dy: gradient, y }) as tf.Tensor;
        const dyTimesY = tf.mul(gradient, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
      },
    };
  },
};
