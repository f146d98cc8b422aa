/**
 * ReLU and ReLU6 on wasm with the cpu backend's answers where XNNPACK's differ.
 *
 * tfjs-backend-wasm 4.22 applies relu and relu6 as XNNPACK's output clamp, which turned NaN into 0: in
 * `Relu6`, in `_FusedMatMul` and `FusedDepthwiseConv2D` with relu or relu6, and in `FusedConv2D` with relu6
 * (the fused kernels are what tfjs-layers runs for a Dense or convolution layer with a relu activation
 * outside a gradient tape: predict, evaluate, validation). A diverged model then predicted finite numbers on
 * wasm where cpu gives NaN. Its own `Relu` kept a NaN whose sign bit is clear and turned one whose sign bit
 * is set into 0 — and ∞ − ∞ in a product gives that NaN on x86 (tf.tensor([NaN]) gives the other, which is
 * why a probe with literal NaN inputs missed it). Here Relu and Relu6 are one SIMD pass
 * (assembly/index.ts `reluClamp`: wasm's f32x4.max keeps every NaN), and a fused kernel with relu or relu6 runs the original with a linear
 * activation (its product and bias keep NaN) and then that pass over its own output, in place. Other
 * activations and dtypes go to the original kernel unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

/** The fused kernels whose relu and relu6 XNNPACK clamps. */
export const CLAMPED_FUSED_KERNELS: readonly string[] = ["_FusedMatMul", "FusedConv2D", "FusedDepthwiseConv2D"];

const CLAMPED = new Set(["relu", "relu6"]);

/** max(0, x) or min(max(0, x), 6) of float32 `x` into `out` (which may be `x`). */
function clampInto(backend: WasmBackendLike, kernel: string, x: TensorInfo, out: TensorInfo, six: boolean): void {
  const kernels = simdKernels(backend)!;
  runChecked(backend, kernel, [["x", x], ["out", out]], [out], (input, output) =>
    kernels.reluClamp(input.offset, output.offset, tf.util.sizeFromShape(x.shape), six ? 1 : 0, input.bytes, output.bytes),
  );
}

export function relu6Config(original: KernelConfig): KernelConfig {
  return clampConfig(original, "Relu6");
}

export function reluConfig(original: KernelConfig): KernelConfig {
  return clampConfig(original, "Relu");
}

function clampConfig(original: KernelConfig, kernelName: "Relu" | "Relu6"): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = args.backend as unknown as WasmBackendLike;
    if (x.dtype !== "float32" || !simdKernels(backend)) return original.kernelFunc(args);
    const out = backend.makeOutput(x.shape.slice(), "float32");
    clampInto(backend, kernelName, x, out, kernelName === "Relu6");
    return out;
  };
  return { kernelName, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}

export function nanKeepingFusedConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const activation = (args.attrs as { activation?: string }).activation;
    const backend = args.backend as unknown as WasmBackendLike;
    const floats = Object.values(args.inputs).every((t) => t === undefined || t === null || (t as TensorInfo).dtype === "float32");
    if (activation === undefined || !CLAMPED.has(activation) || !floats || !simdKernels(backend)) return original.kernelFunc(args);
    const out = original.kernelFunc({ ...args, attrs: { ...args.attrs, activation: "linear" } }) as TensorInfo;
    clampInto(backend, original.kernelName, out, out, activation === "relu6");
    return out;
  };
  return { kernelName: original.kernelName, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
