export { GradientAccumulator, LAST_WINDOW_POLICIES } from "./accumulator";
export type { AccumulatorOptions, AccumulatorState, CompletedWindow, GradientSink, LastWindowPolicy } from "./accumulator";
export { NoiseScaleTracker } from "./noise-scale";
export type { NoiseScaleEstimate, NoiseScaleState, WindowNorms } from "./noise-scale";
