/**
 * tfjs-layers' `sparseCategoricalCrossentropy` loss (a model compiled with `loss: "sparseCategoricalCrossentropy"`)
 * in a few kernels, with tfjs-layers' values and gradients bit for bit, for model.fit's replay
 * (model-fit-replay.ts).
 *
 * tfjs-layers computes each row's loss from probabilities p (a softmax output) and float labels as
 *
 *   y = int(floor(label));  u = clip(p, ε, 1 − ε);  s = Σ_k u_k;  w = clip(u / s, ε, 1 − ε);  loss = −Σ_k t_k · log(w_k)
 *
 * with t the one-hot row of y: fourteen kernels forward and, through tfjs-core's gradients, thirteen more
 * backward (of a Log, a Mul by the one-hot row, a Neg, two clips, a division by the row sum and the sum),
 * with a dozen Identity clones for the tape besides.
 * Here the labels and the first clip keep tfjs's own kernels (the clip's gradient is the tape's), and the
 * rest is one pass forward and one backward on wasm (assembly/losses.ts `sparseProbabilityPick` and
 * `sparseCrossEntropyGrad`) between tfjs's own Log and Neg, with tfjs-core's f32 operations in tfjs-core's
 * order. The terms of Σ_k t_k · log(w_k) off the class are −0, so that sum is log(w_y) exactly.
 *
 * A label outside [0, classes) has an all-zero one-hot row in tfjs, and a loss (−0) and gradient of zeros;
 * so it has here. NaN probabilities give NaN, as in tfjs.
 */
import * as tf from "@tensorflow/tfjs";
import { backendHasKernels, runKernelOutputs } from "../tensor/fused-kernel";
import { EPSILON } from "./cross-entropy";
import { SPARSE_CROSS_ENTROPY_GRAD_KERNEL, SPARSE_PROBABILITY_PICK_KERNEL } from "./loss-kernels";

/** A loss as tfjs-layers' compiled models hold them: per-example losses from targets and predictions. */
export type LayersLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** Whether `sparseCrossEntropy` takes these operands where they are; elsewhere tfjs-layers' own loss runs. */
export function takesSparseCrossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor): boolean {
  if (yPred.dtype !== "float32" || yPred.rank < 2) return false;
  const classes = yPred.shape[yPred.rank - 1];
  // tfjs's one-hot refuses fewer than 2 classes everywhere; the labels must give one class per row
  return classes >= 2 && yTrue.size * classes === yPred.size && backendHasKernels(SPARSE_PROBABILITY_PICK_KERNEL, SPARSE_CROSS_ENTROPY_GRAD_KERNEL);
}

/** tfjs-layers' sparseCategoricalCrossentropy of probabilities `yPred` against float labels `yTrue`: one loss per row. */
export function sparseCrossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const columns = yPred.shape[yPred.rank - 1];
  const rows = yPred.size / columns;
  const clip = { lo: EPSILON, hi: 1 - EPSILON };
  return tf.tidy(() => {
    const classes = tf.floor(tf.reshape(yTrue, [yTrue.size])).cast("int32") as tf.Tensor1D;
    const matrix = yPred.rank === 2 ? yPred : tf.reshape(yPred, [rows, columns]);
    const clipped = tf.clipByValue(matrix, EPSILON, 1 - EPSILON);
    const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [u, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
      const [sums, picked] = runKernelOutputs(SPARSE_PROBABILITY_PICK_KERNEL, { u, classes }, clip);
      save([u, sums, classes]);
      return {
        value: tf.neg(tf.log(picked)),
        gradFunc: (dy: tf.Tensor, [shares, rowSums, labels]: tf.Tensor[]) =>
          runKernelOutputs(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, { u: shares, s: rowSums, classes: labels, dy }, clip)[0],
      };
    });
    const perRow = loss(clipped);
    return yPred.rank === 2 ? perRow : tf.reshape(perRow, yPred.shape.slice(0, -1));
  });
}

/** The loss to run in place of tfjs-layers' sparseCategoricalCrossentropy `own`: this module's where it takes the operands. */
export function fusedSparseCrossEntropy(own: LayersLoss): LayersLoss {
  return (yTrue, yPred) => (takesSparseCrossEntropy(yTrue, yPred) ? sparseCrossEntropy(yTrue, yPred) : own(yTrue, yPred));
}
