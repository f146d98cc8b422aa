/**
 * Starting tfjs's wasm backend in Node, with SIMD and, where asked, XNNPACK's thread pool.
 *
 * tfjs-backend-wasm ships three binaries: plain, SIMD, and threaded SIMD. In Node it picks the SIMD one
 * (Node 20 validates wasm SIMD) but never the threaded one: its WASM_HAS_MULTITHREAD_SUPPORT flag is
 * hard-wired to false under Node (tfjs issue #3830), because the Emscripten glue it ships cannot start
 * its pthread workers there:
 *   1. it creates each worker from a `blob:` URL, which Node's `worker_threads` refuses (ERR_WORKER_PATH);
 *   2. each worker then loads the main script from a Blob, which the glue's Node `importScripts` cannot read;
 *   3. the pool size is capped at `os.cpus().length / 2` ("hyper-threads"), i.e. 1 on a 2-core machine;
 *   4. idle workers keep the event loop alive, so a script never exits.
 * `startWasm({ threads })` fixes each while the backend initialises: the worker script (the package's
 * own, plus a shim that loads the main script from its file in the package) is written once to the
 * temporary directory and `URL.createObjectURL` returns that path for the worker Blob; `os.cpus()`
 * reports twice the requested thread count; the workers are `unref()`ed afterwards. Everything patched is
 * restored before `startWasm` returns. Should the threaded binary still fail to start, the backend starts
 * single-threaded and `WasmSetup.threadsNote` says why.
 */
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFileAtomic } from "../util/files";
import { hostBlasStatus } from "./blas";
import { requireInteger } from "../util/validate";

export interface WasmSetup {
  /** the SIMD binary is in use */
  simd: boolean;
  /** threads in XNNPACK's pool (1: the single-threaded binary) */
  threads: number;
  /** why fewer threads than requested run, if so */
  threadsNote?: string;
}

interface WasmModuleExports {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

interface NodeWorkerLike {
  unref?: () => void;
}

interface EmscriptenPThreads {
  runningWorkers: NodeWorkerLike[];
  unusedWorkers: NodeWorkerLike[];
}

const WASM_PACKAGE = "@tensorflow/tfjs-backend-wasm";

/** The `os` module object itself (the one the Emscripten glue calls), not an import namespace copy. */
const osModule: { cpus: typeof os.cpus } = require("node:os");

/** Loads the wasm backend package (registers the "wasm" backend and its kernels). */
export function loadWasmPackage(): WasmModuleExports {
  return require(WASM_PACKAGE) as WasmModuleExports;
}

/** The most threads the wasm backend runs: the cores Node may use, at most 8 (the workers tfjs pre-creates). */
export function allCoresWasmThreads(cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.min(8, cores));
}

/**
 * The default size of the thread pool: every core (at most 8), except on a machine of two cores or fewer, where
 * it is one. There the pool's threads (XNNPACK's, which spin while they wait for work, and stepwise's kernel
 * pool) share both cores with the main thread and V8's own. On a 2-core machine, in 24 interleaved pairs of
 * runs of the bench's models, one thread was as fast on the CNN at batch 64 (median ratio 1.00) and faster
 * everywhere else: 1.13× on the MLP at batch 64, 1.3× (CNN) and 1.6× (MLP) accumulating 4 micro-batches of 16.
 */
export function defaultWasmThreads(cores: number = os.availableParallelism()): number {
  return cores <= 2 ? 1 : allCoresWasmThreads(cores);
}

let started: WasmSetup | undefined;

/**
 * Initialises the wasm backend with `threads` threads (1: the SIMD binary without workers) and makes it
 * the active backend. The thread count is fixed when the backend first starts; later calls return the
 * setup already in place.
 */
export async function startWasm(threads: number = defaultWasmThreads()): Promise<WasmSetup> {
  requireInteger("startWasm", "threads", threads, 1, 8);
  hostBlasStatus(); // a library that STEPWISE_BLAS names and that does not load is an error now, not at the first product
  const wasm = loadWasmPackage();
  if (started && tf.findBackend("wasm")) {
    if (!(await tf.setBackend("wasm"))) throw new Error("stepwise: the wasm backend could not be activated");
    return started;
  }
  const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  let threadsNote: string | undefined;
  if (threads > 1 && !simd) threadsNote = "the threaded binary needs wasm SIMD, which this runtime lacks";
  if (threads > 1 && simd) {
    const failure = await startThreaded(wasm, threads);
    if (failure === undefined) {
      started = { simd, threads: wasm.getThreadsCount() };
      if (started.threads < threads) started.threadsNote = `XNNPACK started ${started.threads} of ${threads} threads`;
      return started;
    }
    threadsNote = `the threaded wasm binary did not start (${failure}); running single-threaded`;
  }
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) {
    throw new Error(
      "stepwise: the wasm backend failed to initialise (see the error above); reinstall with `npm install @tensorflow/tfjs-backend-wasm`",
    );
  }
  started = { simd, threads: 1, ...(threadsNote ? { threadsNote } : {}) };
  return started;
}

/** The running wasm backend's build: as startWasm set it up, or as found if something else started it. */
export function wasmSetup(): WasmSetup {
  if (started) return started;
  const wasm = loadWasmPackage();
  let simd = false;
  try {
    simd = Boolean(tf.env().get("WASM_HAS_SIMD_SUPPORT"));
  } catch {
    // the flag is evaluated when the backend starts; before that nothing runs on wasm
  }
  return { simd, threads: Math.max(1, wasm.getThreadsCount()) };
}

/** Starts the threaded SIMD binary; returns undefined on success, else what went wrong. */
async function startThreaded(wasm: WasmModuleExports, threads: number): Promise<string | undefined> {
  let workerFile: string;
  try {
    workerFile = await writeWorkerScript();
  } catch (error) {
    return `its worker script could not be written: ${(error as Error).message}`;
  }
  const createObjectURL = URL.createObjectURL;
  const cpus = osModule.cpus;
  // 1: the worker Blob becomes the worker file; other Blobs keep their URLs.
  URL.createObjectURL = (blob: Blob) => (blob.type === "application/javascript" ? workerFile : createObjectURL(blob));
  // 3: the pool is capped at cpus().length / 2.
  osModule.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  wasm.setThreadsCount(threads);
  const warn = console.warn;
  let reason: string | undefined;
  try {
    console.warn = (...args: unknown[]) => {
      reason ??= args.map(String).join(" ");
    };
    const ok = await tf.setBackend("wasm");
    if (!ok) return reason ?? "tfjs reported an initialisation failure";
  } catch (error) {
    return (error as Error).message;
  } finally {
    console.warn = warn;
    URL.createObjectURL = createObjectURL;
    osModule.cpus = cpus;
  }
  // 4: idle pool workers must not keep the process alive.
  const pthreads = (tf.backend() as unknown as { wasm: { PThread?: EmscriptenPThreads } }).wasm.PThread;
  for (const worker of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) worker.unref?.();
  return undefined;
}

/**
 * The package's pthread worker script with one addition (2): `importScripts` of a `blob:` URL (the
 * main script, which the glue posts as a Blob) loads the package's threaded-SIMD glue file instead.
 */
async function writeWorkerScript(): Promise<string> {
  const { wasmWorkerContents } = require(`${WASM_PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`) as {
    wasmWorkerContents: string;
  };
  const mainScript = require.resolve(`${WASM_PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.js`);
  // The contents are a template literal's text: "\n" inside string literals must stay an escape.
  const script =
    wasmWorkerContents.replace(/\n/g, "\\n") +
    `\n;(function(){var load=global.importScripts;global.importScripts=function(f){` +
    `return load(typeof f=="string"&&f.startsWith("blob:")?${JSON.stringify(mainScript)}:f)}})();\n`;
  const digest = createHash("sha256").update(script).digest("hex").slice(0, 16);
  const file = path.join(os.tmpdir(), `stepwise-tfjs-wasm-worker-${digest}.js`);
  if (!existsSync(file)) await writeFileAtomic(file, script);
  return file;
}
