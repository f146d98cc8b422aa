/**
 * The space of kernel configurations a training run can reach, drawn at random: each case is one op with
 * a random geometry and its gradient with respect to every float input (or, for the optimizer families,
 * a few fused update steps), computed from plain arrays so that every backend sees the same inputs.
 *
 * Families are drawn in turn (case k belongs to family k mod their number), so any run of at least one
 * round covers all of them; the geometry within a family is random. A case is reproducible from
 * (seed, index) alone.
 */
import * as tf from "@tensorflow/tfjs";
import { rng, type Rng } from "../../src/data";
import { adam, adamw, amsgrad, momentum, sgd } from "../../src/optim";
import { HOST_BLAS_FROM_MACS } from "../../src/backend/wasm-matmul";

/**
 * One configuration. `compute()` returns the forward value followed by each gradient (or final states),
 * compared between cpu and wasm; `refusal` is a computation that has no right answer on any backend and
 * that wasm must refuse with an error matching `error` (never computing garbage, never writing a wrong
 * size). A case has at least one of the two.
 */
export interface KernelCase {
  readonly index: number;
  readonly family: string;
  /** everything that defines the case, as printed in a failure */
  readonly config: Readonly<Record<string, unknown>>;
  /** the outputs of `compute`, as "forward", "d/dx", … */
  readonly labels: readonly string[];
  compute?(): tf.Tensor[];
  /** the same values computed another way on cpu, where tfjs's cpu kernel itself is wrong */
  reference?(): tf.Tensor[];
  readonly refusal?: { readonly error: RegExp; compute(): tf.Tensor[] };
}

type Rounding = "floor" | "round" | "ceil";

const ROUND: Record<Rounding | "trunc", (v: number) => number> = { floor: Math.floor, round: Math.round, ceil: Math.ceil, trunc: Math.trunc };

/** A rounding mode for a numeric padding, one case in two (tfjs takes one only with numeric paddings). */
function randomRounding(random: Rng, pad: Pad): Rounding | undefined {
  return typeof pad === "number" && random.int(2) === 0 ? pick(random, ["floor", "round", "ceil"] as const) : undefined;
}

/**
 * Whether tfjs-core sizes the output of this numeric padding wrongly: it computes both output sides from
 * the window's height and the stride's height (conv_util's computeOutputShape2D).
 */
function misSized(pad: Pad, width: number, window: Pair, strides: Pair, rounding: Rounding | undefined): boolean {
  if (typeof pad !== "number") return false;
  const round = ROUND[rounding ?? "trunc"];
  return round((width - window[1] + 2 * pad) / strides[1] + 1) !== round((width - window[0] + 2 * pad) / strides[0] + 1);
}

/**
 * Whether tfjs's gradient reaches the backprop kernel with a dy of another size than the forward output:
 * the gradients of conv2d, maxPool and avgPool drop the rounding mode (depthwiseConv2d's keep it).
 */
function gradientDropsRounding(info: (rounding: Rounding | undefined) => tf.backend_util.Conv2DInfo, rounding: Rounding | undefined): boolean {
  return rounding !== undefined && !tf.util.arraysEqual(info(rounding).outShape, info(undefined).outShape);
}

/** Whether some pool window lies entirely in the padding (no input element: no max, no mean). */
function hasEmptyWindow(info: tf.backend_util.Conv2DInfo): boolean {
  const misses = (outputs: number, stride: number, before: number, window: number, size: number) =>
    Array.from({ length: outputs }, (_, o) => o * stride - before).some((start) => start + window <= 0 || start >= size);
  return (
    misses(info.outHeight, info.strideHeight, info.padInfo.top, info.effectiveFilterHeight, info.inHeight) ||
    misses(info.outWidth, info.strideWidth, info.padInfo.left, info.effectiveFilterWidth, info.inWidth)
  );
}

const MIS_SIZED = /tfjs-core 4\.22 sizes both output sides from the window's height/;
const ROUNDING_DROPPED = /gradients of conv2d, maxPool and avgPool drop dimRoundingMode/;
const EMPTY_WINDOW = /lies entirely in the padding/;

export type Pad = "valid" | "same" | number | [[number, number], [number, number], [number, number], [number, number]];
type Pair = [number, number];
type Shape4 = [number, number, number, number];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function normals(random: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => random.normal());
}

/** 1 + a uniform integer below `n`. */
function upTo(random: Rng, n: number): number {
  return 1 + random.int(n);
}

function pick<T>(random: Rng, options: readonly T[]): T {
  return options[random.int(options.length)];
}

/**
 * The forward value of `forward` on `inputs` and the gradient of Σ forward(inputs) ⊙ r with respect to
 * each input, r a fixed random upstream gradient (so that every output element's gradient counts).
 */
function valueAndGrads(seed: number, inputs: Array<{ values: Float32Array; shape: number[] }>, forward: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor[] {
  const xs = inputs.map((input) => tf.tensor(input.values, input.shape));
  const y = forward(...xs);
  const upstream = tf.tensor(normals(rng(seed, 99), y.size), y.shape);
  const grads = tf.grads((...as: tf.Tensor[]) => tf.sum(tf.mul(forward(...as), upstream)))(xs);
  return [y, ...grads];
}

/** A random padding of every kind tfjs accepts; numeric and explicit paddings of at most 2. */
function randomPad(random: Rng): Pad {
  return padOfKind(random, random.int(4));
}

/** A padding of kind k mod 4 ("valid", "same", numeric, explicit), its amounts random up to 2. */
export function padOfKind(random: Rng, kind: number): Pad {
  switch (kind % 4) {
    case 0:
      return "valid";
    case 1:
      return "same";
    case 2:
      return random.int(3);
    default:
      return [[0, 0], [random.int(3), random.int(3)], [random.int(3), random.int(3)], [0, 0]];
  }
}

/** Strides 1–3 and, where tfjs allows them (unit strides), dilations 1–3 one case in three. */
function stridesAndDilations(random: Rng): { strides: Pair; dilations: Pair } {
  const strides: Pair = [upTo(random, 3), upTo(random, 3)];
  const dilated = strides[0] === 1 && strides[1] === 1 && random.int(3) === 0;
  const dilations: Pair = dilated ? [upTo(random, 3), upTo(random, 3)] : [1, 1];
  return { strides, dilations };
}

/** An input height or width for a window of `extent` (after dilation) that gives at least one output. */
function sideFor(random: Rng, extent: number, pad: Pad): number {
  const padding = pad === "same" ? extent : typeof pad === "number" ? 2 * pad : 0;
  return Math.max(1, extent - padding) + random.int(9);
}

function explicitPadSides(pad: Pad): Pair {
  return Array.isArray(pad) ? [pad[1][0] + pad[1][1], pad[2][0] + pad[2][1]] : [0, 0];
}

/**
 * Input side lengths for a window [kh, kw] under `pad`, at least one output position each way. A numeric
 * padding sizes both output sides from the window height in tfjs-core (see explicit-padding.ts), so both
 * sides must fit the larger window.
 */
function imageSides(random: Rng, kh: number, kw: number, pad: Pad): Pair {
  const [ph, pw] = explicitPadSides(pad);
  const [eh, ew] = typeof pad === "number" ? [Math.max(kh, kw), Math.max(kh, kw)] : [kh, kw];
  return [Math.max(sideFor(random, eh, pad), eh - ph, 1), Math.max(sideFor(random, ew, pad), ew - pw, 1)];
}

/** The configuration of a forward operation and its gradients, with the refusals its geometry calls for. */
function convolutionCase(
  base: Omit<KernelCase, "compute" | "refusal" | "labels">,
  labels: readonly string[],
  forward: () => tf.Tensor[],
  withGradients: (() => tf.Tensor[]) | undefined,
  refusal: { misSized: boolean; roundingDropped: boolean; emptyWindow?: boolean },
): KernelCase {
  if (refusal.misSized) return { ...base, labels: [], refusal: { error: MIS_SIZED, compute: forward } };
  if (refusal.emptyWindow) return { ...base, labels: [], refusal: { error: EMPTY_WINDOW, compute: forward } };
  if (withGradients && refusal.roundingDropped) {
    return { ...base, labels: labels.slice(0, 1), compute: forward, refusal: { error: ROUNDING_DROPPED, compute: withGradients } };
  }
  return withGradients ? { ...base, labels, compute: withGradients } : { ...base, labels: labels.slice(0, 1), compute: forward };
}

function conv2dCase(random: Rng, index: number, seed: number): KernelCase {
  const kh = upTo(random, 5);
  const kw = upTo(random, 5);
  const { strides, dilations } = stridesAndDilations(random);
  const pad = randomPad(random);
  const [h, w] = imageSides(random, (kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1, pad);
  const x: Shape4 = [upTo(random, 4), h, w, upTo(random, 9)];
  // up to 20 output channels: the 8- and 16-wide register tiles of stepwise's kernels and their tails
  const f: Shape4 = [kh, kw, x[3], upTo(random, 20)];
  const fused = random.int(3) === 0 ? pick(random, ["linear", "relu"] as const) : undefined;
  const dimRoundingMode = randomRounding(random, pad);
  const differentiable = dilations[0] === 1 && dilations[1] === 1; // tfjs has no gradient for dilated convolutions
  const values = [normals(random, size(x)), normals(random, size(f)), normals(random, f[3])];
  const op = (xt: tf.Tensor, ft: tf.Tensor, bias?: tf.Tensor) =>
    fused
      ? tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides, pad, dilations, dimRoundingMode, bias, activation: fused })
      : tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, strides, pad, "NHWC", dilations, dimRoundingMode);
  const inputs = [{ values: values[0], shape: x }, { values: values[1], shape: f }, ...(fused ? [{ values: values[2], shape: [f[3]] }] : [])];
  const window: Pair = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1];
  const info = (rounding: Rounding | undefined) => tf.backend_util.computeConv2DInfo(x, f, strides, dilations, pad, rounding);
  return convolutionCase(
    {
      index,
      family: fused ? "fused conv2d" : "conv2d",
      config: { x, filter: f, strides, dilations, pad, ...(dimRoundingMode ? { dimRoundingMode } : {}), ...(fused ? { activation: fused, bias: true } : {}) },
    },
    ["forward", "d/dx", "d/dfilter", ...(fused ? ["d/dbias"] : [])],
    () => [op(tf.tensor(values[0], x), tf.tensor(values[1], f), fused ? tf.tensor(values[2], [f[3]]) : undefined)],
    differentiable ? () => valueAndGrads(seed, inputs, op) : undefined,
    { misSized: misSized(pad, w, window, strides, dimRoundingMode), roundingDropped: gradientDropsRounding(info, dimRoundingMode) },
  );
}

/**
 * A dilated depthwise filter as the undilated filter of its full extent, zeros between the taps: the
 * reference for tfjs's cpu depthwise backprop kernels, which ignore dilations.
 */
function spreadFilter(values: Float32Array, f: Shape4, dilations: Pair): { values: Float32Array; shape: Shape4 } {
  const [kh, kw, c, m] = f;
  const shape: Shape4 = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1, c, m];
  const spread = new Float32Array(size(shape));
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * c * m;
      const to = (i * dilations[0] * shape[1] + j * dilations[1]) * c * m;
      spread.set(values.subarray(from, from + c * m), to);
    }
  }
  return { values: spread, shape };
}

function depthwiseCase(random: Rng, index: number, seed: number): KernelCase {
  const kh = upTo(random, 5);
  const kw = upTo(random, 5);
  const { strides, dilations } = stridesAndDilations(random);
  const fused = random.int(3) === 0 ? pick(random, ["linear", "relu"] as const) : undefined;
  let pad = randomPad(random);
  if (fused && Array.isArray(pad)) pad = "same"; // tf.fused.depthwiseConv2d takes no explicit padding
  const fusedPad = pad as "valid" | "same" | number;
  const [h, w] = imageSides(random, (kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1, pad);
  const x: Shape4 = [upTo(random, 4), h, w, upTo(random, 9)];
  const f: Shape4 = [kh, kw, x[3], upTo(random, 3)];
  const dimRoundingMode = randomRounding(random, pad);
  const dilated = dilations[0] !== 1 || dilations[1] !== 1;
  const values = [normals(random, size(x)), normals(random, size(f)), normals(random, f[2] * f[3])];
  const op = (xt: tf.Tensor, ft: tf.Tensor, bias?: tf.Tensor) =>
    fused
      ? tf.fused.depthwiseConv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides, pad: fusedPad, dilations, dimRoundingMode, bias, activation: fused })
      : tf.depthwiseConv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, strides, pad, "NHWC", dilations, dimRoundingMode);
  const inputs = [{ values: values[0], shape: x }, { values: values[1], shape: f }, ...(fused ? [{ values: values[2], shape: [f[2] * f[3]] }] : [])];
  const config = { x, filter: f, strides, dilations, pad, ...(dimRoundingMode ? { dimRoundingMode } : {}), ...(fused ? { activation: fused, bias: true } : {}) };
  const window: Pair = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1];
  const info = (rounding: Rounding | undefined) => tf.backend_util.computeConv2DInfo(x, f, strides, dilations, pad, rounding, true);
  const forward = () => [op(tf.tensor(values[0], x), tf.tensor(values[1], f), fused ? tf.tensor(values[2], [f[2] * f[3]]) : undefined)];
  // tfjs's depthwise gradients keep the rounding mode
  const refusal = { misSized: misSized(pad, w, window, strides, dimRoundingMode), roundingDropped: false };
  if (!dilated) {
    return convolutionCase(
      { index, family: fused ? "fused depthwise conv2d" : "depthwise conv2d", config },
      ["forward", "d/dx", "d/dfilter", ...(fused ? ["d/dbias"] : [])],
      forward,
      () => valueAndGrads(seed, inputs, op),
      refusal,
    );
  }
  // tfjs's gradient refuses dilations, but its backprop kernels (stepwise's on wasm) take them: call them
  // directly, against cpu's undilated kernels on the spread filter (cpu's own ignore dilations)
  const dy = normals(random, size(info(dimRoundingMode).outShape));
  const outShape = info(dimRoundingMode).outShape;
  const attrs = { strides, pad, ...(dimRoundingMode ? { dimRoundingMode } : {}) };
  const spread = spreadFilter(values[1], f, dilations);
  const backprop = (filter: { values: Float32Array; shape: Shape4 }, dilationAttrs: object) => {
    const xt = tf.tensor(values[0], x);
    const dyt = tf.tensor(dy, outShape);
    return [
      tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x: xt, dy: dyt }, { ...attrs, ...dilationAttrs, filterShape: filter.shape }) as tf.Tensor,
      tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", { dy: dyt, filter: tf.tensor(filter.values, filter.shape) }, { ...attrs, ...dilationAttrs, inputShape: x }) as tf.Tensor,
    ];
  };
  // the filter gradient at the taps of the spread filter
  const tapsOf = (gradient: tf.Tensor) => tf.stridedSlice(gradient, [0, 0, 0, 0], gradient.shape, [dilations[0], dilations[1], 1, 1]);
  const base = { index, family: "dilated depthwise conv2d", config: { ...config, dy: outShape } };
  if (refusal.misSized) return { ...base, labels: [], refusal: { error: MIS_SIZED, compute: forward } };
  return {
    ...base,
    labels: ["forward", "backprop filter", "backprop input"],
    compute: () => [...forward(), ...backprop({ values: values[1], shape: f }, { dilations })],
    reference: () => {
      const [filterGradient, inputGradient] = backprop(spread, { dilations: [1, 1] });
      return [...forward(), tapsOf(filterGradient), inputGradient];
    },
  };
}

function poolCase(kind: "max" | "avg") {
  return (random: Rng, index: number, seed: number): KernelCase => {
    // one case in three is the 2×2, stride-2 pool of every CNN (a fast path on wasm), with odd sizes as often as even
    const common = random.int(3) === 0;
    const filter: Pair = common ? [2, 2] : [upTo(random, 4), upTo(random, 4)];
    const strides: Pair = common ? [2, 2] : [upTo(random, 3), upTo(random, 3)];
    const pad = common ? pick(random, ["valid", "same"] as const) : pick(random, ["valid", "same", random.int(2)] as const);
    // tfjs requires a numeric pad smaller than the filter
    const numericPad = typeof pad === "number" ? Math.min(pad, filter[0] - 1, filter[1] - 1) : pad;
    const dimRoundingMode = randomRounding(random, numericPad);
    const [h, w] = imageSides(random, filter[0], filter[1], numericPad);
    const x: Shape4 = [upTo(random, 4), h, w, upTo(random, 9)];
    const values = normals(random, size(x));
    const op = (xt: tf.Tensor) =>
      kind === "max"
        ? tf.maxPool(xt as tf.Tensor4D, filter, strides, numericPad, dimRoundingMode)
        : tf.avgPool(xt as tf.Tensor4D, filter, strides, numericPad, dimRoundingMode);
    const info = (rounding: Rounding | undefined) => tf.backend_util.computePool2DInfo(x, filter, strides, 1, numericPad, rounding);
    const wrongSize = misSized(numericPad, w, filter, strides, dimRoundingMode);
    return convolutionCase(
      { index, family: `${kind} pool${common ? " 2×2/2" : ""}`, config: { x, filter, strides, pad: numericPad, ...(dimRoundingMode ? { dimRoundingMode } : {}) } },
      ["forward", "d/dx"],
      () => [op(tf.tensor(values, x))],
      () => valueAndGrads(seed, [{ values, shape: x }], op),
      {
        misSized: wrongSize,
        emptyWindow: !wrongSize && hasEmptyWindow(info(dimRoundingMode)),
        roundingDropped: gradientDropsRounding(info, dimRoundingMode),
      },
    );
  };
}

function matMulCase(random: Rng, index: number, seed: number): KernelCase {
  const [m, k, n] = [upTo(random, 40), upTo(random, 40), upTo(random, 40)];
  // one case in four multiplies a small left operand by a large right one (stepwise's in-place product on wasm)
  const wide = random.int(4) === 0;
  const [rows, inner, cols] = wide ? [upTo(random, 6), 8 + random.int(64), 16 + random.int(64)] : [m, k, n];
  const batch = !wide && random.int(3) === 0 ? [upTo(random, 3)] : [];
  const transposeA = !wide && random.int(2) === 1;
  const transposeB = !wide && random.int(2) === 1;
  return productCase(random, index, seed, { rows, inner, cols, batch, transposeA, transposeB, family: wide ? "matMul, new large right operand" : "matMul" });
}

/**
 * Case `index` of seed `seed` among the products the host BLAS takes (src/backend/blas.ts): at least
 * HOST_BLAS_FROM_MACS multiply-adds, each dimension up to 300, either operand transposed, one in three
 * fused with a bias and a linear or relu activation.
 */
export function hostBlasProductCase(seed: number, index: number): KernelCase {
  const random = rng(seed, 5000 + index);
  let [rows, inner, cols] = [0, 0, 0];
  do [rows, inner, cols] = [upTo(random, 300), upTo(random, 300), upTo(random, 300)];
  while (rows * inner * cols < HOST_BLAS_FROM_MACS);
  const [transposeA, transposeB] = [random.int(2) === 1, random.int(2) === 1];
  return productCase(random, index, seed * 1_000_003 + index, { rows, inner, cols, batch: [], transposeA, transposeB, family: "matMul, host BLAS sizes" });
}

interface ProductGeometry {
  rows: number;
  inner: number;
  cols: number;
  batch: number[];
  transposeA: boolean;
  transposeB: boolean;
  family: string;
}

/** A product of that geometry (fused one time in three where unbatched), its value and gradients. */
function productCase(random: Rng, index: number, seed: number, geometry: ProductGeometry): KernelCase {
  const { rows, inner, cols, batch, transposeA, transposeB } = geometry;
  const a = [...batch, ...(transposeA ? [inner, rows] : [rows, inner])];
  const b = [...batch, ...(transposeB ? [cols, inner] : [inner, cols])];
  const fused = batch.length === 0 && random.int(3) === 0 ? pick(random, ["linear", "relu"] as const) : undefined;
  const values = [normals(random, size(a)), normals(random, size(b)), normals(random, cols)];
  const forward = (at: tf.Tensor, bt: tf.Tensor, bias?: tf.Tensor) =>
    fused ? tf.fused.matMul({ a: at, b: bt, transposeA, transposeB, bias, activation: fused }) : tf.matMul(at, bt, transposeA, transposeB);
  const inputs = [{ values: values[0], shape: a }, { values: values[1], shape: b }, ...(fused ? [{ values: values[2], shape: [cols] }] : [])];
  return {
    index,
    family: fused ? `fused ${geometry.family}` : geometry.family,
    config: { a, b, transposeA, transposeB, ...(fused ? { activation: fused, bias: true } : {}) },
    labels: ["forward", "d/da", "d/db", ...(fused ? ["d/dbias"] : [])],
    compute: () => valueAndGrads(seed, inputs, forward),
  };
}

function gatherCase(random: Rng, index: number, seed: number): KernelCase {
  const rank = upTo(random, 3);
  const shape = Array.from({ length: rank }, () => upTo(random, 9));
  const axis = random.int(rank);
  const indexShape = random.int(3) === 0 ? [upTo(random, 3), upTo(random, 4)] : [upTo(random, 12)];
  const indices = Int32Array.from({ length: size(indexShape) }, () => random.int(shape[axis])); // repeats are likely
  const values = normals(random, size(shape));
  return {
    index,
    family: "gather",
    config: { x: shape, axis, indices: Array.from(indices), indexShape },
    labels: ["forward", "d/dx"],
    compute: () => valueAndGrads(seed, [{ values, shape }], (x) => tf.gather(x, tf.tensor(indices, indexShape, "int32"), axis)),
  };
}

function segmentSumCase(random: Rng, index: number, seed: number): KernelCase {
  const shape = [upTo(random, 16), ...Array.from({ length: random.int(3) }, () => upTo(random, 6))];
  const segments = upTo(random, 8);
  const ids = Int32Array.from({ length: shape[0] }, () => random.int(segments));
  const values = normals(random, size(shape));
  return {
    index,
    family: "unsortedSegmentSum",
    config: { x: shape, segmentIds: Array.from(ids), numSegments: segments },
    labels: ["forward", "d/dx"],
    compute: () => valueAndGrads(seed, [{ values, shape }], (x) => tf.unsortedSegmentSum(x, tf.tensor1d(ids, "int32"), segments)),
  };
}

function sumCase(random: Rng, index: number, seed: number): KernelCase {
  const rank = upTo(random, 4);
  const shape = Array.from({ length: rank }, () => upTo(random, 12));
  // leading axes (the bias gradients, a SIMD path on wasm) half the time, any subset otherwise
  const leading = random.int(2) === 0;
  const axes = leading
    ? Array.from({ length: upTo(random, rank) }, (_, i) => i)
    : Array.from({ length: rank }, (_, i) => i).filter(() => random.int(2) === 1);
  const keepDims = random.int(2) === 1;
  const values = normals(random, size(shape));
  return {
    index,
    family: leading ? "sum over leading axes" : "sum",
    config: { x: shape, axes, keepDims },
    labels: ["forward", "d/dx"],
    compute: () => valueAndGrads(seed, [{ values, shape }], (x) => tf.sum(x, axes.length > 0 ? axes : undefined, keepDims)),
  };
}

function biasAddCase(random: Rng, index: number, seed: number): KernelCase {
  const rank = upTo(random, 4);
  const shape = Array.from({ length: rank }, () => upTo(random, 10));
  const channels = shape[rank - 1];
  const biasShape = random.int(2) === 0 ? [channels] : [...Array(upTo(random, rank) - 1).fill(1), channels];
  const biasFirst = random.int(2) === 1;
  const values = [normals(random, size(shape)), normals(random, channels)];
  return {
    index,
    family: "bias add",
    config: { x: shape, bias: biasShape, biasFirst },
    labels: ["forward", "d/dx", "d/dbias"],
    compute: () =>
      valueAndGrads(seed, [{ values: values[0], shape }, { values: values[1], shape: biasShape }], (x, b) => (biasFirst ? tf.add(b, x) : tf.add(x, b))),
  };
}

const OPTIMIZERS = {
  adam: (lr: number, extra: object) => adam({ lr, ...extra }),
  adamw: (lr: number, extra: object) => adamw({ lr, weightDecay: 0.05, ...extra }),
  amsgrad: (lr: number, extra: object) => amsgrad({ lr, beta1: 0.8, beta2: 0.99, ...extra }),
  sgd: (lr: number, extra: object) => sgd({ lr, ...extra }),
  momentum: (lr: number, extra: object) => momentum({ lr, momentum: 0.9, ...extra }),
} as const;

let variableCounter = 0;

/**
 * A few updates of an optimizer on random parameter shapes (SIMD lanes and tails), some with clipping,
 * weight decay and accumulation over unequal micro-batches: the fused Adam step and accumulation kernels
 * on wasm against the composed rule on cpu. Returns the final parameters.
 */
function optimizerCase(random: Rng, index: number): KernelCase {
  const name = pick(random, Object.keys(OPTIMIZERS) as Array<keyof typeof OPTIMIZERS>);
  const shapes = Array.from({ length: upTo(random, 3) }, () => (random.int(2) === 0 ? [upTo(random, 70)] : [upTo(random, 9), upTo(random, 13)]));
  const accumulateSteps = random.int(2) === 0 ? 1 : 1 + upTo(random, 3);
  const clip = random.int(3) === 0 ? { globalNorm: 0.5 + random.next() * 4 } : undefined;
  const l2 = name !== "adamw" && random.int(3) === 0 ? { weightDecay: 0.01 } : {};
  const extra = { ...l2, ...(clip ? { clip } : {}), ...(accumulateSteps > 1 ? { accumulate: { steps: accumulateSteps } } : {}) };
  const updates = upTo(random, 3);
  const microBatches = updates * accumulateSteps;
  const initial = shapes.map((shape) => normals(random, size(shape)));
  const grads = Array.from({ length: microBatches }, () => shapes.map((shape) => normals(random, size(shape))));
  const itemCounts = Array.from({ length: microBatches }, () => upTo(random, 16));
  return {
    index,
    family: `optimizer ${name}`,
    config: { optimizer: name, shapes, lr: 0.01, ...extra, microBatches, itemCounts },
    labels: shapes.map((shape) => `parameter ${JSON.stringify(shape)}`),
    compute: () => {
      const variables = initial.map((v, i) => tf.variable(tf.tensor(v, shapes[i]), true, `kernel-space-${variableCounter++}`));
      const optimizer = OPTIMIZERS[name](0.01, extra);
      try {
        grads.forEach((step, t) =>
          tf.tidy(() =>
            optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor(step[i], shapes[i])])), { itemCount: itemCounts[t] }),
          ),
        );
        return variables.map((v) => v.clone());
      } finally {
        optimizer.dispose();
        tf.dispose(variables);
      }
    },
  };
}

type Family = (random: Rng, index: number, seed: number) => KernelCase;

/** Every family, in the order cases cycle through them. */
export const FAMILIES: ReadonlyArray<{ name: string; draw: Family }> = [
  { name: "conv2d", draw: conv2dCase },
  { name: "depthwise conv2d", draw: depthwiseCase },
  { name: "max pool", draw: poolCase("max") },
  { name: "avg pool", draw: poolCase("avg") },
  { name: "matMul", draw: matMulCase },
  { name: "gather", draw: gatherCase },
  { name: "unsortedSegmentSum", draw: segmentSumCase },
  { name: "sum", draw: sumCase },
  { name: "bias add", draw: biasAddCase },
  { name: "optimizer step", draw: (random, index) => optimizerCase(random, index) },
];

/** Case `index` of the run seeded `seed`: the same configuration on every machine. */
export function drawCase(seed: number, index: number): KernelCase {
  const random = rng(seed, 1000 + index);
  const family = FAMILIES[index % FAMILIES.length];
  return family.draw(random, index, seed * 1_000_003 + index);
}
