/**
 * Schedules: pure functions `step -> value` for the learning rate or any other scalar hyperparameter, composable
 * (`linearWarmup`, `sequence`), plottable (`sample`) and serialisable (`spec`, `scheduleFromSpec`). Values match
 * PyTorch's schedulers for the same settings. `reduceOnPlateau` is the one stateful schedule.
 */
export {
  type Schedule,
  type ScheduleSpec,
  type ScheduleSpecValue,
  type ScheduleWithMomentum,
  isSchedule,
} from "./schedule";
export { constant, type ConstantOptions } from "./constant";
export { linear, type LinearOptions } from "./linear";
export { step, type StepOptions } from "./step";
export { multiStep, type MultiStepOptions } from "./multi-step";
export { exponential, type ExponentialOptions } from "./exponential";
export { polynomial, type PolynomialOptions } from "./polynomial";
export { inverseTime, type InverseTimeOptions } from "./inverse-time";
export { cosine, type CosineOptions } from "./cosine";
export { cosineWarmRestarts, type CosineWarmRestartsOptions } from "./cosine-warm-restarts";
export { linearWarmup, type LinearWarmupOptions } from "./linear-warmup";
export { sequence } from "./sequence";
export { piecewiseConstant, type PiecewiseConstantOptions } from "./piecewise-constant";
export { oneCycle, type OneCycleOptions } from "./one-cycle";
export { cyclic, type CyclicOptions } from "./cyclic";
export {
  reduceOnPlateau,
  type ReduceOnPlateauOptions,
  type ReduceOnPlateauSchedule,
  type ReduceOnPlateauState,
} from "./reduce-on-plateau";
export { sample } from "./sample";
export { scheduleFromSpec, scheduleBuilders, type ScheduleBuilder } from "./registry";
