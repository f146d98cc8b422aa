/**
 * The non-finite check: a gradient with NaN or ±Infinity either stops training with an error that names the
 * parameter ("error", the default) or skips the whole update ("skip", as mixed-precision loss scaling does).
 * It reads the joint gradient norm the optimizer already computed, so a finite update costs nothing here.
 * It belongs first in a chain: a skipped update must change no state.
 */
import * as tf from "@tensorflow/tfjs";
import { requireOneOf } from "../../util/validate";
import { Stage, StageSpec, registerStage } from "../stage";

export type NonFinitePolicy = "error" | "skip";
export const NON_FINITE_POLICIES: readonly NonFinitePolicy[] = ["error", "skip"];

/** A gradient with NaN or ±Infinity: names the parameter and the update. */
export class NonFiniteGradientError extends Error {
  override readonly name = "NonFiniteGradientError";

  constructor(
    optimizer: string,
    readonly parameter: string,
    readonly update: number,
  ) {
    super(`${optimizer}: non-finite gradient for parameter "${parameter}" at update ${update}; pass nonFinite: "skip" to skip such updates`);
  }
}

/** `where` names the caller in errors (an optimizer factory passes its name). */
export function nonFiniteCheck(policy: NonFinitePolicy = "error", where = "nonFiniteCheck"): Stage {
  const checked = requireOneOf(where, "nonFinite", policy, NON_FINITE_POLICIES);
  return {
    kind: "nonFinite",
    spec: Object.freeze({ kind: "nonFinite", policy: checked }),
    hyperparameters: {},
    apply(entries, { gradientNorm, optimizer, update }) {
      if (Number.isFinite(gradientNorm)) return;
      if (checked === "skip") return "skip";
      const culprit = entries.find((e) => tf.logicalNot(tf.all(tf.isFinite(e.grad))).dataSync()[0] === 1);
      throw new NonFiniteGradientError(optimizer, culprit?.name ?? entries[0].name, update);
    },
  };
}

registerStage("nonFinite", (spec: StageSpec) => nonFiniteCheck(spec.policy as NonFinitePolicy));
