/**
 * The kernels a backend may register to take the arithmetic of sw.fit's cross-entropies, of its count of
 * correct predictions and of a softmax's gradient (stepwise's wasm kernels do: src/backend/kernels/cross-entropy.ts
 * and softmax-grad.ts, assembly/losses.ts).
 * Where the active backend has them, cross-entropy.ts and loss.ts run them between tfjs's own Exp, Sum and
 * Log kernels; elsewhere they compose tfjs ops. Both give the same bits. `classes` is always int32 [rows],
 * the other matrices float32 [rows, cols].
 */

/** {z} → [m (each row's maximum, [rows]), z − m]. */
export const ROW_MAX_SHIFT_KERNEL = "StepwiseRowMaxShift";
/** {z, m, l = log Σ exp(z − m), classes} → [r = z − (m + l), the mean cross-entropy (a scalar)]. */
export const LOG_SOFTMAX_PICK_KERNEL = "StepwiseLogSoftmaxPick";
/** {e = exp(r), classes, dy} → (e − one-hot) · dy / rows. */
export const LOGITS_GRAD_KERNEL = "StepwiseCrossEntropyOfLogitsGrad";
/** {p, classes}, attrs {lo, hi} → [q (the class's share of the row), s (the row sum), q clipped to [lo, hi]]. */
export const PROBABILITY_PICK_KERNEL = "StepwiseProbabilityPick";
/** {classes, q, s, c, dy}, attrs {lo, hi, cols} → the gradient of the mean cross-entropy from probabilities, [rows, cols]. */
export const PROBABILITIES_GRAD_KERNEL = "StepwiseCrossEntropyOfProbabilitiesGrad";
/** {u (probabilities clipped to [lo, hi]), classes}, attrs {lo, hi} → [s (the row sum), x (the number whose −log is the row's loss in tfjs-layers' sparseCategoricalCrossentropy)]. */
export const SPARSE_PROBABILITY_PICK_KERNEL = "StepwiseSparseProbabilityPick";
/** {u, s, classes, dy ([rows])}, attrs {lo, hi} → the gradient of those rows' losses with respect to u, [rows, cols]. */
export const SPARSE_CROSS_ENTROPY_GRAD_KERNEL = "StepwiseSparseCrossEntropyGrad";
/** {x, classes} → the number of rows whose first maximum is the row's class (an int32 scalar). */
export const COUNT_CORRECT_KERNEL = "StepwiseCountCorrect";
/** {p, classes}, attrs {lo, hi} → ProbabilityPick's [q, s, c] and CountCorrect's count of p: a replayed step runs it in place of the two (src/train/replay-fusion.ts). */
export const PROBABILITY_PICK_COUNT_KERNEL = "StepwiseProbabilityPickCount";
/**
 * {classes, q, s, c, dy, y}, attrs {lo, hi} → [dx, db]: CrossEntropyOfProbabilitiesGrad's gradient given to
 * SoftmaxGradColumnSums as its dy, in one pass (a replayed step runs it in place of the two: src/train/replay-fusion.ts).
 */
export const PROBABILITIES_SOFTMAX_GRAD_KERNEL = "StepwiseCrossEntropyOfProbabilitiesSoftmaxGrad";
/** {x} → the mean of −x over every element (tfjs's Neg then Mean), a float32 scalar (src/train/replay-fusion.ts). */
export const NEG_MEAN_KERNEL = "StepwiseNegMean";

export interface ClipAttrs {
  lo: number;
  hi: number;
}

/** {dy, y} → the gradient of y = softmax(x) over the last axis with respect to x, as tfjs-core's formula gives it. */
export const SOFTMAX_GRAD_KERNEL = "StepwiseSoftmaxGrad";
/** {dy, y} → [that gradient, its sums over every axis but the last (a bias's gradient, as Sum gives it)]. */
export const SOFTMAX_GRAD_COLUMN_SUMS_KERNEL = "StepwiseSoftmaxGradColumnSums";
