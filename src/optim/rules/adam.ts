/**
 * Adam and AMSGrad (PyTorch's `torch.optim.Adam`; AdamW is this rule with decoupled weight decay):
 *
 *   m ← β₁·m + (1 − β₁)·g
 *   v ← β₂·v + (1 − β₂)·g²
 *   AMSGrad:  v̂ ← max(v̂, v)  and use v̂ below instead of v
 *   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 *
 * Where a backend registers `ADAM_STEP_KERNEL` (stepwise's wasm SIMD kernel), the whole step is that one
 * kernel, with the same f32 operations in the same order; elsewhere it is composed from tfjs ops.
 */
import * as tf from "@tensorflow/tfjs";
import { runKernelIfRegistered } from "../../tensor";
import { Slots, UpdateRule, check } from "../rule";

/** The fused Adam step a backend may register: inputs param, grad, m, v (and vMax with amsgrad); outputs param', m', v' (and vMax'). */
export const ADAM_STEP_KERNEL = "StepwiseAdamStep";

export interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** √(1 − β₂ᵗ) */
  correction2: number;
  /** lr / (1 − β₁ᵗ) */
  stepSize: number;
  amsgrad: boolean;
}

export function adamRule(flags: { amsgrad?: boolean } = {}): UpdateRule {
  const amsgrad = flags.amsgrad ?? false;
  return {
    name: "adam",
    flags: { amsgrad },
    hyperparameters: {
      beta1: { default: 0.9, check: check.unit },
      beta2: { default: 0.999, check: check.unit },
      eps: { default: 1e-8, check: check.positive },
    },
    initSlots: (param) => ({
      m: tf.zerosLike(param),
      v: tf.zerosLike(param),
      ...(amsgrad ? { vMax: tf.zerosLike(param) } : {}),
    }),
    update({ param, grad, slots, hyper, step }) {
      const { lr, beta1, beta2, eps } = hyper;
      const stepSize = lr / (1 - Math.pow(beta1, step));
      const correction2 = Math.sqrt(1 - Math.pow(beta2, step));
      const attrs: AdamStepAttrs = { beta1, beta2, eps, correction2, stepSize, amsgrad };
      const fused = runKernelIfRegistered(ADAM_STEP_KERNEL, { param, grad, m: slots.m, v: slots.v, ...(amsgrad ? { vMax: slots.vMax } : {}) }, attrs);
      if (fused) {
        const [nextParam, m, v, vMax] = fused;
        return { param: nextParam, slots: amsgrad ? { m, v, vMax } : { m, v } };
      }
      const m = slots.m.mul(beta1).add(grad.mul(1 - beta1));
      const v = slots.v.mul(beta2).add(grad.square().mul(1 - beta2));
      const next: Slots = { m, v };
      let second = v;
      if (amsgrad) {
        next.vMax = tf.maximum(slots.vMax, v);
        second = next.vMax;
      }
      const denominator = second.sqrt().div(correction2).add(eps);
      return { param: param.sub(m.div(denominator).mul(stepSize)), slots: next };
    },
  };
}
