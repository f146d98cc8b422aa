/**
 * Squared L2 norms of gradients, written once for clipping, the gradient-norm report, the non-finite check,
 * the noise scale and the experiments: read in place where the backend provides it (one pass, no kernels,
 * no synchronisation), reduced on the device elsewhere.
 */
import * as tf from "@tensorflow/tfjs";
import { inPlaceArithmetic } from "./in-place";

/** Σ‖t‖² over `tensors` together, as a scalar tensor (0 for none). */
export function squaredGlobalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => (tensors.length === 0 ? tf.scalar(0) : tf.addN(tensors.map((t) => t.square().sum()))) as tf.Scalar);
}

/** Σ‖t‖² over `tensors` as a number: read in place where provided, else reduced on the device and read once. */
export function squaredNormValue(tensors: readonly tf.Tensor[]): number {
  return inPlaceArithmetic()?.squaredNorm(tensors) ?? tf.tidy(() => squaredGlobalNorm(tensors).dataSync()[0]);
}

/** A squared norm kept where it is cheapest: a number when read in place, else a scalar on the device, read later. */
export type SquaredNorm = number | tf.Scalar;

/** Σ‖t‖² over `tensors` without synchronising; a tensor result is kept (it outlives the caller's tidy). */
export function deferredSquaredNorm(tensors: readonly tf.Tensor[]): SquaredNorm {
  return inPlaceArithmetic()?.squaredNorm(tensors) ?? tf.keep(squaredGlobalNorm(tensors));
}

/** a + b; tensor operands are disposed (a kept tensor is returned when either was one). */
export function addSquaredNorms(a: SquaredNorm | undefined, b: SquaredNorm): SquaredNorm {
  if (a === undefined) return b;
  if (typeof a === "number" && typeof b === "number") return a + b;
  const sum = tf.keep(tf.tidy(() => tf.add(a, b) as tf.Scalar));
  disposeSquaredNorm(a);
  disposeSquaredNorm(b);
  return sum;
}

export function disposeSquaredNorm(norm: SquaredNorm | undefined): void {
  if (norm !== undefined && typeof norm !== "number") norm.dispose();
}

/** The values of `norms`, reading all device scalars with one synchronisation; disposes them. */
export function readSquaredNorms(norms: readonly SquaredNorm[]): number[] {
  const tensors = norms.filter((n): n is tf.Scalar => typeof n !== "number");
  const read = tensors.length === 0 ? [] : Array.from(tf.tidy(() => tf.stack(tensors).dataSync()));
  let next = 0;
  const values = norms.map((n) => (typeof n === "number" ? n : read[next++]));
  tf.dispose(tensors);
  return values;
}
