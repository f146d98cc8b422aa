export { Optimizer } from "./optimizer";
export type { ApplyOptions, OptimizerConfig, UpdateReport } from "./optimizer";
export type { AccumulateOptions } from "./accumulation";
export { renameStateVariables } from "./state";
export type { OptimizerState } from "./state";
export type { SerializedGroup, SerializedOptimizerConfig } from "./spec";
export { adagrad, adam, adamax, adamw, amsgrad, chain, lion, momentum, nadam, nesterov, optimizerFromSpec, rmsprop, scheduleFreeAdamw, sgd } from "./factories";
export type {
  AdagradOptions,
  AdamOptions,
  AdamaxOptions,
  ChainOptions,
  CommonOptions,
  LionOptions,
  MomentumOptions,
  NadamOptions,
  RmspropOptions,
  ScheduleFreeAdamwOptions,
  SgdOptions,
} from "./factories";
export { clip, decoupledDecay, ema, l2Decay, NonFiniteGradientError, nonFiniteCheck, ruleStage, weightDecay } from "./stages";
export type { ClipOptions, EmaOptions, NonFinitePolicy, WeightDecayMode } from "./stages";
export { registerStage, stageFromSpec } from "./stage";
export type { Stage, StageEntry, StageSpec, UpdateContext, VariableState } from "./stage";
export type { GroupOptions, ParamGroup, ParamSelector } from "./groups";
export type { Hyperparameter } from "./hyper";
export type { UpdateRule, UpdateInput, UpdateOutput, Slots, Counters, HyperValues } from "./rule";
export { adagradRule, adamRule, adamaxRule, lionRule, nadamRule, rmspropRule, ruleFromConfig, scheduleFreeAdamwRule, sgdRule } from "./rules";
export { squaredNormValue } from "../tensor";
