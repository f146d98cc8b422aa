/**
 * ClipByValue of float32 on wasm with the cpu backend's answers.
 *
 * tfjs-backend-wasm 4.22 clips through XNNPACK's clamp, which turns NaN into the lower bound (and −0 into
 * +0): a NaN gradient clipped by value came out finite, and so did the cross-entropy of a NaN probability
 * (tfjs-layers clips probabilities to [ε, 1 − ε]), which hid a diverged run. Here float32 is clipped as
 * tfjs's cpu backend clips, x > max ? max : x < min ? min : x, in one SIMD pass (assembly/index.ts
 * `clipByValue`); other dtypes go to the original kernel (int32 then to cpu: dtype-fallback.ts).
 *
 * Its gradient, as tfjs-core writes it, is where(logicalAnd(x >= min, x <= max), dy, zerosLike(dy)): five
 * kernels and three broadcast clones, and tfjs-layers' cross-entropies clip twice in every training step
 * through `model.fit` (fourteen kernel dispatches of a step's hundred on the bench MLP). `StepwiseClipByValueGrad`
 * is that selection in one pass (assembly/index.ts `clipByValueGrad`), so the same bits, and ClipByValue's
 * gradient is re-registered to use it where the active backend has it; elsewhere it is tfjs's own.
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
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

export const CLIP_GRAD_KERNEL = "StepwiseClipByValueGrad";

const clipByValueGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const kernels = simdKernels(wasm);
  if (!kernels) throw new Error(`stepwise ${CLIP_GRAD_KERNEL}: this runtime lacks wasm SIMD`);
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  if (dy.dtype !== "float32" || x.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(`stepwise ${CLIP_GRAD_KERNEL}: dy and x must be float32 tensors of one shape, got ${dy.dtype} [${dy.shape}] and ${x.dtype} [${x.shape}]`);
  }
  const { clipValueMin, clipValueMax } = attrs as unknown as ClipAttrs;
  const dx = wasm.makeOutput(x.shape.slice(), "float32");
  runChecked(wasm, CLIP_GRAD_KERNEL, [["dy", dy], ["x", x], ["dx", dx]], [dx], (g, input, out) =>
    kernels.clipByValueGrad(g.offset, input.offset, out.offset, tf.util.sizeFromShape(x.shape), clipValueMin, clipValueMax, g.bytes, input.bytes, out.bytes),
  );
  return dx;
};

export const clipByValueGradConfig: KernelConfig = { kernelName: CLIP_GRAD_KERNEL, backendName: "wasm", kernelFunc: clipByValueGrad };

/** ClipByValue's gradient: the fused kernel where the active backend has it (float32), else `original` (tfjs-core's). */
export function clipByValueGradientConfig(original: GradConfig): GradConfig {
  return {
    kernelName: "ClipByValue",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs: NamedAttrMap) => {
      const [x] = saved;
      const gradient = dy as tf.Tensor;
      if (x.dtype !== "float32" || gradient.dtype !== "float32" || tf.getKernel(CLIP_GRAD_KERNEL, tf.getBackend()) === undefined) {
        return original.gradFunc(dy, saved, attrs);
      }
      const { clipValueMin, clipValueMax } = attrs as unknown as ClipAttrs;
      return { x: () => tf.engine().runKernel(CLIP_GRAD_KERNEL, { dy: gradient, x }, { clipValueMin, clipValueMax }) as tf.Tensor };
    },
  };
}
