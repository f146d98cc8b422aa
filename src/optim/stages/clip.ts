/**
 * Gradient clipping: by value (each element into [−value, value]), by norm (each tensor's L2 norm at most
 * `norm`, as Keras's `clipnorm`), and by global norm (all tensors scaled together so their joint L2 norm is
 * at most `globalNorm`, exactly as PyTorch's `clip_grad_norm_`: g ← g · min(1, max / (‖g‖ + 1e-6))).
 */
import * as tf from "@tensorflow/tfjs";
import { squaredGlobalNorm } from "../../tensor";
import { requireKnownKeys, requirePositive } from "../../util/validate";
import { Stage, StageSpec, registerStage } from "../stage";

export interface ClipOptions {
  value?: number;
  norm?: number;
  globalNorm?: number;
}

const CLIP_OPTIONS = ["value", "norm", "globalNorm"] as const;

/** `where` names the caller in errors (an optimizer factory passes its name). */
export function clip(options: ClipOptions, where = "clip"): Stage {
  requireKnownKeys(where, options, CLIP_OPTIONS, "clip option");
  const { value, norm, globalNorm } = options;
  if (value !== undefined) requirePositive(where, "clip.value", value);
  if (norm !== undefined) requirePositive(where, "clip.norm", norm);
  if (globalNorm !== undefined) requirePositive(where, "clip.globalNorm", globalNorm);
  const spec: StageSpec = Object.freeze({
    kind: "clip",
    ...(value === undefined ? {} : { value }),
    ...(norm === undefined ? {} : { norm }),
    ...(globalNorm === undefined ? {} : { globalNorm }),
  });
  return {
    kind: "clip",
    spec,
    hyperparameters: {},
    apply(entries, { gradientNorm }) {
      if (value !== undefined) for (const e of entries) e.grad = tf.clipByValue(e.grad, -value, value);
      if (norm !== undefined) {
        for (const e of entries) e.grad = e.grad.mul(tf.minimum(1, tf.div(norm, tf.maximum(e.grad.square().sum().sqrt(), 1e-12))));
      }
      if (globalNorm !== undefined) {
        // the norm of the incoming gradients is known; after clipping by value or norm it is recomputed
        const total = value === undefined && norm === undefined ? tf.scalar(gradientNorm) : squaredGlobalNorm(entries.map((e) => e.grad)).sqrt();
        const coefficient = tf.minimum(1, tf.div(globalNorm, total.add(1e-6)));
        for (const e of entries) e.grad = e.grad.mul(coefficient);
      }
    },
  };
}

registerStage("clip", (spec) => clip({ value: spec.value as number | undefined, norm: spec.norm as number | undefined, globalNorm: spec.globalNorm as number | undefined }));
