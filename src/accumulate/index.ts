export { GradientAccumulator, LAST_WINDOW_POLICIES } from "./accumulator";
export type { AccumulatorOptions, AccumulatorState, CompletedWindow, LastWindowPolicy } from "./accumulator";
export { NoiseScaleTracker } from "./noise-scale";
export type { NoiseScaleEstimate, WindowNorms } from "./noise-scale";
