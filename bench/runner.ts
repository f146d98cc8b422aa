/**
 * Kernel and runner benchmark (not a test).
 *
 *   npm run build && node dist/bench/runner.js [--cells 200] [--repeats 3]
 *
 * 1. The kernel, through Debian's jupyter_client, for the stepwise TypeScript kernel and ipykernel side by
 *    side (issue 15's two targets):
 *    - start to first result: from `KernelManager.start_kernel()` (the spawn) to the execute_reply, the
 *      execute_result and `status: idle` of the first cell `1`; split into spawn → ready (jupyter_client's
 *      `wait_for_ready`: kernel_info answered with iopub flowing) and ready → first result; then a lesson's
 *      first cell (the imports of tfjs and stepwise, type-checked against their declarations), timed alone;
 *      and start to first result once more from the same client process, warm by then, as a notebook server
 *      starts kernels (a new process pays for Python's imports while the kernel starts: papermill's case);
 *    - round trip: N cells `1`, one after another (send execute_request, wait for the reply and idle, next),
 *      median and p90 over every cell of every repeat; the kernel's share is busy → idle on its own clock
 *      (the header dates of its status messages), the rest is the client and the sockets.
 *    Then the same number of cells that differ from one another (`2`, `3`, …), which no kernel can answer
 *    from a cell it compiled before (the stepwise kernel reuses the code of a cell run again).
 *    The kernels alternate within each repeat, so a busy machine slows all alike, and each repeat starts
 *    with the next kernel, so no kernel always starts right after another's shutdown.
 * 2. The runner: `stepwise run` against nbclient on the same notebook of N cells `1` and the same kernels,
 *    both read from nbclient's per-cell timing (`metadata.execution`): per cell (first busy to last idle,
 *    divided by N), the client gap (median idle(n) → busy(n+1): the client's own per-cell overhead) and
 *    the kernel's busy → idle. Start-up there is `KernelProcess.start` (spawn to kernel_info with iopub).
 * Kernels: stepwise from its start-up snapshot (built first, into the user's cache), stepwise without it
 * (STEPWISE_KERNEL_SNAPSHOT=0), and ipykernel where Debian's python3-ipykernel is installed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findKernelSpec } from "../jupyter/kernelspec";
import { KernelProcess } from "../jupyter/launcher";
import { installKernelSpec } from "../kernel/install";
import { buildSnapshot } from "../kernel/snapshot/build";
import { runNotebook } from "../runner";

const PYTHON = "/usr/bin/python3";

/** One kernel's start and round trips through jupyter_client; prints one JSON line. */
const CLIENT_SCRIPT = String.raw`
import json, sys, time
from datetime import datetime
from jupyter_client.manager import KernelManager
kernel, cells, first_cell = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def stamp(message):
    date = message["header"]["date"]
    return (date if isinstance(date, datetime) else datetime.fromisoformat(date.replace("Z", "+00:00"))).timestamp()

def run(kc, code):
    msg_id = kc.execute(code)
    busy = idle = None
    result = reply = False
    while idle is None:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") != msg_id: continue
        if m["msg_type"] == "execute_result": result = True
        if m["msg_type"] == "status":
            if m["content"]["execution_state"] == "busy": busy = stamp(m)
            if m["content"]["execution_state"] == "idle": idle = stamp(m)
    while not reply:
        r = kc.get_shell_msg(timeout=60)
        reply = r["parent_header"].get("msg_id") == msg_id and r["content"]["status"] == "ok"
    if not result: raise RuntimeError(kernel + ": no execute_result for " + code)
    return idle - busy

def start():
    """A kernel started and its first cell run: the manager, the client, seconds to ready and to the result."""
    t0 = time.perf_counter()
    km = KernelManager(kernel_name=kernel)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    ready = time.perf_counter() - t0
    run(kc, "1")
    return km, kc, ready, time.perf_counter() - t0

km, kc, ready, first = start()
t = time.perf_counter()
if first_cell: run(kc, first_cell)
lesson = time.perf_counter() - t if first_cell else None
def series(code):
    trips, kernel_times = [], []
    for i in range(cells):
        t = time.perf_counter()
        kernel_times.append(run(kc, code(i)))
        trips.append(time.perf_counter() - t)
    return trips, kernel_times
trips, kernel_times = series(lambda i: "1")
distinct, _ = series(lambda i: str(i + 2))
kc.stop_channels()
km.shutdown_kernel(now=True)
# a second start from this client, now warm (modules imported, ZeroMQ up): as a notebook server starts kernels
km, kc, _, warm_first = start()
kc.stop_channels()
km.shutdown_kernel(now=True)
print(json.dumps({"ready": ready, "first": first, "warmFirst": warm_first, "lesson": lesson, "trips": trips, "kernel": kernel_times, "distinct": distinct}))
`;

const NBCLIENT_SCRIPT = String.raw`
import json, sys, time, nbformat
from nbclient import NotebookClient
from jupyter_client.manager import start_new_kernel
path, kernel = sys.argv[1], sys.argv[2]
t = time.perf_counter(); km, kc = start_new_kernel(kernel_name=kernel, startup_timeout=60); startup = time.perf_counter() - t
kc.stop_channels(); km.shutdown_kernel(now=True)
nb = nbformat.read(path, as_version=4)
t = time.perf_counter(); NotebookClient(nb, kernel_name=kernel, timeout=600).execute(); total = time.perf_counter() - t
print(json.dumps({"startup": startup, "total": total, "timings": [c.metadata.execution for c in nb.cells]}))
`;

interface KernelSample {
  ready: number;
  first: number;
  /** Start to first result again, from the same client process, warm by then (as a notebook server's). */
  warmFirst: number;
  /** A lesson's first cell (the imports of tfjs and stepwise), run after the first result; null for ipykernel. */
  lesson: number | null;
  trips: number[];
  kernel: number[];
  /** Round trips of cells that differ from one another (`2`, `3`, …): nothing a kernel could reuse. */
  distinct: number[];
}

/** nbclient's per-cell timing record, as both clients write it. */
type Timing = Record<"iopub.status.busy" | "iopub.status.idle", string>;

interface RunnerSample {
  startup: number;
  total: number;
  perCell: number;
  gap: number;
  kernel: number;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

const median = (values: number[]) => quantile(values, 0.5);

function python(script: string, args: string[], env: NodeJS.ProcessEnv): string {
  const run = spawnSync(PYTHON, ["-c", script, ...args], { env, encoding: "utf8", timeout: 600_000 });
  if (run.status !== 0) throw new Error(`${PYTHON} failed: ${run.stderr}`);
  return run.stdout.trim().split("\n").pop() ?? "{}";
}

/** Microseconds since the epoch of a kernel header date (ISO 8601 with up to 6 fractional digits). */
function micros(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? "";
  return Date.parse(iso.replace(/\.\d+/, "")) * 1000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

/** Per cell, client gap and kernel time (seconds) from the cells' timing records. */
function fromTimings(timings: Timing[]): Pick<RunnerSample, "perCell" | "gap" | "kernel"> {
  const busy = timings.map((t) => micros(t["iopub.status.busy"]));
  const idle = timings.map((t) => micros(t["iopub.status.idle"]));
  const n = timings.length;
  return {
    perCell: (idle[n - 1] - busy[0]) / 1e6 / n,
    gap: median(busy.slice(1).map((b, i) => b - idle[i])) / 1e6,
    kernel: median(idle.map((d, i) => d - busy[i])) / 1e6,
  };
}

function writeNotebook(dir: string, kernel: string, language: string, cells: number): string {
  const file = path.join(dir, `${kernel}-${cells}.ipynb`);
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: kernel, display_name: kernel, language } },
    cells: Array.from({ length: cells }, (_, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, source: "1", outputs: [], execution_count: null })),
  };
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

async function ours(file: string, kernel: BenchKernel, searchPath: string[]): Promise<RunnerSample> {
  const spec = await findKernelSpec(kernel.name, searchPath);
  let t = performance.now();
  const process_ = await KernelProcess.start(spec, { cwd: path.dirname(file), env: kernel.env });
  const startup = (performance.now() - t) / 1000;
  await process_.shutdown(3000);
  t = performance.now();
  const result = await runNotebook(file, { kernelSearchPath: searchPath, env: kernel.env });
  if (result.status !== "passed" || !result.notebook) throw new Error(`${file}: ${result.failure?.evalue}`);
  const timings = result.notebook.cells.map((cell) => cell.metadata.execution as Timing);
  return { startup, total: (performance.now() - t) / 1000, ...fromTimings(timings) };
}

function theirs(file: string, kernel: string, env: NodeJS.ProcessEnv): RunnerSample {
  const measured = JSON.parse(python(NBCLIENT_SCRIPT, [file, kernel], env)) as { startup: number; total: number; timings: Timing[] };
  return { startup: measured.startup, total: measured.total, ...fromTimings(measured.timings) };
}

const ms = (seconds: number, digits = 1, width = 8) => `${(seconds * 1000).toFixed(digits).padStart(width)} ms`;

/** A kernel as the bench starts it: its kernelspec, and for ours, with or without the start-up snapshot. */
interface BenchKernel {
  label: string;
  name: string;
  language: string;
  env?: Record<string, string>;
  /** The cell a lesson starts with, timed after the first result. */
  firstCell?: string;
}

const LESSON_FIRST_CELL = 'import * as tf from "@tensorflow/tfjs";\nimport * as sw from "stepwise";\ntypeof sw.adam';

function kernelTable(kernels: BenchKernel[], cells: number, repeats: number, env: NodeJS.ProcessEnv): void {
  const samples = new Map<string, KernelSample[]>(kernels.map((kernel) => [kernel.label, []]));
  for (let r = 0; r < repeats; r++) {
    // each repeat starts with another kernel: the one after the previous repeat's last pays for its shutdown
    for (const kernel of [...kernels.slice(r % kernels.length), ...kernels.slice(0, r % kernels.length)]) {
      const measured = python(CLIENT_SCRIPT, [kernel.name, String(cells), kernel.firstCell ?? ""], { ...env, ...kernel.env });
      samples.get(kernel.label)?.push(JSON.parse(measured) as KernelSample);
    }
  }
  console.log(`\nkernel through jupyter_client: start to first result (median of ${repeats}) from a new client process, and from a warm one`);
  console.log(`(its second start); a lesson's first cell (tfjs and stepwise imported) after the first result; round trip of ${cells} cells \`1\` × ${repeats}`);
  console.log("kernel               first result     ready   → result  warm client  lesson cell |  round trip  p90 trip   kernel busy→idle  client+sockets  |  distinct cells     p90");
  for (const kernel of kernels) {
    const s = samples.get(kernel.label) ?? [];
    const trips = s.flatMap((x) => x.trips);
    const busy = s.flatMap((x) => x.kernel);
    const trip = median(trips);
    const lessons = s.flatMap((x) => (x.lesson === null ? [] : [x.lesson]));
    console.log(
      `${kernel.label.padEnd(20)} ${ms(median(s.map((x) => x.first)), 0)} ${ms(median(s.map((x) => x.ready)), 0)} ${ms(median(s.map((x) => x.first - x.ready)), 0)} ` +
        `${ms(median(s.map((x) => x.warmFirst)), 0, 9)} ` +
        `${lessons.length ? ms(median(lessons), 0, 9) : "—".padStart(12)}  |` +
        `${ms(trip, 2)} ${ms(quantile(trips, 0.9), 2)} ${ms(median(busy), 2, 11)} ${ms(trip - median(busy), 2, 11)}    |` +
        `${ms(median(s.flatMap((x) => x.distinct)), 2, 11)} ${ms(quantile(s.flatMap((x) => x.distinct), 0.9), 2)}`,
    );
  }
}

async function runnerTable(
  kernels: BenchKernel[],
  withNbclient: boolean,
  options: { dir: string; cells: number; repeats: number; env: NodeJS.ProcessEnv; searchPath: string[] },
): Promise<void> {
  const { dir, cells, repeats, env, searchPath } = options;
  console.log(`\nrunner: ${cells} cells \`1\` per notebook, median of ${repeats}`);
  console.log("kernel               client          start-up    per cell  client gap    kernel   whole run");
  for (const kernel of kernels) {
    const file = writeNotebook(dir, kernel.name, kernel.language, cells);
    const kernelEnv = { ...env, ...kernel.env };
    const clients: Array<[string, () => Promise<RunnerSample>]> = [["stepwise run", () => ours(file, kernel, searchPath)]];
    if (withNbclient) clients.push(["nbclient", async () => theirs(file, kernel.name, kernelEnv)]);
    for (const [client, measure] of clients) {
      const samples: RunnerSample[] = [];
      for (let r = 0; r < repeats; r++) samples.push(await measure());
      const m = (key: keyof RunnerSample) => median(samples.map((s) => s[key]));
      console.log(`${kernel.label.padEnd(20)} ${client.padEnd(15)} ${ms(m("startup"), 0, 7)} ${ms(m("perCell"), 2, 7)} ${ms(m("gap"), 2, 7)} ${ms(m("kernel"), 2, 7)} ${m("total").toFixed(2).padStart(9)} s`);
    }
  }
}

async function main(): Promise<void> {
  const cells = option("cells", 200);
  const repeats = option("repeats", 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-bench-runner-"));
  const env = { ...process.env, JUPYTER_DATA_DIR: dir, JUPYTER_PATH: dir };
  await installKernelSpec({ env });
  const searchPath = [path.join(dir, "kernels"), "/usr/share/jupyter/kernels"];
  const hasPython = fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import nbclient, ipykernel, jupyter_client"]).status === 0;
  const kernels: BenchKernel[] = [
    { label: "stepwise", name: "stepwise", language: "typescript", firstCell: LESSON_FIRST_CELL },
    { label: "stepwise, no snapshot", name: "stepwise", language: "typescript", firstCell: LESSON_FIRST_CELL, env: { STEPWISE_KERNEL_SNAPSHOT: "0" } },
  ];
  if (hasPython && fs.existsSync("/usr/share/jupyter/kernels/python3")) kernels.push({ label: "python3", name: "python3", language: "python" });
  console.log(`kernel and runner benchmark: ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(2)}`);
  // every start of the stepwise kernel from its snapshot, none of them building it meanwhile
  const snapshot = await buildSnapshot(dir, env);
  console.log(snapshot.built ? `start-up snapshot: ${snapshot.file} (${(snapshot.bytes / 1e6).toFixed(0)} MB, built in ${(snapshot.ms / 1000).toFixed(1)} s)` : `no start-up snapshot: ${snapshot.reason}`);
  if (hasPython) kernelTable(kernels, cells, repeats, env);
  else console.log("Debian's python3-ipykernel, jupyter-client and python3-nbclient are not installed: the runner alone, on stepwise");
  await runnerTable(kernels, hasPython, { dir, cells, repeats, env, searchPath });
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
