/**
 * stepwise's SIMD kernels (assembly/index.ts, built into dist/wasm by scripts/build-wasm.mjs), attached to
 * the running wasm backend's own memory: they take tensors' heap offsets and work in place, so a kernel
 * costs no copies in or out.
 *
 * Two binaries: one importing a shared memory (tfjs's threaded build), one an ordinary memory (its SIMD
 * build). A runtime without wasm SIMD cannot compile either; `simdKernelsAvailable()` is then false and
 * the callers keep tfjs's or the composed kernels.
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { WasmBackendLike } from "./scope";

/**
 * The exports of assembly/index.ts; every pointer is a byte offset in the wasm backend's heap, and every
 * kernel takes, after its other arguments, each buffer's size in bytes (in pointer order). A kernel
 * returns 0 when it ran, k when buffer k (1-based) is smaller than its geometry needs, −1 when its
 * arguments contradict each other, and writes nothing unless it returns 0 (sumSquares: −1 for an error).
 */
export interface SimdKernels {
  maxPoolGrad2x2(
    x: number, dy: number, dx: number, batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    xBytes: number, dyBytes: number, dxBytes: number,
  ): number;
  maxPoolGrad(
    x: number, dy: number, dx: number,
    batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    strideHeight: number, strideWidth: number, filterHeight: number, filterWidth: number, padTop: number, padLeft: number,
    xBytes: number, dyBytes: number, dxBytes: number,
  ): number;
  sumRows(x: number, out: number, rows: number, cols: number, xBytes: number, outBytes: number): number;
  sumSquares(x: number, n: number, xBytes: number): number;
  scaledAdd(sum: number, grad: number, out: number, n: number, scale: number, hasSum: number, sumBytes: number, gradBytes: number, outBytes: number): number;
  matMul(a: number, b: number, c: number, m: number, k: number, n: number, aBytes: number, bBytes: number, cBytes: number): number;
  addRowVector(x: number, bias: number, out: number, rows: number, cols: number, xBytes: number, biasBytes: number, outBytes: number): number;
  gather(
    x: number, indices: number, out: number, batch: number, outer: number, dim: number, perBatch: number, sliceBytes: number,
    xBytes: number, indicesBytes: number, outBytes: number,
  ): number;
  adamStep(
    param: number, grad: number, m: number, v: number, vMax: number,
    outParam: number, outM: number, outV: number, outVMax: number, n: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, correction2: number, eps: number, stepSize: number, amsgrad: number,
    paramBytes: number, gradBytes: number, mBytes: number, vBytes: number, vMaxBytes: number,
    outParamBytes: number, outMBytes: number, outVBytes: number, outVMaxBytes: number,
  ): number;
  conv2dFilterGrad(
    x: number, dy: number, dW: number,
    batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number, outChannels: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number,
    xBytes: number, dyBytes: number, dWBytes: number,
  ): number;
}

/** The parts of the WebAssembly JS API used here (TypeScript declares it only in the DOM library). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
type WasmModule = object;
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

interface EmscriptenModule {
  /** the threaded build's memory, created by its glue */
  wasmMemory?: WasmMemory;
  /** the single-threaded build's exports, its memory among them */
  asm?: { memory?: WasmMemory };
}

const WASM_DIR = path.resolve(__dirname, "..", "..", "..", "wasm");

const compiled = new Map<string, WasmModule | null>();
const attached = new WeakMap<WasmMemory, SimdKernels>();

function compile(file: string): WasmModule | null {
  let module = compiled.get(file);
  if (module === undefined) {
    const location = path.join(WASM_DIR, file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(location);
    } catch {
      throw new Error(`stepwise: ${location} is missing; build the package (npm run build) to compile assembly/index.ts`);
    }
    module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    compiled.set(file, module);
  }
  return module;
}

/** Whether this runtime can run the kernels (it validates wasm SIMD). */
export function simdKernelsAvailable(): boolean {
  return compile("kernels.wasm") !== null;
}

/** The kernels bound to `backend`'s heap, or undefined where the runtime lacks wasm SIMD. */
export function simdKernels(backend: WasmBackendLike): SimdKernels | undefined {
  const emscripten = (backend as unknown as { wasm: EmscriptenModule }).wasm;
  const memory = emscripten.wasmMemory ?? emscripten.asm?.memory;
  if (!memory) throw new Error("stepwise: cannot find the wasm backend's memory (an unexpected tfjs-backend-wasm build)");
  let kernels = attached.get(memory);
  if (!kernels) {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const module = compile(shared ? "kernels-shared.wasm" : "kernels.wasm");
    if (!module) return undefined;
    kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    attached.set(memory, kernels);
  }
  return kernels;
}

/** A tensor's byte offset in the wasm heap. */
export function heapOffset(backend: WasmBackendLike, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error("stepwise: a tensor passed to a wasm kernel has no data on the wasm backend");
  return data.memoryOffset;
}

/** Where a tensor lies in the wasm heap: its byte offset and its size in bytes. */
export interface HeapBuffer {
  readonly offset: number;
  readonly bytes: number;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** A tensor's place in the heap (an absent optional operand: an empty buffer at 0). */
export function heapBuffer(backend: WasmBackendLike, info: TensorInfo | undefined): HeapBuffer {
  if (!info) return { offset: 0, bytes: 0 };
  const perElement = BYTES_PER_ELEMENT[info.dtype];
  if (perElement === undefined) throw new Error(`stepwise: a ${info.dtype} tensor cannot be passed to a wasm kernel`);
  return { offset: heapOffset(backend, info), bytes: tf.util.sizeFromShape(info.shape) * perElement };
}

/**
 * Runs one SIMD kernel on `buffers` (named in the kernel's pointer order) and checks its status: on an
 * error the outputs it was to fill (`outputs`) are released and the error names the buffer that its
 * geometry overran. The kernel has written nothing then.
 */
export function runChecked(
  backend: WasmBackendLike,
  kernel: string,
  buffers: ReadonlyArray<readonly [string, TensorInfo | undefined]>,
  outputs: readonly TensorInfo[],
  call: (...heap: HeapBuffer[]) => number,
): void {
  const status = call(...buffers.map(([, info]) => heapBuffer(backend, info)));
  if (status === 0) return;
  for (const info of outputs) backend.disposeData(info.dataId);
  const described = buffers.map(([name, info]) => `${name} [${info?.shape ?? "absent"}]`).join(", ");
  if (status > 0 && status <= buffers.length) {
    throw new Error(`stepwise ${kernel}: ${buffers[status - 1][0]} is smaller than the geometry needs (${described}); nothing was written`);
  }
  throw new Error(`stepwise ${kernel}: the arguments contradict each other (${described}); nothing was written`);
}
