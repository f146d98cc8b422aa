/**
 * An exponential moving average of the weights (Polyak averaging; Keras 3's `use_ema`), updated once per
 * optimizer update from the parameter's new value and swapped in for evaluation (`withAveragedWeights`):
 *
 *   θ̄ ← θ                         after a parameter's first update
 *   θ̄ ← d·θ̄ + (1 − d)·θ           afterwards
 */
import { requireKnownKeys, requireUnitInterval } from "../../util/validate";
import { Stage, VariableState, newVariableState, registerStage, replaceSlots } from "../stage";

export interface EmaOptions {
  /** The weight of the past, e.g. 0.999. */
  decay: number;
}

export function ema(options: EmaOptions): Stage {
  requireKnownKeys("ema", options, ["decay"]);
  const decay = requireUnitInterval("ema", "decay", options.decay);
  return {
    kind: "ema",
    spec: Object.freeze({ kind: "ema", decay }),
    hyperparameters: {},
    init: () => newVariableState(),
    apply(entries) {
      for (const { param, state } of entries) {
        const average = state.slots.average;
        replaceSlots(state, { average: average ? average.mul(decay).add(param.mul(1 - decay)) : param.clone() });
        state.step += 1;
      }
    },
    evaluationParam: (param, state: VariableState) => state.slots.average ?? param,
  };
}

registerStage("ema", (spec) => ema({ decay: spec.decay as number }));
