/**
 * Adamax, Adam with the infinity norm (PyTorch's `torch.optim.Adamax`):
 *
 *   m ← β₁·m + (1 − β₁)·g
 *   u ← max(β₂·u, |g| + ε)
 *   θ ← θ − (lr / (1 − β₁ᵗ)) · m / u
 */
import * as tf from "@tensorflow/tfjs";
import { UpdateRule, check } from "../rule";

export function adamaxRule(): UpdateRule {
  return {
    name: "adamax",
    flags: {},
    hyperparameters: {
      beta1: { default: 0.9, check: check.unit },
      beta2: { default: 0.999, check: check.unit },
      eps: { default: 1e-8, check: check.positive },
    },
    initSlots: (param) => ({ m: tf.zerosLike(param), u: tf.zerosLike(param) }),
    update({ param, grad, slots, hyper, step }) {
      const { lr, beta1, beta2, eps } = hyper;
      const m = slots.m.mul(beta1).add(grad.mul(1 - beta1));
      const u = tf.maximum(slots.u.mul(beta2), grad.abs().add(eps));
      const stepSize = lr / (1 - Math.pow(beta1, step));
      return { param: param.sub(m.div(u).mul(stepSize)), slots: { m, u } };
    },
  };
}
