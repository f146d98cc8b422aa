/**
 * The gradients of resizeBilinear and resizeNearestNeighbor on wasm where the backend's are wrong.
 *
 * tfjs-backend-wasm 4.22's ResizeBilinearGrad and ResizeNearestNeighborGrad (and tfjs's cpu ones) take only
 * `alignCorners`: with half-pixel centers the forward pass samples (r + 0.5)·ratio − 0.5 and the gradient
 * scatters to r·ratio, so it lands on the wrong pixels (a bilinear gradient off by 0.24 on a 4×3 → 7×5
 * resize, against finite differences). Its nearest-neighbour gradient with aligned corners is also 0 when an
 * input side is 1. In those cases the gradient here is the adjoint of the forward pass exactly as tfjs
 * computes it (tfjs-backend-cpu's ResizeBilinear and ResizeNearestNeighbor): every output's gradient goes
 * to the input pixels that output read, with the weights it read them with. In the others the backend's own
 * kernels are right and run as before.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** Input size over output size along one axis, as tfjs's forward pass takes it. */
function ratio(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/** For each output index along one axis: the two source indices and the weight of the second (bilinear). */
function bilinearTaps(inSize: number, outSize: number, attrs: ResizeAttrs): Array<[number, number, number]> {
  const scale = ratio(inSize, outSize, attrs.alignCorners);
  return Array.from({ length: outSize }, (_, o) => {
    const source = attrs.halfPixelCenters ? scale * (o + 0.5) - 0.5 : scale * o;
    const low = Math.max(0, Math.floor(source));
    return [low, Math.min(inSize - 1, Math.ceil(source)), source - low];
  });
}

/** For each output index along one axis: the source index it copies (nearest neighbour). */
function nearestTaps(inSize: number, outSize: number, attrs: ResizeAttrs): number[] {
  const scale = ratio(inSize, outSize, attrs.alignCorners);
  return Array.from({ length: outSize }, (_, o) => {
    const source = attrs.halfPixelCenters ? scale * (o + 0.5) : scale * o;
    const nearest = Math.min(inSize - 1, attrs.alignCorners ? Math.round(source) : Math.floor(source));
    return attrs.halfPixelCenters ? Math.max(0, nearest) : nearest;
  });
}

type Method = "bilinear" | "nearest";

function adjoint(method: Method, images: TensorInfo, dy: TensorInfo, attrs: ResizeAttrs, backend: WasmBackendLike): TensorInfo {
  const [batch, inHeight, inWidth, channels] = images.shape;
  const [, outHeight, outWidth] = dy.shape;
  const dx = backend.makeOutput(images.shape, "float32");
  // after the allocation, which may have moved the heap
  const gradient = backend.typedArrayFromHeap(dx);
  const upstream = backend.typedArrayFromHeap(dy);
  gradient.fill(0);
  const pixel = (b: number, row: number, col: number) => ((b * inHeight + row) * inWidth + col) * channels;
  if (method === "nearest") {
    const rows = nearestTaps(inHeight, outHeight, attrs);
    const cols = nearestTaps(inWidth, outWidth, attrs);
    let at = 0;
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < outHeight; r++) {
        for (let c = 0; c < outWidth; c++) {
          const to = pixel(b, rows[r], cols[c]);
          for (let d = 0; d < channels; d++) gradient[to + d] += upstream[at++];
        }
      }
    }
    return dx;
  }
  const rows = bilinearTaps(inHeight, outHeight, attrs);
  const cols = bilinearTaps(inWidth, outWidth, attrs);
  let at = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outHeight; r++) {
      const [top, bottom, rowFrac] = rows[r];
      for (let c = 0; c < outWidth; c++) {
        const [left, right, colFrac] = cols[c];
        const taps: Array<[number, number]> = [
          [pixel(b, top, left), (1 - rowFrac) * (1 - colFrac)],
          [pixel(b, top, right), (1 - rowFrac) * colFrac],
          [pixel(b, bottom, left), rowFrac * (1 - colFrac)],
          [pixel(b, bottom, right), rowFrac * colFrac],
        ];
        for (let d = 0; d < channels; d++) {
          const g = upstream[at++];
          for (const [to, weight] of taps) gradient[to + d] += g * weight;
        }
      }
    }
  }
  return dx;
}

/**
 * The cases the backend's kernels get wrong: half-pixel centers, and nearest-neighbour with aligned corners
 * from an input side of 1 (its scale is 0/(n − 1) and the kernel inverts it: the gradient came out 0).
 */
function backendIsWrong(method: Method, images: TensorInfo, attrs: ResizeAttrs): boolean {
  const [, height, width] = images.shape;
  return attrs.halfPixelCenters || (method === "nearest" && attrs.alignCorners && (height === 1 || width === 1));
}

function resizeGradConfig(method: Method, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as unknown as ResizeAttrs;
    const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
    if (!backendIsWrong(method, images, attrs)) return original.kernelFunc(args);
    return adjoint(method, images, dy, attrs, args.backend as unknown as WasmBackendLike);
  };
  return { ...original, kernelFunc };
}

export const bilinearGradConfig = (original: KernelConfig): KernelConfig => resizeGradConfig("bilinear", original);
export const nearestGradConfig = (original: KernelConfig): KernelConfig => resizeGradConfig("nearest", original);
