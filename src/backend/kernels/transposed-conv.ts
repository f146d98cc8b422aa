/**
 * The input gradient of a convolution as a plain convolution (the "transposed convolution").
 *
 * Forward: y[n, p, q] = Σ_{i, j} x[n, p·sh + i·dh − top, q·sw + j·dw − left] · W[i, j].
 * Backward: dx[n, h, w] = Σ_{p, q, i, j : h = p·sh + i·dh − top, ...} dy[n, p, q] · W[i, j].
 *
 * Spread dy onto a grid with (sh − 1) zeros between rows and (sw − 1) between columns (U, "zero
 * stuffing"), pad it with ekh − 1 − top rows above (ekh = (kh − 1)·dh + 1), and dx becomes a stride-1,
 * dilation-dh, 'valid' correlation of U with the filter flipped in both spatial axes:
 *
 *   dx[h] = Σ_{i'} U_pad[h + i'·dh] · W[kh − 1 − i'].
 *
 * Negative pads (inputs no output reads, or explicit pads wider than the filter) become crops.
 * The correlation itself is XNNPACK's convolution on wasm, orders of magnitude faster than a scalar loop.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import type { ConvGeometry } from "./geometry";
import type { KernelScope } from "./scope";

/** dy [n, oh, ow, k] zero-stuffed and padded so that a 'valid' stride-1 dilated conv yields [n, h, w, ·]. */
export function stuffAndPad(scope: KernelScope, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const [n, oh, ow, k] = dy.shape;
  let u = dy;
  if (g.sh > 1 || g.sw > 1) {
    const spread = scope.pad(scope.reshape(dy, [n, oh, 1, ow, 1, k]), [
      [0, 0],
      [0, 0],
      [0, g.sh - 1],
      [0, 0],
      [0, g.sw - 1],
      [0, 0],
    ]);
    u = scope.reshape(spread, [n, oh * g.sh, ow * g.sw, k]);
  }
  const ekh = (g.kh - 1) * g.dh + 1;
  const ekw = (g.kw - 1) * g.dw + 1;
  const top = ekh - 1 - g.top;
  const left = ekw - 1 - g.left;
  const bottom = g.h + g.top - u.shape[1];
  const right = g.w + g.left - u.shape[2];
  const padded = scope.pad(u, [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ]);
  if (top >= 0 && left >= 0 && bottom >= 0 && right >= 0) return padded;
  const rows = g.h + ekh - 1;
  const cols = g.w + ekw - 1;
  return scope.slice(padded, [0, Math.max(0, -top), Math.max(0, -left), 0], [n, rows, cols, k]);
}

/**
 * The pads around dy for which a 'valid' stride-1 convolution yields dx without zero stuffing (stride 1),
 * or undefined where one would be negative (a crop, left to stuffAndPad).
 */
export function transposedPads(g: ConvGeometry): [[number, number], [number, number], [number, number], [number, number]] | undefined {
  const top = (g.kh - 1) * g.dh - g.top;
  const left = (g.kw - 1) * g.dw - g.left;
  const bottom = g.h + g.top - g.oh;
  const right = g.w + g.left - g.ow;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return undefined;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/**
 * W [kh, kw, c, o] flipped in both spatial axes with its channel axes swapped: W'[i, j, o, c] =
 * W[kh − 1 − i, kw − 1 − j, c, o]. One pass over the (small) filter instead of Reverse and Transpose
 * kernels, which cost ~0.3 ms on the reference CNN's 3×3×16×32 filter.
 */
export function flippedFilter(scope: KernelScope, filter: TensorInfo): TensorInfo {
  const [kh, kw, c, o] = filter.shape;
  const out = scope.output([kh, kw, o, c], "float32");
  const source = scope.backend.typedArrayFromHeap(filter); // after the allocation, which may grow the heap
  const target = scope.backend.typedArrayFromHeap(out);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * c * o;
      const to = (i * kw + j) * o * c;
      for (let ci = 0; ci < c; ci++) for (let oi = 0; oi < o; oi++) target[to + oi * c + ci] = source[from + ci * o + oi];
    }
  }
  return out;
}

/** W [kh, kw, ...] flipped in both spatial axes. */
export function flipSpatial(scope: KernelScope, filter: TensorInfo): TensorInfo {
  if (filter.shape[0] === 1 && filter.shape[1] === 1) return filter;
  return scope.run("Reverse", { x: filter }, { dims: [0, 1] });
}
