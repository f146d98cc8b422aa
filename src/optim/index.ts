export { NonFiniteGradientError, Optimizer, optimizerConfigFromJSON, renameStateVariables } from "./optimizer";
export type {
  AccumulateOptions,
  ApplyOptions,
  NonFinitePolicy,
  OptimizerConfig,
  OptimizerState,
  SerializedOptimizerConfig,
  UpdateReport,
  WeightDecayMode,
} from "./optimizer";
export { adagrad, adam, adamax, adamw, amsgrad, lion, momentum, nadam, nesterov, rmsprop, sgd } from "./factories";
export type {
  AdagradOptions,
  AdamOptions,
  AdamaxOptions,
  CommonOptions,
  LionOptions,
  MomentumOptions,
  NadamOptions,
  RmspropOptions,
  SgdOptions,
} from "./factories";
export type { ClipOptions } from "./clip";
export type { EmaOptions } from "./ema";
export type { GroupOptions, ParamGroup, ParamSelector } from "./groups";
export type { Hyperparameter } from "./hyper";
export type { UpdateRule, UpdateInput, UpdateOutput, Slots, Counters, HyperValues } from "./rule";
export { ruleFromConfig } from "./rules";
export { squaredNormValue } from "./fused";
