/**
 * AvgPoolGrad on wasm with its dy checked against the pool's geometry before tfjs's own kernel reads it.
 *
 * tfjs 4.22's gradient of avgPool drops `dimRoundingMode`, so a rounded numeric padding that changes the
 * output size hands the kernel a dy of another shape than the geometry it recomputes, and the backend's
 * kernel would read dy out of its bounds. That case is an error (geometry.ts); every other runs the original.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { requireForwardOutputShape, type PadAttr } from "./geometry";

interface AvgPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

export function checkedAvgPoolGradConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as AvgPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    requireForwardOutputShape("AvgPoolGrad", dy.shape, info);
    return original.kernelFunc(args);
  };
  return { kernelName: "AvgPoolGrad", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
