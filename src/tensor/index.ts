export { decodeTensor, encodeTensor } from "./codec";
export type { EncodedTensor } from "./codec";
export { inPlaceArithmetic, provideInPlaceArithmetic } from "./in-place";
export type { InPlaceArithmetic, MatrixProduct } from "./in-place";
export { addSquaredNorms, deferredSquaredNorm, disposeSquaredNorm, readSquaredNorms, squaredGlobalNorm, squaredNormValue } from "./norms";
export type { SquaredNorm } from "./norms";
export { runKernelIfRegistered } from "./fused-kernel";
