/**
 * A layer's bias and ReLU inside its product during training, on wasm.
 *
 * tfjs-layers computes a Dense or Conv2D layer through `tf.fused.matMul` and `tf.fused.conv2d`. Outside a
 * gradient tape these run one fused kernel. Under a tape, tfjs-core 4.22 runs a relu layer as three ops
 * (the product, an Add of the bias, a Relu: its `shouldFuse` refuses every activation but linear there),
 * so training passes twice more over each activation: on the reference CNN, the Add and Relu of the first
 * layer's 64×26×26×16 outputs took 0.6 ms of an 11.5-ms step.
 *
 * Where the active backend is wasm with stepwise's kernels, the two ops run their fused kernel under a tape
 * too (linear and relu; anything else goes to tfjs-core's op, unchanged), and FusedConv2D and _FusedMatMul
 * get a registered gradient: the registered gradients of Relu, Add and Conv2D or BatchMatMul, chained in the
 * order the unfused ops take them. The kernels' epilogue adds the bias and clamps as Add and Relu do (see
 * conv2d.ts, wasm-matmul.ts), so the value and every gradient have the unfused path's bits. The tape asks
 * for each input's gradient only where it needs it: a first layer's input gradient is not computed (tfjs-core's
 * own fused path under a tape, a custom gradient, computes all of them).
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";
import { markReluOutput, maskedBiasSums } from "./pool-relu-grad";
import { RELU_GRAD_COLUMN_SUMS_KERNEL } from "./relu-grad";
import { simdKernelsAvailable } from "./simd";

type FusedConv2DArgs = Parameters<typeof tf.fused.conv2d>[0];
type FusedMatMulArgs = Parameters<typeof tf.fused.matMul>[0];
type GradientMap = Record<string, () => tf.Tensor>;

const FUSED_ACTIVATIONS = new Set(["linear", "relu"]);

let installed = false;

/** Installs the fused ops and their gradients (idempotent). */
export function installTapeFusion(): void {
  if (installed || !simdKernelsAvailable()) return;
  tf.registerGradient(fusedConv2DGradient);
  tf.registerGradient(fusedMatMulGradient);
  const fused = tf.fused as { conv2d: typeof tf.fused.conv2d; matMul: typeof tf.fused.matMul };
  const conv2d = fused.conv2d;
  const matMul = fused.matMul;
  fused.conv2d = ((args: FusedConv2DArgs) => (fusesConv2D(args) ? runFusedConv2D(args) : conv2d(args))) as typeof tf.fused.conv2d;
  fused.matMul = ((args: FusedMatMulArgs) => (fusesMatMul(args) ? runFusedMatMul(args) : matMul(args))) as typeof tf.fused.matMul;
  installed = true;
}

/** Under a gradient tape, on wasm: where tfjs-core would split the op and stepwise's fused kernel can take it. */
function underTapeOnWasm(): boolean {
  return tf.engine().state.gradientDepth > 0 && tf.getBackend() === "wasm";
}

function isFloatTensor(t: unknown, rank: number): t is tf.Tensor {
  return t instanceof tf.Tensor && t.dtype === "float32" && t.rank === rank;
}

/** A bias of one value per output column, or none. */
function isColumnBias(bias: unknown, columns: number): boolean {
  return bias === undefined || bias === null || (isFloatTensor(bias, 1) && bias.shape[0] === columns);
}

function isOne(value: number | [number, number] | undefined | null): boolean {
  return value === undefined || value === null || value === 1 || (Array.isArray(value) && value[0] === 1 && value[1] === 1);
}

function fusesConv2D(args: FusedConv2DArgs): boolean {
  const { x, filter } = args;
  return (
    underTapeOnWasm() &&
    FUSED_ACTIVATIONS.has(args.activation ?? "linear") &&
    args.preluActivationWeights == null &&
    (args.dataFormat === undefined || args.dataFormat === "NHWC") &&
    args.dimRoundingMode === undefined &&
    isOne(args.dilations) && // tfjs has no gradient for dilated convolutions: its op says so
    isFloatTensor(x, 4) &&
    isFloatTensor(filter, 4) &&
    filter.shape[2] === x.shape[3] &&
    isColumnBias(args.bias, filter.shape[3])
  );
}

function fusesMatMul(args: FusedMatMulArgs): boolean {
  const { a, b } = args;
  if (!(underTapeOnWasm() && FUSED_ACTIVATIONS.has(args.activation ?? "linear") && args.preluActivationWeights == null)) return false;
  if (!isFloatTensor(a, 2) || !isFloatTensor(b, 2)) return false;
  const [aRows, aColumns] = a.shape as [number, number];
  const [bRows, bColumns] = b.shape as [number, number];
  const inner = args.transposeA ? aRows : aColumns;
  const columns = args.transposeB ? bRows : bColumns;
  return inner === (args.transposeB ? bColumns : bRows) && isColumnBias(args.bias, columns);
}

function runFusedConv2D(args: FusedConv2DArgs): tf.Tensor4D {
  const { x, filter, bias } = args as { x: tf.Tensor4D; filter: tf.Tensor4D; bias?: tf.Tensor1D | null };
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  const attrs = { strides: args.strides, pad: args.pad, dataFormat: "NHWC", dilations: args.dilations ?? [1, 1], activation: args.activation ?? "linear" };
  const y = tf.engine().runKernel("FusedConv2D", inputs, attrs as unknown as NamedAttrMap) as tf.Tensor4D;
  if (attrs.activation === "relu") markReluOutput(y); // a max pool's gradient may then come masked by it (pool-relu-grad.ts)
  return y;
}

/**
 * The matrices as they are: stepwise's _FusedMatMul on wasm takes rank 2 (tfjs-core's op reshapes them to
 * batches of one, two Reshape nodes more on the tape, and a third for the product), as BatchMatMul does.
 */
function runFusedMatMul(args: FusedMatMulArgs): tf.Tensor2D {
  const { a, b, bias } = args as { a: tf.Tensor2D; b: tf.Tensor2D; bias?: tf.Tensor1D | null };
  const inputs: tf.NamedTensorMap = bias ? { a, b, bias } : { a, b };
  const attrs = { transposeA: args.transposeA ?? false, transposeB: args.transposeB ?? false, activation: args.activation ?? "linear" };
  return tf.engine().runKernel("_FusedMatMul", inputs, attrs as unknown as NamedAttrMap) as tf.Tensor2D;
}

function registeredGradient(kernelName: string): GradConfig {
  const config = tf.getGradient(kernelName);
  if (!config) throw new Error(`stepwise: tfjs has no gradient registered for ${kernelName}`);
  return config;
}

/**
 * The gradients with respect to the activation's input, dz, and to a bias of one value per last-axis
 * column. dz is Relu's registered gradient given the output y for its input (y > 0 exactly where the input
 * is, and y is NaN exactly where it is), or dy itself for linear; the bias's is Add's, dz summed over every
 * other axis. Where the backend has it, one kernel computes both for relu (its column sums are wasted on a
 * layer without a bias, which the gradient cannot tell from its saved tensors).
 */
function activationGradients(kernelName: string, dy: tf.Tensor, y: tf.Tensor, activation: unknown): { dz: tf.Tensor; bias: () => tf.Tensor } {
  const columnSums = (dz: tf.Tensor) => () => tf.reshape(tf.sum(dz, [...Array(dz.rank - 1).keys()]), [dz.shape[dz.rank - 1]]);
  if (activation === "linear") return { dz: dy, bias: columnSums(dy) };
  if (activation !== "relu") throw new Error(`stepwise: no gradient for ${kernelName} with the activation ${String(activation)} (linear and relu have one)`);
  const sums = maskedBiasSums(dy, y); // dy came through a max pool's gradient, masked by y already
  if (sums) return { dz: dy, bias: () => sums };
  if (dy.dtype === "float32" && y.dtype === "float32" && tf.getKernel(RELU_GRAD_COLUMN_SUMS_KERNEL, tf.getBackend())) {
    const [dz, sums] = tf.engine().runKernel(RELU_GRAD_COLUMN_SUMS_KERNEL, { dy, x: y }) as tf.Tensor[];
    return { dz, bias: () => sums };
  }
  const dz = registeredGradient("Relu").gradFunc(dy, [y], {}).x() as tf.Tensor;
  return { dz, bias: columnSums(dz) };
}

/**
 * The gradient of the fused product `kernelName`: the activation's and the bias's (activationGradients),
 * then the registered gradient of the plain `product` kernel over the two inputs `names`, given dz.
 */
function fusedProductGradient(kernelName: string, product: string, names: [string, string]): GradConfig {
  return {
    kernelName,
    inputsToSave: names,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [first, second, y] = saved;
      // once, in the backward pass's scope: every input's gradient starts from dz
      const { dz, bias } = activationGradients(kernelName, dy as tf.Tensor, y, attrs.activation);
      const gradients = registeredGradient(product).gradFunc(dz, [first, second], attrs);
      const map: GradientMap = { [names[0]]: gradients[names[0]] as () => tf.Tensor, [names[1]]: gradients[names[1]] as () => tf.Tensor, bias };
      return map;
    },
  };
}

export const fusedConv2DGradient = fusedProductGradient("FusedConv2D", "Conv2D", ["x", "filter"]);
export const fusedMatMulGradient = fusedProductGradient("_FusedMatMul", "BatchMatMul", ["a", "b"]);
