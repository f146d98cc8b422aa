/**
 * Runner benchmark (not a test): per-cell overhead and kernel start-up of `stepwise run` against Debian's
 * nbclient on the same notebook and the same kernels.
 *
 *   npm run build && node dist/bench/runner.js [--cells 200] [--repeats 3]
 *
 * A notebook of N trivial cells is executed by each client; start-up is the time from spawning the kernel
 * to its first kernel_info reply with iopub flowing; per cell = the time from the first cell's start to the
 * last cell's end, divided by N (nbclient: from its recorded iopub busy/idle timestamps).
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
from datetime import datetime
stamp = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
first, last = nb.cells[0].metadata.execution, nb.cells[-1].metadata.execution
cells = stamp(last["iopub.status.idle"]) - stamp(first["iopub.status.busy"])
print(json.dumps({"startup": startup, "total": total, "cells": cells}))
`;

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
  /** Seconds from the first cell's start to the last cell's end. */
  cells: number;
}

async function ours(file: string, kernel: string, searchPath: string[]): Promise<Sample> {
  const spec = await findKernelSpec(kernel, searchPath);
  let t = performance.now();
  const process_ = await KernelProcess.start(spec, { cwd: path.dirname(file) });
  const startup = (performance.now() - t) / 1000;
  await process_.shutdown(3000);
  t = performance.now();
  let first = 0;
  let last = 0;
  const result = await runNotebook(file, {
    kernelSearchPath: searchPath,
    onCell: (event) => {
      if (event.phase === "start" && event.index === 0) first = performance.now();
      if (event.phase === "end") last = performance.now();
    },
  });
  if (result.status !== "passed") throw new Error(`${file}: ${result.failure?.evalue}`);
  return { startup, total: (performance.now() - t) / 1000, cells: (last - first) / 1000 };
}

function theirs(file: string, kernel: string, env: NodeJS.ProcessEnv): Sample {
  const run = spawnSync(PYTHON, ["-c", NBCLIENT_SCRIPT, file, kernel], { env, encoding: "utf8", timeout: 600_000 });
  if (run.status !== 0) throw new Error(`nbclient failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
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
  console.log("kernel     client          start-up    per cell    whole run");
  for (const [kernel, language] of kernels) {
    const file = writeNotebook(dir, kernel, language, cells);
    const clients: Array<[string, () => Promise<Sample>]> = [["stepwise run", () => ours(file, kernel, searchPath)]];
    if (hasNbclient) clients.push(["nbclient", async () => theirs(file, kernel, env)]);
    for (const [client, measure] of clients) {
      const samples: Sample[] = [];
      for (let r = 0; r < repeats; r++) samples.push(await measure());
      const startup = median(samples.map((s) => s.startup));
      const total = median(samples.map((s) => s.total));
      const perCell = median(samples.map((s) => s.cells / cells));
      console.log(`${kernel.padEnd(10)} ${client.padEnd(15)} ${(startup * 1000).toFixed(0).padStart(6)} ms  ${(perCell * 1000).toFixed(2).padStart(7)} ms  ${total.toFixed(2).padStart(8)} s`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
