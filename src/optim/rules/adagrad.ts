/**
 * AdaGrad (PyTorch's `torch.optim.Adagrad`):
 *
 *   lr_t ← lr / (1 + (t − 1)·lr_decay)
 *   s ← s + g²                      (s starts at initial_accumulator_value)
 *   θ ← θ − lr_t · g / (√s + ε)
 */
import * as tf from "@tensorflow/tfjs";
import { UpdateRule, check } from "../rule";

export function adagradRule(flags: { initialAccumulator?: number } = {}): UpdateRule {
  const initialAccumulator = flags.initialAccumulator ?? 0;
  if (!Number.isFinite(initialAccumulator) || initialAccumulator < 0) {
    throw new Error(`adagrad: initialAccumulator must be a finite number >= 0, got ${initialAccumulator}`);
  }
  return {
    name: "adagrad",
    flags: { initialAccumulator },
    hyperparameters: {
      lrDecay: { default: 0, check: check.nonNegative },
      eps: { default: 1e-10, check: check.positive },
    },
    initSlots: (param) => ({ sum: tf.fill(param.shape, initialAccumulator) }),
    update({ param, grad, slots, hyper, step }) {
      const lr = hyper.lr / (1 + (step - 1) * hyper.lrDecay);
      const sum = slots.sum.add(grad.square());
      return { param: param.sub(grad.div(sum.sqrt().add(hyper.eps)).mul(lr)), slots: { sum } };
    },
  };
}
