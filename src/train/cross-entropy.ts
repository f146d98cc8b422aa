/**
 * Cross-entropies against class indices, each as one op with its gradient written out. tfjs composes them
 * from general ops (one-hot casts, reshapes, a weighted-loss reduction) and its tape saves and
 * differentiates every step; here the forward pass is the same arithmetic on the same kernels, so the
 * values are tfjs's bit for bit, and the backward pass is a few kernels.
 *
 * - From logits (`softmaxCrossEntropy`): tfjs-core's softmaxCrossEntropy with its default reduction, the
 *   mean over the rows. With r_i = z_i − logsumexp(z_i) (logsumexp as tfjs computes it, shifted by the
 *   row's maximum), L = −(1/N) Σ_i r_i,y_i and ∂L/∂z_ik = (softmax(z_i)_k − δ_k,y_i) / N, the gradient
 *   also tfjs's bit for bit (its own customGrad computes the same). The loss and its gradient at batch 16
 *   dispatch 21 kernels instead of 41.
 * - From probabilities (`categoricalCrossentropy`, a softmax output layer): tfjs-layers'
 *   categoricalCrossentropy: each row normalised by its sum s_i, clipped to [ε, 1 − ε], −log taken at the
 *   label, the mean over the rows, with the gradient (within 1e-6 of tfjs's: a different order of operations)
 *
 *     ∂L/∂p_ik = −[ε ≤ q_i ≤ 1 − ε] · (δ_k,y_i − q_i) / (N · clip(q_i) · s_i),   q_i = p_i,y_i / s_i.
 *
 *   A training step of the bench's MLP through `fit` dispatches 93 kernels instead of 115.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * One-hot rows as float32. Not `tf.oneHot(…, "float32")`: tfjs-backend-wasm's own OneHot writes int32 bits
 * into it (stepwise's kernels fix that, dtype-fallback.ts, but `fit` must not depend on how the backend was set up).
 */
function floatOneHot(classes: tf.Tensor1D, columns: number): tf.Tensor2D {
  return tf.oneHot(classes, columns).cast("float32") as tf.Tensor2D;
}

/** tfjs-layers' epsilon(): its cross-entropies clip probabilities to [ε, 1 − ε]. */
const EPSILON = 1e-7;

/** Mean softmax cross-entropy of logits `z` [N, C] against int32 class indices `classes` [N]. */
export function crossEntropyOfLogits(classes: tf.Tensor1D, z: tf.Tensor2D): tf.Scalar {
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
