/**
 * Executing one notebook over the Jupyter protocol, as nbclient and papermill do: start the kernel its
 * kernelspec names (in the notebook's folder), inject parameters, run the code cells in order, collect
 * their outputs, stop at the first unexpected error, and write the executed notebook atomically, also
 * when a cell fails, times out or kills the kernel (the failing cell marked the way papermill marks it).
 *
 * Timeouts: a cell that outlives its timeout is interrupted (SIGINT or interrupt_request, per the
 * kernelspec's interrupt_mode); if the kernel does not answer within the grace period it is killed.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentInstallation } from "../jupyter/installation";
import { FoundKernelSpec, findKernelSpec } from "../jupyter/kernelspec";
import { KernelProcess, describeExit } from "../jupyter/launcher";
import { JsonObject, Message, isMessageOf, parentIdOf } from "../jupyter/messages";
import { DEFAULT_KERNEL_NAME, stepwiseKernelSpec } from "../jupyter/stepwise-kernelspec";
import { writeFileAtomic } from "../src/util/files";
import { CodeCell, Notebook, TextCell, readNotebook, serializeNotebook, sourceText, tagsOf } from "./nbformat";
import { DisplayIndex, OutputCollector } from "./outputs";
import { Parameters, injectParameters, parameterWarnings } from "./parameters";

export interface RunNotebookOptions {
  /** Kernelspec name; default: the notebook's metadata.kernelspec.name. */
  kernel?: string;
  /** Where kernelspecs are looked up (default: Jupyter's search path). */
  kernelSearchPath?: string[];
  parameters?: Parameters;
  /** Where the executed notebook is written; undefined: not written. */
  outputPath?: string;
  /**
   * Per-cell timeout in seconds; undefined: none. The notebook's metadata.execution.timeout (nbmake's
   * per-cell timeout for that notebook) wins over it, and a cell's metadata.execution.timeout over both.
   */
  cellTimeout?: number;
  /** Whole-notebook timeout in seconds (metadata.execution.timeout of the notebook is per cell, as nbmake reads it). */
  notebookTimeout?: number;
  /** Continue after errors (the notebook's metadata.execution.allow_errors wins, as nbmake reads it). */
  allowErrors?: boolean;
  /** Seconds the kernel gets to start. */
  startupTimeout?: number;
  /** Seconds an interrupted cell gets to end before the kernel is killed. */
  interruptGrace?: number;
  /**
   * Seconds between saves of the notebook in progress to `outputPath` (papermill's autosave), so a run
   * killed from outside (a CI job's time limit) still leaves the outputs so far; 0: write only at the end.
   * Default 30.
   */
  autosave?: number;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
  /**
   * Stops the run when aborted (Ctrl-C, a CI job cancelled): the kernel is killed at once, without the
   * interrupt grace period, the running cell is reported as interrupted, and the partial notebook is written.
   */
  signal?: AbortSignal;
  /** Progress: called as each code cell starts and ends. */
  onCell?: (event: CellEvent) => void;
}

export interface CellEvent {
  notebook: string;
  index: number;
  total: number;
  phase: "start" | "end";
  status?: CellStatus;
}

export type CellStatus = "completed" | "failed" | "skipped";

export type FailureKind = "error" | "timeout" | "kernel-died" | "interrupted" | "missing-exception" | "invalid-notebook" | "kernel-start" | "output-mismatch";

export interface CellFailure {
  kind: FailureKind;
  /** Index of the cell in the executed notebook (injected parameters included), when a cell failed. */
  cellIndex?: number;
  cellId?: string;
  /** The cell's execution count (the `In [n]` a traceback's `<cell n>` refers to), when it started. */
  executionCount?: number;
  /** The first lines of the cell's source. */
  sourceHead?: string;
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface NotebookResult {
  path: string;
  outputPath?: string;
  status: "passed" | "failed";
  seconds: number;
  codeCells: number;
  executedCells: number;
  failure?: CellFailure;
  /** Things worth a look that did not fail the run (papermill's warnings about parameters). */
  warnings: string[];
  /** The executed notebook (undefined when the file could not be read). */
  notebook?: Notebook;
}

const DEFAULT_STARTUP_SECONDS = 60;
const DEFAULT_GRACE_SECONDS = 5;
const DEFAULT_AUTOSAVE_SECONDS = 30;

export async function runNotebook(file: string, options: RunNotebookOptions = {}): Promise<NotebookResult> {
  checkSeconds("cellTimeout", options.cellTimeout, false);
  checkSeconds("notebookTimeout", options.notebookTimeout, false);
  checkSeconds("startupTimeout", options.startupTimeout, false);
  checkSeconds("interruptGrace", options.interruptGrace, false);
  checkSeconds("autosave", options.autosave, true);
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  let nb: Notebook;
  try {
    nb = await readNotebook(file);
  } catch (error) {
    return { path: file, status: "failed", seconds: seconds(), codeCells: 0, executedCells: 0, warnings: [], failure: plainFailure("invalid-notebook", error) };
  }
  const kernelName = options.kernel ?? nb.metadata.kernelspec?.name;
  const language = String(nb.metadata.kernelspec?.language ?? nb.metadata.language_info?.name ?? "");
  const parameters = options.parameters ?? {};
  const notebookExecution = (nb.metadata.execution ?? {}) as { timeout?: number; allow_errors?: boolean };
  const startTime = new Date();
  nb.metadata.papermill = {
    parameters: parameters as JsonObject,
    input_path: file,
    output_path: options.outputPath ?? null,
    start_time: startTime.toISOString(),
    end_time: null,
    duration: null,
    exception: null,
    environment_variables: {},
    version: null,
  } as JsonObject;
  const result: NotebookResult = { path: file, outputPath: options.outputPath, status: "passed", seconds: 0, codeCells: 0, executedCells: 0, warnings: [], notebook: nb };
  // writes go one after another, each a snapshot taken when asked for, so an autosave never lands after the final write
  let writes: Promise<void> = Promise.resolve();
  const writeOutput = (): Promise<void> => {
    const outputPath = options.outputPath;
    if (!outputPath) return Promise.resolve();
    const text = serializeNotebook(nb);
    const write = writes.then(async () => {
      await fs.mkdir(path.dirname(outputPath), { recursive: true });
      await writeFileAtomic(outputPath, text);
    });
    writes = write.catch(() => undefined);
    return write;
  };
  let autosave: NodeJS.Timeout | undefined;
  const finish = async (failure?: CellFailure): Promise<NotebookResult> => {
    clearInterval(autosave);
    result.failure = failure;
    result.status = failure ? "failed" : "passed";
    result.seconds = seconds();
    const end = new Date();
    Object.assign(nb.metadata.papermill as JsonObject, { end_time: end.toISOString(), duration: (end.getTime() - startTime.getTime()) / 1000, exception: failure !== undefined });
    if (failure?.cellIndex !== undefined) markFailedCell(nb, failure.cellIndex);
    await writeOutput();
    return result;
  };

  try {
    if (Object.keys(parameters).length > 0) {
      const original = nb;
      nb = result.notebook = injectParameters(nb, parameters, language || "typescript");
      result.warnings.push(...parameterWarnings(original, parameters));
    }
  } catch (error) {
    return finish(plainFailure("invalid-notebook", error));
  }
  const codeCells = nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
  result.codeCells = codeCells.length;
  for (const cell of codeCells) {
    cell.outputs = [];
    cell.execution_count = null;
    cell.metadata.papermill = { status: "pending", exception: null, start_time: null, end_time: null, duration: null };
  }
  if (!kernelName) {
    return finish(plainFailure("kernel-start", new Error(`${file}: no kernel to run it: the notebook has no metadata.kernelspec.name; pass --kernel NAME`)));
  }

  let kernel: KernelProcess;
  try {
    const spec = await resolveKernelSpec(kernelName, options.kernelSearchPath);
    kernel = await KernelProcess.start(spec, {
      cwd: path.dirname(path.resolve(file)),
      env: options.env,
      startupTimeoutMs: (options.startupTimeout ?? DEFAULT_STARTUP_SECONDS) * 1000,
    });
  } catch (error) {
    return finish(plainFailure("kernel-start", error));
  }
  if (options.signal?.aborted) {
    await kernel.kill(1000);
    return finish({ kind: "interrupted", ename: "RunInterrupted", evalue: `the run was interrupted (${abortReason(options.signal)}) before the first cell`, traceback: [] });
  }

  const notebookDeadline = options.notebookTimeout ? started + options.notebookTimeout * 1000 : Infinity;
  const displays: DisplayIndex = new Map();
  const autosaveMs = (options.autosave ?? DEFAULT_AUTOSAVE_SECONDS) * 1000;
  if (options.outputPath && autosaveMs > 0) autosave = setInterval(() => void writeOutput().catch(() => undefined), autosaveMs).unref();
  try {
    for (const [index, cell] of nb.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      if (options.signal?.aborted) {
        return await finish({ kind: "interrupted", ename: "RunInterrupted", evalue: `the run was interrupted (${abortReason(options.signal)}) between cells`, traceback: [] });
      }
      const tags = tagsOf(cell);
      const position = codeCells.indexOf(cell);
      if (tags.includes("skip-execution") || sourceText(cell.source).trim() === "") {
        (cell.metadata.papermill as JsonObject).status = "completed";
        options.onCell?.({ notebook: file, index: position, total: codeCells.length, phase: "end", status: "skipped" });
        continue;
      }
      options.onCell?.({ notebook: file, index: position, total: codeCells.length, phase: "start" });
      Object.assign(cell.metadata.papermill as JsonObject, { status: "running", start_time: new Date().toISOString() });
      let timeoutSeconds: number | undefined;
      try {
        timeoutSeconds = cellTimeoutOf(cell) ?? notebookExecution.timeout ?? options.cellTimeout;
      } catch (error) {
        return await finish({ ...plainFailure("invalid-notebook", error), cellIndex: index, cellId: cell.id, sourceHead: sourceHead(cell) });
      }
      const allowErrors = notebookExecution.allow_errors ?? options.allowErrors ?? false;
      const expectsError = tags.includes("raises-exception");
      const outcome = await executeCell(kernel, cell, displays, !(allowErrors || expectsError), {
        timeoutMs: Math.min(timeoutSeconds ? timeoutSeconds * 1000 : Infinity, notebookDeadline - Date.now()),
        notebookTimedOut: () => Date.now() >= notebookDeadline,
        graceMs: (options.interruptGrace ?? DEFAULT_GRACE_SECONDS) * 1000,
        timeoutSeconds,
        notebookTimeout: options.notebookTimeout,
        signal: options.signal,
      });
      result.executedCells += 1;
      let failure: CellFailure | undefined;
      if (outcome.kind === "ok" && expectsError) {
        failure = { kind: "missing-exception", ename: "MissingException", evalue: "the cell is tagged raises-exception but raised no error", traceback: [] };
      } else if (outcome.kind === "error" && !expectsError && !allowErrors) {
        failure = { kind: "error", ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback };
      } else if (outcome.kind === "timeout" || outcome.kind === "kernel-died" || outcome.kind === "interrupted") {
        failure = { kind: outcome.kind, ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback };
      }
      const meta = cell.metadata.papermill as JsonObject;
      Object.assign(meta, outcome.timing, { status: failure ? "failed" : "completed", exception: failure !== undefined || outcome.kind === "error" });
      options.onCell?.({ notebook: file, index: position, total: codeCells.length, phase: "end", status: failure ? "failed" : "completed" });
      if (failure) {
        return await finish({ ...failure, cellIndex: index, cellId: cell.id, executionCount: cell.execution_count ?? undefined, sourceHead: sourceHead(cell) });
      }
    }
    return await finish();
  } finally {
    clearInterval(autosave);
    await kernel.shutdown(3000).catch(() => undefined);
  }
}

type CellOutcome =
  | { kind: "ok"; timing: JsonObject }
  | { kind: "error"; ename: string; evalue: string; traceback: string[]; timing: JsonObject }
  | { kind: "timeout" | "kernel-died" | "interrupted"; ename: string; evalue: string; traceback: string[]; timing: JsonObject };

interface CellLimits {
  timeoutMs: number;
  notebookTimedOut: () => boolean;
  graceMs: number;
  timeoutSeconds?: number;
  notebookTimeout?: number;
  signal?: AbortSignal;
}

async function executeCell(kernel: KernelProcess, cell: CodeCell, displays: DisplayIndex, stopOnError: boolean, limits: CellLimits): Promise<CellOutcome> {
  const collector = new OutputCollector(cell, displays);
  const start = new Date();
  const timing = (): JsonObject => {
    const end = new Date();
    return { start_time: start.toISOString(), end_time: end.toISOString(), duration: (end.getTime() - start.getTime()) / 1000 };
  };
  // the client hands a request's final `status: idle` to no onIopub callback: take its date from the stream of all iopub
  const stopIdleWatch = kernel.client.onIopub((message: Message) => {
    if (isMessageOf(message, "status") && message.content.execution_state === "idle" && collector.requestId !== undefined && parentIdOf(message) === collector.requestId) {
      collector.handle(message);
    }
  });
  const execution = kernel.client.execute(sourceText(cell.source), {
    onIopub: (message: Message) => collector.handle(message),
    // as nbclient: a cell whose errors are allowed does not abort requests queued behind it
    stopOnError,
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    if (Number.isFinite(limits.timeoutMs)) timer = setTimeout(() => resolve("timeout"), Math.max(0, limits.timeoutMs));
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (limits.signal?.aborted) onAbort();
    else limits.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const first = await Promise.race([execution.then((outcome) => ({ outcome }), (error: Error) => ({ error })), timedOut, aborted]);
    if (first === "aborted") {
      await kernel.kill(1000);
      const evalue = `the run was interrupted (${abortReason(limits.signal)}) while the cell ran; its kernel was stopped`;
      return withErrorOutput(cell, { kind: "interrupted", ename: "RunInterrupted", evalue, traceback: [], timing: timing() });
    }
    if (first === "timeout") {
      const what = limits.notebookTimedOut() ? `the notebook timeout of ${limits.notebookTimeout} s` : `the cell timeout of ${limits.timeoutSeconds} s`;
      await kernel.interrupt().catch(() => undefined);
      const ended = await Promise.race([execution.then(() => true, () => true), sleep(limits.graceMs, false, { ref: false })]);
      if (!ended) await kernel.kill(1000);
      const how = ended ? "it was interrupted" : `it did not end within ${limits.graceMs / 1000} s of the interrupt, so the kernel was killed`;
      return withErrorOutput(cell, { kind: "timeout", ename: "CellTimeoutError", evalue: `the cell ran past ${what}; ${how}`, traceback: [], timing: timing() });
    }
    if ("error" in first) {
      if (!kernel.alive || kernel.exitStatus) {
        const exit = await kernel.exited;
        const log = kernel.log.trim();
        return withErrorOutput(cell, {
          kind: "kernel-died",
          ename: "DeadKernelError",
          evalue: `the kernel died while running the cell (${describeExit(exit)})`,
          traceback: log ? log.split("\n").slice(-20) : [],
          timing: timing(),
        });
      }
      throw first.error;
    }
    collector.recordTime("shell.execute_reply", first.outcome.reply.header.date);
    cell.execution_count = first.outcome.reply.content.execution_count ?? cell.execution_count;
    const reply = first.outcome.reply.content;
    if (reply.status === "ok") return { kind: "ok", timing: timing() };
    return { kind: "error", ...errorDetails(reply.status === "error" ? reply : {}, cell), timing: timing() };
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) limits.signal?.removeEventListener("abort", onAbort);
    stopIdleWatch();
  }
}

/**
 * A cell that timed out or killed its kernel gets no error from the kernel: add one, so the partial notebook
 * shows at the cell (where papermill's banner points) why the run stopped.
 */
function withErrorOutput(cell: CodeCell, failure: Extract<CellOutcome, { kind: "timeout" | "kernel-died" | "interrupted" }>): CellOutcome {
  cell.outputs.push({ output_type: "error", ename: failure.ename, evalue: failure.evalue, traceback: [`${failure.ename}: ${failure.evalue}`, ...failure.traceback] });
  return failure;
}

/** What stopped the run, for the report: the abort reason's message (the CLI aborts with the signal's name). */
function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : reason === undefined ? "aborted" : String(reason);
}

/**
 * The kernelspec named `name` where Jupyter would find it. The runner always knows its own kernel: when no
 * "stepwise" kernelspec is installed, the one this installation would install is used, so a fresh checkout
 * runs its notebooks without `stepwise kernel install`.
 */
async function resolveKernelSpec(name: string, searchPath: string[] | undefined): Promise<FoundKernelSpec> {
  try {
    return await findKernelSpec(name, searchPath);
  } catch (error) {
    if (name !== DEFAULT_KERNEL_NAME) throw error;
    const installation = currentInstallation();
    return { name, resourceDir: installation.assetsDir, spec: stepwiseKernelSpec({ installation }) };
  }
}

/**
 * A cell's own timeout, `metadata.execution.timeout` in seconds. nbformat's schema allows only strings
 * under a cell's `execution` metadata, so "30" is the valid spelling; a number is accepted too.
 */
function cellTimeoutOf(cell: CodeCell): number | undefined {
  const raw = (cell.metadata.execution as JsonObject | undefined)?.timeout;
  if (raw === undefined || raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`cell ${cell.id}: metadata.execution.timeout must be a number of seconds > 0, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * ename/evalue/traceback from the reply; weaker kernels (tslab) send an error reply without them, so fall
 * back to the error output, then to the cell's stderr text: its first `SomeError: message` line (how Node
 * and Python print an uncaught error) names the error, the whole text is the traceback.
 */
function errorDetails(reply: { ename?: string; evalue?: string; traceback?: string[] }, cell: CodeCell): { ename: string; evalue: string; traceback: string[] } {
  if (reply.ename) return { ename: reply.ename, evalue: reply.evalue ?? "", traceback: reply.traceback ?? [] };
  const errorOutput = cell.outputs.find((o) => o.output_type === "error");
  if (errorOutput && errorOutput.output_type === "error" && errorOutput.ename) return { ename: errorOutput.ename, evalue: errorOutput.evalue, traceback: errorOutput.traceback };
  const stderr = cell.outputs
    .filter((o) => o.output_type === "stream" && o.name === "stderr")
    .map((o) => sourceText((o as { text: string | string[] }).text))
    .join("")
    .trim();
  const lines = stderr ? stderr.split("\n") : [];
  for (const line of lines) {
    const named = /^(?:Uncaught )?([A-Za-z_$][\w$.]*(?:Error|Exception|Interrupt|Exit)):\s?(.*)$/.exec(line.trim());
    if (named) return { ename: named[1], evalue: named[2], traceback: lines };
  }
  const first = lines.find((line) => line.trim() !== "");
  return { ename: "Error", evalue: first?.trim() ?? "the kernel reported an error without details", traceback: lines };
}

/** papermill's marks: a banner at the top linking to the failing cell, and an anchor just before it. */
function markFailedCell(nb: Notebook, cellIndex: number): void {
  const failed = nb.cells[cellIndex] as CodeCell;
  const anchor: TextCell = {
    cell_type: "markdown",
    id: crypto.randomBytes(4).toString("hex"),
    metadata: { tags: ["papermill-error-cell-tag"] },
    source: '<span id="papermill-error-cell" style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">Execution using papermill encountered an exception here and stopped:</span>',
  };
  const banner: TextCell = {
    cell_type: "markdown",
    id: crypto.randomBytes(4).toString("hex"),
    metadata: { tags: ["papermill-error-cell-tag"] },
    source: `<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">An Exception was encountered at '<a href="#papermill-error-cell">In [${failed.execution_count ?? " "}]</a>'.</span>`,
  };
  nb.cells.splice(cellIndex, 0, anchor);
  nb.cells.unshift(banner);
}

function sourceHead(cell: CodeCell, lines = 5): string {
  const all = sourceText(cell.source).split("\n");
  return all.slice(0, lines).join("\n") + (all.length > lines ? "\n…" : "");
}

function plainFailure(kind: FailureKind, error: unknown): CellFailure {
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind, ename: e.name, evalue: e.message, traceback: [] };
}

function checkSeconds(name: string, value: number | undefined, zeroAllowed: boolean): void {
  if (value === undefined) return;
  if (typeof value !== "number" || Number.isNaN(value) || (zeroAllowed ? value < 0 : value <= 0)) {
    throw new Error(`runNotebook: ${name} must be a number of seconds ${zeroAllowed ? ">= 0" : "> 0"}, got ${JSON.stringify(value)}`);
  }
}
