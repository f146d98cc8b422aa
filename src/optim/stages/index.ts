/** The stages an optimizer is made of; importing this module registers every kind for `stageFromSpec`. */
export { clip } from "./clip";
export type { ClipOptions } from "./clip";
export { ema } from "./ema";
export type { EmaOptions } from "./ema";
export { NON_FINITE_POLICIES, NonFiniteGradientError, nonFiniteCheck } from "./non-finite";
export type { NonFinitePolicy } from "./non-finite";
export { ruleStage } from "./rule";
export { decoupledDecay, l2Decay, weightDecay } from "./weight-decay";
export type { WeightDecayMode } from "./weight-decay";
