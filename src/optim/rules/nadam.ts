/**
 * NAdam, Adam with Nesterov momentum and momentum decay (PyTorch's `torch.optim.NAdam`):
 *
 *   μₜ ← β₁·(1 − ½·0.96^(t·ψ)),   μₜ₊₁ ← β₁·(1 − ½·0.96^((t+1)·ψ)),   Πₜ ← Πₜ₋₁·μₜ
 *   m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   d ← √(v / (1 − β₂ᵗ)) + ε
 *   θ ← θ − lr·(1 − μₜ)/(1 − Πₜ) · g/d − lr·μₜ₊₁/(1 − Πₜ·μₜ₊₁) · m/d
 *
 * PyTorch before 2.0 multiplied μₜ into Πₜ₊₁ twice (Πₜ·μₜ·μₜ₊₁; fixed in pytorch/pytorch#92699).
 * `legacyPytorch113: true` reproduces that, for comparing with results made with those versions.
 */
import * as tf from "@tensorflow/tfjs";
import { UpdateRule, check } from "../rule";

export function nadamRule(flags: { legacyPytorch113?: boolean } = {}): UpdateRule {
  const legacy = flags.legacyPytorch113 ?? false;
  return {
    name: "nadam",
    flags: { legacyPytorch113: legacy },
    hyperparameters: {
      beta1: { default: 0.9, check: check.unit },
      beta2: { default: 0.999, check: check.unit },
      eps: { default: 1e-8, check: check.positive },
      momentumDecay: { default: 4e-3, check: check.nonNegative },
    },
    initSlots: (param) => ({ m: tf.zerosLike(param), v: tf.zerosLike(param) }),
    initCounters: () => ({ muProduct: 1 }),
    update({ param, grad, slots, counters, hyper, step }) {
      const { lr, beta1, beta2, eps, momentumDecay } = hyper;
      const mu = beta1 * (1 - 0.5 * Math.pow(0.96, step * momentumDecay));
      const muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (step + 1) * momentumDecay));
      const muProduct = counters.muProduct * mu;
      const m = slots.m.mul(beta1).add(grad.mul(1 - beta1));
      const v = slots.v.mul(beta2).add(grad.square().mul(1 - beta2));
      const denominator = v.div(1 - Math.pow(beta2, step)).sqrt().add(eps);
      const gradStep = grad.div(denominator).mul((lr * (1 - mu)) / (1 - muProduct));
      const muProductNext = legacy ? muProduct * mu * muNext : muProduct * muNext;
      const momentumStep = m.div(denominator).mul((lr * muNext) / (1 - muProductNext));
      return { param: param.sub(gradStep).sub(momentumStep), slots: { m, v }, counters: { muProduct } };
    },
  };
}
