/**
 * Gradient clipping, applied once per optimizer update to the gradients being applied:
 * by value (each element into [−value, value]), by norm (each tensor's L2 norm at most `norm`, as
 * Keras's `clipnorm`), and by global norm (all tensors scaled together so their joint L2 norm is at
 * most `globalNorm`, exactly as PyTorch's `clip_grad_norm_`: g ← g · min(1, max / (‖g‖ + 1e-6))).
 */
import * as tf from "@tensorflow/tfjs";
import { requirePositive } from "./validate";

export interface ClipOptions {
  value?: number;
  norm?: number;
  globalNorm?: number;
}

export function checkClipOptions(where: string, clip: ClipOptions | undefined): ClipOptions | undefined {
  if (clip === undefined) return undefined;
  if (clip === null || typeof clip !== "object") throw new Error(`${where}: clip must be an object like { globalNorm: 1 }`);
  const known = new Set(["value", "norm", "globalNorm"]);
  for (const key of Object.keys(clip)) {
    if (!known.has(key)) throw new Error(`${where}: unknown clip option "${key}" (allowed: value, norm, globalNorm)`);
  }
  if (clip.value !== undefined) requirePositive(where, "clip.value", clip.value);
  if (clip.norm !== undefined) requirePositive(where, "clip.norm", clip.norm);
  if (clip.globalNorm !== undefined) requirePositive(where, "clip.globalNorm", clip.globalNorm);
  return { ...clip };
}

/** Squared L2 norm of all tensors together, as a scalar tensor. */
export function squaredGlobalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => (tensors.length === 0 ? tf.scalar(0) : tf.addN(tensors.map((t) => t.square().sum()))) as tf.Scalar);
}

/**
 * Clip `grads` (not disposed) and return new tensors. `globalNorm` is the joint norm of the incoming
 * gradients when the caller already read it, to avoid a second reduction.
 */
export function clipGradients(grads: tf.Tensor[], clip: ClipOptions, knownGlobalNorm?: number): tf.Tensor[] {
  let clipped = grads;
  if (clip.value !== undefined) {
    const limit = clip.value;
    clipped = clipped.map((g) => tf.clipByValue(g, -limit, limit));
  }
  if (clip.norm !== undefined) {
    const limit = clip.norm;
    clipped = clipped.map((g) => {
      const norm = g.square().sum().sqrt();
      return g.mul(tf.minimum(1, tf.div(limit, tf.maximum(norm, 1e-12))));
    });
  }
  if (clip.globalNorm !== undefined) {
    const unchanged = clipped === grads;
    const total = unchanged && knownGlobalNorm !== undefined ? tf.scalar(knownGlobalNorm) : squaredGlobalNorm(clipped).sqrt();
    const coefficient = tf.minimum(1, tf.div(clip.globalNorm, total.add(1e-6)));
    clipped = clipped.map((g) => g.mul(coefficient));
  }
  return clipped;
}
