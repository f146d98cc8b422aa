/**
 * SGD with optional heavy-ball momentum, dampening and Nesterov momentum (PyTorch's `torch.optim.SGD`):
 *
 *   if momentum ≠ 0:
 *     b ← g                              on the first step
 *     b ← μ·b + (1 − dampening)·g        afterwards
 *     g ← g + μ·b   (Nesterov)   or   g ← b
 *   θ ← θ − lr·g
 *
 * The momentum buffer is created on the first step that uses momentum, so momentum can be turned on
 * (or scheduled) mid-training, and changing it takes effect at once — tfjs's `setMomentum` does nothing.
 */
import { Slots, UpdateRule, check } from "../rule";

export function sgdRule(flags: { nesterov?: boolean } = {}): UpdateRule {
  const nesterov = flags.nesterov ?? false;
  return {
    name: "sgd",
    flags: { nesterov },
    hyperparameters: {
      momentum: { default: nesterov ? undefined : 0, check: nesterov ? (v) => (v > 0 && v < 1 ? undefined : "in (0, 1) for Nesterov momentum") : check.unit },
      dampening: { default: 0, check: nesterov ? (v) => (v === 0 ? undefined : "0 for Nesterov momentum") : check.unit },
    },
    initSlots: () => ({}),
    update({ param, grad, slots, hyper }) {
      const { lr, momentum, dampening } = hyper;
      if (momentum === 0 && slots.buffer === undefined) return { param: param.sub(grad.mul(lr)), slots: {} as Slots };
      // a copy, not the gradient itself: the caller disposes its gradients after the update
      const buffer = slots.buffer === undefined ? grad.clone() : slots.buffer.mul(momentum).add(grad.mul(1 - dampening));
      const direction = nesterov ? grad.add(buffer.mul(momentum)) : buffer;
      return { param: param.sub(direction.mul(lr)), slots: { buffer } };
    },
  };
}
