/**
 * OneHot on wasm for every dtype.
 *
 * tfjs-backend-wasm 4.22's OneHot writes int32 values whatever the requested dtype, with the on and off
 * values truncated to integers: `tf.oneHot(i, 3, 1, 0, "float32")` holds 1.4e-45 (the bits of int 1) where
 * cpu holds 1, and on/off values of 0.9/0.05 (label smoothing) become 0/0. Other dtypes than int32 are
 * written here, as tfjs's cpu backend does: every entry `offValue`, `onValue` at each row's index when that
 * index is in [0, depth) (a row whose index is outside is all `offValue`). int32 runs the original kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";

interface OneHotAttrs {
  depth: number;
  onValue: number;
  offValue: number;
  dtype: "float32" | "int32" | "bool";
}

export function exactOneHotConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { dtype, depth, onValue, offValue } = args.attrs as unknown as OneHotAttrs;
    if (dtype === "int32") return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const indices = args.inputs.indices as TensorInfo;
    const out = backend.makeOutput([...indices.shape, depth], dtype);
    // after the allocation, which may have moved the heap; tfjs-core hands OneHot int32 indices
    const rows = backend.typedArrayFromHeap(indices);
    const values = backend.typedArrayFromHeap(out);
    values.fill(offValue);
    for (let row = 0; row < rows.length; row++) {
      const index = rows[row];
      if (index >= 0 && index < depth) values[row * depth + index] = onValue;
    }
    return out;
  };
  return { kernelName: "OneHot", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
