/**
 * Runner benchmark (not a test): per-cell overhead and kernel start-up of `stepwise run` against Debian's
 * nbclient on the same notebook and the same kernels.
 *
 *   npm run build && node dist/bench/runner.js [--cells 200] [--repeats 3]
 *
 * A notebook of N trivial cells (`1`) is executed by each client. Both clients record nbclient's per-cell
 * timing (`metadata.execution`: the kernel's own header dates of status busy, execute_input, execute_reply,
 * status idle), so both are measured on the kernel's clock the same way:
 * - per cell: from the first cell's busy to the last cell's idle, divided by N;
 * - client gap: median over cells of idle(n) → busy(n+1), the time the kernel waits for the client to take
 *   in the finished cell and send the next one — the runner's own per-cell overhead;
 * - kernel: median busy → idle of one cell (the kernel's work, the same for both clients up to noise).
 * Start-up is the time from spawning the kernel to its first kernel_info reply with iopub flowing.
 * Kernels: the stepwise TypeScript kernel, and ipykernel where Debian's python3-ipykernel is installed.
 * Medians over the repeats are printed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findKernelSpec } from "../jupyter/kernelspec";
import { KernelProcess } from "../jupyter/launcher";
import { installKernelSpec } from "../kernel/install";
import { runNotebook } from "../runner";

const PYTHON = "/usr/bin/python3";

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

/** nbclient's per-cell timing record, as both clients write it. */
type Timing = Record<"iopub.status.busy" | "iopub.status.idle", string>;

/** Microseconds since the epoch of a kernel header date (ISO 8601 with up to 6 fractional digits). */
function micros(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? "";
  return Date.parse(iso.replace(/\.\d+/, "")) * 1000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

/** Per cell, client gap and kernel time (seconds) from the cells' timing records. */
function fromTimings(timings: Timing[]): Pick<Sample, "perCell" | "gap" | "kernel"> {
  const busy = timings.map((t) => micros(t["iopub.status.busy"]));
  const idle = timings.map((t) => micros(t["iopub.status.idle"]));
  const n = timings.length;
  return {
    perCell: (idle[n - 1] - busy[0]) / 1e6 / n,
    gap: median(busy.slice(1).map((b, i) => b - idle[i])) / 1e6,
    kernel: median(idle.map((d, i) => d - busy[i])) / 1e6,
  };
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
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

interface Sample {
  startup: number;
  total: number;
  perCell: number;
  gap: number;
  kernel: number;
}

async function ours(file: string, kernel: string, searchPath: string[]): Promise<Sample> {
  const spec = await findKernelSpec(kernel, searchPath);
  let t = performance.now();
  const process_ = await KernelProcess.start(spec, { cwd: path.dirname(file) });
  const startup = (performance.now() - t) / 1000;
  await process_.shutdown(3000);
  t = performance.now();
  const result = await runNotebook(file, { kernelSearchPath: searchPath });
  if (result.status !== "passed" || !result.notebook) throw new Error(`${file}: ${result.failure?.evalue}`);
  const timings = result.notebook.cells.map((cell) => cell.metadata.execution as Timing);
  return { startup, total: (performance.now() - t) / 1000, ...fromTimings(timings) };
}

function theirs(file: string, kernel: string, env: NodeJS.ProcessEnv): Sample {
  const run = spawnSync(PYTHON, ["-c", NBCLIENT_SCRIPT, file, kernel], { env, encoding: "utf8", timeout: 600_000 });
  if (run.status !== 0) throw new Error(`nbclient failed: ${run.stderr}`);
  const measured = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as { startup: number; total: number; timings: Timing[] };
  return { startup: measured.startup, total: measured.total, ...fromTimings(measured.timings) };
}

async function main(): Promise<void> {
  const cells = option("cells", 200);
  const repeats = option("repeats", 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-bench-runner-"));
  const env = { ...process.env, JUPYTER_DATA_DIR: dir, JUPYTER_PATH: dir };
  await installKernelSpec({ env });
  const searchPath = [path.join(dir, "kernels"), "/usr/share/jupyter/kernels"];
  const hasNbclient = fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import nbclient, ipykernel"]).status === 0;
  const kernels: Array<[string, string]> = [["stepwise", "typescript"]];
  if (hasNbclient && fs.existsSync("/usr/share/jupyter/kernels/python3")) kernels.push(["python3", "python"]);
  console.log(`runner benchmark: ${cells} trivial cells, median of ${repeats}, ${os.availableParallelism()} cores${hasNbclient ? "" : " (nbclient not installed: stepwise only)"}`);
  console.log("kernel     client          start-up    per cell  client gap    kernel   whole run");
  const ms = (seconds: number, digits = 2) => `${(seconds * 1000).toFixed(digits).padStart(7)} ms`;
  for (const [kernel, language] of kernels) {
    const file = writeNotebook(dir, kernel, language, cells);
    const clients: Array<[string, () => Promise<Sample>]> = [["stepwise run", () => ours(file, kernel, searchPath)]];
    if (hasNbclient) clients.push(["nbclient", async () => theirs(file, kernel, env)]);
    for (const [client, measure] of clients) {
      const samples: Sample[] = [];
      for (let r = 0; r < repeats; r++) samples.push(await measure());
      const m = (key: keyof Sample) => median(samples.map((s) => s[key]));
      console.log(`${kernel.padEnd(10)} ${client.padEnd(15)} ${ms(m("startup"), 0)} ${ms(m("perCell"))} ${ms(m("gap"))} ${ms(m("kernel"))} ${m("total").toFixed(2).padStart(9)} s`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
