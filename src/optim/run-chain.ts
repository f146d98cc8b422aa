/**
 * One update through a chain of stages: each stage sees every parameter being updated, with its own state
 * of each, and hands the gradients and next values on; the variables take their new values at the end.
 */
import * as tf from "@tensorflow/tfjs";
import type { HyperValues } from "./rule";
import { Stage, StageEntry, UpdateContext, VariableState } from "./stage";
import { StateStore } from "./state";

export interface ChainInput {
  readonly variable: tf.Variable;
  readonly grad: tf.Tensor;
  readonly hyper: HyperValues;
}

/** The state a stateless stage sees (it has no `init`). */
const NO_STATE: VariableState = Object.freeze({ step: 0, slots: Object.freeze({}), counters: Object.freeze({}) }) as VariableState;

/** Applies the chain; returns false when a stage skipped the update (nothing was assigned). */
export function runChain(stages: readonly Stage[], store: StateStore, inputs: readonly ChainInput[], context: UpdateContext): boolean {
  return tf.tidy(() => {
    const flow = inputs.map(({ variable, grad, hyper }) => ({ name: variable.name, variable, hyper, grad, param: variable as tf.Tensor }));
    for (const [i, stage] of stages.entries()) {
      const key = store.stageKeys[i];
      const entries: StageEntry[] = flow.map((f) => ({ ...f, state: stage.init ? store.of(key, f.variable, stage.init) : NO_STATE }));
      if (stage.apply(entries, context) === "skip") return false;
      entries.forEach((e, j) => Object.assign(flow[j], { grad: e.grad, param: e.param }));
    }
    for (const f of flow) if (f.param !== f.variable) f.variable.assign(f.param);
    return true;
  });
}
