/**
 * Identity and same-dtype Cast without a copy on wasm.
 *
 * tfjs-backend-wasm 4.22 copies the whole buffer for `Identity` and for a `Cast` to the dtype a tensor
 * already has; backpropagation through every layer runs both on activation-sized tensors (a few hundred
 * microseconds each on the reference CNN). Tensor data is immutable in tfjs (a Variable's assign swaps in a
 * new buffer), so the output can share the input's buffer with one more reference, exactly as the wasm
 * backend's own Reshape and tfjs's cpu backend's Identity do.
 *
 * Its Cast to bool also copies, wrapping values modulo 256 (2.7 → 2, −2.7 → 254) where tfjs's cpu backend
 * and TensorFlow give x ≠ 0 (NaN → true); that case is computed here. Other casts run the original kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";

/** x itself as a new output: its buffer with one more reference (tensor data is immutable in tfjs). */
export function share(x: TensorInfo, backend: WasmBackendLike): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/** Identity sharing its input's buffer (strings, which live outside wasm memory, go to `original`). */
export function sharingIdentityConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string") return original.kernelFunc(args);
    return share(x, args.backend as unknown as WasmBackendLike);
  };
  return { kernelName: "Identity", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}

/** x ≠ 0 as a bool tensor (1/0 bytes). */
function toBool(x: TensorInfo, backend: WasmBackendLike): TensorInfo {
  const out = backend.makeOutput(x.shape, "bool");
  const source = backend.typedArrayFromHeap(x); // after the allocation, which may have moved the heap
  const target = backend.typedArrayFromHeap(out);
  for (let i = 0; i < source.length; i++) target[i] = source[i] !== 0 ? 1 : 0;
  return out;
}

/** Cast sharing its input's buffer when the dtype does not change, x ≠ 0 to bool, `original` otherwise. */
export function sharingCastConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = args.backend as unknown as WasmBackendLike;
    const { dtype } = args.attrs as unknown as { dtype: string };
    if (x.dtype === "string") return original.kernelFunc(args);
    if (dtype === x.dtype) return share(x, backend);
    if (dtype === "bool") return toBool(x, backend);
    return original.kernelFunc(args);
  };
  return { kernelName: "Cast", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc };
}
