/**
 * Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled", arXiv 2405.15682, Algorithm 1) in the
 * y/z form of the official PyTorch `schedulefree.AdamWScheduleFree`: the parameter holds y, where gradients
 * are taken; slot z is the base iterate; x, the average to evaluate at, is implied by y = (1 − β₁)·z + β₁·x.
 *
 *   start:  z ← y (the initial parameter, = x₁),  v ← 0,  Σ ← 0,  γmax ← 0
 *   step t with lr γ, weight decay λ and g = ∇f(y):
 *     v    ← β₂·v + (1 − β₂)·g²
 *     u    ← g / (√(v / (1 − β₂ᵗ)) + ε) + λ·y          weight decay evaluated at y
 *     γmax ← max(γmax, γ);  Σ ← Σ + γmax²;  c ← γmax² / Σ   (c = 0 while Σ = 0)
 *     y    ← (1 − c)·y + c·z + γ·(β₁·(1 − c) − 1)·u
 *     z    ← z − γ·u
 *   evaluate at  x = (y − (1 − β₁)·z) / β₁
 *
 * The y line is the paper's  z' = z − γ·u,  x' = (1 − c)·x + c·z',  y' = (1 − β₁)·z' + β₁·x'  with x gone.
 * As in the official code, not the paper's listing: the bias correction sits in the denominator rather than in
 * γ, and the average weighs step t by the largest lr so far squared (its weight_lr_power = 2, r = 0), so a
 * warm-up's small early steps count little. Defaults are PyTorch's (β₁ 0.9, β₂ 0.999, ε 1e-8; its lr is 0.0025).
 * There is no warmup_steps option: warm-up is the lr schedule, e.g. `linearWarmup({ steps: 1000 }, constant(…))`.
 * The rule applies weight decay itself (at y, inside u); build it without the optimizer's own decay step.
 * β₁ must be > 0, or x cannot be recovered from y and z.
 */
import * as tf from "@tensorflow/tfjs";
import { UpdateRule, check } from "../rule";

const openUnit = (v: number) => (v > 0 && v < 1 ? undefined : "in (0, 1)");

export function scheduleFreeAdamwRule(): UpdateRule {
  return {
    name: "scheduleFreeAdamw",
    flags: {},
    hyperparameters: {
      beta1: { default: 0.9, check: openUnit },
      beta2: { default: 0.999, check: check.unit },
      eps: { default: 1e-8, check: check.positive },
    },
    initSlots: (param) => ({ z: param.clone(), v: tf.zerosLike(param) }),
    initCounters: () => ({ weightSum: 0, lrMax: 0 }),
    update({ param: y, grad, slots, counters, hyper, step }) {
      const { lr, weightDecay, beta1, beta2, eps } = hyper;
      const v = slots.v.mul(beta2).add(grad.square().mul(1 - beta2));
      let u = grad.div(v.div(1 - Math.pow(beta2, step)).sqrt().add(eps));
      if (weightDecay > 0) u = u.add(y.mul(weightDecay));
      const lrMax = Math.max(counters.lrMax, lr);
      const weightSum = counters.weightSum + lrMax * lrMax;
      const c = weightSum > 0 ? (lrMax * lrMax) / weightSum : 0;
      const nextY = y.mul(1 - c).add(slots.z.mul(c)).add(u.mul(lr * (beta1 * (1 - c) - 1)));
      const z = slots.z.sub(u.mul(lr));
      return { param: nextY, slots: { z, v }, counters: { weightSum, lrMax } };
    },
    evaluationParam: (y, slots, hyper) => y.sub(slots.z.mul(1 - hyper.beta1)).div(hyper.beta1),
  };
}
