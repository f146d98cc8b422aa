/**
 * Slices on wasm that copy only what they return.
 *
 * tfjs-backend-wasm 4.22's Slice first reads its whole input out of the heap (`readSync`, a copy of every
 * element) and then copies the slice from that copy; its SplitV, Unpack and StridedSlice (on its
 * contiguous path) call that Slice once per output. A batch of 32 rows out of a [10000, 784] tensor thus
 * copied 31 MB to return 100 KB: tfjs-layers' `predict` slices each batch that way, so predicting 10,000
 * MNIST images at batch 32 took 17.6 s on wasm against 0.9 s on tfjs's cpu backend, and `tf.unstack` of n
 * rows copied the input n times. Here a slice is read straight from the input's place in the heap: a
 * contiguous slice is one copy of its own length, any other one copy per run along the last axis. The
 * bounds are checked first (the wasm kernel did not check them, and read past its input). Strings, which
 * live outside the heap, go to the original kernels.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";

type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * Copies the box at `begin` of extent `size` out of `source` (row-major, of `shape`) into `target`, one run
 * along the last axis at a time, the leading indices stepped like an odometer.
 */
export function copyBox(source: HeapArray, shape: readonly number[], begin: readonly number[], size: readonly number[], target: HeapArray): void {
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape.slice());
  const run = size[rank - 1];
  const runs = tf.util.sizeFromShape(size.slice(0, -1));
  if (run === 0 || runs === 0) return;
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < runs; r++) {
    let from = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) from += (begin[d] + index[d]) * strides[d];
    target.set(source.subarray(from, from + run), r * run);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
}

/** The box `begin`/`size` of x (as tfjs's Slice takes them: a size of −1 runs to the end) as a new tensor. */
export function sliceFromHeap(backend: WasmBackendLike, x: TensorInfo, begin: number | number[], size: number | number[]): TensorInfo {
  const asTensor = x as unknown as tf.Tensor;
  const [begin_, size_] = tf.slice_util.parseSliceParams(asTensor, begin, size);
  tf.slice_util.assertParamsValid(asTensor, begin_, size_);
  const out = backend.makeOutput(size_, x.dtype);
  if (tf.util.sizeFromShape(size_) === 0) return out;
  // views taken after the allocation, which may have grown (and so moved) the heap
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  if (tf.slice_util.isSliceContinous(x.shape, begin_, size_)) {
    const from = tf.slice_util.computeFlatOffset(begin_, tf.util.computeStrides(x.shape));
    target.set(source.subarray(from, from + target.length));
  } else {
    copyBox(source, x.shape, begin_, size_, target);
  }
  return out;
}

function wrapper(original: KernelConfig, kernelFunc: KernelFunc): KernelConfig {
  return { kernelName: original.kernelName, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}

export function heapSliceConfig(original: KernelConfig): KernelConfig {
  return wrapper(original, (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string") return original.kernelFunc(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    return sliceFromHeap(args.backend as unknown as WasmBackendLike, x, begin, size);
  });
}

/** SplitV as tfjs-backend-wasm computes it, each part sliced from the heap. */
export function heapSplitConfig(original: KernelConfig): KernelConfig {
  return wrapper(original, (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string") return original.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const along = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, along);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((part) => {
      const size = x.shape.slice();
      size[along] = part;
      const sliced = sliceFromHeap(args.backend as unknown as WasmBackendLike, x, begin.slice(), size);
      begin[along] += part;
      return sliced;
    });
  });
}

/** Unpack as tfjs-backend-wasm computes it, each row sliced from the heap. */
export function heapUnpackConfig(original: KernelConfig): KernelConfig {
  return wrapper(original, (args) => {
    const value = args.inputs.value as TensorInfo;
    if (value.dtype === "string") return original.kernelFunc(args);
    const rank = value.shape.length;
    let { axis } = args.attrs as unknown as { axis: number };
    if (axis < 0) axis += rank;
    const outShape = value.shape.filter((_, d) => d !== axis);
    const size = value.shape.slice();
    size[axis] = 1;
    return Array.from({ length: value.shape[axis] }, (_, i) => {
      const begin = new Array<number>(rank).fill(0);
      begin[axis] = i;
      const { dataId, dtype } = sliceFromHeap(args.backend as unknown as WasmBackendLike, value, begin, size);
      return { dataId, dtype, shape: outShape.slice() };
    });
  });
}

interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

function stridedSliceInfo(x: TensorInfo, attrs: Record<string, unknown>): ReturnType<typeof tf.slice_util.sliceInfo> {
  const a = attrs as unknown as StridedSliceAttrs;
  return tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
}

/**
 * Whether tfjs-backend-wasm's StridedSlice takes its general path (its own strided kernel, which gets
 * int32 and bool wrong: dtype-fallback.ts) for x and these attributes, rather than a reshape or a slice.
 */
export function stridedSliceIsGeneral(x: TensorInfo, attrs: Record<string, unknown>): boolean {
  const info = stridedSliceInfo(x, attrs);
  return !(info.isIdentity || info.sliceDim0 || info.isSimpleSlice);
}

/**
 * StridedSlice: its contiguous case (tfjs-backend-wasm's "slice then reshape" path) sliced from the heap;
 * every other case to the original kernel.
 */
export function heapStridedSliceConfig(original: KernelConfig): KernelConfig {
  return wrapper(original, (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string") return original.kernelFunc(args);
    const info = stridedSliceInfo(x, args.attrs as Record<string, unknown>);
    if (info.isIdentity || !(info.sliceDim0 || info.isSimpleSlice)) return original.kernelFunc(args);
    // an end before its begin is an empty extent (computeOutShape gives it negative)
    const size = tf.slice_util.computeOutShape(info.begin, info.end, info.strides).map((extent) => Math.max(0, extent));
    const { dataId, dtype } = sliceFromHeap(args.backend as unknown as WasmBackendLike, x, info.begin, size);
    return { dataId, dtype, shape: info.finalShape };
  });
}
