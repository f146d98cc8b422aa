/**
 * In-place tensor arithmetic that a backend may provide: squared norms read where the data lies, and an
 * accumulation window's sum updated in place, each in one pass (stepwise's wasm SIMD kernels provide them:
 * src/backend/kernels/optimizer-steps.ts). The optimizer and the accumulator ask for them here and compose
 * tfjs ops where none is provided, so the math does not import a backend: a backend registers itself.
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs-core";

/** A matrix product a training step is about to run as BatchMatMul: a Dense layer's weight gradient xᵀ·dy. */
export interface MatrixProduct {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
}

export interface InPlaceArithmetic {
  /** Σ x² over `tensors`, or undefined where this backend cannot read them (not its data, not float32). */
  squaredNorm(tensors: readonly tf.Tensor[]): number | undefined;
  /**
   * `sum` + `grad`·`scale` written into `sum` (which the caller owns alone), or into a new kept tensor when
   * there is no sum, with Σ grad²; undefined (nothing written) where this backend cannot.
   */
  accumulate(sum: tf.Tensor | undefined, grad: tf.Tensor, scale: number): { sum: tf.Tensor; gradSquares: number } | undefined;
  /** `t` / `divisor` in place (the caller owns `t` alone), returning Σ of the squared quotients; else undefined. */
  divide(t: tf.Tensor, divisor: number): number | undefined;
  /**
   * accumulate, then divide, in one pass: (`sum` + `grad`·`scale`) / `divisor` written into `sum` (or a new
   * kept tensor when there is no sum), with the bits of the two, Σ grad² and Σ of the squared quotients;
   * undefined (nothing written) where this backend cannot.
   */
  accumulateMean(sum: tf.Tensor | undefined, grad: tf.Tensor, scale: number, divisor: number): { mean: tf.Tensor; gradSquares: number; meanSquares: number } | undefined;
  /**
   * accumulate for a gradient that is still a product to compute: `sum` + `product`·`scale` written into
   * `sum` (or a new kept tensor when there is no sum) without making the product a tensor, with the bits of
   * computing it and then accumulate; with `squares`, Σ product² too (close to, not equal to, accumulate's).
   * Undefined (nothing written, nothing computed) where this backend cannot.
   */
  accumulateProduct?(sum: tf.Tensor | undefined, product: MatrixProduct, scale: number, squares: boolean): { sum: tf.Tensor; gradSquares: number | undefined } | undefined;
}

const KEY = Symbol.for("stepwise.inPlaceArithmetic");
type Registry = Map<string, InPlaceArithmetic>;

/** Keyed on a global symbol, so that duplicate copies of this module share the providers. */
function registry(): Registry {
  const global = globalThis as Record<symbol, Registry | undefined>;
  return (global[KEY] ??= new Map());
}

/** For backends: provide in-place arithmetic for tensors of the backend named `backendName`. */
export function provideInPlaceArithmetic(backendName: string, arithmetic: InPlaceArithmetic): void {
  registry().set(backendName, arithmetic);
}

/** The active backend's in-place arithmetic, if it provides any. */
export function inPlaceArithmetic(): InPlaceArithmetic | undefined {
  return registry().get(tf.getBackend());
}
