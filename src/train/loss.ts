/**
 * Losses by name, as functions of (targets, predictions) returning the mean over the batch, and accuracy
 * for classification (targets as class indices or one-hot, predictions as scores per class).
 */
import * as tf from "@tensorflow/tfjs";
import { backendHasKernels, runKernelOutputs } from "../tensor/fused-kernel";
import { crossEntropyOfLogits, crossEntropyOfProbabilities } from "./cross-entropy";
import { COUNT_CORRECT_KERNEL } from "./loss-kernels";

export type LossName =
  | "softmaxCrossEntropy"
  | "categoricalCrossentropy"
  | "sparseCategoricalCrossentropy"
  | "binaryCrossentropy"
  | "meanSquaredError"
  | "meanAbsoluteError";

export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

export const LOSS_NAMES: readonly LossName[] = [
  "softmaxCrossEntropy",
  "categoricalCrossentropy",
  "sparseCategoricalCrossentropy",
  "binaryCrossentropy",
  "meanSquaredError",
  "meanAbsoluteError",
];

/**
 * Whether `yTrue` holds class indices ([N], or [N, 1] as tfjs-layers' sparse losses take them) rather than
 * one-hot rows, for predictions with one column per class.
 */
function holdsClassIndices(yTrue: tf.Tensor, yPred: tf.Tensor): boolean {
  const classes = yPred.shape[yPred.rank - 1];
  return yTrue.rank < yPred.rank || (yTrue.shape[yTrue.rank - 1] === 1 && classes > 1);
}

/** One-hot targets from class indices when the predictions have one column per class. */
function asOneHot(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  if (!holdsClassIndices(yTrue, yPred)) return yTrue;
  return tf.oneHot(yTrue.flatten().toInt(), yPred.shape[yPred.rank - 1]);
}

/** Class indices as the int32 vector the fused cross-entropies take. */
function classIndices(yTrue: tf.Tensor): tf.Tensor1D {
  const flat = yTrue.rank === 1 ? yTrue : yTrue.flatten();
  return (flat.dtype === "int32" ? flat : flat.toInt()) as tf.Tensor1D;
}

/** Cross-entropy from logits: one op against class indices (cross-entropy.ts), else tfjs-core's. */
function softmaxCrossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  if (yPred.rank === 2 && holdsClassIndices(yTrue, yPred)) {
    return tf.tidy(() => crossEntropyOfLogits(classIndices(yTrue), yPred as tf.Tensor2D));
  }
  return tf.losses.softmaxCrossEntropy(asOneHot(yTrue, yPred), yPred) as tf.Scalar;
}

/** Cross-entropy from probabilities (a softmax output layer): one op against class indices, else tfjs-layers'. */
function categoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  if (yPred.rank === 2 && holdsClassIndices(yTrue, yPred)) {
    return tf.tidy(() => crossEntropyOfProbabilities(classIndices(yTrue), yPred as tf.Tensor2D));
  }
  return tf.metrics.categoricalCrossentropy(asOneHot(yTrue, yPred), yPred).mean() as tf.Scalar;
}

const LOSSES: Record<LossName, LossFunction> = {
  /** Cross-entropy from logits (the numerically stable form). */
  softmaxCrossEntropy,
  /** Cross-entropy from probabilities (a softmax output layer). */
  categoricalCrossentropy,
  sparseCategoricalCrossentropy: categoricalCrossentropy,
  binaryCrossentropy: (y, p) => tf.metrics.binaryCrossentropy(y, p).mean() as tf.Scalar,
  meanSquaredError: (y, p) => tf.losses.meanSquaredError(y, p) as tf.Scalar,
  meanAbsoluteError: (y, p) => tf.losses.absoluteDifference(y, p) as tf.Scalar,
};

export function resolveLoss(loss: LossName | LossFunction | undefined, where = "fit"): LossFunction {
  if (typeof loss === "function") return loss;
  if (typeof loss === "string" && (LOSS_NAMES as readonly string[]).includes(loss)) return LOSSES[loss];
  throw new Error(`${where}: loss must be a function (yTrue, yPred) => scalar or one of ${LOSS_NAMES.join(", ")}, got ${String(loss)}`);
}

/**
 * Number of correct predictions in the batch (an int32 scalar), or undefined when the task is not
 * classification. Against class indices, one kernel where the backend has it (loss-kernels.ts).
 */
export function correctCount(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar | undefined {
  if (yPred.rank !== 2 || yPred.shape[1] === undefined || yPred.shape[1] < 2) return undefined;
  const indices = holdsClassIndices(yTrue, yPred);
  const actual = indices ? classIndices(yTrue) : yTrue.argMax(1);
  if (indices && yPred.dtype === "float32" && backendHasKernels(COUNT_CORRECT_KERNEL)) {
    return runKernelOutputs(COUNT_CORRECT_KERNEL, { x: yPred, classes: actual })[0] as tf.Scalar;
  }
  return yPred.argMax(1).equal(actual).sum() as tf.Scalar;
}
