/**
 * Training throughput: samples per second of full training steps (forward, backward and a plain SGD update)
 * against the batch size, on the active backend or on each backend in a process of its own.
 *
 * A step at batch size B runs one batch of B random inputs (drawn once per batch size: the data pipeline is
 * not timed) through `model.apply`, takes the softmax cross-entropy of the outputs as logits against random
 * labels, and applies `tf.train.sgd` (the same plain update on every backend: the optimizer is not what this
 * measures). Each batch size gets untimed warm-up steps first (at least `warmupSteps`, and for at least
 * `minRoundMs`, the first one for at least `warmupMs`: kernel compilation, XNNPACK's weight packing, GPU
 * shader builds, the JIT), then `repeats`
 * timed rounds of at least `minRoundMs` and at least one step each, taking turns over the batch sizes; a round
 * ends by reading the loss back, so work queued on a GPU counts. samples/s is the median
 * round's B · steps / seconds.
 *
 * The backend is process-wide, and the wasm backend's thread count is fixed when it first starts
 * (startWasm), so `backendThroughput` measures each configuration in a child process
 * (training-throughput-worker.js) that starts that backend with that thread count, rebuilds the models
 * from their JSON topology and reports back. A backend that cannot load is reported with the reason
 * useBestBackend gives, which names what installing it takes.
 */
import * as tf from "@tensorflow/tfjs";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { BACKEND_ORDER, type BackendName } from "../backend/describe";
import { allCoresWasmThreads } from "../backend/wasm";
import { fail, requireNumber, requireOneOf } from "../util/validate";

export interface ThroughputOptions {
  /** batch sizes to time, integers >= 1 */
  batchSizes: number[];
  /** untimed steps before the timed rounds of each batch size (default 2) */
  warmupSteps?: number;
  /**
   * the first batch size's warm-up lasts at least this long: the process's first steps run cold code (the
   * JIT, the wasm module's optimizing tier, first uses of every kernel) and are several times slower (default 500 ms)
   */
  warmupMs?: number;
  /** timed rounds per batch size; the median counts (default 5) */
  repeats?: number;
  /** a round runs steps until at least this long (default 100 ms) */
  minRoundMs?: number;
  /** seed of the random inputs and labels (default 1) */
  seed?: number;
  /**
   * leave out the first batch size (after the first) whose first step takes longer than this, and all larger
   * ones (default: no limit)
   */
  maxStepMs?: number;
}

export interface ThroughputPoint {
  batchSize: number;
  /** the median round's samples per second */
  samplesPerSecond: number;
  /** samples per second of every round, in the order run */
  rounds: number[];
  /** steps per timed round */
  steps: number;
}

export interface ThroughputResult {
  points: ThroughputPoint[];
  /** batch sizes not timed: the first step of the smallest of them took longer than maxStepMs */
  notTimed: number[];
}

/** Times training steps of `model` at each batch size on the active backend (the model's weights change). */
export async function trainingThroughput(model: tf.LayersModel, options: ThroughputOptions): Promise<ThroughputResult> {
  const { batchSizes } = checkOptions("trainingThroughput", options);
  const warmupSteps = options.warmupSteps ?? 2;
  const repeats = options.repeats ?? 5;
  const minRoundMs = options.minRoundMs ?? 100;
  const warmupMs = options.warmupMs ?? 500;
  const seed = options.seed ?? 1;
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  if (inputShape.some((d) => d === null) || !(classes >= 1)) {
    throw new Error(`trainingThroughput: the model needs a fixed input shape and a last output axis of classes, got input ${JSON.stringify(model.inputs[0].shape)}`);
  }
  const optimizer = tf.train.sgd(1e-3);
  const notTimed: number[] = [];
  const timed: Array<{ batchSize: number; steps: number; run: (steps: number) => Promise<void>; tensors: tf.Tensor[] }> = [];
  for (const batchSize of batchSizes) {
    if (notTimed.length > 0) {
      notTimed.push(batchSize);
      continue;
    }
    const x = tf.randomNormal([batchSize, ...inputShape], 0, 1, "float32", seed);
    const labels = tf.tidy(() => tf.oneHot(tf.randomUniform([batchSize], 0, classes, "int32", seed + 1), classes));
    const step = (): tf.Scalar =>
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    const run = async (steps: number): Promise<void> => {
      for (let i = 0; i < steps; i++) {
        const loss = step();
        if (i === steps - 1) await loss.data();
        loss.dispose();
      }
    };
    // warm-up: at least warmupSteps steps, and steps until minRoundMs (the first batch size: warmupMs) have passed
    const warmStart = performance.now();
    await run(1);
    let warmSteps = 1;
    if (options.maxStepMs !== undefined && timed.length > 0 && performance.now() - warmStart > options.maxStepMs) {
      // one cold step over the limit: this batch size and all larger ones are left out
      notTimed.push(batchSize);
      tf.dispose([x, labels]);
      continue;
    }
    const warmMs = timed.length === 0 ? Math.max(warmupMs, minRoundMs) : minRoundMs;
    while (warmSteps < warmupSteps || (warmSteps < 10_000 && performance.now() - warmStart < warmMs)) {
      await run(1);
      warmSteps++;
    }
    // steps per round: enough for minRoundMs at the pace of the warm-up's last half, the same in every round
    const paceStart = performance.now();
    const paceSteps = Math.max(1, Math.ceil(warmSteps / 2));
    await run(paceSteps);
    const stepMs = (performance.now() - paceStart) / paceSteps;
    timed.push({ batchSize, steps: Math.max(1, Math.ceil(minRoundMs / Math.max(stepMs, 1e-3))), run, tensors: [x, labels] });
  }
  // the rounds take turns over the batch sizes, so a slow moment of a shared machine hits them alike
  const rounds: number[][] = timed.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, t] of timed.entries()) {
      const started = performance.now();
      await t.run(t.steps);
      rounds[i].push((t.batchSize * t.steps) / ((performance.now() - started) / 1000));
    }
  }
  const points = timed.map((t, i) => ({ batchSize: t.batchSize, samplesPerSecond: median(rounds[i]), rounds: rounds[i], steps: t.steps }));
  tf.dispose(timed.flatMap((t) => t.tensors));
  optimizer.dispose();
  return { points, notTimed };
}

/** One backend configuration: a backend, and for wasm the size of XNNPACK's thread pool. */
export interface BackendConfiguration {
  backend: BackendName;
  /** wasm only: 1..8 threads */
  wasmThreads?: number;
}

export interface BackendThroughputOptions extends ThroughputOptions {
  /** the models to time, by name; each is rebuilt from `model.toJSON()` in every child process */
  models: Record<string, tf.LayersModel>;
  /**
   * default: every backend of BACKEND_ORDER, with wasm twice where the machine has more than one core:
   * single-threaded and on every core (allCoresWasmThreads())
   */
  configurations?: BackendConfiguration[];
  /** a child process taking longer than this is stopped and reported as failed (default 120 s) */
  timeoutMs?: number;
}

export interface BackendThroughput {
  /** "cpu", "wasm, 1 thread", "wasm, 2 threads", "tensorflow", "webgpu" */
  label: string;
  configuration: BackendConfiguration;
  /** describeBackend() in the child, when the backend loaded */
  backend?: { name: string; device: string; simd: boolean | null; threads: number | null; notes: string[] };
  /** why the backend could not be used and what installing it takes (useBestBackend's error), when absent */
  absent?: string;
  /** the child failed after loading the backend */
  error?: string;
  /** per model name */
  models: Record<string, ThroughputResult>;
  /** wall time of the child process, seconds */
  seconds: number;
}

/** The configurations measured by default on this machine. */
export function defaultConfigurations(): BackendConfiguration[] {
  const threads = allCoresWasmThreads();
  return BACKEND_ORDER.flatMap((backend): BackendConfiguration[] =>
    backend !== "wasm" ? [{ backend }] : threads > 1 ? [{ backend, wasmThreads: 1 }, { backend, wasmThreads: threads }] : [{ backend, wasmThreads: 1 }],
  );
}

export function configurationLabel(c: BackendConfiguration): string {
  return c.wasmThreads === undefined ? c.backend : `${c.backend}, ${c.wasmThreads} thread${c.wasmThreads === 1 ? "" : "s"}`;
}

/** The request a worker reads from its stdin. */
export interface WorkerRequest {
  configuration: BackendConfiguration;
  models: Record<string, unknown>;
  options: ThroughputOptions;
}

/** Measures every configuration, one child process after another (never two at once: they would share the cores). */
export async function backendThroughput(options: BackendThroughputOptions): Promise<BackendThroughput[]> {
  checkOptions("backendThroughput", options);
  const names = Object.keys(options.models ?? {});
  if (names.length === 0) throw new Error("backendThroughput: models must name at least one model");
  const models = Object.fromEntries(names.map((name) => [name, options.models[name].toJSON(null, false)]));
  const configurations = options.configurations ?? defaultConfigurations();
  for (const c of configurations) {
    requireOneOf("backendThroughput: configurations", "backend", c.backend, BACKEND_ORDER);
    if (c.wasmThreads !== undefined && (c.backend !== "wasm" || !Number.isInteger(c.wasmThreads) || c.wasmThreads < 1 || c.wasmThreads > 8)) {
      throw new Error(`backendThroughput: configurations: wasmThreads must be an integer in [1, 8] and only for wasm, got ${JSON.stringify(c)}`);
    }
  }
  const { models: _models, configurations: _c, timeoutMs, ...throughput } = options;
  const results: BackendThroughput[] = [];
  for (const configuration of configurations) {
    const started = performance.now();
    const answer = await runWorker({ configuration, models, options: throughput }, timeoutMs ?? 120_000);
    results.push({ label: configurationLabel(configuration), configuration, models: {}, ...answer, seconds: (performance.now() - started) / 1000 });
  }
  return results;
}

type WorkerAnswer = Pick<BackendThroughput, "backend" | "absent" | "error"> & { models?: Record<string, ThroughputResult> };

function runWorker(request: WorkerRequest, timeoutMs: number): Promise<WorkerAnswer> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.STEPWISE_BACKEND;
    delete env.STEPWISE_WASM_THREADS;
    const child = spawn(process.execPath, [path.join(__dirname, "training-throughput-worker.js")], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ error: `the worker could not start: ${error.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as WorkerAnswer);
      } catch {
        const why = signal === "SIGKILL" ? `stopped after ${timeoutMs} ms (timeoutMs)` : signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve({ error: `the worker failed (${why}): ${stderr.trim().split("\n").slice(-3).join(" ")}` });
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}

function checkOptions(where: string, options: ThroughputOptions): { batchSizes: number[] } {
  const { batchSizes } = options ?? ({} as ThroughputOptions);
  if (!Array.isArray(batchSizes) || batchSizes.length === 0 || !batchSizes.every((b) => Number.isSafeInteger(b) && b >= 1)) {
    fail(where, "batchSizes", "a non-empty list of integers >= 1", batchSizes);
  }
  for (const key of ["warmupSteps", "warmupMs", "repeats", "minRoundMs", "maxStepMs"] as const) {
    const value = options[key];
    if (value !== undefined) requireNumber(where, key, value, { min: key === "repeats" ? 1 : 0 });
  }
  return { batchSizes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
