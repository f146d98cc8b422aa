/**
 * A 2 × 2 max pool's gradient through the ReLU whose output it pooled, and the bias's gradient, in one pass
 * on wasm.
 *
 * In a CNN's block of a relu convolution and a max pool, backpropagation ran MaxPoolGrad over the ReLU's
 * output y (each window's gradient to its first maximum, 0 elsewhere), then the convolution's gradient ran
 * the ReLU's gradient and the bias's sums over that (StepwiseReluGradColumnSums, tape-fusion.ts): one pass
 * more over an activation-sized tensor, which took 0.3 ms of a 5.5-ms step of the reference CNN at batch 64.
 * Here MaxPool's gradient returns dz = maxPoolGrad(dy) · step(y) and keeps the bias's sums beside it
 * (StepwiseMaxPoolGradRelu, assembly/max-pool-grad.ts), and the convolution's gradient takes both as they
 * are: the bits of the two kernels one after the other.
 *
 * The gradient MaxPool returns is not its own, d loss / d y, where a window's maximum is 0 (a window the ReLU
 * cut off whole) or y is NaN, so it runs only where nothing can read it but the convolution's gradient,
 * which masks it anyway (step(y)² = step(y), NaN stays NaN; a gradient summed over several consumers of y
 * is masked after the sum, and its sums are not taken from here):
 *   - y is the output of stepwise's relu FusedConv2D made on the tape now being differentiated (marked by
 *     `markReluOutput`, with that tape): a tensor made on a tape cannot be one of the xs whose gradients
 *     it returns, which exist before its function runs;
 *   - the backward pass is an outermost one (tfjs starts a new tape for each outermost gradients call and
 *     lets nested calls share it, so in a nested call y could be one of the xs).
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import { requireForwardOutputShape } from "./geometry";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

export const MAX_POOL_GRAD_RELU_KERNEL = "StepwiseMaxPoolGradRelu";

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
}

/**
 * A ReLU output as a relu convolution made it: its data, its shape (a reshape shares the data, so a pool of
 * it in another shape is not this one), and for a mark, the tape it was made on.
 */
interface ReluOutput {
  data: object;
  shape: readonly number[];
}

/** Relu convolutions' outputs, by their data, each with the tape it was made on. */
const reluOutputs = new WeakMap<object, ReluOutput & { tape: object }>();

/**
 * Gradients made here, by their data: the ReLU output they were masked by, and the bias's sums, a tensor
 * of the backward pass (disposed with it unless the convolution's gradient returns it as its bias's).
 */
const maskedGradients = new WeakMap<object, { relu: ReluOutput; sums: tf.Tensor1D }>();

function isReluOutput(t: tf.Tensor, relu: ReluOutput): boolean {
  return t.dataId === relu.data && tf.util.arraysEqual(t.shape, relu.shape as number[]);
}

function engineState(): { gradientDepth: number; activeTape: object | null } {
  return tf.engine().state as unknown as { gradientDepth: number; activeTape: object | null };
}

/** Marks y, the output of a relu FusedConv2D recorded on the active tape. */
export function markReluOutput(y: tf.Tensor): void {
  const tape = engineState().activeTape;
  if (tape) reluOutputs.set(y.dataId, { data: y.dataId, shape: y.shape.slice(), tape });
}

/** The bias's sums for dy if MaxPool's gradient made dy already masked by the ReLU output y, else undefined. */
export function maskedBiasSums(dy: tf.Tensor, y: tf.Tensor): tf.Tensor1D | undefined {
  const masked = maskedGradients.get(dy.dataId);
  return masked && isReluOutput(y, masked.relu) ? masked.sums : undefined;
}

/** The pool's geometry where the fused kernel takes it (2 × 2, stride 2, every window whole), else undefined. */
function wholeWindows(shape: readonly number[], attrs: PoolAttrs): tf.backend_util.Conv2DInfo | undefined {
  if (shape.length !== 4) return undefined;
  const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad);
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth, inHeight, inWidth } = info;
  const whole = info.padInfo.top === 0 && info.padInfo.left === 0 && 2 * outHeight <= inHeight && 2 * outWidth <= inWidth;
  return filterHeight === 2 && filterWidth === 2 && strideHeight === 2 && strideWidth === 2 && whole ? info : undefined;
}

const maxPoolGradRelu: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${MAX_POOL_GRAD_RELU_KERNEL}: this runtime lacks wasm SIMD`);
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  if (dy.dtype !== "float32" || x.dtype !== "float32") {
    throw new Error(`stepwise ${MAX_POOL_GRAD_RELU_KERNEL}: dy and x must be float32, got ${dy.dtype} and ${x.dtype}`);
  }
  const info = wholeWindows(x.shape, attrs as unknown as PoolAttrs);
  if (!info) throw new Error(`stepwise ${MAX_POOL_GRAD_RELU_KERNEL}: x [${x.shape}] must be rank 4 and the pool 2 × 2 at stride 2 with every window inside it`);
  requireForwardOutputShape(MAX_POOL_GRAD_RELU_KERNEL, dy.shape, info);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const dz = wasm.makeOutput(x.shape.slice(), "float32");
  const db = wasm.makeOutput([inChannels], "float32");
  runChecked(wasm, MAX_POOL_GRAD_RELU_KERNEL, [["x", x], ["dy", dy], ["dz", dz], ["db", db]], [dz, db], (input, gradient, out, sums) =>
    kernels.maxPoolGrad2x2Relu(
      input.offset, gradient.offset, out.offset, sums.offset, batchSize, inHeight, inWidth, inChannels, outHeight, outWidth,
      input.bytes, gradient.bytes, out.bytes, sums.bytes,
    ),
  );
  return [dz, db];
};

export const maxPoolGradReluConfig: KernelConfig = { kernelName: MAX_POOL_GRAD_RELU_KERNEL, backendName: "wasm", kernelFunc: maxPoolGradRelu };

/** Whether MaxPool's gradient for dy may come masked by x, a ReLU's output (see the header). */
function fuses(dy: tf.Tensor, x: tf.Tensor, attrs: PoolAttrs): boolean {
  const state = engineState();
  const relu = reluOutputs.get(x.dataId);
  return (
    state.gradientDepth === 0 &&
    state.activeTape !== null &&
    relu !== undefined &&
    relu.tape === state.activeTape &&
    isReluOutput(x, relu) &&
    dy.dtype === "float32" &&
    x.dtype === "float32" &&
    tf.getBackend() === "wasm" &&
    tf.getKernel(MAX_POOL_GRAD_RELU_KERNEL, "wasm") !== undefined &&
    wholeWindows(x.shape, attrs) !== undefined
  );
}

/** MaxPool's gradient: masked by the ReLU before it where `fuses` allows, else `original`'s. */
export function maxPoolGradientConfig(original: GradConfig): GradConfig {
  return {
    kernelName: "MaxPool",
    inputsToSave: ["x"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const gradient = dy as tf.Tensor;
      if (!fuses(gradient, x, attrs as unknown as PoolAttrs)) return original.gradFunc(dy, saved, attrs);
      // run here, in the backward pass's scope rather than x's own: the sums outlive x's gradient until the
      // convolution's gradient takes them, and both are disposed with the backward pass unless returned
      // (they stay tensors, never read here, so a replayed step (src/train/step-replay.ts) carries them too)
      const [dz, db] = tf.engine().runKernel(MAX_POOL_GRAD_RELU_KERNEL, { dy: gradient, x }, attrs as NamedAttrMap) as [tf.Tensor, tf.Tensor1D];
      maskedGradients.set(dz.dataId, { relu: { data: x.dataId, shape: x.shape.slice() }, sums: db });
      return { x: () => dz };
    },
  };
}
