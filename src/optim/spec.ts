/**
 * An optimizer's configuration as JSON (no tensors): its stages' specs, its groups with their
 * hyperparameters (schedules as specs) and its accumulation. Saved with a model (tfjs's optimizer config)
 * and rebuilt by `optimizerFromSpec`.
 */
import type { OptimizerConfig } from "./optimizer";
import { describeValue } from "../util/validate";
import type { AccumulateOptions } from "./accumulation";
import { DEFAULT_GROUP, GroupOptions, SerializedSelector, deserializeSelector } from "./groups";
import { Hyperparameter, SerializedHyperparameter, deserializeHyperparameter } from "./hyper";
import { Stage, StageSpec, stageFromSpec } from "./stage";

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
export function configFromSpec(saved: SerializedOptimizerConfig): OptimizerConfig {
  const format = (saved as { format?: unknown } | null)?.format;
  if (saved === null || typeof saved !== "object" || format !== "stepwise.optimizer/2") {
    throw new Error(`not a stepwise optimizer config (format ${describeValue(format)}; this version reads "stepwise.optimizer/2")`);
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
