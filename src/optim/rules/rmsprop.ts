/**
 * RMSProp (PyTorch's `torch.optim.RMSprop`), optionally centered and with momentum:
 *
 *   v ← α·v + (1 − α)·g²
 *   centered:  ḡ ← α·ḡ + (1 − α)·g;   d ← √(v − ḡ²) + ε      else  d ← √v + ε
 *   momentum:  b ← μ·b + g/d;  θ ← θ − lr·b                   else  θ ← θ − lr·g/d
 */
import * as tf from "@tensorflow/tfjs";
import { Slots, UpdateRule, check } from "../rule";

export function rmspropRule(flags: { centered?: boolean } = {}): UpdateRule {
  const centered = flags.centered ?? false;
  return {
    name: "rmsprop",
    flags: { centered },
    hyperparameters: {
      alpha: { default: 0.99, check: check.unit },
      eps: { default: 1e-8, check: check.positive },
      momentum: { default: 0, check: check.unit },
    },
    initSlots: (param) => ({ squareAvg: tf.zerosLike(param), ...(centered ? { gradAvg: tf.zerosLike(param) } : {}) }),
    update({ param, grad, slots, hyper }) {
      const { lr, alpha, eps, momentum } = hyper;
      const squareAvg = slots.squareAvg.mul(alpha).add(grad.square().mul(1 - alpha));
      const next: Slots = { squareAvg };
      let denominator: tf.Tensor;
      if (centered) {
        const gradAvg = slots.gradAvg.mul(alpha).add(grad.mul(1 - alpha));
        next.gradAvg = gradAvg;
        denominator = squareAvg.sub(gradAvg.square()).sqrt().add(eps);
      } else {
        denominator = squareAvg.sqrt().add(eps);
      }
      if (momentum === 0 && slots.buffer === undefined) return { param: param.sub(grad.div(denominator).mul(lr)), slots: next };
      const previous = slots.buffer ?? tf.zerosLike(param);
      next.buffer = previous.mul(momentum).add(grad.div(denominator));
      return { param: param.sub(next.buffer.mul(lr)), slots: next };
    },
  };
}
