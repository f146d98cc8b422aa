/**
 * Conv2DBackpropFilter for the wasm backend: the gradient of conv2d with respect to its filter,
 *
 *   dW[i, j, c, o] = Σ_{n, p, q} x[n, p·sh + i·dh − top, q·sw + j·dw − left, c] · dy[n, p, q, o].
 *
 * Where the runtime has wasm SIMD (Node does), assembly/index.ts computes that sum directly, image by image
 * in register tiles, reading x and dy in place (bench/kernels.ts: several times faster than the
 * compositions below); for a 3 × 3 window at stride 1 with channels enough, assembly/winograd.ts computes it
 * by the transpose of Winograd's F(m × m, 3 × 3) (winograd.ts chooses). Without SIMD it takes one of two formulations on the wasm backend's own kernels:
 *
 * - im2col: unfold x into patches P ∈ R^{M × C·kh·kw} (M = N·oh·ow; see im2col.ts), then dW = Pᵀ · dy,
 *   one GEMM (P is transposed explicitly: the wasm backend's transposed-operand product is a scalar loop).
 * - convolution: read the sum above as a convolution over C "images" xᵀ[c, h, w, n] (channels = the batch)
 *   with the "filter" dyᵀ[p, q, n, o], stride (dh, dw) and dilation (sh, sw): its kh × kw output is
 *   dW[c, i, j, o], re-ordered to (i, j, c, o). No patch matrix, but the GEMM has only C·kh·kw rows.
 *
 * bench/kernels.ts times both (and Conv3DBackpropFilterV2 with depth 1, and slice-built patches) on the
 * reference CNN: im2col wins when C·kh·kw is small (its first layer, 1·3·3), the convolution when it is
 * large (16·3·3), where P is big and the convolution's GEMM has rows enough. `useIm2col` encodes that.
 *
 * im2col runs in batch chunks that keep P under PATCH_BUDGET floats. NCHW inputs are transposed to NHWC.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { backpropConvInfo, convGeometry, readsNoInput, requireForwardOutputShape, explicitPads, type Conv2DBackpropAttrs, type ConvGeometry } from "./geometry";
import { cropUnread, im2col } from "./im2col";
import { composed, type KernelScope } from "./scope";
import { kernelPool, runInParts, worthSplitting } from "./kernel-pool";
import { heapBuffer, runChecked, simdKernels, type HeapBuffer, type SimdKernels } from "./simd";
import { filterScratchFloats, winogradTile } from "./winograd";

/** The most patch values (floats) materialised at once: 64 MiB. */
export const PATCH_BUDGET = 1 << 24;

/** im2col below this many GEMM rows (C·kh·kw), the convolution formulation from there on. */
export const IM2COL_MAX_ROWS = 64;

interface Conv2DBackpropFilterAttrs extends Conv2DBackpropAttrs {
  filterShape: [number, number, number, number];
}

export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const filterAttrs = attrs as unknown as Conv2DBackpropFilterAttrs;
  return composed(backend, (scope) => {
    let x = inputs.x as TensorInfo;
    let dy = inputs.dy as TensorInfo;
    const info = backpropConvInfo(x.shape, filterAttrs.filterShape, filterAttrs);
    requireForwardOutputShape("Conv2DBackpropFilter", dy.shape, info);
    if (filterAttrs.dataFormat === "NCHW") {
      x = scope.transpose(x, [0, 2, 3, 1]);
      dy = scope.transpose(dy, [0, 2, 3, 1]);
    }
    const g = convGeometry(info);
    const kernels = simdKernels(scope.backend);
    if (kernels) return filterGradientSimd(kernels, scope, x, dy, g, info.outChannels);
    if (readsNoInput(g)) return scope.tensor(filterAttrs.filterShape, "float32", new Float32Array(tf.util.sizeFromShape(filterAttrs.filterShape)));
    return useIm2col(g) ? filterGradientIm2col(scope, x, dy, g, info.outChannels) : filterGradientConv(scope, x, dy, g);
  });
};

export function useIm2col(g: ConvGeometry): boolean {
  return g.c * g.kh * g.kw < IM2COL_MAX_ROWS;
}

/**
 * dW ∈ [kh, kw, c, o] by a SIMD kernel, from NHWC x and dy: the Winograd kernel where the cost model takes
 * it (a 3 × 3 window at stride 1, winograd.ts), else the direct one. On tfjs's threaded build a large batch
 * is split between the threads (kernel-pool.ts): each sums its images' contributions into a dW of its own,
 * and the partial sums are added, in thread order, into the first.
 */
export function filterGradientSimd(kernels: SimdKernels, scope: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, outChannels: number): TensorInfo {
  const shape = [g.kh, g.kw, g.c, outChannels];
  const dW = scope.output(shape, "float32");
  const size = tf.util.sizeFromShape(shape);
  const xImage = g.h * g.w * g.c * 4;
  const dyImage = g.oh * g.ow * outChannels * 4;
  const pool = g.n > 1 && worthSplitting(g.n * g.oh * g.ow * outChannels * g.kh * g.kw * g.c) ? kernelPool(scope.backend) : undefined;
  const parts = pool ? Math.min(pool.threads, g.n) : 1;
  const partials = Array.from({ length: parts - 1 }, () => scope.output(shape, "float32"));
  const tile = winogradTile(g, outChannels);
  const scratchPart = tile ? filterScratchFloats(g.c, outChannels) * 4 : 0;
  // Winograd's scratch, a part's own each; the direct kernel needs none (a float stands in)
  const scratch = scope.output([tile ? parts * filterScratchFloats(g.c, outChannels) : 1], "float32");
  // dW and the partial sums belong to the scope, which releases them if the kernel refuses its geometry
  runChecked(scope.backend, "Conv2DBackpropFilter", [["x", x], ["dy", dy], ["dW", dW], ["scratch", scratch]], [], (input, gradient, filter, space) => {
    const geometry = [g.h, g.w, g.c, g.oh, g.ow, outChannels];
    const window = [g.kh, g.kw, g.sh, g.sw, g.dh, g.dw];
    const kernel = tile ? "conv2dFilterGradWinograd" : "conv2dFilterGrad";
    const args = (xAt: number, dyAt: number, target: HeapBuffer, scratchAt: number, images: number, xBytes: number, dyBytes: number) =>
      tile
        ? [xAt, dyAt, target.offset, scratchAt, tile, images, ...geometry, g.top, g.left, xBytes, dyBytes, target.bytes, scratchPart]
        : [xAt, dyAt, target.offset, images, ...geometry, ...window, g.top, g.left, xBytes, dyBytes, target.bytes];
    const whole = args(input.offset, gradient.offset, filter, space.offset, g.n, input.bytes, gradient.bytes);
    const splittable = input.bytes >= g.n * xImage && gradient.bytes >= g.n * dyImage && filter.bytes >= size * 4 && space.bytes >= parts * scratchPart;
    let part = 0;
    const status = runInParts(kernels, splittable ? pool : undefined, kernel, whole, g.n, (start, images) => {
      const target = part === 0 ? filter : heapBuffer(scope.backend, partials[part - 1]);
      const scratchAt = space.offset + part * scratchPart;
      part++;
      return args(input.offset + start * xImage, gradient.offset + start * dyImage, target, scratchAt, images, images * xImage, images * dyImage);
    });
    for (let i = 1; status === 0 && i < part; i++) {
      const partial = heapBuffer(scope.backend, partials[i - 1]);
      const added = kernels.scaledAdd(filter.offset, partial.offset, filter.offset, size, 1, 1, filter.bytes, partial.bytes, filter.bytes);
      if (added !== 0) return added;
    }
    return status;
  });
  return dW;
}

/** dW ∈ [kh, kw, c, o] = Pᵀ · dy, P = im2col(x), from NHWC x and dy. */
export function filterGradientIm2col(scope: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, outChannels: number): TensorInfo {
  const columns = g.c * g.kh * g.kw;
  x = cropUnread(scope, x, g);
  const chunk = Math.max(1, Math.floor(PATCH_BUDGET / (g.oh * g.ow * columns)));
  let dW: TensorInfo | undefined; // [c·kh·kw, o]
  for (let start = 0; start < g.n; start += chunk) {
    const size = Math.min(chunk, g.n - start);
    const xs = size === g.n ? x : scope.slice(x, [start, 0, 0, 0], [size, ...x.shape.slice(1)]);
    const dys = size === g.n ? dy : scope.slice(dy, [start, 0, 0, 0], [size, ...dy.shape.slice(1)]);
    const rows = size * g.oh * g.ow;
    const patchesT = scope.transpose(scope.reshape(im2col(scope, xs, g), [rows, columns]), [1, 0]);
    const part = scope.matMul(patchesT, scope.reshape(dys, [rows, outChannels]));
    dW = dW === undefined ? part : scope.add(dW, part);
  }
  // (c, i, j, o) → (i, j, c, o)
  return scope.transpose(scope.reshape(dW!, [g.c, g.kh, g.kw, outChannels]), [1, 2, 0, 3]);
}

/** dW ∈ [kh, kw, c, o] as conv2d(xᵀ, dyᵀ) with stride and dilation swapped, from NHWC x and dy. */
export function filterGradientConv(scope: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const images = scope.transpose(cropUnread(scope, x, g), [3, 1, 2, 0]); // [c, h, w, n]
  const filter = scope.transpose(dy, [1, 2, 0, 3]); // [oh, ow, n, o]
  const dW = scope.run(
    "Conv2D",
    { x: images, filter },
    { strides: [g.dh, g.dw], dilations: [g.sh, g.sw], pad: explicitPads(g), dataFormat: "NHWC", dimRoundingMode: undefined },
  ); // [c, kh, kw, o]
  if (dW.shape[1] !== g.kh || dW.shape[2] !== g.kw) {
    throw new Error(`stepwise Conv2DBackpropFilter: got a ${dW.shape[1]}x${dW.shape[2]} gradient for a ${g.kh}x${g.kw} filter`);
  }
  return scope.transpose(dW, [1, 2, 0, 3]);
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter,
};
