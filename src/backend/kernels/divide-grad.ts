/**
 * The gradient of a row divided by its own scalar, a [..., c] / b [..., 1], in one pass on wasm.
 *
 * tfjs-layers' cross-entropies on probabilities divide the model's outputs by their row sums first, so
 * every training step through `model.fit` differentiates that division, and tfjs-core's RealDiv gradient
 * composes it from nine kernels (a division for a; a product, a row sum, a reshape, a square, a division
 * and a negation for b, with their casts) and the tape's clones of their inputs. `StepwiseDivideByRowGrad`
 * computes both gradients with the same f32 operations in the same order (assembly/losses.ts
 * `divideByRowGrad`), so the same bits, where the active backend has it; every other division keeps
 * tfjs-core's gradient. Both come from one kernel run when the gradient function is called, in the backward
 * pass's scope: the tape takes the one it needs, and the backward pass disposes the other.
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

export const DIVIDE_BY_ROW_GRAD_KERNEL = "StepwiseDivideByRowGrad";

/** a [..., c] and b [..., 1] with the same leading axes, and dy shaped as a: the case the kernel takes. */
function dividesRows(dy: TensorInfo, a: TensorInfo, b: TensorInfo): boolean {
  const rank = a.shape.length;
  return (
    rank >= 1 &&
    dy.dtype === "float32" && a.dtype === "float32" && b.dtype === "float32" &&
    b.shape.length === rank &&
    b.shape[rank - 1] === 1 &&
    a.shape[rank - 1] !== 1 &&
    tf.util.arraysEqual(a.shape.slice(0, -1), b.shape.slice(0, -1)) &&
    tf.util.arraysEqual(dy.shape, a.shape)
  );
}

const divideByRowGrad: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${DIVIDE_BY_ROW_GRAD_KERNEL}: this runtime lacks wasm SIMD`);
  const { dy, a, b } = inputs as { dy: TensorInfo; a: TensorInfo; b: TensorInfo };
  if (!dividesRows(dy, a, b)) {
    throw new Error(
      `stepwise ${DIVIDE_BY_ROW_GRAD_KERNEL}: a must be float32 [..., c] with c ≠ 1, b float32 [..., 1] with a's leading axes and dy shaped as a, ` +
        `got dy ${dy.dtype} [${dy.shape}], a ${a.dtype} [${a.shape}], b ${b.dtype} [${b.shape}]`,
    );
  }
  const cols = a.shape[a.shape.length - 1];
  const rows = tf.util.sizeFromShape(b.shape);
  const da = wasm.makeOutput(a.shape.slice(), "float32");
  const db = wasm.makeOutput(b.shape.slice(), "float32");
  runChecked(wasm, DIVIDE_BY_ROW_GRAD_KERNEL, [["dy", dy], ["a", a], ["b", b], ["da", da], ["db", db]], [da, db], (g, x, d, outA, outB) =>
    kernels.divideByRowGrad(g.offset, x.offset, d.offset, outA.offset, outB.offset, rows, cols, g.bytes, x.bytes, d.bytes, outA.bytes, outB.bytes),
  );
  return [da, db];
};

export const divideByRowGradConfig: KernelConfig = { kernelName: DIVIDE_BY_ROW_GRAD_KERNEL, backendName: "wasm", kernelFunc: divideByRowGrad };

/** RealDiv's gradient: the fused kernel for a row over its scalar where the active backend has it, else `original` (tfjs-core's). */
export function divideGradientConfig(original: GradConfig): GradConfig {
  return {
    kernelName: "RealDiv",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const gradient = dy as tf.Tensor;
      if (!dividesRows(gradient, a, b) || tf.getKernel(DIVIDE_BY_ROW_GRAD_KERNEL, tf.getBackend()) === undefined) {
        return original.gradFunc(dy, saved, attrs);
      }
      const [da, db] = tf.engine().runKernel(DIVIDE_BY_ROW_GRAD_KERNEL, { dy: gradient, a, b }) as [tf.Tensor, tf.Tensor];
      return { a: () => da, b: () => db };
    },
  };
}
