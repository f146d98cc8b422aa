/**
 * Forward convolutions and pools on wasm with their padding made explicit.
 *
 * tfjs-backend-wasm 4.22 hands a "same" padding to XNNPACK as TensorFlow SAME padding, and XNNPACK then
 * returns zeros for some geometries with a stride above 1 (conv2d x [4,6,7,7] · filter [2,5,7,3] with
 * strides 3; depthwise x [2,9,6,6] · [2,2,6,3] with strides [1,3]). Given the same padding as explicit
 * top/bottom/left/right amounts, XNNPACK computes them correctly; so every padding is passed to the
 * backend's own kernel as the explicit amounts tfjs-core's conv info computed, with the bottom and right
 * amounts set so that XNNPACK's output has exactly the shape tfjs-core allocated (a "ceil" rounding of a
 * numeric padding is extra padding at the bottom and right, as the cpu backend computes it).
 *
 * tfjs-core sizes the output of a numeric padding from the filter's height and the stride's height alone
 * (conv_util's computeOutputShape2D), which is wrong when the filter is not square or the strides differ:
 * the cpu backend then computes columns outside the padded input (NaN for an average pool), and XNNPACK
 * writes a differently sized result into the buffer. That case is refused with an error naming the fix.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";

type Rounding = "floor" | "round" | "ceil";
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
type Padding = "valid" | "same" | number | ExplicitPadding;

interface GeometryAttrs {
  strides: number | [number, number];
  pad: Padding;
  dilations?: number | [number, number];
  dimRoundingMode?: Rounding;
  dataFormat?: string;
  /** pools only */
  filterSize?: number | [number, number];
}

/** The kernels whose padding is rewritten, and whether each is a pool or a depthwise convolution. */
const KERNELS: Record<string, { pool: boolean; depthwise: boolean }> = {
  Conv2D: { pool: false, depthwise: false },
  FusedConv2D: { pool: false, depthwise: false },
  DepthwiseConv2dNative: { pool: false, depthwise: true },
  FusedDepthwiseConv2D: { pool: false, depthwise: true },
  MaxPool: { pool: true, depthwise: false },
  AvgPool: { pool: true, depthwise: false },
};

export const EXPLICIT_PADDING_KERNELS: readonly string[] = Object.keys(KERNELS);

function roundWith(value: number, mode: Rounding | undefined): number {
  switch (mode) {
    case "round":
      return Math.round(value);
    case "ceil":
      return Math.ceil(value);
    case "floor":
      return Math.floor(value);
    default:
      return Math.trunc(value);
  }
}

function pair(value: number | [number, number] | undefined, fallback: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  return typeof value === "number" ? [value, value] : value;
}

function geometry(kernelName: string, x: TensorInfo, filter: TensorInfo | undefined, attrs: GeometryAttrs): tf.backend_util.Conv2DInfo {
  const { pool, depthwise } = KERNELS[kernelName];
  const shape = x.shape as [number, number, number, number];
  if (pool) return tf.backend_util.computePool2DInfo(shape, pair(attrs.filterSize, 1), attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const dilations = attrs.dilations ?? 1;
  return tf.backend_util.computeConv2DInfo(shape, filter!.shape as [number, number, number, number], attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, depthwise);
}

/**
 * The explicit padding that gives `info`'s output shape. Throws an error saying what to do instead where
 * none does: a numeric padding that tfjs-core sized wrongly, or a pool window wholly in the padding.
 */
export function explicitPaddingFor(kernelName: string, inShape: readonly number[], info: tf.backend_util.Conv2DInfo, attrs: GeometryAttrs): ExplicitPadding {
  const { inHeight, inWidth, strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  if (typeof attrs.pad === "number") {
    const width = roundWith((inWidth - effectiveFilterWidth + 2 * attrs.pad) / strideWidth + 1, attrs.dimRoundingMode);
    if (width !== outWidth) {
      const p = attrs.pad;
      throw new Error(
        `${kernelName}: a numeric padding (${p}) with a ${effectiveFilterHeight}×${effectiveFilterWidth} window and strides ` +
          `[${strideHeight}, ${strideWidth}] on input [${inShape}]: tfjs-core 4.22 sizes both output sides from the window's height and ` +
          `the stride's height, giving width ${outWidth} where the padding gives ${width}, and every backend would compute the wrong ` +
          `columns. Pass the padding explicitly instead: [[0, 0], [${p}, ${p}], [${p}, ${p}], [0, 0]].`,
      );
    }
  }
  if (KERNELS[kernelName].pool) {
    // a rounding mode or a large padding can place a whole window in the padding, where a pool has no value
    const row = emptyWindow(outHeight, strideHeight, top, effectiveFilterHeight, inHeight);
    const column = emptyWindow(outWidth, strideWidth, left, effectiveFilterWidth, inWidth);
    if (row !== undefined || column !== undefined) {
      const where = row !== undefined ? `output row ${row}` : `output column ${column}`;
      throw new Error(
        `${kernelName}: the window of ${where} lies entirely in the padding (input [${inShape}], window ${effectiveFilterHeight}×${effectiveFilterWidth}, ` +
          `strides [${strideHeight}, ${strideWidth}], padding ${JSON.stringify(attrs.pad)}${attrs.dimRoundingMode ? `, dimRoundingMode "${attrs.dimRoundingMode}"` : ""}), ` +
          `so the pool has no value there (tfjs's cpu backend gives −∞ or NaN). Use less padding or a "floor" rounding.`,
      );
    }
  }
  const bottom = Math.max(0, (outHeight - 1) * strideHeight + effectiveFilterHeight - inHeight - top);
  const right = Math.max(0, (outWidth - 1) * strideWidth + effectiveFilterWidth - inWidth - left);
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/** The first output index whose window [o·stride − before, o·stride − before + window) misses [0, size), if any. */
function emptyWindow(outputs: number, stride: number, before: number, window: number, size: number): number | undefined {
  for (let o = 0; o < outputs; o++) {
    const start = o * stride - before;
    if (start + window <= 0 || start >= size) return o;
  }
  return undefined;
}

/** `original` with every NHWC padding passed as the explicit amounts that reproduce tfjs-core's output shape. */
export function explicitPaddingConfig(original: KernelConfig): KernelConfig {
  const kernelName = original.kernelName;
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as unknown as GeometryAttrs;
    const { x, filter } = args.inputs as { x: TensorInfo; filter?: TensorInfo };
    const channelsLast = attrs.dataFormat === undefined || attrs.dataFormat === "NHWC" || attrs.dataFormat === "channelsLast";
    if (!channelsLast) return original.kernelFunc(args); // NCHW: the original's own error
    const info = geometry(kernelName, x, filter, attrs);
    const pad = explicitPaddingFor(kernelName, x.shape, info, attrs);
    const explicit: GeometryAttrs = { ...attrs, pad, dimRoundingMode: undefined };
    const check = geometry(kernelName, x, filter, explicit);
    if (!tf.util.arraysEqual(check.outShape, info.outShape)) {
      throw new Error(`stepwise ${kernelName}: explicit padding ${JSON.stringify(pad)} gives [${check.outShape}], not [${info.outShape}] (a stepwise bug)`);
    }
    return original.kernelFunc({ ...args, attrs: explicit as unknown as NamedAttrMap });
  };
  return { kernelName, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
