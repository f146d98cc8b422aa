/**
 * Cross-entropy of probabilities (a softmax output layer) against class indices, as one op with its own
 * gradient. The value is tfjs-layers' categoricalCrossentropy bit for bit (the same kernels on the same
 * values): each row normalised by its sum s_i, clipped to [ε, 1 − ε], −log taken at the label, the mean over
 * the rows. The gradient is written out,
 *
 *   ∂L/∂p_ik = −[ε ≤ q_i ≤ 1 − ε] · (δ_k,y_i − q_i) / (N · clip(q_i) · s_i),   q_i = p_i,y_i / s_i,
 *
 * in a dozen small kernels, where tfjs's tape records the composed forward pass (saving its tensors) and
 * differentiates it op by op: a training step of the bench's MLP dispatches 93 kernels instead of 115.
 */
import * as tf from "@tensorflow/tfjs";

/** tfjs-layers' epsilon(): its cross-entropies clip probabilities to [ε, 1 − ε]. */
const EPSILON = 1e-7;

/** Mean cross-entropy of probabilities `p` [N, C] against int32 class indices `classes` [N]. */
export function crossEntropyOfProbabilities(classes: tf.Tensor1D, p: tf.Tensor2D): tf.Scalar {
  const [rows, columns] = p.shape;
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [probabilities, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const oneHot = tf.oneHot(classes, columns);
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
