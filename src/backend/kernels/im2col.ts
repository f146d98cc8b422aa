/**
 * im2col through the backend's own depthwise convolution.
 *
 * Patches P[n, oh, ow, c·kh·kw + i·kw + j] = x[n, oh·sh + i·dh − top, ow·sw + j·dw − left, c] (zero outside
 * the image) are exactly a depthwise convolution of x with the constant "identity" filter
 * E[i, j, c, m] = [m = i·kw + j] (channel multiplier kh·kw). The wasm backend runs it with XNNPACK, with the
 * very padding, stride and dilation arithmetic of the forward convolution, so the patches line up with the
 * output gradient by construction.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { type ConvGeometry, explicitPads } from "./geometry";
import type { KernelScope } from "./scope";

/** Patches of `x` (NHWC, already cropped to the geometry) as [n, oh, ow, c·kh·kw], channel-major. */
export function im2col(scope: KernelScope, x: TensorInfo, g: ConvGeometry): TensorInfo {
  const taps = g.kh * g.kw;
  const eye = new Float32Array(taps * g.c * taps);
  for (let t = 0; t < taps; t++) {
    for (let c = 0; c < g.c; c++) eye[(t * g.c + c) * taps + t] = 1;
  }
  const filter = scope.tensor([g.kh, g.kw, g.c, taps], "float32", eye);
  const patches = scope.run(
    "DepthwiseConv2dNative",
    { x, filter },
    { strides: [g.sh, g.sw], dilations: [g.dh, g.dw], pad: explicitPads(g), dimRoundingMode: undefined },
  );
  if (patches.shape[1] !== g.oh || patches.shape[2] !== g.ow) {
    throw new Error(`stepwise im2col: patches are ${patches.shape[1]}x${patches.shape[2]}, expected ${g.oh}x${g.ow}`);
  }
  return patches;
}

/** x without the trailing rows/columns that no output reads. */
export function cropUnread(scope: KernelScope, x: TensorInfo, g: ConvGeometry): TensorInfo {
  if (g.cropBottom === 0 && g.cropRight === 0) return x;
  return scope.slice(x, [0, 0, 0, 0], [x.shape[0], g.h - g.cropBottom, g.w - g.cropRight, x.shape[3]]);
}
