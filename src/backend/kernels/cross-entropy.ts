/**
 * sw.fit's cross-entropies and its count of correct predictions on wasm (assembly/losses.ts): the steps of
 * the loss that tfjs composes from about twenty small kernels (one-hot casts, broadcasts, reshapes, sums and
 * their gradients) for a [rows, classes] matrix are one pass each here, with the same f32 arithmetic in the
 * same order, so the values are bit for bit the composed ones. A training step of the bench's MLP at batch 16
 * dispatched 78 kernels, 51 with these (48 with the softmax gradient of softmax-grad.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import {
  COUNT_CORRECT_KERNEL,
  LOGITS_GRAD_KERNEL,
  LOG_SOFTMAX_PICK_KERNEL,
  NEG_MEAN_KERNEL,
  PROBABILITIES_GRAD_KERNEL,
  PROBABILITIES_SOFTMAX_GRAD_KERNEL,
  PROBABILITY_PICK_COUNT_KERNEL,
  PROBABILITY_PICK_KERNEL,
  ROW_MAX_SHIFT_KERNEL,
  SPARSE_CROSS_ENTROPY_GRAD_KERNEL,
  SPARSE_PROBABILITY_PICK_KERNEL,
  type ClipAttrs,
} from "../../train/loss-kernels";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels, type SimdKernels } from "./simd";

type Args = Parameters<KernelFunc>[0];

function kernelsFor(kernel: string, args: Args): { wasm: WasmBackendLike; kernels: SimdKernels } {
  const wasm = args.backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${kernel}: this runtime lacks wasm SIMD`);
  return { wasm, kernels };
}

/** The input `name`, checked to be of `dtype` and `shape`. */
function expect(kernel: string, args: Args, name: string, dtype: "float32" | "int32", shape: number[]): TensorInfo {
  const t = (args.inputs as Record<string, TensorInfo | undefined>)[name];
  if (!t || t.dtype !== dtype || !tf.util.arraysEqual(t.shape, shape)) {
    throw new Error(`stepwise ${kernel}: ${name} must be ${dtype} [${shape}], got ${t ? `${t.dtype} [${t.shape}]` : "nothing"}`);
  }
  return t;
}

/** The shape [rows, cols] of the float32 matrix input `name` (cols ≥ 1). */
function matrixShape(kernel: string, args: Args, name: string): [number, number] {
  const t = (args.inputs as Record<string, TensorInfo | undefined>)[name];
  if (!t || t.dtype !== "float32" || t.shape.length !== 2 || t.shape[1] < 1) {
    throw new Error(`stepwise ${kernel}: ${name} must be a float32 matrix [rows, cols] with cols ≥ 1, got ${t ? `${t.dtype} [${t.shape}]` : "nothing"}`);
  }
  return [t.shape[0], t.shape[1]];
}

/** The upstream gradient: a float32 scalar. */
function upstream(kernel: string, args: Args): TensorInfo {
  const dy = (args.inputs as Record<string, TensorInfo | undefined>).dy;
  if (!dy || dy.dtype !== "float32" || dy.shape.length !== 0) throw new Error(`stepwise ${kernel}: dy must be a float32 scalar, got ${dy ? `${dy.dtype} [${dy.shape}]` : "nothing"}`);
  return dy;
}

const rowMaxShift: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(ROW_MAX_SHIFT_KERNEL, args);
  const [rows, cols] = matrixShape(ROW_MAX_SHIFT_KERNEL, args, "z");
  const z = expect(ROW_MAX_SHIFT_KERNEL, args, "z", "float32", [rows, cols]);
  const m = wasm.makeOutput([rows], "float32");
  const shifted = wasm.makeOutput([rows, cols], "float32");
  runChecked(wasm, ROW_MAX_SHIFT_KERNEL, [["z", z], ["m", m], ["shifted", shifted]], [m, shifted], (zb, mb, sb) =>
    kernels.rowMaxShift(zb.offset, mb.offset, sb.offset, rows, cols, zb.bytes, mb.bytes, sb.bytes),
  );
  return [m, shifted];
};

const logSoftmaxPick: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(LOG_SOFTMAX_PICK_KERNEL, args);
  const [rows, cols] = matrixShape(LOG_SOFTMAX_PICK_KERNEL, args, "z");
  const z = expect(LOG_SOFTMAX_PICK_KERNEL, args, "z", "float32", [rows, cols]);
  const [m, l] = ["m", "l"].map((name) => expect(LOG_SOFTMAX_PICK_KERNEL, args, name, "float32", [rows]));
  const classes = expect(LOG_SOFTMAX_PICK_KERNEL, args, "classes", "int32", [rows]);
  const r = wasm.makeOutput([rows, cols], "float32");
  const value = wasm.makeOutput([], "float32");
  const buffers = [["z", z], ["m", m], ["l", l], ["classes", classes], ["r", r], ["value", value]] as const;
  runChecked(wasm, LOG_SOFTMAX_PICK_KERNEL, buffers, [r, value], (zb, mb, lb, cb, rb, vb) =>
    kernels.logSoftmaxPick(zb.offset, mb.offset, lb.offset, cb.offset, rb.offset, vb.offset, rows, cols, zb.bytes, mb.bytes, lb.bytes, cb.bytes, rb.bytes, vb.bytes),
  );
  return [r, value];
};

const logitsGrad: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(LOGITS_GRAD_KERNEL, args);
  const [rows, cols] = matrixShape(LOGITS_GRAD_KERNEL, args, "e");
  const e = expect(LOGITS_GRAD_KERNEL, args, "e", "float32", [rows, cols]);
  const classes = expect(LOGITS_GRAD_KERNEL, args, "classes", "int32", [rows]);
  const dy = upstream(LOGITS_GRAD_KERNEL, args);
  const g = wasm.makeOutput([rows, cols], "float32");
  runChecked(wasm, LOGITS_GRAD_KERNEL, [["e", e], ["classes", classes], ["dy", dy], ["g", g]], [g], (eb, cb, db, gb) =>
    kernels.crossEntropyOfLogitsGrad(eb.offset, cb.offset, db.offset, gb.offset, rows, cols, eb.bytes, cb.bytes, db.bytes, gb.bytes),
  );
  return g;
};

const probabilityPick: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(PROBABILITY_PICK_KERNEL, args);
  const [rows, cols] = matrixShape(PROBABILITY_PICK_KERNEL, args, "p");
  const p = expect(PROBABILITY_PICK_KERNEL, args, "p", "float32", [rows, cols]);
  const classes = expect(PROBABILITY_PICK_KERNEL, args, "classes", "int32", [rows]);
  const { lo, hi } = args.attrs as unknown as ClipAttrs;
  const [q, s, c] = [0, 1, 2].map(() => wasm.makeOutput([rows], "float32"));
  const buffers = [["p", p], ["classes", classes], ["q", q], ["s", s], ["c", c]] as const;
  runChecked(wasm, PROBABILITY_PICK_KERNEL, buffers, [q, s, c], (pb, cb, qb, sb, clb) =>
    kernels.probabilityPick(pb.offset, cb.offset, qb.offset, sb.offset, clb.offset, rows, cols, lo, hi, pb.bytes, cb.bytes, qb.bytes, sb.bytes, clb.bytes),
  );
  return [q, s, c];
};

const probabilitiesGrad: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(PROBABILITIES_GRAD_KERNEL, args);
  // the gradient has the probabilities' shape: rows from the classes, cols from the attributes
  const { lo, hi, cols } = args.attrs as unknown as ClipAttrs & { cols: number };
  if (!Number.isSafeInteger(cols) || cols < 1) throw new Error(`stepwise ${PROBABILITIES_GRAD_KERNEL}: attribute cols must be an integer ≥ 1, got ${String(cols)}`);
  const rows = (args.inputs as Record<string, TensorInfo | undefined>).classes?.shape[0] ?? 0;
  const classes = expect(PROBABILITIES_GRAD_KERNEL, args, "classes", "int32", [rows]);
  const [q, s, c] = ["q", "s", "c"].map((name) => expect(PROBABILITIES_GRAD_KERNEL, args, name, "float32", [rows]));
  const dy = upstream(PROBABILITIES_GRAD_KERNEL, args);
  const g = wasm.makeOutput([rows, cols], "float32");
  const buffers = [["classes", classes], ["q", q], ["s", s], ["c", c], ["dy", dy], ["g", g]] as const;
  runChecked(wasm, PROBABILITIES_GRAD_KERNEL, buffers, [g], (cb, qb, sb, clb, db, gb) =>
    kernels.crossEntropyOfProbabilitiesGrad(cb.offset, qb.offset, sb.offset, clb.offset, db.offset, gb.offset, rows, cols, lo, hi, cb.bytes, qb.bytes, sb.bytes, clb.bytes, db.bytes, gb.bytes),
  );
  return g;
};

const sparseProbabilityPick: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(SPARSE_PROBABILITY_PICK_KERNEL, args);
  const [rows, cols] = matrixShape(SPARSE_PROBABILITY_PICK_KERNEL, args, "u");
  const u = expect(SPARSE_PROBABILITY_PICK_KERNEL, args, "u", "float32", [rows, cols]);
  const classes = expect(SPARSE_PROBABILITY_PICK_KERNEL, args, "classes", "int32", [rows]);
  const { lo, hi } = args.attrs as unknown as ClipAttrs;
  const [s, x] = [0, 1].map(() => wasm.makeOutput([rows], "float32"));
  runChecked(wasm, SPARSE_PROBABILITY_PICK_KERNEL, [["u", u], ["classes", classes], ["s", s], ["x", x]], [s, x], (ub, cb, sb, xb) =>
    kernels.sparseProbabilityPick(ub.offset, cb.offset, sb.offset, xb.offset, rows, cols, lo, hi, ub.bytes, cb.bytes, sb.bytes, xb.bytes),
  );
  return [s, x];
};

const sparseCrossEntropyGrad: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, args);
  const [rows, cols] = matrixShape(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, args, "u");
  const u = expect(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, args, "u", "float32", [rows, cols]);
  const [s, dy] = ["s", "dy"].map((name) => expect(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, args, name, "float32", [rows]));
  const classes = expect(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, args, "classes", "int32", [rows]);
  const { lo, hi } = args.attrs as unknown as ClipAttrs;
  const du = wasm.makeOutput([rows, cols], "float32");
  const buffers = [["u", u], ["s", s], ["classes", classes], ["dy", dy], ["du", du]] as const;
  runChecked(wasm, SPARSE_CROSS_ENTROPY_GRAD_KERNEL, buffers, [du], (ub, sb, cb, db, gb) =>
    kernels.sparseCrossEntropyGrad(ub.offset, sb.offset, cb.offset, db.offset, gb.offset, rows, cols, lo, hi, ub.bytes, sb.bytes, cb.bytes, db.bytes, gb.bytes),
  );
  return du;
};

const countCorrect: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(COUNT_CORRECT_KERNEL, args);
  const [rows, cols] = matrixShape(COUNT_CORRECT_KERNEL, args, "x");
  const x = expect(COUNT_CORRECT_KERNEL, args, "x", "float32", [rows, cols]);
  const classes = expect(COUNT_CORRECT_KERNEL, args, "classes", "int32", [rows]);
  const out = wasm.makeOutput([], "int32");
  runChecked(wasm, COUNT_CORRECT_KERNEL, [["x", x], ["classes", classes], ["out", out]], [out], (xb, cb, ob) =>
    kernels.countCorrect(xb.offset, cb.offset, ob.offset, rows, cols, xb.bytes, cb.bytes, ob.bytes),
  );
  return out;
};

/**
 * ProbabilityPick and CountCorrect of the same probabilities and classes in one dispatch (the two passes
 * back to back, over a matrix still in cache): what sw.fit's sparse cross-entropy and its correct count
 * compute from a softmax head, each with its own kernel's bits.
 */
const probabilityPickCount: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(PROBABILITY_PICK_COUNT_KERNEL, args);
  const [rows, cols] = matrixShape(PROBABILITY_PICK_COUNT_KERNEL, args, "p");
  const p = expect(PROBABILITY_PICK_COUNT_KERNEL, args, "p", "float32", [rows, cols]);
  const classes = expect(PROBABILITY_PICK_COUNT_KERNEL, args, "classes", "int32", [rows]);
  const { lo, hi } = args.attrs as unknown as ClipAttrs;
  const [q, s, c] = [0, 1, 2].map(() => wasm.makeOutput([rows], "float32"));
  const count = wasm.makeOutput([], "int32");
  const outputs = [q, s, c, count];
  const buffers = [["p", p], ["classes", classes], ["q", q], ["s", s], ["c", c]] as const;
  runChecked(wasm, PROBABILITY_PICK_COUNT_KERNEL, buffers, outputs, (pb, cb, qb, sb, clb) =>
    kernels.probabilityPick(pb.offset, cb.offset, qb.offset, sb.offset, clb.offset, rows, cols, lo, hi, pb.bytes, cb.bytes, qb.bytes, sb.bytes, clb.bytes),
  );
  runChecked(wasm, PROBABILITY_PICK_COUNT_KERNEL, [["p", p], ["classes", classes], ["count", count]], outputs, (xb, cb, ob) =>
    kernels.countCorrect(xb.offset, cb.offset, ob.offset, rows, cols, xb.bytes, cb.bytes, ob.bytes),
  );
  return outputs;
};

const probabilitiesSoftmaxGrad: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(PROBABILITIES_SOFTMAX_GRAD_KERNEL, args);
  const [rows, cols] = matrixShape(PROBABILITIES_SOFTMAX_GRAD_KERNEL, args, "y");
  const y = expect(PROBABILITIES_SOFTMAX_GRAD_KERNEL, args, "y", "float32", [rows, cols]);
  const classes = expect(PROBABILITIES_SOFTMAX_GRAD_KERNEL, args, "classes", "int32", [rows]);
  const [q, s, c] = ["q", "s", "c"].map((name) => expect(PROBABILITIES_SOFTMAX_GRAD_KERNEL, args, name, "float32", [rows]));
  const dy = upstream(PROBABILITIES_SOFTMAX_GRAD_KERNEL, args);
  const { lo, hi } = args.attrs as unknown as ClipAttrs;
  const dx = wasm.makeOutput([rows, cols], "float32");
  const db = wasm.makeOutput([cols], "float32");
  const buffers = [["classes", classes], ["q", q], ["s", s], ["c", c], ["dy", dy], ["y", y], ["dx", dx], ["db", db]] as const;
  runChecked(wasm, PROBABILITIES_SOFTMAX_GRAD_KERNEL, buffers, [dx, db], (cb, qb, sb, clb, up, yb, xb, bb) =>
    kernels.crossEntropyOfProbabilitiesSoftmaxGrad(
      cb.offset, qb.offset, sb.offset, clb.offset, up.offset, yb.offset, xb.offset, bb.offset, rows, cols, lo, hi,
      cb.bytes, qb.bytes, sb.bytes, clb.bytes, up.bytes, yb.bytes, xb.bytes, bb.bytes,
    ),
  );
  return [dx, db];
};

const negMean: KernelFunc = (args) => {
  const { wasm, kernels } = kernelsFor(NEG_MEAN_KERNEL, args);
  const x = (args.inputs as Record<string, TensorInfo | undefined>).x;
  if (!x || x.dtype !== "float32") throw new Error(`stepwise ${NEG_MEAN_KERNEL}: x must be a float32 tensor, got ${x ? x.dtype : "nothing"}`);
  const out = wasm.makeOutput([], "float32");
  const n = tf.util.sizeFromShape(x.shape);
  runChecked(wasm, NEG_MEAN_KERNEL, [["x", x], ["out", out]], [out], (xb, ob) => kernels.negMean(xb.offset, ob.offset, n, xb.bytes, ob.bytes));
  return out;
};

export const lossKernelConfigs: readonly KernelConfig[] = [
  { kernelName: ROW_MAX_SHIFT_KERNEL, backendName: "wasm", kernelFunc: rowMaxShift },
  { kernelName: LOG_SOFTMAX_PICK_KERNEL, backendName: "wasm", kernelFunc: logSoftmaxPick },
  { kernelName: LOGITS_GRAD_KERNEL, backendName: "wasm", kernelFunc: logitsGrad },
  { kernelName: PROBABILITY_PICK_KERNEL, backendName: "wasm", kernelFunc: probabilityPick },
  { kernelName: PROBABILITIES_GRAD_KERNEL, backendName: "wasm", kernelFunc: probabilitiesGrad },
  { kernelName: SPARSE_PROBABILITY_PICK_KERNEL, backendName: "wasm", kernelFunc: sparseProbabilityPick },
  { kernelName: SPARSE_CROSS_ENTROPY_GRAD_KERNEL, backendName: "wasm", kernelFunc: sparseCrossEntropyGrad },
  { kernelName: COUNT_CORRECT_KERNEL, backendName: "wasm", kernelFunc: countCorrect },
  { kernelName: PROBABILITY_PICK_COUNT_KERNEL, backendName: "wasm", kernelFunc: probabilityPickCount },
  { kernelName: PROBABILITIES_SOFTMAX_GRAD_KERNEL, backendName: "wasm", kernelFunc: probabilitiesSoftmaxGrad },
  { kernelName: NEG_MEAN_KERNEL, backendName: "wasm", kernelFunc: negMean },
];
