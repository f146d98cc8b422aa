/**
 * The gradient of ReLU in one pass on wasm.
 *
 * tfjs-core's gradient of Relu is mul(dy, cast(step(x), "float32")): two passes over an activation-sized
 * tensor and one tensor more (on the reference CNN, Step and Multiply over 64×26×26×16 floats took about
 * a twentieth of a training step). `StepwiseReluGrad` computes dy · step(x) in one pass (assembly/index.ts
 * `reluGrad`), and Relu's gradient is re-registered to use it where the active backend has it; on every
 * other backend it is tfjs's own formula, unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

export const RELU_GRAD_KERNEL = "StepwiseReluGrad";

const reluGrad: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${RELU_GRAD_KERNEL}: this runtime lacks wasm SIMD`);
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  if (dy.dtype !== "float32" || x.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(`stepwise ${RELU_GRAD_KERNEL}: dy and x must be float32 tensors of one shape, got ${dy.dtype} [${dy.shape}] and ${x.dtype} [${x.shape}]`);
  }
  const dx = wasm.makeOutput(x.shape.slice(), "float32");
  runChecked(wasm, RELU_GRAD_KERNEL, [["dy", dy], ["x", x], ["dx", dx]], [dx], (g, input, out) =>
    kernels.reluGrad(g.offset, input.offset, out.offset, tf.util.sizeFromShape(x.shape), g.bytes, input.bytes, out.bytes),
  );
  return dx;
};

export const reluGradConfig: KernelConfig = { kernelName: RELU_GRAD_KERNEL, backendName: "wasm", kernelFunc: reluGrad };

/**
 * dx = dy · step(x) and db = Σ dx over every axis but the last, in one pass (assembly/index.ts
 * `reluGradColumnSums`): the gradients of a layer's relu and of its bias, with the bits of StepwiseReluGrad
 * and of Sum over the leading axes (tape-fusion.ts).
 */
export const RELU_GRAD_COLUMN_SUMS_KERNEL = "StepwiseReluGradColumnSums";

const reluGradColumnSums: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${RELU_GRAD_COLUMN_SUMS_KERNEL}: this runtime lacks wasm SIMD`);
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  if (dy.dtype !== "float32" || x.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, x.shape) || x.shape.length === 0) {
    throw new Error(
      `stepwise ${RELU_GRAD_COLUMN_SUMS_KERNEL}: dy and x must be float32 tensors of one shape, of rank 1 or more, got ${dy.dtype} [${dy.shape}] and ${x.dtype} [${x.shape}]`,
    );
  }
  const cols = x.shape[x.shape.length - 1];
  const rows = cols === 0 ? 0 : tf.util.sizeFromShape(x.shape) / cols;
  const dx = wasm.makeOutput(x.shape.slice(), "float32");
  const db = wasm.makeOutput([cols], "float32");
  runChecked(wasm, RELU_GRAD_COLUMN_SUMS_KERNEL, [["dy", dy], ["x", x], ["dx", dx], ["db", db]], [dx, db], (g, input, out, sums) =>
    kernels.reluGradColumnSums(g.offset, input.offset, out.offset, sums.offset, rows, cols, g.bytes, input.bytes, out.bytes, sums.bytes),
  );
  return [dx, db];
};

export const reluGradColumnSumsConfig: KernelConfig = { kernelName: RELU_GRAD_COLUMN_SUMS_KERNEL, backendName: "wasm", kernelFunc: reluGradColumnSums };

/** Relu's gradient: the fused kernel where the active backend has it (for float32), else tfjs-core's formula. */
export const reluGradientConfig: GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const gradient = dy as tf.Tensor;
    const fused = x.dtype === "float32" && gradient.dtype === "float32" && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined;
    return {
      x: () => (fused ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: gradient, x }) as tf.Tensor) : tf.mul(gradient, tf.cast(tf.step(x), "float32"))),
    };
  },
};
