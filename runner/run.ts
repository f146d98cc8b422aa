/**
 * Running a collection of notebooks: each in its own kernel, `jobs` at a time, one deterministic shard of
 * them, outputs written under an output folder (never over the sources unless `inplace`).
 */
import * as path from "node:path";
import { firstOutputMismatch } from "./check-outputs";
import { collectNotebooks, shardOf } from "./collect";
import { NotebookResult, RunNotebookOptions, runNotebook } from "./execute";
import { readNotebook } from "./nbformat";

export interface RunNotebooksOptions extends Omit<RunNotebookOptions, "outputPath"> {
  /** Folder for executed notebooks (their paths relative to the working directory are kept). */
  outputDir?: string;
  /** Write each executed notebook over its source. */
  inplace?: boolean;
  jobs?: number;
  shard?: { index: number; count: number };
  checkOutputs?: boolean;
  /** Called once the notebooks of this run (after sharding) are known, before any runs. */
  onPlan?: (notebooks: readonly string[]) => void;
  /** Called as each notebook starts. */
  onNotebookStart?: (notebook: string) => void;
  /** Called as each notebook finishes. */
  onNotebook?: (result: NotebookResult) => void;
}

export const DEFAULT_OUTPUT_DIR = "executed";

/**
 * Run notebooks, `jobs` at a time, each in a fresh kernel; resolves with one result per notebook, in the
 * collected order. With `signal` aborted, running notebooks stop (kernels killed, partial notebooks written)
 * and those not yet started are left out of the results.
 */
export async function runNotebooks(inputs: readonly string[], options: RunNotebooksOptions = {}): Promise<NotebookResult[]> {
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`run: jobs must be an integer >= 1, got ${jobs}`);
  if (options.inplace && options.outputDir) throw new Error("run: choose --inplace or --output-dir, not both");
  const outputDir = options.inplace ? undefined : path.resolve(options.outputDir ?? DEFAULT_OUTPUT_DIR);
  const all = await collectNotebooks(inputs, outputDir ? [outputDir] : []);
  const notebooks = options.shard ? shardOf(all, options.shard) : all;
  const outputPaths = notebooks.map((file) => (outputDir ? outputPathOf(file, outputDir) : path.resolve(file)));
  if (outputDir) {
    const over = notebooks.find((file, i) => outputPaths[i] === path.resolve(file));
    if (over) throw new Error(`run: --output-dir ${outputDir} would write over the source notebook ${over}; choose another folder, or --inplace to do that on purpose`);
    const clash = outputPaths.findIndex((p, i) => outputPaths.indexOf(p) !== i);
    if (clash >= 0) {
      throw new Error(`run: ${notebooks[outputPaths.indexOf(outputPaths[clash])]} and ${notebooks[clash]} would both be written to ${outputPaths[clash]}; run them with separate --output-dir`);
    }
  }
  options.onPlan?.(notebooks);
  const results: NotebookResult[] = new Array(notebooks.length);
  let next = 0;
  const worker = async () => {
    while (next < notebooks.length && !options.signal?.aborted) {
      const i = next++;
      const file = notebooks[i];
      const outputPath = outputPaths[i];
      options.onNotebookStart?.(file);
      const stored = options.checkOutputs ? await readNotebook(file).catch(() => undefined) : undefined;
      const result = await runNotebook(file, { ...options, outputPath });
      if (stored && result.status === "passed" && result.notebook) {
        const mismatch = firstOutputMismatch(stored, result.notebook);
        if (mismatch) {
          result.status = "failed";
          result.failure = {
            kind: "output-mismatch",
            cellIndex: mismatch.cellIndex,
            cellId: mismatch.cellId,
            ename: "OutputMismatch",
            evalue: "the cell's outputs differ from those stored in the notebook",
            traceback: ["expected:", ...mismatch.expected.split("\n"), "actual:", ...mismatch.actual.split("\n")],
          };
        }
      }
      results[i] = result;
      options.onNotebook?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, notebooks.length) }, worker));
  // after an abort, the notebooks never started have no result
  return results.filter((result): result is NotebookResult => result !== undefined);
}

/**
 * Where a notebook's executed copy goes: its path relative to the working directory, under `outputDir`
 * (leading `../` dropped, so notebooks outside the working directory still land inside the output folder).
 */
export function outputPathOf(file: string, outputDir: string): string {
  return path.join(path.resolve(outputDir), path.relative(process.cwd(), path.resolve(file)).replace(/^(\.\.[/\\])+/, ""));
}
