/**
 * Fused optimizer arithmetic where the active backend has it (stepwise registers it for wasm with SIMD:
 * src/backend/kernels/optimizer-steps.ts), the composed tfjs ops elsewhere.
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedAttrMap } from "@tensorflow/tfjs-core";
import { wasmSquaredNorm } from "../backend/kernels/optimizer-steps";
import { squaredGlobalNorm } from "./clip";

/** The outputs of `kernelName` run on `inputs`, or undefined when the active backend lacks the kernel. */
export function runFusedStep(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor[] | undefined {
  if (!tf.getKernel(kernelName, tf.getBackend())) return undefined;
  const outputs = tf.engine().runKernel(kernelName, inputs, attrs as NamedAttrMap) as unknown as tf.Tensor | tf.Tensor[];
  return Array.isArray(outputs) ? outputs : [outputs]; // a kernel with one output gives a tensor, not a list
}

/** Σ‖t‖² over `tensors` as a number: read in place on wasm, else reduced on the device and read once. */
export function squaredNormValue(tensors: readonly tf.Tensor[]): number {
  return wasmSquaredNorm(tensors) ?? tf.tidy(() => squaredGlobalNorm(tensors).dataSync()[0]);
}
