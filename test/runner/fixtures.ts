/**
 * Shared set-up for the runner tests: the project's kernelspec installed by its own installer into a
 * temporary Jupyter data directory (never the user's), a scratch folder, and notebook builders.
 */
import { after, before } from "node:test";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installKernelSpec } from "../../kernel/install";
import { CodeCell, Notebook } from "../../runner";

export type CellSpec = string | { source: string; tags?: string[]; metadata?: Record<string, unknown>; outputs?: unknown[] };

export interface Workspace {
  /** The temporary Jupyter data directory holding kernels/stepwise (the project's kernel) and kernels/tslab. */
  dataDir: string;
  /** Scratch folder for notebooks and outputs. */
  work: string;
  /** The temporary kernels, then Debian's system kernels (python3, when installed). */
  kernelSearchPath: string[];
}

/** Register before/after hooks creating and removing the workspace; its fields are set once `before` ran. */
export function useWorkspace(): Workspace {
  const workspace = {} as Workspace;
  before(async () => {
    workspace.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-jupyter-"));
    workspace.work = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-runner-"));
    await installKernelSpec({ env: { JUPYTER_DATA_DIR: workspace.dataDir } });
    // tslab's own kernel, the weaker TypeScript kernel the project's kernel replaces (errors without ename/evalue)
    const tslab = path.join(workspace.dataDir, "kernels", "tslab");
    fs.mkdirSync(tslab, { recursive: true });
    const argv = [process.execPath, require.resolve("tslab/bin/tslab"), "kernel", "--config-path", "{connection_file}"];
    fs.writeFileSync(path.join(tslab, "kernel.json"), JSON.stringify({ argv, display_name: "TypeScript (tslab)", language: "typescript" }));
    workspace.kernelSearchPath = [path.join(workspace.dataDir, "kernels"), "/usr/share/jupyter/kernels"];
  });
  after(() => {
    fs.rmSync(workspace.dataDir, { recursive: true, force: true });
    fs.rmSync(workspace.work, { recursive: true, force: true });
  });
  return workspace;
}

/** A notebook of code cells for `kernel` (cell ids cell-0, cell-1, … from nbformat 4.5), as JSON. */
export function notebookJson(cells: CellSpec[], options: { kernel?: string; language?: string; minor?: number } = {}): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: options.minor ?? 5,
    metadata: { kernelspec: { name: options.kernel ?? "stepwise", display_name: "k", language: options.language ?? "typescript" } },
    cells: cells.map((cell, i) => {
      const c = typeof cell === "string" ? { source: cell } : cell;
      return {
        cell_type: "code",
        ...(options.minor !== undefined && options.minor < 5 ? {} : { id: `cell-${i}` }),
        metadata: { ...(c.metadata ?? {}), ...(c.tags ? { tags: c.tags } : {}) },
        source: c.source,
        outputs: c.outputs ?? [],
        execution_count: null,
      } as CodeCell;
    }),
  };
}

/** Write a notebook under the workspace and return its path. */
export function writeNotebook(work: string, name: string, cells: CellSpec[], options: { kernel?: string; language?: string; minor?: number } = {}): string {
  const file = path.join(work, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(notebookJson(cells, options)));
  return file;
}

export function readJson(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** The text a cell shows: stream text and execute_result text/plain, in order. */
export function cellText(cell: CodeCell): string {
  return cell.outputs.map((o) => (o.output_type === "stream" ? o.text : o.output_type === "execute_result" ? o.data["text/plain"] : "")).join("");
}

/** Debian's ipykernel and nbclient, for cross-checks with a second kernel and a reference client. */
export const PYTHON = "/usr/bin/python3";
export const haveIpykernel =
  fs.existsSync(PYTHON) && fs.existsSync("/usr/share/jupyter/kernels/python3/kernel.json") && spawnSync(PYTHON, ["-c", "import ipykernel"]).status === 0;
/** nbclient alone suffices for notebooks on the project's kernel; comparisons on Python's also need haveIpykernel. */
export const haveNbclient = fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import nbclient, nbformat"]).status === 0;

/**
 * The notebook as Debian's nbclient executes it (NotebookClient with its defaults, a 60 s cell timeout),
 * with the kernel specs of `dataDir`; `kernelName` overrides the notebook's own kernel.
 */
export function executeWithNbclient(file: string, dataDir: string, kernelName?: string): Notebook {
  const script = [
    "import sys, nbformat",
    "from nbclient import NotebookClient",
    "nb = nbformat.read(sys.argv[1], as_version=4)",
    `NotebookClient(nb, timeout=60${kernelName ? `, kernel_name=${JSON.stringify(kernelName)}` : ""}).execute()`,
    "nbformat.write(nb, sys.argv[2])",
  ].join("\n");
  const written = `${file}.nbclient.ipynb`;
  const env = { ...process.env, JUPYTER_PATH: dataDir, JUPYTER_DATA_DIR: dataDir, JUPYTER_RUNTIME_DIR: path.join(dataDir, "runtime") };
  const run = spawnSync(PYTHON, ["-c", script, file, written], { env, encoding: "utf8", cwd: path.dirname(file), timeout: 120_000 });
  if (run.status !== 0) throw new Error(`nbclient failed: ${run.stderr}`);
  return readJson(written);
}
