/**
 * UnsortedSegmentSum for the wasm backend (the gradient of gather, hence of every embedding lookup):
 *
 *   out[s, ...] = Σ_{r : ids[r] = s} x[r, ...],  s ∈ [0, numSegments),
 *
 * where `ids` (any shape) indexes the leading axes of x and ids outside [0, numSegments) are dropped, as in
 * TensorFlow and tfjs's cpu backend. This is the wasm backend's ScatterNd, which sums duplicate indices,
 * with the ids as [rows, 1] indices into a zero [numSegments, inner] output: O(rows·inner) work, where a
 * one-hot product would cost O(numSegments·rows·inner). The ids are read back (they are small integer
 * tensors living in wasm memory) only to drop the out-of-range ones before scattering.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { composed } from "./scope";

export const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { numSegments } = attrs as unknown as { numSegments: number };
  return composed(backend, (scope) => {
    const x = inputs.x as TensorInfo;
    const segmentIds = inputs.segmentIds as TensorInfo;
    const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
    const innerShape = x.shape.slice(segmentIds.shape.length);
    const inner = innerShape.reduce((a, b) => a * b, 1);
    const outShape = [numSegments, ...innerShape];
    const ids = scope.backend.readSync(segmentIds.dataId) as Int32Array;
    const kept: number[] = [];
    for (let r = 0; r < rows; r++) if (ids[r] >= 0 && ids[r] < numSegments) kept.push(r);
    if (kept.length === 0) return scope.run("Fill", {}, { shape: outShape, value: 0, dtype: x.dtype });
    let updates = scope.reshape(x, [rows, inner]);
    let indices: Int32Array;
    if (kept.length === rows) {
      indices = Int32Array.from(ids.subarray(0, rows));
    } else {
      indices = Int32Array.from(kept, (r) => ids[r]);
      const rowsKept = scope.tensor([kept.length], "int32", Int32Array.from(kept));
      updates = scope.run("GatherV2", { x: updates, indices: rowsKept }, { axis: 0, batchDims: 0 });
    }
    const summed = scope.run(
      "ScatterNd",
      { indices: scope.tensor([indices.length, 1], "int32", indices), updates },
      { shape: [numSegments, inner] },
    );
    return scope.reshape(summed, outShape);
  });
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: "UnsortedSegmentSum",
  backendName: "wasm",
  kernelFunc: unsortedSegmentSum,
};
