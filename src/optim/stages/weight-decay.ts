/**
 * Weight decay, two ways, both reading the group's `weightDecay` λ (a number or a schedule; 0 turns it off):
 *
 *   l2Decay:         g ← g + λ·θ            (PyTorch's `weight_decay`; Adam normalises it away)
 *   decoupledDecay:  θ ← θ − lr·λ·θ          (AdamW, Lion: Loshchilov & Hutter 2019)
 */
import { Stage, registerStage } from "../stage";

export type WeightDecayMode = "l2" | "decoupled";

export function l2Decay(): Stage {
  return {
    kind: "l2Decay",
    spec: Object.freeze({ kind: "l2Decay" }),
    hyperparameters: {},
    apply(entries) {
      for (const e of entries) if (e.hyper.weightDecay > 0) e.grad = e.grad.add(e.variable.mul(e.hyper.weightDecay));
    },
  };
}

export function decoupledDecay(): Stage {
  return {
    kind: "decoupledDecay",
    spec: Object.freeze({ kind: "decoupledDecay" }),
    hyperparameters: {},
    apply(entries) {
      for (const e of entries) if (e.hyper.weightDecay > 0) e.param = e.param.mul(1 - e.hyper.lr * e.hyper.weightDecay);
    },
  };
}

/** The decay stage of a mode. */
export function weightDecay(mode: WeightDecayMode): Stage {
  return mode === "l2" ? l2Decay() : decoupledDecay();
}

registerStage("l2Decay", () => l2Decay());
registerStage("decoupledDecay", () => decoupledDecay());
