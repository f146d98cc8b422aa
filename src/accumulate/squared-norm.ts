/**
 * Sums of squared gradient norms (for the noise scale), kept where they are cheapest: a JS number where the
 * gradients can be read in place (wasm with stepwise's SIMD kernels: no kernels, no synchronisation), a
 * scalar on the device elsewhere, read later in batches so that tracking adds no per-step synchronisation.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmSquaredNorm } from "../backend/kernels/optimizer-steps";

export type SquaredNorm = number | tf.Scalar;

/** Σ‖t‖² over `tensors`; a tensor result is kept (it outlives the caller's tidy). */
export function squaredNorm(tensors: readonly tf.Tensor[]): SquaredNorm {
  return wasmSquaredNorm(tensors) ?? tf.keep(tf.tidy(() => tf.addN(tensors.map((t) => t.square().sum())) as tf.Scalar));
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
