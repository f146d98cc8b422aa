/**
 * Composing kernels from other kernels of the same backend.
 *
 * A kernel registered for "wasm" receives `{ inputs, backend, attrs }` and may call the kernelFuncs that
 * the wasm backend registered for other ops (Conv2D, Transpose, BatchMatMul, ...) with the same backend.
 * Their outputs are raw `TensorInfo`s that the engine does not track: whatever a composed kernel makes and
 * does not return must be released with `backend.disposeData`, or it leaks wasm heap. `KernelScope` runs
 * kernels, remembers every intermediate, and releases all but the one returned.
 */
import * as tf from "@tensorflow/tfjs";
import type { DataType, KernelBackend, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";

/** The parts of tfjs-backend-wasm's BackendWasm that composed kernels use. */
export interface WasmBackendLike extends KernelBackend {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: ArrayLike<number>): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  /** per tensor: where its data starts in the wasm heap (bytes) */
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

export class KernelScope {
  private readonly made: TensorInfo[] = [];

  constructor(readonly backend: WasmBackendLike, readonly backendName = "wasm") {}

  /** Runs the backend's registered kernel `name` (whatever is registered now, overrides included). */
  run(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: object = {}): TensorInfo {
    const kernel = tf.getKernel(name, this.backendName);
    if (!kernel) throw new Error(`stepwise: the ${this.backendName} backend has no ${name} kernel to compose with`);
    const out = kernel.kernelFunc({
      inputs: inputs as unknown as Record<string, TensorInfo>,
      backend: this.backend,
      attrs: attrs as NamedAttrMap,
    });
    if (Array.isArray(out)) throw new Error(`stepwise: kernel ${name} returned several outputs where one was expected`);
    return this.track(out);
  }

  /** A new float32/int32 tensor on the backend filled from `values`. */
  tensor(shape: number[], dtype: "float32" | "int32", values: Float32Array | Int32Array): TensorInfo {
    return this.track(this.backend.makeOutput(shape, dtype, undefined, values));
  }

  /** A new, uninitialised tensor on the backend (for kernels that write their output themselves). */
  output(shape: number[], dtype: "float32" | "int32"): TensorInfo {
    return this.track(this.backend.makeOutput(shape, dtype));
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    if (sameShape(x.shape, shape)) return x;
    return this.run("Reshape", { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    if (perm.every((p, i) => p === i)) return x;
    return this.run("Transpose", { x }, { perm });
  }

  /** `a · b` for 2-D operands through BatchMatMul (XNNPACK's GEMM on wasm when neither is transposed). */
  matMul(a: TensorInfo, b: TensorInfo, transposeA = false, transposeB = false): TensorInfo {
    const a3 = this.reshape(a, [1, ...a.shape]);
    const b3 = this.reshape(b, [1, ...b.shape]);
    const out = this.run("BatchMatMul", { a: a3, b: b3 }, { transposeA, transposeB });
    return this.reshape(out, out.shape.slice(1));
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every((b) => b === 0) && sameShape(size, x.shape)) return x;
    return this.run("Slice", { x }, { begin, size });
  }

  pad(x: TensorInfo, paddings: Array<[number, number]>): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run("PadV2", { x }, { paddings, constantValue: 0 });
  }

  add(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run("Add", { a, b });
  }

  /** Hands `out` to the caller: it survives `dispose()`. */
  keep(out: TensorInfo): TensorInfo {
    const i = this.made.lastIndexOf(out);
    if (i >= 0) this.made.splice(i, 1);
    else this.backend.incRef(out.dataId); // an input passed through unchanged: the caller gets its own reference
    return out;
  }

  /** Releases every intermediate not kept (each reference once: reshapes share their input's data). */
  dispose(): void {
    for (const info of this.made.splice(0)) this.backend.disposeData(info.dataId);
  }

  private track(info: TensorInfo): TensorInfo {
    this.made.push(info);
    return info;
  }
}

/** Runs `body` in a scope and returns its result, releasing every other intermediate even on error. */
export function composed(backend: object, body: (scope: KernelScope) => TensorInfo): TensorInfo {
  const scope = new KernelScope(backend as unknown as WasmBackendLike);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
