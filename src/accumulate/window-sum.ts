/**
 * The running sum Σ nᵢ·gᵢ of one variable's gradients over an accumulation window, and its mean at the end.
 * On wasm the window owns its sum alone, so each micro-batch is added in place and the mean is taken in
 * place, each in one pass that also returns the squared norm it passed over (the backend's in-place
 * arithmetic, src/tensor/in-place.ts): no kernel dispatch, no new tensor, no separate pass for the noise
 * scale or the gradient norm; the window's last micro-batch is added and the mean taken in a single pass.
 * Elsewhere they are composed from tfjs ops into new tensors, and the norms are left to the caller (undefined).
 */
import * as tf from "@tensorflow/tfjs";
import { inPlaceArithmetic, type MatrixProduct } from "../tensor";

/**
 * `sum` + `grad`·`scale` (`grad`·`scale` when there is no sum yet): the new sum, kept, and Σ grad² where it
 * came with the addition. `sum` is consumed: updated in place or disposed. `grad` is left to the caller.
 */
export function addToWindowSum(sum: tf.Tensor | undefined, grad: tf.Tensor, scale: number): { sum: tf.Tensor; gradSquares: number | undefined } {
  const inPlace = inPlaceArithmetic()?.accumulate(sum, grad, scale);
  if (inPlace) return inPlace;
  const next = tf.keep(tf.tidy(() => (sum ? sum.add(grad.mul(scale)) : grad.mul(scale))));
  sum?.dispose();
  return { sum: next, gradSquares: undefined };
}

/**
 * addToWindowSum for a gradient that is still a product to compute (a Dense layer's xᵀ·dy, handed over by a
 * replayed step): computed into the sum, never a tensor of its own, with the bits of addToWindowSum. Σ grad²
 * comes where `squares` asks for it. Undefined, with nothing computed, where the backend cannot (then the
 * step computes the gradient and it is added as usual).
 */
export function addProductToWindowSum(
  sum: tf.Tensor | undefined,
  product: MatrixProduct,
  scale: number,
  squares: boolean,
): { sum: tf.Tensor; gradSquares: number | undefined } | undefined {
  return inPlaceArithmetic()?.accumulateProduct?.(sum, product, scale, squares);
}

/**
 * The window's mean gradient `sum` / `items`, kept, and its Σ x² where it came with the division. `sum` is
 * consumed: divided in place (and returned) or disposed.
 */
export function windowMean(sum: tf.Tensor, items: number): { mean: tf.Tensor; squares: number | undefined } {
  const squares = inPlaceArithmetic()?.divide(sum, items);
  if (squares !== undefined) return { mean: sum, squares };
  const mean = tf.keep(tf.tidy(() => sum.div(items)));
  sum.dispose();
  return { mean, squares: undefined };
}

/**
 * A window's last micro-batch: (`sum` + `grad`·`scale`) / `items`, kept, with the bits of addToWindowSum then
 * windowMean, and Σ grad² and Σ mean² where they came with it. `sum` is consumed; `grad` is left to the caller.
 */
export function addToWindowMean(
  sum: tf.Tensor | undefined,
  grad: tf.Tensor,
  scale: number,
  items: number,
): { mean: tf.Tensor; gradSquares: number | undefined; squares: number | undefined } {
  const inPlace = inPlaceArithmetic()?.accumulateMean(sum, grad, scale, items);
  if (inPlace) return { mean: inPlace.mean, gradSquares: inPlace.gradSquares, squares: inPlace.meanSquares };
  const added = addToWindowSum(sum, grad, scale);
  const { mean, squares } = windowMean(added.sum, items);
  return { mean, gradSquares: added.gradSquares, squares };
}
