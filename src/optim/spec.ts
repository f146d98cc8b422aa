/**
 * An optimizer's configuration as JSON (no tensors): its stages' specs, its groups with their
 * hyperparameters (schedules as specs) and its accumulation. Saved with a model (tfjs's optimizer config)
 * and rebuilt by `optimizerFromSpec`; the format of stepwise 0.x (`optimizer/1`, fixed fields instead of
 * stages) is read too.
 */
import type { OptimizerConfig } from "./optimizer";
import { describeValue } from "../util/validate";
import type { AccumulateOptions } from "./accumulation";
import { DEFAULT_GROUP, GroupOptions, SerializedSelector, deserializeSelector } from "./groups";
import { Hyperparameter, SerializedHyperparameter, deserializeHyperparameter } from "./hyper";
import { Stage, StageSpec, stageFromSpec } from "./stage";
import { ClipOptions, EmaOptions, NonFinitePolicy, WeightDecayMode, clip, ema, nonFiniteCheck, ruleStage, weightDecay } from "./stages";
import { ruleFromConfig } from "./rules";

export interface SerializedGroup {
  name: string;
  params?: SerializedSelector;
  frozen: boolean;
  accumulateSteps?: number;
  hyper: Record<string, SerializedHyperparameter>;
}

export interface SerializedOptimizerConfig {
  format: "stepwise.optimizer/2";
  name: string;
  stages: StageSpec[];
  groups: SerializedGroup[];
  accumulate?: AccumulateOptions;
}

/** The configuration a saved one describes (`toJSONConfig()`'s output). */
export function configFromSpec(saved: SerializedOptimizerConfig | Format1): OptimizerConfig {
  const format = (saved as { format?: unknown } | null)?.format;
  if (format === "stepwise.optimizer/1") return configFromSpec(fromFormat1(saved as Format1));
  if (saved === null || typeof saved !== "object" || format !== "stepwise.optimizer/2") {
    throw new Error(`not a stepwise optimizer config (format ${describeValue(format)})`);
  }
  const spec = saved as SerializedOptimizerConfig;
  const defaultGroup = spec.groups.find((g) => g.name === DEFAULT_GROUP);
  if (!defaultGroup) throw new Error(`stepwise optimizer config has no "${DEFAULT_GROUP}" group`);
  const groups: GroupOptions[] = spec.groups
    .filter((g) => g !== defaultGroup)
    .map((g) => ({
      name: g.name,
      params: deserializeSelector(g.params ?? { names: [] }),
      frozen: g.frozen,
      ...(g.accumulateSteps === undefined ? {} : { accumulateSteps: g.accumulateSteps }),
      ...deserializeHyper(g.hyper),
    }));
  const stages: Stage[] = spec.stages.map(stageFromSpec);
  return { name: spec.name, stages, hyper: deserializeHyper(defaultGroup.hyper), groups, ...(spec.accumulate ? { accumulate: spec.accumulate } : {}) };
}

function deserializeHyper(hyper: Record<string, SerializedHyperparameter>): Record<string, Hyperparameter> {
  return Object.fromEntries(Object.entries(hyper).map(([k, v]) => [k, deserializeHyperparameter(v)]));
}

/** stepwise 0.x: one rule with fixed clipping, decay, EMA and non-finite fields, in the order the chain has them. */
interface Format1 {
  format: "stepwise.optimizer/1";
  rule: { name: string; flags: Record<string, boolean | number> };
  weightDecayMode: WeightDecayMode;
  groups: SerializedGroup[];
  clip?: ClipOptions;
  accumulate?: AccumulateOptions;
  ema?: EmaOptions;
  nonFinite: NonFinitePolicy;
}

function fromFormat1(old: Format1): SerializedOptimizerConfig {
  const stages = [
    nonFiniteCheck(old.nonFinite),
    ...(old.clip ? [clip(old.clip)] : []),
    weightDecay(old.weightDecayMode),
    ruleStage(ruleFromConfig(old.rule.name, old.rule.flags)),
    ...(old.ema ? [ema(old.ema)] : []),
  ];
  return {
    format: "stepwise.optimizer/2",
    name: old.rule.name,
    stages: stages.map((s) => s.spec),
    groups: old.groups,
    ...(old.accumulate ? { accumulate: old.accumulate } : {}),
  };
}
