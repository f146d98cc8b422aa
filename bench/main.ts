/**
 * `npm run bench`: training speed of the MLP and CNN of shared/peers/torch_bench.py on every backend this
 * machine can load, beside PyTorch on the same machine when Debian's python3-torch is installed (PyTorch's runs
 * take turns with stepwise's, and the ratio is taken within each pair: see inTurns); plus what
 * stepwise's optimizer and gradient accumulation cost over tfjs's own Adam (see train-worker.ts), beside what
 * micro-batches and accumulation cost PyTorch itself (torch_accumulation.py, whose runs also take turns with
 * stepwise's: the cost of accumulating is compared within each pair). On a CPU with AVX-512 a second set of
 * pairs holds PyTorch to AVX2 (see AVX2_PEER_ENV). The wasm backend runs as it
 * starts by default (every core, stepwise's kernels in their relaxed-SIMD build where the engine has it), then
 * with the plain-SIMD build of stepwise's kernels (what the fused multiply-add is worth), then with every matrix
 * product on wasm (what the machine's BLAS is worth, where one loads: see src/backend/blas.ts), then at the
 * other thread count (on a machine with more than one core).
 *
 *   npm run bench [-- --backends wasm --models cnn --torch-runs 5]
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BACKEND_ORDER, type BackendName } from "../src/backend";
import { allCoresWasmThreads, defaultWasmThreads } from "../src/backend/wasm";
import { BLAS_VARIABLE, hostBlas } from "../src/backend/blas";

const PYTHON = "/usr/bin/python3";

/**
 * The environment of every process the bench starts, PyTorch's and stepwise's: glibc's malloc keeps freed
 * memory for reuse instead of handing it back to the kernel. By default glibc serves large blocks (a batch's
 * activations and gradients) with fresh mmaps and trims the top of its heap, so a training step faults its
 * buffers in again and again. On a 2-core AMD EPYC VM that held PyTorch's MLP at 12,000–19,000 samples/s, against
 * 55,000–70,000 with these settings or with jemalloc or tcmalloc preloaded (the allocators PyTorch's performance
 * guide recommends), and made its CNN at batch 64 in torch_accumulation.py swing between 2,300 and 10,000.
 * PyTorch at its best runs with an allocator that keeps its memory; stepwise's wasm memory is one buffer.
 */
const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const keepMemory = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295";
  return { ...process.env, ...extra, GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, keepMemory].filter(Boolean).join(":") };
};
const MODELS = ["mlp", "cnn"] as const;
type Model = (typeof MODELS)[number];

interface WorkerResult {
  /** the backend as the tables name it ("wasm, 1 thread" or "wasm, 8 threads" for the run at the other thread count) */
  label: string;
  backend: string;
  model: string;
  device?: string;
  skipped?: string;
  error?: string;
  results?: Record<string, { samplesPerSecond: number; peakBytes: number; rounds: number[] }>;
}

/** shared/peers/torch_bench.py, found by walking up from the package root (CI has shared/ beside the clone). */
function findTorchBench(): string | undefined {
  let dir = path.resolve(__dirname, "..", "..");
  for (;;) {
    const candidate = path.join(dir, "shared", "peers", "torch_bench.py");
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** One configuration of a backend: extra environment, and how the tables name it. */
interface RunConfig {
  backend: string;
  label: string;
  env?: Record<string, string>;
}

function runWorker({ backend, label, env }: RunConfig, model: string, variants: readonly string[] = []): WorkerResult {
  const child = spawnSync(process.execPath, [path.join(__dirname, "train-worker.js"), backend, model, ...variants], {
    encoding: "utf8",
    env: childEnv(env),
    timeout: 600_000,
  });
  const line = child.stdout.trim().split("\n").pop() ?? "";
  try {
    return { ...(JSON.parse(line) as Omit<WorkerResult, "label">), label };
  } catch {
    return { label, backend, model, error: `worker failed (${child.signal ?? `exit ${child.status}`}): ${child.stderr.trim().split("\n").slice(-3).join(" ")}` };
  }
}

/** Why PyTorch cannot run here, if it cannot. */
function pytorchMissing(): string | undefined {
  if (!fs.existsSync(PYTHON) || spawnSync(PYTHON, ["-c", "import torch"]).status !== 0) return "PyTorch not installed (apt-get install python3-torch)";
  return undefined;
}

/** One run of the peer script for one model: its samples/s and the thread count it chose ("torch cnn 5515 samples/s threads=1"). */
interface TorchRun {
  rate: number;
  threads: string;
}

function runTorchOnce(script: string, model: Model, env: Record<string, string> = {}): TorchRun | string {
  const child = spawnSync(PYTHON, [script, model], { encoding: "utf8", timeout: 600_000, env: childEnv(env) });
  if (child.status !== 0) return `torch_bench.py failed: ${child.stderr.trim().split("\n").pop()}`;
  const match = /^torch (\w+) (\d+(?:\.\d+)?) samples\/s threads=(\d+)/m.exec(child.stdout);
  if (!match || match[1] !== model) return `torch_bench.py printed no rate for ${model}: ${child.stdout.trim().split("\n").pop() ?? ""}`;
  return { rate: Number(match[2]), threads: match[3] };
}

/** The two variants of train-worker.ts that the runs in turns compare with PyTorch: both loops, batch 64, stepwise's Adam. */
const PAIRED_VARIANTS = ["stepwise adam", "sw.fit, stepwise adam"] as const;

/**
 * PyTorch held to 256-bit vectors on a CPU with AVX-512: oneDNN's convolutions and OpenBLAS's products at
 * AVX2, the width of the 2-core machine the project's speed goals were set on. On a 2-core AMD EPYC VM with
 * AVX-512, oneDNN's convolutions gave PyTorch's CNN 15,200–16,000 samples/s, and 9,500–10,100 held to AVX2.
 * WebAssembly's SIMD is 128 bits wide whatever the CPU, so the bench shows both ratios there.
 */
const AVX2_PEER_ENV = { ONEDNN_MAX_CPU_ISA: "AVX2", OPENBLAS_CORETYPE: "Haswell" };

/** Whether this CPU has AVX-512 (Linux's /proc/cpuinfo; false where it cannot be read). */
function hasAvx512(): boolean {
  try {
    return /^flags\s*:.*\bavx512f\b/m.test(fs.readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

/** The two variants of train-worker.ts whose accumulation cost the runs in turns compare with torch_accumulation.py's. */
const ACCUMULATION_VARIANTS = ["sw.fit, stepwise adam", "sw.fit, 4 × 16 accumulated"] as const;

/** One pair: PyTorch's run and stepwise's, one right after the other. */
interface Pair {
  torch: TorchRun;
  modelFit: number;
  swFit: number;
}

/** One pair of accumulation runs: torch_accumulation.py's samples/s per variant, and stepwise's through sw.fit. */
interface AccumulationPair {
  torch: TorchAccumulation;
  swFit: number;
  swFitAccumulated: number;
}

/**
 * `count` pairs of a PyTorch run and a run of the worker on `run` with `variants`, which of the two goes
 * first alternating from pair to pair. On a shared machine whole runs swing by tens of per cent from one
 * minute to the next, and PyTorch's two threads feel a busy neighbour more than one thread does; a ratio
 * taken within each pair, whose runs are seconds apart, sees the same machine on both sides, where two
 * medians taken minutes apart did not. Returns each pair's PyTorch result and stepwise's samples/s by variant.
 */
function inTurns<T extends object>(count: number, torchRun: () => T | string, run: RunConfig, model: Model, variants: readonly string[]): { torch: T; ours: Record<string, number> }[] | string {
  const result: { torch: T; ours: Record<string, number> }[] = [];
  for (let i = 0; i < count; i++) {
    let torch: T | string | undefined;
    if (i % 2 === 0) torch = torchRun();
    const ours = runWorker(run, model, variants);
    if (i % 2 === 1) torch = torchRun();
    if (typeof torch !== "object") return torch ?? "no PyTorch run";
    if (!ours.results) return `stepwise's run failed: ${ours.error ?? ours.skipped ?? "no results"}`;
    result.push({ torch, ours: Object.fromEntries(Object.entries(ours.results).map(([name, r]) => [name, r.samplesPerSecond])) });
  }
  return result;
}

/** PyTorch (torch_bench.py, with `torchEnv` added to its environment) and stepwise's two loops at batch 64, in turns. */
function runPairs(script: string, run: RunConfig, model: Model, pairs: number, torchEnv: Record<string, string> = {}): Pair[] | string {
  const result = inTurns(pairs, () => runTorchOnce(script, model, torchEnv), run, model, PAIRED_VARIANTS);
  if (typeof result === "string") return result;
  return result.map(({ torch, ours }) => ({ torch, modelFit: ours["stepwise adam"], swFit: ours["sw.fit, stepwise adam"] }));
}

/** PyTorch's accumulation (torch_accumulation.py) and stepwise's through sw.fit, in turns. */
function runAccumulationPairs(run: RunConfig, model: Model, pairs: number): AccumulationPair[] | string {
  const result = inTurns(pairs, () => runTorchAccumulation(model), run, model, ACCUMULATION_VARIANTS);
  if (typeof result === "string") return result;
  return result.map(({ torch, ours }) => ({ torch, swFit: ours["sw.fit, stepwise adam"], swFitAccumulated: ours["sw.fit, 4 × 16 accumulated"] }));
}

/** The median of `values` (the upper one of an even count), with the range. */
function spread(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

/** PyTorch's samples/s for one model at batch 64, batch 16 and 4×16 accumulated (bench/torch_accumulation.py). */
interface TorchAccumulation {
  batch64: number;
  batch16: number;
  accumulated4x16: number;
}

function runTorchAccumulation(model: Model): TorchAccumulation | string {
  const script = path.resolve(__dirname, "..", "..", "bench", "torch_accumulation.py");
  const child = spawnSync(PYTHON, [script, model], { encoding: "utf8", timeout: 600_000, env: childEnv() });
  if (child.status !== 0) return `torch_accumulation.py failed: ${child.stderr.trim().split("\n").pop()}`;
  const rates: Partial<TorchAccumulation> = {};
  for (const match of child.stdout.matchAll(/^torch-accumulation (\w+) (\w+) (\d+) threads=\d+$/gm)) {
    if (match[1] === model && (match[2] === "batch64" || match[2] === "batch16" || match[2] === "accumulated4x16")) rates[match[2]] = Number(match[3]);
  }
  const { batch64, batch16, accumulated4x16 } = rates;
  if (batch64 === undefined || batch16 === undefined || accumulated4x16 === undefined) {
    return `torch_accumulation.py printed no rates for ${model}: ${child.stdout.trim().split("\n").pop() ?? ""}`;
  }
  return { batch64, batch16, accumulated4x16 };
}

/** How much longer per sample `slow` takes than `fast`, as a fraction: 0.12 for 12 % longer. */
function extraTime(slow: number, fast: number): number {
  return fast / slow - 1;
}

/** How much longer per sample `slow` takes than `fast`, signed: "+12%", "-3%". */
function pct(slow: number, fast: number): string {
  return percent(extraTime(slow, fast));
}

/** A signed fraction as a percentage: "+12%", "-3%". */
function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(0).replace(/^(?!-)/, "+")}%`;
}

const W = 20; // width of the backend column

/** A table of runs in turns: per model, the medians of PyTorch's and stepwise's samples/s, and the ratio within each pair (median and range). */
function printPairs(title: string, paired: ReadonlyMap<Model, { label: string; pairs: Pair[] | string }>): void {
  if (paired.size === 0) return;
  console.log(`\n${title}`);
  console.log(`${"backend".padEnd(W)}${"model".padEnd(6)}${"pytorch".padStart(9)}${"model.fit 64".padStart(14)}${"ratio".padStart(22)}${"sw.fit 64".padStart(11)}${"ratio".padStart(22)}`);
  for (const [model, { label, pairs }] of paired) {
    if (typeof pairs !== "object") {
      console.log(`${label.padEnd(W)}${model.padEnd(6)}  ${pairs}`);
      continue;
    }
    const ratio = (of: (pair: Pair) => number) => {
      const r = spread(pairs.map((pair) => of(pair) / pair.torch.rate));
      return `${r.median.toFixed(2)}x (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
    };
    const median = (of: (pair: Pair) => number) => spread(pairs.map(of)).median.toFixed(0);
    console.log(
      `${label.padEnd(W)}${model.padEnd(6)}${median((pair) => pair.torch.rate).padStart(9)}${median((pair) => pair.modelFit).padStart(14)}${ratio((pair) => pair.modelFit).padStart(22)}` +
        `${median((pair) => pair.swFit).padStart(11)}${ratio((pair) => pair.swFit).padStart(22)}`,
    );
  }
  console.log("(each pair: PyTorch's script and stepwise's worker, which goes first alternating; medians of each column, ratios per pair)");
}

interface BenchOptions {
  backends: BackendName[];
  models: Model[];
  torchRuns: number;
}

function parseOptions(): BenchOptions {
  const list = <T extends string>(allowed: readonly T[], option: string) => (value: string): T[] => {
    const items = value.split(",").map((item) => item.trim());
    const wrong = items.filter((item) => !allowed.includes(item as T));
    if (wrong.length > 0) throw new InvalidArgumentError(`${option} takes a comma-separated list of ${allowed.join(", ")}; got ${wrong.join(", ")}`);
    return items as T[];
  };
  const program = new Command("bench")
    .description("training speed of stepwise's backends beside PyTorch at its best (shared/peers/torch_bench.py)")
    .addOption(new Option("--backends <list>", `backends to run (${BACKEND_ORDER.join(",")})`).argParser(list(BACKEND_ORDER, "--backends")).default([...BACKEND_ORDER]))
    .addOption(new Option("--models <list>", "models to train (mlp,cnn)").argParser(list(MODELS, "--models")).default([...MODELS]))
    .addOption(
      new Option("--torch-runs <n>", "runs of the PyTorch peer, each in turn with one of stepwise's (medians and the ratio within each pair are taken)").default(9).argParser((value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--torch-runs takes a positive integer; got ${value}`);
        return n;
      }),
    );
  program.parse();
  return program.opts<BenchOptions>();
}

function main(): void {
  const options = parseOptions();
  const models = MODELS.filter((model) => options.models.includes(model));
  console.log(`stepwise bench — ${os.cpus()[0]?.model.trim() ?? os.arch()}, ${os.availableParallelism()} cores, Node ${process.version}`);
  console.log(
    "protocol of shared/peers/torch_bench.py: 2048 random samples, batch 64, Adam, 1 warm-up epoch, timed rounds of 2 epochs (median of 5);\n" +
      `PyTorch at its best: OpenBLAS, glibc's malloc keeping freed memory, the faster of 1 thread and every core, ${options.torchRuns} runs, each in turn with one of stepwise's\n`,
  );
  const rows: WorkerResult[] = [];
  const runs: RunConfig[] = [];
  for (const backend of BACKEND_ORDER.filter((name) => options.backends.includes(name))) {
    runs.push({ backend, label: backend });
    if (backend !== "wasm") continue;
    // stepwise's kernels without relaxed SIMD's fused multiply-add, and the thread count the default is not:
    // one thread where it is every core, every core where it is one (machines of two cores)
    runs.push({ backend, label: "wasm, plain SIMD", env: { STEPWISE_WASM_KERNELS: "simd" } });
    // every product on stepwise's wasm kernels: what the machine's BLAS is worth, where one loads
    if (hostBlas()) runs.push({ backend, label: "wasm, no host BLAS", env: { [BLAS_VARIABLE]: "off" } });
    const [threads, allCores] = [defaultWasmThreads(), allCoresWasmThreads()];
    if (threads > 1) runs.push({ backend, label: "wasm, 1 thread", env: { STEPWISE_WASM_THREADS: "1" } });
    else if (allCores > 1) runs.push({ backend, label: `wasm, ${allCores} threads`, env: { STEPWISE_WASM_THREADS: String(allCores) } });
  }
  for (const run of runs) {
    for (const model of models) {
      if (run.backend === "cpu" && model === "cnn") {
        rows.push({ label: run.label, backend: run.backend, model, skipped: "tfjs's cpu backend is ~100x slower than wasm on convolutions" });
        continue;
      }
      const result = runWorker(run, model);
      rows.push(result);
      if (result.skipped) break; // the backend cannot load: same reason for the next model
    }
  }
  // PyTorch in turns with stepwise's first backend that trained the model (the one useBestBackend picks)
  const firstRun = (model: Model): RunConfig | undefined => {
    const first = rows.find((row) => row.model === model && row.results);
    return first && runs.find((config) => config.label === first.label);
  };
  const torchScript = findTorchBench();
  const torchMissing = pytorchMissing();
  const missing = torchScript ? torchMissing : "shared/peers/torch_bench.py not found";
  /** For each model that a backend trained, the pairs `pair` runs on that backend (or why they failed). */
  const pairEachModel = <P>(pair: (run: RunConfig, model: Model) => P[] | string) => {
    const result = new Map<Model, { label: string; pairs: P[] | string }>();
    for (const model of models) {
      const run = firstRun(model);
      if (run) result.set(model, { label: run.label, pairs: pair(run, model) });
    }
    return result;
  };
  const none = new Map<Model, { label: string; pairs: Pair[] | string }>();
  const paired = torchScript && !missing ? pairEachModel((run, model) => runPairs(torchScript, run, model, options.torchRuns)) : none;
  const pairedAvx2 = torchScript && !missing && hasAvx512() ? pairEachModel((run, model) => runPairs(torchScript, run, model, options.torchRuns, AVX2_PEER_ENV)) : none;
  const torchRate = (model: Model) => {
    const pairs = paired.get(model)?.pairs;
    return typeof pairs === "object" ? spread(pairs.map((pair) => pair.torch.rate)) : undefined;
  };
  // PyTorch's accumulation in turns with stepwise's, on the same backend
  const accumulationPaired = torchMissing
    ? new Map<Model, { label: string; pairs: AccumulationPair[] | string }>()
    : pairEachModel((run, model) => runAccumulationPairs(run, model, options.torchRuns));

  console.log("training speed, samples/s (higher is better)");
  console.log(`${"backend".padEnd(W)}${"model".padEnd(6)}${"tf.train.adam".padStart(14)}${"stepwise adam".padStart(15)}${"vs PyTorch".padStart(12)}`);
  for (const row of rows) {
    if (row.skipped || row.error) {
      console.log(`${row.label.padEnd(W)}${row.model.padEnd(6)}  ${row.skipped ? "skipped" : "FAILED"}: ${(row.skipped ?? row.error ?? "").split("\n")[0].slice(0, 100)}`);
      continue;
    }
    const tfjs = row.results!["tf.train.adam"].samplesPerSecond;
    const ours = row.results!["stepwise adam"].samplesPerSecond;
    const peer = torchRate(row.model as Model)?.median;
    console.log(`${row.label.padEnd(W)}${row.model.padEnd(6)}${tfjs.toFixed(0).padStart(14)}${ours.toFixed(0).padStart(15)}${(peer ? `${(ours / peer).toFixed(2)}x` : "-").padStart(12)}`);
  }
  for (const model of models) {
    const pairs = paired.get(model)?.pairs;
    if (typeof pairs !== "object") {
      console.log(`${"pytorch".padEnd(W)}${model.padEnd(6)}  ${missing ?? pairs ?? "no backend trained this model"}`);
      continue;
    }
    const rate = torchRate(model)!;
    const threads = pairs.find((pair) => pair.torch.rate === rate.median)!.torch.threads;
    console.log(
      `${"pytorch".padEnd(W)}${model.padEnd(6)}${rate.median.toFixed(0).padStart(14)}   (torch_bench.py, CPU, ${threads} thread${threads === "1" ? "" : "s"}: median of ${pairs.length} runs, range ${rate.min.toFixed(0)}–${rate.max.toFixed(0)})`,
    );
  }
  printPairs(`stepwise against PyTorch, in turns: ${options.torchRuns} pairs of runs seconds apart, the ratio within each pair (median and range)`, paired);
  printPairs(
    `stepwise against PyTorch held to AVX2 (${Object.entries(AVX2_PEER_ENV).map(([name, value]) => `${name}=${value}`).join(" ")}: the vector width the goals were set on), in turns as above`,
    pairedAvx2,
  );

  console.log("\nstepwise over tfjs's Adam, and accumulation (4 micro-batches of 16 vs one batch of 64)");
  console.log(
    `${"backend".padEnd(W)}${"model".padEnd(6)}${"optimizer".padStart(11)}${"accum. time".padStart(13)}${"batch 16".padStart(10)}${"peak MB 64".padStart(12)}${"peak MB 4x16".padStart(14)}`,
  );
  for (const row of rows) {
    if (!row.results) continue;
    const r = row.results;
    const tfjs = r["tf.train.adam"].samplesPerSecond;
    const ours = r["stepwise adam"].samplesPerSecond;
    const accumulated = r["stepwise adam, 4 × 16 accumulated"];
    const small = r["stepwise adam, batch 16"];
    console.log(
      `${row.label.padEnd(W)}${row.model.padEnd(6)}${pct(ours, tfjs).padStart(11)}${pct(accumulated.samplesPerSecond, ours).padStart(13)}` +
        `${pct(small.samplesPerSecond, ours).padStart(10)}` +
        `${(r["stepwise adam"].peakBytes / 2 ** 20).toFixed(1).padStart(12)}${(accumulated.peakBytes / 2 ** 20).toFixed(1).padStart(14)}`,
    );
  }
  for (const model of models) {
    const pairs = accumulationPaired.get(model)?.pairs;
    if (typeof pairs !== "object") {
      console.log(`${"pytorch".padEnd(W)}${model.padEnd(6)}  ${torchMissing ?? pairs ?? "no backend trained this model"}`);
      continue;
    }
    const median = (of: (rates: TorchAccumulation) => number) => spread(pairs.map((pair) => of(pair.torch))).median;
    console.log(
      `${"pytorch".padEnd(W)}${model.padEnd(6)}${"-".padStart(11)}${percent(median((r) => extraTime(r.accumulated4x16, r.batch64))).padStart(13)}` +
        `${percent(median((r) => extraTime(r.batch16, r.batch64))).padStart(10)}   (torch_accumulation.py: medians of ${pairs.length} runs; batch 64: ${median((r) => r.batch64).toFixed(0)} samples/s)`,
    );
  }
  console.log(
    "(optimizer: extra time per sample of stepwise's adam over tf.train.adam, both through model.fit, which replays its steps with a stepwise optimizer only;\n" +
      " accum. time: of 4x16 accumulated over one batch of 64;\n" +
      " batch 16: of plain batches of 16, no accumulation, over one batch of 64 — the cost of the micro-batch size alone)",
  );

  console.log("\nthe training loop: tfjs-layers' model.fit against stepwise's sw.fit (what the lessons run), stepwise adam, samples/s");
  console.log(`${"backend".padEnd(W)}${"model".padEnd(6)}${"model.fit 64".padStart(13)}${"sw.fit 64".padStart(11)}${"sw.fit 4x16".padStart(13)}${"accum. time".padStart(13)}`);
  for (const row of rows) {
    const r = row.results;
    if (!r) continue;
    const [layers, own, accumulated] = [r["stepwise adam"], r["sw.fit, stepwise adam"], r["sw.fit, 4 × 16 accumulated"]].map((v) => v.samplesPerSecond);
    console.log(
      `${row.label.padEnd(W)}${row.model.padEnd(6)}${layers.toFixed(0).padStart(13)}${own.toFixed(0).padStart(11)}${accumulated.toFixed(0).padStart(13)}${pct(accumulated, own).padStart(13)}`,
    );
  }
  console.log("(accum. time: of 4x16 accumulated over one batch of 64, both through sw.fit; PyTorch's is in the table above)");
  if (accumulationPaired.size > 0) {
    console.log(
      `\naccumulation in turns: the extra time of 4x16 accumulated over one batch of 64, stepwise's sw.fit beside PyTorch (torch_accumulation.py),\n` +
        `${options.torchRuns} pairs of runs seconds apart (median and range of each side; pairs in which stepwise's cost is no more than PyTorch's)`,
    );
    console.log(`${"backend".padEnd(W)}${"model".padEnd(6)}${"stepwise".padStart(20)}${"pytorch".padStart(20)}${"stepwise <= pytorch".padStart(22)}`);
    for (const [model, { label, pairs }] of accumulationPaired) {
      if (typeof pairs !== "object") continue;
      const ours = pairs.map((pair) => extraTime(pair.swFitAccumulated, pair.swFit));
      const theirs = pairs.map((pair) => extraTime(pair.torch.accumulated4x16, pair.torch.batch64));
      const show = (values: number[]) => {
        const r = spread(values);
        return `${percent(r.median)} (${percent(r.min)}..${percent(r.max)})`;
      };
      const within = ours.filter((cost, i) => cost <= theirs[i]).length;
      console.log(`${label.padEnd(W)}${model.padEnd(6)}${show(ours).padStart(20)}${show(theirs).padStart(20)}${`${within} of ${pairs.length}`.padStart(22)}`);
    }
  }
  for (const device of new Set(rows.map((row) => row.device && `${row.label}: ${row.device}`))) if (device) console.log(`device: ${device}`);
}

main();
