import * as tf from "@tensorflow/tfjs";
import type { NamedAttrMap } from "@tensorflow/tfjs-core";

/**
 * The outputs of the kernel `kernelName` run on `inputs`, or undefined when the active backend has no such
 * kernel: how the optimizer uses a fused step a backend registered (stepwise's Adam step on wasm) and falls
 * back to composed tfjs ops elsewhere.
 */
export function runKernelIfRegistered(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor[] | undefined {
  if (!tf.getKernel(kernelName, tf.getBackend())) return undefined;
  const outputs = tf.engine().runKernel(kernelName, inputs, attrs as NamedAttrMap) as unknown as tf.Tensor | tf.Tensor[];
  return Array.isArray(outputs) ? outputs : [outputs]; // a kernel with one output gives a tensor, not a list
}
