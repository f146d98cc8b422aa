/**
 * GatherV2 on wasm as whole-slice copies.
 *
 * tfjs-backend-wasm 4.22 gathers element by element through a strided index loop: model.fit slices every
 * batch out of the training set with a gather of whole rows, and at batch 64 of 784 features that took
 * about 2 ms a step, as long as the MLP's forward and backward passes together. Here each gathered slice
 * is one memory.copy (assembly/index.ts `gather`). Indices are checked as tfjs checks them; strings,
 * which live outside the wasm heap, go to the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { runChecked, simdKernels } from "./simd";

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

interface GatherAttrs {
  axis: number;
  batchDims: number;
}

export function sliceGatherConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const backend = args.backend as unknown as WasmBackendLike;
    const kernels = simdKernels(backend);
    const bytes = BYTES[x.dtype];
    if (!kernels || bytes === undefined || indices.dtype !== "int32") return original.kernelFunc(args);
    const { axis, batchDims } = args.attrs as unknown as GatherAttrs;
    const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
    const dim = x.shape[parsedAxis];
    const values = backend.typedArrayFromHeap(indices);
    for (const index of values) {
      if (!(index >= 0 && index <= dim - 1)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
    }
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, parsedAxis, batchDims);
    const out = backend.makeOutput(info.outputShape, x.dtype);
    const count = tf.util.sizeFromShape(indices.shape);
    if (tf.util.sizeFromShape(info.outputShape) > 0) {
      runChecked(backend, "GatherV2", [["x", x], ["indices", indices], ["out", out]], [out], (source, index, target) =>
        kernels.gather(
          source.offset, index.offset, target.offset, info.batchSize, info.outerSize, info.dimSize, count / info.batchSize, info.sliceSize * bytes,
          source.bytes, index.bytes, target.bytes,
        ),
      );
    }
    return out;
  };
  return { kernelName: "GatherV2", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
