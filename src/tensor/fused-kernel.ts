import * as tf from "@tensorflow/tfjs";
import type { NamedAttrMap } from "@tensorflow/tfjs-core";

/**
 * The outputs of the kernel `kernelName` run on `inputs`, or undefined when the active backend has no such
 * kernel: how the optimizer uses a fused step a backend registered (stepwise's Adam step on wasm) and falls
 * back to composed tfjs ops elsewhere.
 */
export function runKernelIfRegistered(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor[] | undefined {
  if (!tf.getKernel(kernelName, tf.getBackend())) return undefined;
  return runKernelOutputs(kernelName, inputs, attrs);
}

/** Whether the active backend registered every one of the kernels `kernelNames`. */
export function backendHasKernels(...kernelNames: string[]): boolean {
  const backend = tf.getBackend();
  return kernelNames.every((name) => tf.getKernel(name, backend) !== undefined);
}

/** The outputs of the kernel `kernelName`, which the active backend must have, as a list. */
export function runKernelOutputs(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object = {}): tf.Tensor[] {
  const outputs = tf.engine().runKernel(kernelName, inputs, attrs as NamedAttrMap) as unknown as tf.Tensor | tf.Tensor[];
  return Array.isArray(outputs) ? outputs : [outputs]; // a kernel with one output gives a tensor, not a list
}
