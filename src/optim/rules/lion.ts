/**
 * Lion, "EvoLved Sign Momentum" (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2;
 * weight decay is decoupled, as in the paper):
 *
 *   θ ← θ − lr·sign(β₁·m + (1 − β₁)·g)
 *   m ← β₂·m + (1 − β₂)·g
 */
import * as tf from "@tensorflow/tfjs";
import { UpdateRule, check } from "../rule";

export function lionRule(): UpdateRule {
  return {
    name: "lion",
    flags: {},
    hyperparameters: {
      beta1: { default: 0.9, check: check.unit },
      beta2: { default: 0.99, check: check.unit },
    },
    initSlots: (param) => ({ m: tf.zerosLike(param) }),
    update({ param, grad, slots, hyper }) {
      const { lr, beta1, beta2 } = hyper;
      const direction = slots.m.mul(beta1).add(grad.mul(1 - beta1)).sign();
      const m = slots.m.mul(beta2).add(grad.mul(1 - beta2));
      return { param: param.sub(direction.mul(lr)), slots: { m } };
    },
  };
}
