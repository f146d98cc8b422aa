/**
 * The geometry of a 2-D convolution in NHWC, reduced to numbers every composed kernel can use: sizes,
 * strides, dilations and the exact zero padding on each side that makes a plain (floor-rounded)
 * convolution produce the output size tfjs computed, whatever the padding mode ('same', 'valid', a
 * number with a rounding mode, or explicit pads).
 *
 * Output row `o` reads input rows `o·sh + i·dh − top` for filter rows `i = 0..kh−1`. A floor-rounded
 * convolution over `top + h + bottom` rows yields `⌊(top + h + bottom − ekh) / sh⌋ + 1` rows, with
 * `ekh = (kh − 1)·dh + 1`; `bottom = (oh − 1)·sh + ekh − h − top` makes that exactly `oh`. A negative
 * value means the last `−bottom` input rows are never read: they are cropped (`cropBottom`) instead.
 */
import * as tf from "@tensorflow/tfjs";

export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
  /** input rows/columns at the end that no output reads (removed before convolving) */
  cropBottom: number;
  cropRight: number;
}

export type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

export type PadAttr = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

/** The attributes Conv2DBackpropFilter and Conv2DBackpropInput share. */
export interface Conv2DBackpropAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** The forward convolution's info for a backprop kernel's attributes (no dilation: tfjs has none in gradients). */
export function backpropConvInfo(xShape: readonly number[], filterShape: readonly number[], attrs: Conv2DBackpropAttrs): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    attrs.dataFormat === "NCHW" ? "channelsFirst" : "channelsLast",
  );
}

/** The geometry of `info`, which must describe an NHWC convolution. */
export function convGeometry(info: Conv2DInfo): ConvGeometry {
  const { padInfo } = info;
  const bottom = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight - info.inHeight - padInfo.top;
  const right = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth - info.inWidth - padInfo.left;
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    oh: info.outHeight,
    ow: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: padInfo.top,
    left: padInfo.left,
    bottom: Math.max(0, bottom),
    right: Math.max(0, right),
    cropBottom: Math.max(0, -bottom),
    cropRight: Math.max(0, -right),
  };
}

/** Whether no output reads any input element (every window in the padding): the filter gradient is zero. */
export function readsNoInput(g: ConvGeometry): boolean {
  return g.cropBottom >= g.h || g.cropRight >= g.w;
}

/** Explicit NHWC pads for tfjs conv attrs: `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
export function explicitPads(g: ConvGeometry): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [g.top, g.bottom],
    [g.left, g.right],
    [0, 0],
  ];
}

/**
 * Refuses a gradient dy whose shape is not the forward output's that `info` describes. tfjs 4.22's
 * gradients of conv2d, maxPool and avgPool drop `dimRoundingMode`, so a rounded numeric padding
 * that changes the output size reaches the backprop kernel with a dy of another size: reading it with
 * this geometry would compute garbage (and tfjs's cpu backend does). NHWC shapes; `dyShape` as passed.
 */
export function requireForwardOutputShape(kernel: string, dyShape: readonly number[], info: Conv2DInfo): void {
  const expected = info.outShape;
  if (tf.util.arraysEqual(dyShape as number[], expected)) return;
  throw new Error(
    `stepwise ${kernel}: dy has shape [${dyShape}], but the forward operation's geometry gives [${expected}]. tfjs 4.22's gradients ` +
      `of conv2d, maxPool and avgPool drop dimRoundingMode, so they are undefined where a rounded numeric padding changes the ` +
      `output size: use dimRoundingMode "floor" (or none), or pass the padding explicitly.`,
  );
}
