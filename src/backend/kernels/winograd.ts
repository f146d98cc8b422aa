/**
 * The 3 × 3, stride-1 convolutions of a training step by Winograd's F(m × m, 3 × 3), m = 2 or 4
 * (assembly/winograd.ts): the forward convolution (conv2d.ts), and its input and filter gradients by the
 * same algorithm transposed (conv2d-backprop-input.ts, conv2d-backprop-filter.ts). (m + 2)²
 * multiplications per m² outputs, input channel and output channel where the direct sum takes 9·m², for
 * the additions of the transforms. It takes layers whose channels fit the kernels' vectors and register
 * tiles (in fours and eights), when the cost model below says it is faster than the direct kernel.
 *
 * A filter is transformed once per call into U [(m + 2)², c, o]; on tfjs's threaded build the images are
 * split between the threads as for the direct kernels, each part with scratch of its own.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import type { ConvGeometry } from "./geometry";
import { kernelPool, runInParts, worthSplitting } from "./kernel-pool";
import type { KernelScope } from "./scope";
import { runChecked, type Epilogue, type SimdKernels } from "./simd";

export type WinogradTile = 2 | 4;

/**
 * Relative cost of one tile of F(m × m, 3 × 3) with c input and o output channels, in multiply-adds: the
 * products, (m + 2)²·c·o, plus the transforms, which grow with the channels on either side. Their weight
 * (≈ 150 multiply-adds per channel for m = 4, ≈ 70 for m = 2) is fitted to the kernel's speed against the
 * direct one, timed in alternation in one process (AMD EPYC, Node 20) on six layers of 4 to 64 channels
 * and outputs of 4 × 4 to 14 × 14: m = 4 measured 1.4 to 2.0 × faster than the direct kernel on all six,
 * m = 2 0.77 to 1.7 ×. The model ranks them as measured; it overstates the gain at 64 channels.
 */
function tileCost(m: WinogradTile, c: number, o: number): number {
  return m === 4 ? 36 * c * o + 150 * (c + o) : 16 * c * o + 70 * (c + o);
}

/**
 * The Winograd tile that computes this convolution fastest, or undefined when the direct kernel does
 * (another geometry, channel counts the kernel does not take, or too few channels for the transforms
 * to pay: the direct sum costs 9·c·o multiply-adds per output). Ties and near-ties go to the direct
 * kernel, whose rounding is that of cpu's order of summation.
 */
export function winogradTile(g: ConvGeometry, outChannels: number): WinogradTile | undefined {
  const fits = g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 && g.c % 4 === 0 && outChannels % 8 === 0;
  if (!fits) return undefined;
  const tiles = (m: number) => Math.ceil(g.oh / m) * Math.ceil(g.ow / m);
  const direct = g.oh * g.ow * 9 * g.c * outChannels;
  const costs = ([2, 4] as const).map((m) => [m, tiles(m) * tileCost(m, g.c, outChannels)] as const);
  const [best, cost] = costs[0][1] <= costs[1][1] ? costs[0] : costs[1];
  return cost < 0.85 * direct ? best : undefined;
}

/**
 * The Winograd tile for a convolution's input gradient (conv2dInputGradWinograd over the forward
 * convolution's tiles), or undefined for the padded convolution of conv2d-backprop-input.ts. Its register
 * tile runs over the input channels, so those are taken in eights and the output channels in fours.
 */
export function inputGradientTile(g: ConvGeometry, outChannels: number): WinogradTile | undefined {
  if (g.c % 8 !== 0 || outChannels % 4 !== 0) return undefined;
  // the same products and transforms as the forward convolution's, its channel roles swapped
  return winogradTile({ ...g, c: outChannels }, g.c);
}

/** Scratch floats one call (or one part) of conv2dWinograd needs (assembly/winograd.ts `scratchFloats`). */
function scratchFloats(channels: number): number {
  return 180 * channels + 1916;
}

/**
 * Scratch floats one call (or one part) of conv2dFilterGradWinograd needs (assembly/winograd.ts
 * `filterScratchFloats`): the sums of its (m + 2)² products, a pass's transforms, zeros.
 */
export function filterScratchFloats(channels: number, outChannels: number): number {
  return 36 * channels * outChannels + 1152 * (channels + outChannels + 1) + 37 * channels + 100;
}

/** Scratch floats one call (or one part) of conv2dInputGradWinograd needs (assembly/winograd.ts `inputScratchFloats`). */
function inputScratchFloats(outChannels: number): number {
  return 144 * outChannels + 2124;
}

/**
 * dx [n, h, w, c] = the input gradient of conv2d(x, filter) for dy, by conv2dInputGradWinograd: the
 * filter's channel axes swapped and transformed once, then the images, split between the threads on
 * tfjs's threaded build (each part its own images of dx and its own scratch).
 */
export function inputGradientWinograd(
  kernels: SimdKernels,
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  outChannels: number,
  tile: WinogradTile,
): TensorInfo {
  const dx = scope.output([g.n, g.h, g.w, g.c], "float32");
  const pool = worthSplitting(g.n * g.oh * g.ow * outChannels * 4 * g.c) ? kernelPool(scope.backend) : undefined;
  const parts = pool ? Math.min(pool.threads, g.n) : 1;
  const swapped = scope.transpose(filter, [0, 1, 3, 2]); // [3, 3, o, c]
  const u = scope.output([(tile + 2) ** 2, outChannels, g.c], "float32");
  const partScratch = inputScratchFloats(outChannels) * 4;
  const scratch = scope.output([parts, inputScratchFloats(outChannels)], "float32");
  runChecked(scope.backend, "Conv2DBackpropInput", [["filter", swapped], ["U", u]], [dx], (w, transformed) =>
    kernels.winogradFilter(w.offset, transformed.offset, tile, outChannels, g.c, w.bytes, transformed.bytes),
  );
  const dxImage = g.h * g.w * g.c * 4;
  const dyImage = g.oh * g.ow * outChannels * 4;
  const buffers: Array<[string, TensorInfo]> = [["dy", dy], ["filter", filter], ["U", u], ["dx", dx], ["scratch", scratch]];
  runChecked(scope.backend, "Conv2DBackpropInput", buffers, [dx], (gradient, weights, transformed, output, space) => {
    const geometry = [g.h, g.w, g.c, g.oh, g.ow, outChannels, g.top, g.left];
    const whole = [gradient.offset, weights.offset, transformed.offset, output.offset, space.offset, tile, g.n, ...geometry,
      gradient.bytes, weights.bytes, transformed.bytes, output.bytes, partScratch];
    const splittable = gradient.bytes >= g.n * dyImage && output.bytes >= g.n * dxImage && space.bytes >= parts * partScratch;
    let part = 0;
    return runInParts(kernels, splittable ? pool : undefined, "conv2dInputGradWinograd", whole, g.n, (start, images) => [
      gradient.offset + start * dyImage, weights.offset, transformed.offset, output.offset + start * dxImage, space.offset + part++ * partScratch,
      tile, images, ...geometry, images * dyImage, weights.bytes, transformed.bytes, images * dxImage, partScratch,
    ]);
  });
  return dx;
}

/** y = conv2d(x, filter) + bias, activated as `epilogue` says, into y (NHWC), by conv2dWinograd. */
export function convolveWinograd(
  kernels: SimdKernels,
  scope: KernelScope,
  kernelName: string,
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; zeros: TensorInfo },
  y: TensorInfo,
  g: ConvGeometry,
  outChannels: number,
  tile: WinogradTile,
  epilogue: Epilogue,
): void {
  const pool = worthSplitting(g.n * g.oh * g.ow * outChannels * 4 * g.c) ? kernelPool(scope.backend) : undefined;
  const parts = pool ? Math.min(pool.threads, g.n) : 1;
  const points = (tile + 2) ** 2;
  const u = scope.output([points, g.c, outChannels], "float32");
  const partScratch = scratchFloats(g.c) * 4;
  const scratch = scope.output([parts, scratchFloats(g.c)], "float32");
  runChecked(scope.backend, kernelName, [["filter", inputs.filter], ["U", u]], [], (filter, transformed) =>
    kernels.winogradFilter(filter.offset, transformed.offset, tile, g.c, outChannels, filter.bytes, transformed.bytes),
  );
  const buffers: Array<[string, TensorInfo]> = [
    ["x", inputs.x], ["filter", inputs.filter], ["U", u], ["y", y], ["zeros", inputs.zeros], ["bias", inputs.bias ?? inputs.zeros], ["scratch", scratch],
  ];
  const xImage = g.h * g.w * g.c * 4;
  const yImage = g.oh * g.ow * outChannels * 4;
  runChecked(scope.backend, kernelName, buffers, [], (input, filter, transformed, output, zero, shift, space) => {
    const geometry = [g.h, g.w, g.c, g.oh, g.ow, outChannels, g.top, g.left, epilogue];
    const whole = [input.offset, filter.offset, transformed.offset, output.offset, zero.offset, shift.offset, space.offset, tile, g.n, ...geometry,
      input.bytes, filter.bytes, transformed.bytes, output.bytes, zero.bytes, shift.bytes, partScratch];
    const splittable = input.bytes >= g.n * xImage && output.bytes >= g.n * yImage && space.bytes >= parts * partScratch;
    let part = 0;
    // a part: its images of x and y, and its own scratch
    return runInParts(kernels, splittable ? pool : undefined, "conv2dWinograd", whole, g.n, (start, images) => [
      input.offset + start * xImage, filter.offset, transformed.offset, output.offset + start * yImage, zero.offset, shift.offset,
      space.offset + part++ * partScratch, tile, images, ...geometry,
      images * xImage, filter.bytes, transformed.bytes, images * yImage, zero.bytes, shift.bytes, partScratch,
    ]);
  });
}
