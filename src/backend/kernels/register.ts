/**
 * The training kernels that tfjs-backend-wasm 4.22 lacks, composed from its own kernels.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig } from "@tensorflow/tfjs-core";
import { installWasmMatMul } from "../wasm-matmul";
import { conv2DBackpropFilterConfig } from "./conv2d-backprop-filter";
import { conv2DBackpropInputConfig } from "./conv2d-backprop-input";
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from "./depthwise-backprop";
import { checkedAvgPoolGradConfig } from "./avg-pool-grad";
import { EXPLICIT_PADDING_KERNELS, explicitPaddingConfig } from "./explicit-padding";
import { sharingCastConfig, sharingIdentityConfig } from "./forward";
import { CPU_DTYPE_CASES, cpuForDtypesConfig } from "./dtype-fallback";
import { bilinearGradConfig, nearestGradConfig } from "./resize-grad";
import { maxPoolGradConfig } from "./max-pool-grad";
import { heapSliceConfig, heapSplitConfig, heapStridedSliceConfig, heapUnpackConfig } from "./slice";
import { provideInPlaceArithmetic } from "../../tensor";
import { adamStepConfig, wasmInPlaceArithmetic } from "./optimizer-steps";
import { simdKernelsAvailable } from "./simd";
import { leadingSumConfig } from "./sum";
import { sliceGatherConfig } from "./gather";
import { biasAddConfig } from "./bias-add";
import { clipByValueGradConfig, clipByValueGradientConfig, cpuClipConfig } from "./clip";
import { CLAMPED_FUSED_KERNELS, nanKeepingFusedConfig, relu6Config, reluConfig } from "./relu-clamp";
import { nanKeepingMaxMinConfig } from "./max-min";
import { directConv2DConfig, directFusedConv2DConfig } from "./conv2d";
import { directAvgPoolConfig, directMaxPoolConfig } from "./pools";
import { reluGradColumnSumsConfig, reluGradConfig, reluGradientConfig } from "./relu-grad";
import { lossKernelConfigs } from "./cross-entropy";
import { softmaxGradColumnSumsConfig, softmaxGradConfig, softmaxGradientConfig } from "./softmax-grad";
import { divideByRowGradConfig, divideGradientConfig } from "./divide-grad";
import { unsortedSegmentSumConfig } from "./unsorted-segment-sum";
import { installTapeFusion } from "./tape-fusion";
import { matrixTransposeConfig } from "./transpose";
import { maxPoolGradientConfig, maxPoolGradReluConfig } from "./pool-relu-grad";

/** Kernels tfjs-backend-wasm 4.22 does not have. */
export const missingWasmKernels: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/** Kernels it has, replaced by faster compositions (see each module). */
export const replacedWasmKernels: readonly KernelConfig[] = [conv2DBackpropInputConfig];

/**
 * Kernels it has, replaced by stepwise's SIMD kernels (assembly/index.ts), and stepwise's fused optimizer
 * step: registered where the runtime has wasm SIMD.
 */
export const simdWasmKernels: readonly KernelConfig[] = [
  maxPoolGradConfig,
  adamStepConfig,
  reluGradConfig,
  reluGradColumnSumsConfig,
  maxPoolGradReluConfig,
  softmaxGradConfig,
  softmaxGradColumnSumsConfig,
  clipByValueGradConfig,
  divideByRowGradConfig,
  ...lossKernelConfigs,
];

let registered = false;

/**
 * Registers Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter/Input and UnsortedSegmentSum for the
 * wasm backend, so that CNN and embedding training run on wasm, and replaces its scalar-loop
 * Conv2DBackpropInput, its slow MaxPoolGrad and transposed matmuls with faster compositions, and its copying
 * Identity and same-dtype Cast with buffer sharing (forward.ts; also fixes its Cast to bool). It runs the
 * dtypes that some of its kernels get wrong (OneHot to float32 among them) on cpu (dtype-fallback.ts),
 * computes its resize gradients where they are wrong (resize-grad.ts), keeps NaN where XNNPACK lost it
 * (clip.ts, relu-clamp.ts, max-min.ts, pools.ts), transposes matrices in SIMD blocks (transpose.ts), runs a layer's bias and relu inside its product under a
 * gradient tape too (tape-fusion.ts), slices without first copying the
 * whole input out of the heap (slice.ts), and gives its forward convolutions and
 * pools their padding as explicit amounts (explicit-padding.ts: XNNPACK gets some "same" paddings wrong, and
 * tfjs-core mis-sizes some numeric ones). Where the runtime has wasm SIMD,
 * stepwise's own kernels (simd.ts) take max pools and their gradients, the filter gradients, bias sums and additions, gathers,
 * products with new weights, the fused Adam and accumulation steps, the gradients of ReLU, Softmax, clipByValue and a row divided by its sum,
 * and the arithmetic of sw.fit's cross-entropies (cross-entropy.ts).
 * Idempotent; a kernel that the wasm backend registers itself (a later tfjs) is left as it is.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  require("@tensorflow/tfjs-backend-wasm");
  for (const config of missingWasmKernels) {
    if (!tf.getKernel(config.kernelName, "wasm")) tf.registerKernel(config);
  }
  for (const config of [...replacedWasmKernels, ...(simdKernelsAvailable() ? simdWasmKernels : [])]) {
    if (tf.getKernel(config.kernelName, "wasm")) tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel(config);
  }
  // wrappers of the backend's own kernels: each handles its case and hands every other to the original
  const wrappers: Array<[string, (original: KernelConfig) => KernelConfig]> = [
    // beneath the explicit padding (wrapped next), so that it receives tfjs's checked explicit paddings
    // FusedConv2D: XNNPACK's NaN-losing relu clamped first, so that the direct kernel, which applies its
    // relu itself, hands the cases it does not take to a kernel that keeps NaN
    ...(simdKernelsAvailable()
      ? ([
          ["Conv2D", directConv2DConfig],
          ["FusedConv2D", nanKeepingFusedConfig],
          ["FusedConv2D", directFusedConv2DConfig],
          ["MaxPool", directMaxPoolConfig],
          ["AvgPool", directAvgPoolConfig],
        ] as Array<[string, (original: KernelConfig) => KernelConfig]>)
      : []),
    ["Identity", sharingIdentityConfig],
    ["Cast", sharingCastConfig],
    ["ResizeBilinearGrad", bilinearGradConfig],
    ["ResizeNearestNeighborGrad", nearestGradConfig],
    ["AvgPoolGrad", checkedAvgPoolGradConfig],
    // beneath the dtype fallback (wrapped last), which takes StridedSlice's non-float general path to cpu
    ["Slice", heapSliceConfig],
    ["SplitV", heapSplitConfig],
    ["Unpack", heapUnpackConfig],
    ["StridedSlice", heapStridedSliceConfig],
    ...EXPLICIT_PADDING_KERNELS.map((name): [string, (original: KernelConfig) => KernelConfig] => [name, explicitPaddingConfig]),
  ];
  if (simdKernelsAvailable()) {
    wrappers.push(["Sum", leadingSumConfig], ["GatherV2", sliceGatherConfig], ["Add", biasAddConfig], ["ClipByValue", cpuClipConfig], ["Relu", reluConfig], ["Relu6", relu6Config]);
    for (const name of CLAMPED_FUSED_KERNELS) if (name !== "FusedConv2D") wrappers.push([name, nanKeepingFusedConfig]);
    wrappers.push(["Maximum", nanKeepingMaxMinConfig], ["Minimum", nanKeepingMaxMinConfig], ["Transpose", matrixTransposeConfig]);
  }
  for (const [name, needsCpu] of CPU_DTYPE_CASES) wrappers.push([name, (original) => cpuForDtypesConfig(original, needsCpu)]);
  for (const [name, wrap] of wrappers) {
    const original = tf.getKernel(name, "wasm");
    if (!original) continue;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(wrap(original));
  }
  installWasmMatMul();
  // for every backend: the fused kernel where the active one has it, tfjs's formula elsewhere
  if (simdKernelsAvailable()) {
    tf.registerGradient(reluGradientConfig);
    tf.registerGradient(softmaxGradientConfig);
    const maxPoolGradient = tf.getGradient("MaxPool");
    if (maxPoolGradient) tf.registerGradient(maxPoolGradientConfig(maxPoolGradient));
    const clipGradient = tf.getGradient("ClipByValue");
    if (clipGradient) tf.registerGradient(clipByValueGradientConfig(clipGradient));
    const divideGradient = tf.getGradient("RealDiv");
    if (divideGradient) tf.registerGradient(divideGradientConfig(divideGradient));
    provideInPlaceArithmetic("wasm", wasmInPlaceArithmetic);
    installTapeFusion();
  }
  registered = true;
}
