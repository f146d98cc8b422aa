/** Data for stepwise: seeded randomness, in-memory datasets and batching, MNIST, synthetic sets, 2-D test functions. */
export { rng } from "./rng";
export type { Rng, MutableIndexed } from "./rng";
export { dataset, sliceDataset, subsetDataset, splitDataset } from "./dataset";
export type { Dataset, DatasetParts, SplitOptions } from "./dataset";
export { batches, batchCount, epochOrder } from "./batches";
export type { BatchesOptions, DataBatch } from "./batches";
export { readIdx, readIdxFile } from "./idx";
export type { IdxArray, IdxData, IdxDtype } from "./idx";
export { loadMnist } from "./mnist";
export type { MnistOptions } from "./mnist";
export { linearRegression, twoMoons, spirals } from "./synthetic";
export type { LinearRegressionOptions, RegressionDataset, TwoMoonsOptions, SpiralsOptions } from "./synthetic";
export { illConditionedQuadratic, rosenbrock, beale } from "./functions2d";
export type { Point2D, QuadraticOptions, RosenbrockOptions, TestFunction2D } from "./functions2d";
