/**
 * The update rule (SGD, Adam, Lion, …) as a stage: the rule maps the parameter, its gradient and its slots
 * to the parameter's next value and new slots (src/optim/rule.ts); this stage keeps the slots, counters and
 * per-variable step that PyTorch keeps in `optimizer.state[p]`.
 */
import { UpdateRule } from "../rule";
import { ruleFromConfig } from "../rules";
import { Stage, newVariableState, registerStage, replaceSlots } from "../stage";

export function ruleStage(rule: UpdateRule): Stage {
  return {
    kind: "rule",
    spec: Object.freeze({ kind: "rule", rule: rule.name, flags: Object.freeze({ ...rule.flags }) }),
    hyperparameters: rule.hyperparameters,
    init: (variable) => newVariableState(rule.initSlots(variable), rule.initCounters?.() ?? {}),
    apply(entries) {
      for (const e of entries) {
        const { state } = e;
        const out = rule.update({ param: e.param, grad: e.grad, slots: state.slots, counters: state.counters, hyper: e.hyper, step: state.step + 1 });
        e.param = out.param;
        replaceSlots(state, out.slots);
        if (out.counters) state.counters = out.counters;
        state.step += 1;
      }
    },
    ...(rule.evaluationParam ? { evaluationParam: (param, state, hyper) => rule.evaluationParam!(param, state.slots, hyper) } : {}),
  };
}

registerStage("rule", (spec) => {
  const flags = (spec.flags ?? {}) as Record<string, boolean | number>;
  return ruleStage(ruleFromConfig(String(spec.rule), flags));
});
