/**
 * Running a collection of notebooks: each in its own kernel, `jobs` at a time, one deterministic shard of
 * them, outputs written under an output folder (never over the sources unless `inplace`).
 *
 * Output paths follow nbconvert: a notebook named as a file goes to `<outputDir>/<its file name>`; the
 * notebooks found in a folder keep their paths below that folder (`run notebooks -o out` writes
 * `notebooks/sub/x.ipynb` to `out/sub/x.ipynb`). Two notebooks that would land on one output, or an output
 * that is one of the run's sources, are refused before anything runs.
 */
import * as path from "node:path";
import { firstOutputMismatch } from "./check-outputs";
import { CollectedNotebook, collectNotebooks, shardOf } from "./collect";
import { NotebookResult, RunNotebookOptions, runNotebook } from "./execute";
import { readNotebook } from "./nbformat";

export interface RunNotebooksOptions extends Omit<RunNotebookOptions, "outputPath"> {
  /** Folder for executed notebooks: a named file goes to its top, a folder's notebooks keep their paths below that folder. */
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
  const planned = (await collectNotebooks(inputs, outputDir ? [outputDir] : [])).map((notebook) => ({
    file: notebook.path,
    outputPath: outputDir ? outputPathOf(notebook, outputDir) : path.resolve(notebook.path),
  }));
  if (outputDir) checkOutputPaths(planned, outputDir);
  const runs = options.shard ? shardOf(planned, options.shard) : planned;
  const notebooks = runs.map((run) => run.file);
  options.onPlan?.(notebooks);
  const results: NotebookResult[] = new Array(notebooks.length);
  let next = 0;
  const worker = async () => {
    while (next < notebooks.length && !options.signal?.aborted) {
      const i = next++;
      const { file, outputPath } = runs[i];
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

/** Where a collected notebook's executed copy goes under `outputDir`: its path below the input that named it. */
export function outputPathOf(notebook: CollectedNotebook, outputDir: string): string {
  return path.join(path.resolve(outputDir), notebook.relativePath);
}

/** Refuse a run that would write over one of its own sources, or write two notebooks to one file. */
function checkOutputPaths(planned: ReadonlyArray<{ file: string; outputPath: string }>, outputDir: string): void {
  const sources = new Set(planned.map(({ file }) => path.resolve(file)));
  const over = planned.find(({ outputPath }) => sources.has(outputPath));
  if (over) {
    const what = path.resolve(over.file) === over.outputPath ? "" : ` the executed copy of ${over.file}`;
    throw new Error(`run: --output-dir ${outputDir} would write${what} over the source notebook ${over.outputPath}; choose another folder, or --inplace to do that on purpose`);
  }
  const firstTo = new Map<string, string>();
  for (const { file, outputPath } of planned) {
    const first = firstTo.get(outputPath);
    if (first !== undefined) {
      throw new Error(
        `run: ${first} and ${file} would both be written to ${outputPath} (a named notebook goes to the top of --output-dir, ` +
          `a folder's notebooks keep their paths below that folder); run them with separate --output-dir`,
      );
    }
    firstTo.set(outputPath, file);
  }
}
