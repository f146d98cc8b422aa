/**
 * Choosing the backend: the best one that loads, or exactly the one asked for.
 */
import * as tf from "@tensorflow/tfjs";
import { BACKEND_ORDER, describeBackend, recordSkipped, type BackendInfo, type BackendName, type SkippedBackend } from "./describe";
import { hostBlasStatus } from "./blas";
import { registerWasmTrainingKernels } from "./kernels/register";
import { requestedKernelBuild } from "./kernels/simd";
import { loadNative, NATIVE_INSTALL_HINT, type LoadResult } from "./native";
import { silenceCpuBanner } from "./quiet";
import { defaultWasmThreads, startWasm } from "./wasm";
import { loadWebGpu, WEBGPU_INSTALL_HINT } from "./webgpu";

export interface BackendOptions {
  /** Threads for the wasm backend, 1..8 (default: STEPWISE_WASM_THREADS, else defaultWasmThreads(): the cores, at most 8, or 1 on two cores or fewer). */
  wasmThreads?: number;
}

/**
 * Activates the best available tfjs backend and describes it.
 *
 * Without a preference (neither `preferred` nor the STEPWISE_BACKEND environment variable), the first of
 * these that loads wins:
 *   1. "tensorflow": native TensorFlow, `@tensorflow/tfjs-node-gpu` then `@tensorflow/tfjs-node`, if installed
 *      and loadable;
 *   2. "webgpu": WebGPU through Dawn (the `webgpu` package) when a GPU adapter exists (probed silently in a
 *      child process);
 *   3. "wasm": the embedded default, with SIMD and XNNPACK threads, plus the training kernels it lacks
 *      (registerWasmTrainingKernels);
 *   4. "cpu": tfjs's plain JavaScript backend (~100x slower than wasm for CNNs).
 * Why each better backend was passed over is in the result's `skipped`.
 *
 * With a preference, that backend is used or an Error explains why it cannot load and how to install
 * it: there is no silent fallback. An unknown name is an Error listing the valid ones.
 *
 * tfjs's cpu backend prints a "looks like you are running TensorFlow.js in Node.js" banner on first use;
 * stepwise has made the choice that banner asks for, so it is silenced (only that banner; other tfjs
 * warnings still print).
 */
export async function useBestBackend(preferred?: BackendName, options: BackendOptions = {}): Promise<BackendInfo> {
  const fromEnv = process.env.STEPWISE_BACKEND?.trim().toLowerCase() || undefined;
  const requested = preferred ?? fromEnv;
  const source = preferred !== undefined ? "useBestBackend" : "STEPWISE_BACKEND";
  if (requested !== undefined && !BACKEND_ORDER.includes(requested as BackendName)) {
    throw new Error(`${source}: unknown backend "${requested}"; expected one of ${BACKEND_ORDER.join(", ")}`);
  }
  const threads = options.wasmThreads ?? wasmThreadsFromEnv();
  requestedKernelBuild(); // a wrong STEPWISE_WASM_KERNELS is an error here, not a silent fall to another backend
  hostBlasStatus(); // so is a library in STEPWISE_BLAS that does not load
  silenceCpuBanner();
  if (requested !== undefined) {
    const name = requested as BackendName;
    const result = await load(name, threads);
    if (!result.ok) throw new Error(`${source}: the ${name} backend cannot be used: ${result.reason}. ${installHint(name)}`);
    recordSkipped(name, []);
    return describeBackend();
  }
  const skipped: SkippedBackend[] = [];
  for (const name of BACKEND_ORDER) {
    const result = await load(name, threads);
    if (result.ok) {
      recordSkipped(name, skipped);
      return describeBackend();
    }
    skipped.push({ name, reason: result.reason });
  }
  throw new Error(`useBestBackend: no backend could be loaded (${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")})`);
}

async function load(name: BackendName, wasmThreads: number): Promise<LoadResult> {
  switch (name) {
    case "tensorflow":
      return loadNative();
    case "webgpu":
      return loadWebGpu();
    case "wasm":
      try {
        registerWasmTrainingKernels();
        const setup = await startWasm(wasmThreads);
        return { ok: true, detail: `simd=${setup.simd} threads=${setup.threads}` };
      } catch (error) {
        return { ok: false, reason: (error as Error).message };
      }
    case "cpu":
      return (await tf.setBackend("cpu")) ? { ok: true, detail: "" } : { ok: false, reason: "tfjs's cpu backend failed to start" };
  }
}

function installHint(name: BackendName): string {
  switch (name) {
    case "tensorflow":
      return NATIVE_INSTALL_HINT;
    case "webgpu":
      return WEBGPU_INSTALL_HINT;
    case "wasm":
      return "It ships with stepwise as `@tensorflow/tfjs-backend-wasm`; reinstall with `npm install @tensorflow/tfjs-backend-wasm`.";
    case "cpu":
      return "It ships with `@tensorflow/tfjs`.";
  }
}

function wasmThreadsFromEnv(): number {
  const raw = process.env.STEPWISE_WASM_THREADS?.trim();
  if (!raw) return defaultWasmThreads();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new Error(`STEPWISE_WASM_THREADS must be an integer in [1, 8], got "${raw}"`);
  }
  return n;
}
