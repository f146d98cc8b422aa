/**
 * ClipByValue of float32 on wasm with the cpu backend's answers.
 *
 * tfjs-backend-wasm 4.22 clips through XNNPACK's clamp, which turns NaN into the lower bound (and −0 into
 * +0): a NaN gradient clipped by value came out finite, and so did the cross-entropy of a NaN probability
 * (tfjs-layers clips probabilities to [ε, 1 − ε]), which hid a diverged run. Here float32 is clipped as
 * tfjs's cpu backend clips, x > max ? max : x < min ? min : x, in one SIMD pass (assembly/index.ts
 * `clipByValue`); other dtypes go to the original kernel (int32 then to cpu: dtype-fallback.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

interface ClipAttrs {
  clipValueMin: number;
  clipValueMax: number;
}

export function cpuClipConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const backend = args.backend as unknown as WasmBackendLike;
    const kernels = x.dtype === "float32" ? simdKernels(backend) : undefined;
    if (!kernels) return original.kernelFunc(args);
    const { clipValueMin, clipValueMax } = args.attrs as unknown as ClipAttrs;
    const out = backend.makeOutput(x.shape.slice(), "float32");
    runChecked(backend, "ClipByValue", [["x", x], ["out", out]], [out], (input, clipped) =>
      kernels.clipByValue(input.offset, clipped.offset, tf.util.sizeFromShape(x.shape), clipValueMin, clipValueMax, input.bytes, clipped.bytes),
    );
    return out;
  };
  return { kernelName: "ClipByValue", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
