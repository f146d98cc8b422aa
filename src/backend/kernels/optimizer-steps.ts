/**
 * Optimizer arithmetic on wasm in one pass (assembly/index.ts, assembly/step.ts): an Adam step as one kernel
 * instead of the thirteen elementwise kernels (and six scalar uploads) of the composed rule, squared gradient
 * norms read straight from the heap instead of Square, Sum and AddN kernels and a dataSync, and an
 * accumulation window kept in place: each micro-batch added into the window's sums, and the sums turned into
 * the window's mean, by one pass each that also yields the squared norms (no kernel dispatch, no new tensor);
 * a window's last micro-batch is added and the mean taken in one pass.
 * On the MLP of the bench the composed Adam costs about as much as the model's own backward pass.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { ADAM_STEP_KERNEL, type AdamStepAttrs } from "../../optim/rules/adam";
import type { InPlaceArithmetic, MatrixProduct } from "../../tensor";
import { accumulateProduct } from "../wasm-matmul";
import type { WasmBackendLike } from "./scope";
import { backendMemory, heapBuffer, runChecked, simdKernels } from "./simd";


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
  const buffers = [
    ["param", param], ["grad", grad], ["m", m], ["v", v], ["vMax", a.amsgrad ? vMax : undefined],
    ["param'", outputs[0]], ["m'", outputs[1]], ["v'", outputs[2]], ["vMax'", outputs[3]],
  ] as const;
  runChecked(wasm, ADAM_STEP_KERNEL, buffers, outputs, (p, g, m1, v1, vm, outP, outM, outV, outVm) =>
    kernels.adamStep(
      p.offset, g.offset, m1.offset, v1.offset, vm.offset, outP.offset, outM.offset, outV.offset, outVm.offset, tf.util.sizeFromShape(param.shape),
      a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction2, a.eps, a.stepSize, a.amsgrad ? 1 : 0,
      p.bytes, g.bytes, m1.bytes, v1.bytes, vm.bytes, outP.bytes, outM.bytes, outV.bytes, outVm.bytes,
    ),
  );
  return outputs;
};

export const adamStepConfig: KernelConfig = { kernelName: ADAM_STEP_KERNEL, backendName: "wasm", kernelFunc: adamStep };


/**
 * Σ x² over `tensors` read in place from the wasm heap, or undefined where that is not possible (another
 * backend, no SIMD, data not on wasm, not float32).
 */
function wasmSquaredNorm(tensors: readonly tf.Tensor[]): number | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const kernels = simdKernels(backend);
  if (!kernels) return undefined;
  let total = 0;
  for (const t of tensors) {
    if (t.dtype !== "float32" || !backend.dataIdMap.get(t.dataId)) return undefined;
    const { offset, bytes } = heapBuffer(backend, t);
    const squares = kernels.sumSquares(offset, t.size, bytes);
    if (squares < 0) throw new Error(`stepwise: a tensor of shape [${t.shape}] is larger than its wasm buffer (${bytes} bytes)`);
    total += squares;
  }
  return total;
}

/**
 * The exports of assembly/step.ts (see there): the first two return −1 for a buffer smaller than n floats,
 * accumulateMeanInPlace the 1-based position of a buffer too small (0 when it ran).
 */
interface InPlaceKernels {
  accumulateInPlace(sum: number, grad: number, n: number, scale: number, first: number, sumBytes: number, gradBytes: number): number;
  divideInPlace(x: number, n: number, divisor: number, xBytes: number): number;
  accumulateMeanInPlace(
    sum: number, grad: number, squares: number, n: number, scale: number, first: number, divisor: number,
    sumBytes: number, gradBytes: number, squaresBytes: number,
  ): number;
}

/** The wasm backend and its in-place kernels, when the active backend is wasm and the kernels load. */
function inPlaceKernels(): { backend: WasmBackendLike; kernels: InPlaceKernels } | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const kernels = simdKernels(backend) as Partial<InPlaceKernels> | undefined;
  const exported = ["accumulateInPlace", "divideInPlace", "accumulateMeanInPlace"] as const;
  if (!kernels || exported.some((name) => typeof kernels[name] !== "function")) return undefined;
  return { backend, kernels: kernels as InPlaceKernels };
}

function onWasmAsFloat32(backend: WasmBackendLike, t: tf.Tensor): boolean {
  return t.dtype === "float32" && backend.dataIdMap.get(t.dataId) !== undefined;
}

/**
 * The in-place kernels and the tensor a window's pass writes: `sum`, or a new kept tensor for a window's first
 * micro-batch (a window outlives the caller's tidy: model.fit runs each batch in one). Undefined where the
 * pass cannot run on wasm (another backend, no SIMD, a tensor not on wasm or not float32, shapes that differ).
 */
function windowPass(sum: tf.Tensor | undefined, grad: tf.Tensor): { backend: WasmBackendLike; kernels: InPlaceKernels; target: tf.Tensor } | undefined {
  const wasm = inPlaceKernels();
  if (!wasm || !onWasmAsFloat32(wasm.backend, grad) || (sum && !(onWasmAsFloat32(wasm.backend, sum) && tf.util.arraysEqual(sum.shape, grad.shape)))) {
    return undefined;
  }
  const target = sum ?? tf.keep(tf.engine().makeTensorFromTensorInfo(wasm.backend.makeOutput(grad.shape.slice(), "float32")));
  return { ...wasm, target };
}

/**
 * An accumulation window's sum plus `grad`·`scale`, and Σ grad²: with `sum`, added into it in place (the
 * caller must own `sum` alone: no other tensor may share its data); without, a new kept tensor. Undefined
 * where that cannot run on wasm.
 */
function wasmAccumulateInPlace(sum: tf.Tensor | undefined, grad: tf.Tensor, scale: number): { sum: tf.Tensor; gradSquares: number } | undefined {
  const wasm = windowPass(sum, grad);
  if (!wasm) return undefined;
  const { target } = wasm;
  const into = heapBuffer(wasm.backend, target);
  const from = heapBuffer(wasm.backend, grad);
  const gradSquares = wasm.kernels.accumulateInPlace(into.offset, from.offset, grad.size, scale, sum ? 0 : 1, into.bytes, from.bytes);
  if (gradSquares < 0) {
    if (!sum) target.dispose();
    throw new Error(`stepwise accumulateInPlace: a gradient of shape [${grad.shape}] does not fit its wasm buffers; nothing was written`);
  }
  return { sum: target, gradSquares };
}

/**
 * `t` divided by `divisor` in place (the caller must own `t` alone), returning Σ of the squared quotients;
 * undefined (and `t` untouched) where that cannot run on wasm.
 */
function wasmDivideInPlace(t: tf.Tensor, divisor: number): number | undefined {
  const wasm = inPlaceKernels();
  if (!wasm || !onWasmAsFloat32(wasm.backend, t)) return undefined;
  const { offset, bytes } = heapBuffer(wasm.backend, t);
  const squares = wasm.kernels.divideInPlace(offset, t.size, divisor, bytes);
  if (squares < 0) throw new Error(`stepwise divideInPlace: a tensor of shape [${t.shape}] does not fit its wasm buffer; nothing was written`);
  return squares;
}

/**
 * A window's last micro-batch in one pass: (`sum` + `grad`·`scale`) / `divisor` into `sum` (which the caller
 * must own alone), or into a new kept tensor when there is no sum, with Σ grad² and Σ of the mean's squares;
 * the bits of wasmAccumulateInPlace then wasmDivideInPlace. Undefined where that cannot run on wasm.
 */
function wasmAccumulateMean(
  sum: tf.Tensor | undefined,
  grad: tf.Tensor,
  scale: number,
  divisor: number,
): { mean: tf.Tensor; gradSquares: number; meanSquares: number } | undefined {
  const wasm = windowPass(sum, grad);
  if (!wasm) return undefined;
  const { backend, kernels, target } = wasm;
  const squares = backend.makeOutput([4], "float32"); // the two f64 sums of squares
  try {
    const [into, from, out] = [heapBuffer(backend, target), heapBuffer(backend, grad), heapBuffer(backend, squares)];
    const status = kernels.accumulateMeanInPlace(into.offset, from.offset, out.offset, grad.size, scale, sum ? 0 : 1, divisor, into.bytes, from.bytes, out.bytes);
    if (status !== 0) {
      if (!sum) target.dispose();
      throw new Error(`stepwise accumulateMeanInPlace: a gradient of shape [${grad.shape}] does not fit its wasm buffers (status ${status}); nothing was written`);
    }
    const view = new DataView(backendMemory(backend).buffer, out.offset, 16);
    return { mean: target, gradSquares: view.getFloat64(0, true), meanSquares: view.getFloat64(8, true) };
  } finally {
    backend.disposeData(squares.dataId);
  }
}

/**
 * A window's sum plus `product`·`scale`, the product computed into it by the host BLAS (wasm-matmul.ts
 * accumulateProduct): into `sum` in place (the caller must own it alone), or a new kept tensor. Undefined
 * where that cannot run (no host BLAS, a product it would not take, a scale that is not a power of two).
 */
function wasmAccumulateProduct(sum: tf.Tensor | undefined, product: MatrixProduct, scale: number, squares: boolean): { sum: tf.Tensor; gradSquares: number | undefined } | undefined {
  const wasm = inPlaceKernels();
  if (!wasm || (sum && !onWasmAsFloat32(wasm.backend, sum))) return undefined;
  const added = accumulateProduct(wasm.backend, product, sum, scale, squares);
  if (!added) return undefined;
  const target = sum ?? tf.keep(tf.engine().makeTensorFromTensorInfo(added.sum));
  return { sum: target, gradSquares: added.squares };
}

/** The in-place arithmetic stepwise's wasm kernels give the optimizer and the accumulator (src/tensor/in-place.ts). */
export const wasmInPlaceArithmetic: InPlaceArithmetic = {
  squaredNorm: wasmSquaredNorm,
  accumulate: wasmAccumulateInPlace,
  divide: wasmDivideInPlace,
  accumulateMean: wasmAccumulateMean,
  accumulateProduct: wasmAccumulateProduct,
};
