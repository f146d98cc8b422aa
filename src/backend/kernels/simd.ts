/**
 * stepwise's SIMD kernels (assembly/index.ts, built into dist/wasm by scripts/build-wasm.mjs), attached to
 * the running wasm backend's own memory: they take tensors' heap offsets and work in place, so a kernel
 * costs no copies in or out.
 *
 * Two builds, each in two binaries (one importing a shared memory, for tfjs's threaded build, one an
 * ordinary memory, for its SIMD build):
 *   - "relaxed-simd": the products multiply-add with `f32x4.relaxed_madd`, a fused multiply-add (one FMA
 *     instruction on x64 with FMA3 and on arm64). On by default from Node 21 (V8 11.4); Node 20's V8 has it
 *     behind --experimental-wasm-relaxed-simd, which is turned on here through `v8.setFlagsFromString`
 *     when the engine does not validate the build without it (the flag is read when a module compiles).
 *   - "simd": plain wasm SIMD (Node 16.4 and later), a multiply then an add.
 * The relaxed build is chosen where the engine runs it, unless STEPWISE_WASM_KERNELS names the build. A
 * runtime without wasm SIMD runs neither; `simdKernelsAvailable()` is then false and the callers keep
 * tfjs's or the composed kernels.
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import type { WasmBackendLike } from "./scope";

/**
 * The exports of assembly/index.ts; every pointer is a byte offset in the wasm backend's heap, and every
 * kernel takes, after its other arguments, each buffer's size in bytes (in pointer order). A kernel
 * returns 0 when it ran, k when buffer k (1-based) is smaller than its geometry needs, −1 when its
 * arguments contradict each other, and writes nothing unless it returns 0 (sumSquares: −1 for an error).
 */
export interface SimdKernels {
  maxPool(
    x: number, y: number, batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    strideHeight: number, strideWidth: number, filterHeight: number, filterWidth: number, padTop: number, padLeft: number,
    xBytes: number, yBytes: number,
  ): number;
  avgPool(
    x: number, y: number, batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    strideHeight: number, strideWidth: number, filterHeight: number, filterWidth: number, padTop: number, padLeft: number,
    xBytes: number, yBytes: number,
  ): number;
  maxPoolGrad2x2(
    x: number, dy: number, dx: number, batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    xBytes: number, dyBytes: number, dxBytes: number,
  ): number;
  maxPoolGrad2x2Relu(
    x: number, dy: number, dz: number, db: number, batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    xBytes: number, dyBytes: number, dzBytes: number, dbBytes: number,
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
  matMul(a: number, b: number, c: number, m: number, k: number, n: number, aRowStride: number, aStep: number, aBytes: number, bBytes: number, cBytes: number): number;
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
  conv2d(
    x: number, filter: number, y: number, zeros: number, bias: number,
    batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number, outChannels: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number, epilogue: Epilogue,
    xBytes: number, filterBytes: number, yBytes: number, zerosBytes: number, biasBytes: number,
  ): number;
  winogradFilter(filter: number, u: number, tile: number, channels: number, outChannels: number, filterBytes: number, uBytes: number): number;
  conv2dWinograd(
    x: number, filter: number, u: number, y: number, zeros: number, bias: number, scratch: number, tile: number,
    batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number, outChannels: number,
    top: number, left: number, epilogue: Epilogue,
    xBytes: number, filterBytes: number, uBytes: number, yBytes: number, zerosBytes: number, biasBytes: number, scratchBytes: number,
  ): number;
  conv2dFilterGradWinograd(
    x: number, dy: number, dW: number, scratch: number, tile: number,
    batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number, outChannels: number,
    top: number, left: number, xBytes: number, dyBytes: number, dWBytes: number, scratchBytes: number,
  ): number;
  conv2dInputGradWinograd(
    dy: number, filter: number, u: number, dx: number, scratch: number, tile: number,
    batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number, outChannels: number,
    top: number, left: number, dyBytes: number, filterBytes: number, uBytes: number, dxBytes: number, scratchBytes: number,
  ): number;
  biasActivation(y: number, bias: number, rows: number, cols: number, mode: Epilogue, yBytes: number, biasBytes: number): number;
  transposeMatrices(x: number, out: number, batch: number, rows: number, cols: number, xBytes: number, outBytes: number): number;
  reluGrad(dy: number, x: number, dx: number, n: number, dyBytes: number, xBytes: number, dxBytes: number): number;
  reluGradColumnSums(dy: number, x: number, dx: number, db: number, rows: number, cols: number, dyBytes: number, xBytes: number, dxBytes: number, dbBytes: number): number;
  rowMaxShift(z: number, m: number, shifted: number, rows: number, cols: number, zBytes: number, mBytes: number, shiftedBytes: number): number;
  logSoftmaxPick(
    z: number, m: number, l: number, classes: number, r: number, value: number, rows: number, cols: number,
    zBytes: number, mBytes: number, lBytes: number, classesBytes: number, rBytes: number, valueBytes: number,
  ): number;
  crossEntropyOfLogitsGrad(e: number, classes: number, dy: number, g: number, rows: number, cols: number, eBytes: number, classesBytes: number, dyBytes: number, gBytes: number): number;
  probabilityPick(
    p: number, classes: number, q: number, s: number, c: number, rows: number, cols: number, lo: number, hi: number,
    pBytes: number, classesBytes: number, qBytes: number, sBytes: number, cBytes: number,
  ): number;
  crossEntropyOfProbabilitiesGrad(
    classes: number, q: number, s: number, c: number, dy: number, g: number, rows: number, cols: number, lo: number, hi: number,
    classesBytes: number, qBytes: number, sBytes: number, cBytes: number, dyBytes: number, gBytes: number,
  ): number;
  sparseProbabilityPick(
    u: number, classes: number, s: number, x: number, rows: number, cols: number, lo: number, hi: number,
    uBytes: number, classesBytes: number, sBytes: number, xBytes: number,
  ): number;
  sparseCrossEntropyGrad(
    u: number, s: number, classes: number, dy: number, du: number, rows: number, cols: number, lo: number, hi: number,
    uBytes: number, sBytes: number, classesBytes: number, dyBytes: number, duBytes: number,
  ): number;
  countCorrect(x: number, classes: number, out: number, rows: number, cols: number, xBytes: number, classesBytes: number, outBytes: number): number;
  softmaxGrad(dy: number, y: number, dx: number, rows: number, cols: number, dyBytes: number, yBytes: number, dxBytes: number): number;
  softmaxGradColumnSums(dy: number, y: number, dx: number, db: number, rows: number, cols: number, dyBytes: number, yBytes: number, dxBytes: number, dbBytes: number): number;
  crossEntropyOfProbabilitiesSoftmaxGrad(
    classes: number, q: number, s: number, c: number, dy: number, y: number, dx: number, db: number, rows: number, cols: number, lo: number, hi: number,
    classesBytes: number, qBytes: number, sBytes: number, cBytes: number, dyBytes: number, yBytes: number, dxBytes: number, dbBytes: number,
  ): number;
  negMean(x: number, out: number, n: number, xBytes: number, outBytes: number): number;
  divideByRowGrad(
    dy: number, a: number, b: number, da: number, db: number, rows: number, cols: number,
    dyBytes: number, aBytes: number, bBytes: number, daBytes: number, dbBytes: number,
  ): number;
  clipByValue(x: number, out: number, n: number, lo: number, hi: number, xBytes: number, outBytes: number): number;
  clipByValueGrad(dy: number, x: number, dx: number, n: number, lo: number, hi: number, dyBytes: number, xBytes: number, dxBytes: number): number;
  reluClamp(x: number, out: number, n: number, six: number, xBytes: number, outBytes: number): number;
  maxMin(a: number, b: number, out: number, n: number, aStep: number, bStep: number, min: number, aBytes: number, bBytes: number, outBytes: number): number;
  conv2dFilterGrad(
    x: number, dy: number, dW: number,
    batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number, outChannels: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number,
    xBytes: number, dyBytes: number, dWBytes: number,
  ): number;
}

/**
 * What the products' epilogue does after them (assembly/index.ts EPILOGUE_*): 1 adds a bias [cols], 2
 * applies ReLU, 3 both (the bias first), 0 nothing.
 */
export type Epilogue = 0 | 1 | 2 | 3;

/** The epilogue of a fused product: its bias, if any, then its activation, linear or relu. */
export function epilogueOf(hasBias: boolean, activation: "linear" | "relu"): Epilogue {
  return ((hasBias ? 1 : 0) + (activation === "relu" ? 2 : 0)) as Epilogue;
}

/** The parts of the WebAssembly JS API used here (TypeScript declares it only in the DOM library). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
export type WasmModule = object;
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

/** A build of the kernels: with relaxed SIMD's fused multiply-add, or plain SIMD. */
export type KernelBuild = "relaxed-simd" | "simd";

export const KERNEL_BUILDS: readonly KernelBuild[] = ["relaxed-simd", "simd"];

/** Names the build to use instead of the best the engine runs. */
export const KERNEL_BUILD_VARIABLE = "STEPWISE_WASM_KERNELS";

function binaryFile(build: KernelBuild, shared: boolean): string {
  return `kernels${shared ? "-shared" : ""}${build === "relaxed-simd" ? "-relaxed" : ""}.wasm`;
}

const compiled = new Map<string, WasmModule | null>();

function readBinary(file: string): Buffer {
  const location = path.join(WASM_DIR, file);
  try {
    return readFileSync(location);
  } catch {
    throw new Error(`stepwise: ${location} is missing; build the package (npm run build) to compile assembly/index.ts`);
  }
}

/** The compiled binary, or null where the engine does not validate it. */
function compile(file: string): WasmModule | null {
  let module = compiled.get(file);
  if (module === undefined) {
    const bytes = readBinary(file);
    module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    compiled.set(file, module);
  }
  return module;
}

/** Whether the engine runs `build`; for relaxed SIMD, after turning on Node 20's V8 flag if need be. */
function engineRuns(build: KernelBuild): boolean {
  const file = binaryFile(build, false);
  if (compile(file) !== null) return true;
  if (build !== "relaxed-simd" || !compile(binaryFile("simd", false))) return false;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  compiled.delete(file);
  compiled.delete(binaryFile(build, true));
  return compile(file) !== null;
}

/** The build asked for in STEPWISE_WASM_KERNELS, if any; an error naming the variable for another value. */
export function requestedKernelBuild(): KernelBuild | undefined {
  const raw = process.env[KERNEL_BUILD_VARIABLE]?.trim();
  if (!raw) return undefined;
  if (!(KERNEL_BUILDS as readonly string[]).includes(raw)) {
    throw new Error(`${KERNEL_BUILD_VARIABLE} must be one of ${KERNEL_BUILDS.join(", ")}; got "${raw}"`);
  }
  return raw as KernelBuild;
}

/** undefined: not chosen yet; null: the engine runs no build (no wasm SIMD). */
let chosen: KernelBuild | null | undefined;

/**
 * The build stepwise's kernels run in this process: the one STEPWISE_WASM_KERNELS names, else relaxed SIMD
 * where the engine runs it, else plain SIMD; undefined where the engine lacks wasm SIMD.
 */
export function kernelBuild(): KernelBuild | undefined {
  if (chosen === undefined) {
    const requested = requestedKernelBuild();
    if (requested) {
      if (!engineRuns(requested)) {
        throw new Error(`${KERNEL_BUILD_VARIABLE}=${requested}: this engine (Node ${process.versions.node}) cannot run that build of stepwise's kernels`);
      }
      chosen = requested;
    } else {
      chosen = KERNEL_BUILDS.find(engineRuns) ?? null;
    }
  }
  return chosen ?? undefined;
}

/**
 * Switches the kernels to `build` from the next kernel call on (to compare the builds, as the property
 * test does); throws where the engine cannot run it.
 */
export function useKernelBuild(build: KernelBuild): void {
  if (!KERNEL_BUILDS.includes(build)) throw new Error(`useKernelBuild: build must be one of ${KERNEL_BUILDS.join(", ")}; got "${String(build)}"`);
  if (!engineRuns(build)) throw new Error(`useKernelBuild: this engine (Node ${process.versions.node}) cannot run the ${build} build`);
  chosen = build;
}

/** Whether this runtime can run the kernels (it validates wasm SIMD). */
export function simdKernelsAvailable(): boolean {
  return kernelBuild() !== undefined;
}

const attached = new WeakMap<WasmMemory, { build: KernelBuild; kernels: SimdKernels }>();

/** The wasm backend's memory (the threaded build's is shared). */
export function backendMemory(backend: WasmBackendLike): WasmMemory {
  const emscripten = (backend as unknown as { wasm: EmscriptenModule }).wasm;
  const memory = emscripten.wasmMemory ?? emscripten.asm?.memory;
  if (!memory) throw new Error("stepwise: cannot find the wasm backend's memory (an unexpected tfjs-backend-wasm build)");
  return memory;
}

/** Whether `memory` is shared between threads (tfjs's threaded build). */
export function isShared(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/** The compiled binary of `build` for a shared or an ordinary memory, or null where the engine cannot run it. */
export function compiledKernels(build: KernelBuild, shared: boolean): WasmModule | null {
  return compile(binaryFile(build, shared));
}

/** The kernels bound to `backend`'s heap, or undefined where the runtime lacks wasm SIMD. */
export function simdKernels(backend: WasmBackendLike): SimdKernels | undefined {
  const build = kernelBuild();
  if (!build) return undefined;
  const memory = backendMemory(backend);
  let entry = attached.get(memory);
  if (entry?.build !== build) {
    const module = compile(binaryFile(build, isShared(memory)));
    if (!module) return undefined;
    entry = { build, kernels: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels };
    attached.set(memory, entry);
  }
  return entry.kernels;
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
