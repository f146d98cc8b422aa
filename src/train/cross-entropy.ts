/**
 * Cross-entropies against class indices, each as one op with its gradient written out. tfjs composes them
 * from general ops (one-hot casts, reshapes, a weighted-loss reduction) and its tape saves and
 * differentiates every step; here the forward pass is the same arithmetic on the same kernels, so the
 * values are tfjs's bit for bit, and the backward pass is a few kernels.
 *
 * - From logits (`softmaxCrossEntropy`): tfjs-core's softmaxCrossEntropy with its default reduction, the
 *   mean over the rows. With r_i = z_i − logsumexp(z_i) (logsumexp as tfjs computes it, shifted by the
 *   row's maximum), L = −(1/N) Σ_i r_i,y_i and ∂L/∂z_ik = (softmax(z_i)_k − δ_k,y_i) / N, the gradient
 *   also tfjs's bit for bit (its own customGrad computes the same).
 * - From probabilities (`categoricalCrossentropy`, a softmax output layer): tfjs-layers'
 *   categoricalCrossentropy: each row normalised by its sum s_i, clipped to [ε, 1 − ε], −log taken at the
 *   label, the mean over the rows, with the gradient (within 1e-6 of tfjs's: a different order of operations)
 *
 *     ∂L/∂p_ik = −[ε ≤ q_i ≤ 1 − ε] · (δ_k,y_i − q_i) / (N · clip(q_i) · s_i),   q_i = p_i,y_i / s_i.
 *
 * Where the backend registers the loss kernels (loss-kernels.ts; stepwise's wasm kernels), the arithmetic
 * around tfjs's Exp, Sum and Log is one kernel per pass, with the same operations in the same order, so the
 * results are the same bits: the loss from logits and its gradient dispatch 9 kernels instead of 21 on
 * wasm, the loss from probabilities 9 instead of 26 (the composition below runs everywhere else).
 */
import * as tf from "@tensorflow/tfjs";
import { backendHasKernels, runKernelOutputs } from "../tensor/fused-kernel";
import { LOGITS_GRAD_KERNEL, LOG_SOFTMAX_PICK_KERNEL, PROBABILITIES_GRAD_KERNEL, PROBABILITY_PICK_KERNEL, ROW_MAX_SHIFT_KERNEL } from "./loss-kernels";

/**
 * One-hot rows as float32. Not `tf.oneHot(…, "float32")`: tfjs-backend-wasm's own OneHot writes int32 bits
 * into it (stepwise's kernels fix that, dtype-fallback.ts, but `fit` must not depend on how the backend was set up).
 */
function floatOneHot(classes: tf.Tensor1D, columns: number): tf.Tensor2D {
  return tf.oneHot(classes, columns).cast("float32") as tf.Tensor2D;
}

/** tfjs-layers' epsilon(): its cross-entropies clip probabilities to [ε, 1 − ε]. */
export const EPSILON = 1e-7;

/** Mean softmax cross-entropy of logits `z` [N, C] against int32 class indices `classes` [N]. */
export function crossEntropyOfLogits(classes: tf.Tensor1D, z: tf.Tensor2D): tf.Scalar {
  if (takesLossKernels(classes, z, ROW_MAX_SHIFT_KERNEL, LOG_SOFTMAX_PICK_KERNEL, LOGITS_GRAD_KERNEL)) return crossEntropyOfLogitsByKernels(classes, z);
  const [rows, columns] = z.shape;
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [logits, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const oneHot = floatOneHot(classes, columns);
    // tfjs's logSumExp, step by step: the row maximum, then log Σ exp of the shifted row, added back
    const rowMax = logits.max(1, true);
    const logSumExp = rowMax.reshape([rows]).add(logits.sub(rowMax).exp().sum(1).log()).reshape([rows, 1]);
    const logSoftmax = logits.sub(logSumExp);
    save([oneHot, logSoftmax]);
    // Σ_k r_ik·t_ik is exactly r_i,y_i (the other terms are zeros), and negating last is exact
    return {
      value: logSoftmax.mul(oneHot).sum(1).sum().div(-rows) as tf.Scalar,
      gradFunc: (dy: tf.Scalar, [t, r]: tf.Tensor[]) => r.exp().sub(t).mul(dy.div(rows)),
    };
  });
  return loss(z) as tf.Scalar;
}

/** Mean cross-entropy of probabilities `p` [N, C] against int32 class indices `classes` [N]. */
export function crossEntropyOfProbabilities(classes: tf.Tensor1D, p: tf.Tensor2D): tf.Scalar {
  if (takesLossKernels(classes, p, PROBABILITY_PICK_KERNEL, PROBABILITIES_GRAD_KERNEL)) return crossEntropyOfProbabilitiesByKernels(classes, p);
  const [rows, columns] = p.shape;
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [probabilities, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const oneHot = floatOneHot(classes, columns);
    const rowSums = probabilities.sum(-1);
    // Σ_j p_ij·t_ij is exactly p_i,y_i: the other terms are zeros
    const q = probabilities.mul(oneHot).sum(-1).div(rowSums);
    const clipped = tf.clipByValue(q, EPSILON, 1 - EPSILON);
    save([oneHot, q, clipped, rowSums]);
    return {
      value: clipped.log().neg().mean() as tf.Scalar,
      gradFunc: (dy: tf.Scalar, [t, qSaved, clippedSaved, sums]: tf.Tensor[]) => {
        const inRange = tf.logicalAnd(qSaved.greaterEqual(EPSILON), qSaved.lessEqual(1 - EPSILON)).cast("float32");
        const scale = dy.mul(inRange).div(clippedSaved.mul(sums).mul(-rows));
        return t.sub(qSaved.expandDims(1)).mul(scale.expandDims(1));
      },
    };
  });
  return loss(p) as tf.Scalar;
}

/** Whether the loss kernels `kernelNames` take these operands: the backend has them, float32 scores, int32 classes, 2 classes or more (tfjs's one-hot refuses fewer everywhere). */
function takesLossKernels(classes: tf.Tensor1D, scores: tf.Tensor2D, ...kernelNames: string[]): boolean {
  return scores.dtype === "float32" && classes.dtype === "int32" && scores.shape[1] >= 2 && backendHasKernels(...kernelNames);
}

/** crossEntropyOfLogits by the loss kernels, tfjs's Exp, Sum and Log between them. */
function crossEntropyOfLogitsByKernels(classes: tf.Tensor1D, z: tf.Tensor2D): tf.Scalar {
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [logits, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const [rowMax, shifted] = runKernelOutputs(ROW_MAX_SHIFT_KERNEL, { z: logits });
    const logSum = shifted.exp().sum(1).log();
    const [logSoftmax, value] = runKernelOutputs(LOG_SOFTMAX_PICK_KERNEL, { z: logits, m: rowMax, l: logSum, classes });
    save([logSoftmax, classes]);
    return {
      value: value as tf.Scalar,
      gradFunc: (dy: tf.Scalar, [r, labels]: tf.Tensor[]) => runKernelOutputs(LOGITS_GRAD_KERNEL, { e: r.exp(), classes: labels, dy })[0],
    };
  });
  return loss(z) as tf.Scalar;
}

/** crossEntropyOfProbabilities by the loss kernels, tfjs's Log, Neg and Mean for the value. */
function crossEntropyOfProbabilitiesByKernels(classes: tf.Tensor1D, p: tf.Tensor2D): tf.Scalar {
  const clip = { lo: EPSILON, hi: 1 - EPSILON };
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [probabilities, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const [q, rowSums, clipped] = runKernelOutputs(PROBABILITY_PICK_KERNEL, { p: probabilities, classes }, clip);
    save([classes, q, rowSums, clipped]);
    return {
      value: clipped.log().neg().mean() as tf.Scalar,
      gradFunc: (dy: tf.Scalar, [labels, shares, sums, clippedShares]: tf.Tensor[]) =>
        runKernelOutputs(PROBABILITIES_GRAD_KERNEL, { classes: labels, q: shares, s: sums, c: clippedShares, dy }, { ...clip, cols: probabilities.shape[1] })[0],
    };
  });
  return loss(p) as tf.Scalar;
}
