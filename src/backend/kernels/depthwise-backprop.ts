/**
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput for the wasm backend.
 *
 * Forward (channel multiplier k, output channel c·k + m):
 *   y[n, p, q, c·k + m] = Σ_{i, j} x[n, p·sh + i·dh − top, q·sw + j·dw − left, c] · W[i, j, c, m].
 *
 * Filter gradient: dW[i, j, c, m] = Σ_{n, p, q} x[n, p·sh + i·dh − top, ·, c] · dy[n, p, q, c·k + m]. For each
 * pair (c, n) this is a correlation of the image x[n, ·, ·, c] with dy[n, ·, ·, c·k + m] as the filter,
 * stride (dh, dw) and dilation (sh, sw): one depthwise convolution over a single "image" whose channels
 * are the C·N pairs (x laid out [1, h, w, c·n], dy as the filter [oh, ow, c·n, k]) gives
 * [1, kh, kw, c·n·k], and a sum over n gives dW. XNNPACK runs depthwise convolutions with large kernels.
 *
 * Input gradient: the transposed convolution (transposed-conv.ts), one depthwise convolution of the
 * zero-stuffed, padded dy with the flipped filter per multiplier index m, summed over m.
 *
 * Dilations are honoured (tfjs's cpu kernels ignore them; tfjs's gradient of depthwiseConv2d refuses
 * dilations > 1 anyway, so they matter only for direct kernel calls).
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { convGeometry, explicitPads, readsNoInput, requireForwardOutputShape, type PadAttr } from "./geometry";
import { cropUnread } from "./im2col";
import { composed } from "./scope";
import { flipSpatial, stuffAndPad } from "./transposed-conv";

interface DepthwiseAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

type Shape4 = [number, number, number, number];

export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as DepthwiseAttrs & { filterShape: Shape4 };
  return composed(backend, (scope) => {
    const x = inputs.x as TensorInfo;
    const dy = inputs.dy as TensorInfo;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true);
    requireForwardOutputShape("DepthwiseConv2dNativeBackpropFilter", dy.shape, info);
    const g = convGeometry(info);
    const k = filterShape[3];
    // every output reads only padding (a wide padding with a large stride): no input element, no gradient
    if (readsNoInput(g)) return scope.tensor(filterShape, "float32", new Float32Array(tf.util.sizeFromShape(filterShape)));
    const cropped = cropUnread(scope, x, g);
    const [n, h, w, c] = cropped.shape;
    const images = scope.reshape(scope.transpose(cropped, [1, 2, 3, 0]), [1, h, w, c * n]); // channel c·n + n'
    const filter = scope.reshape(
      scope.transpose(scope.reshape(dy, [n, g.oh, g.ow, c, k]), [1, 2, 3, 0, 4]),
      [g.oh, g.ow, c * n, k],
    );
    const perPair = scope.run(
      "DepthwiseConv2dNative",
      { x: images, filter },
      { strides: [g.dh, g.dw], dilations: [g.sh, g.sw], pad: explicitPads(g), dimRoundingMode: undefined },
    ); // [1, kh, kw, c·n·k]
    if (perPair.shape[1] !== g.kh || perPair.shape[2] !== g.kw) {
      throw new Error(`stepwise DepthwiseConv2dNativeBackpropFilter: got ${perPair.shape[1]}x${perPair.shape[2]}, expected ${g.kh}x${g.kw}`);
    }
    // Σ over n: the summed axis must be innermost for the wasm Sum kernel.
    const byBatch = scope.transpose(scope.reshape(perPair, [g.kh * g.kw * c, n, k]), [0, 2, 1]);
    const dW = scope.run("Sum", { x: byBatch }, { axis: [2], keepDims: false });
    return scope.reshape(dW, filterShape);
  });
};

export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as DepthwiseAttrs & { inputShape: Shape4 };
  return composed(backend, (scope) => {
    const dy = inputs.dy as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, true);
    requireForwardOutputShape("DepthwiseConv2dNativeBackpropInput", dy.shape, info);
    const g = convGeometry(info);
    const [kh, kw, c, k] = filter.shape;
    const flipped = flipSpatial(scope, filter);
    const attrs = { strides: [1, 1], dilations: [g.dh, g.dw], pad: "valid", dimRoundingMode: undefined };
    if (k === 1) return scope.run("DepthwiseConv2dNative", { x: stuffAndPad(scope, dy, g), filter: flipped }, attrs);
    // Multiplier-major channels, so that each m is one contiguous slice.
    const [n, oh, ow] = dy.shape;
    const byM = scope.reshape(scope.transpose(scope.reshape(dy, [n, oh, ow, c, k]), [0, 1, 2, 4, 3]), [n, oh, ow, k * c]);
    const spread = stuffAndPad(scope, byM, g);
    const [, ph, pw] = spread.shape;
    let dx: TensorInfo | undefined;
    for (let m = 0; m < k; m++) {
      const dym = scope.slice(spread, [0, 0, 0, m * c], [n, ph, pw, c]);
      const wm = scope.slice(flipped, [0, 0, 0, m], [kh, kw, c, 1]);
      const part = scope.run("DepthwiseConv2dNative", { x: dym, filter: wm }, attrs);
      dx = dx === undefined ? part : scope.add(dx, part);
    }
    return dx!;
  });
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropFilter",
  backendName: "wasm",
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropInput",
  backendName: "wasm",
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
