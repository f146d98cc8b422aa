/**
 * Runs cells with the kernel's cell compiler (kernel/engine, tslab's semantics): it type-checks a cell
 * against the declarations of the cells before it (`prevDecl`), compiles it to CommonJS whose top-level names
 * live on a shared `exports` object, and names the last expression (`lastExpressionVar`). Its first program
 * (the compiler's lib and @types/node) is built in `warm`, once the kernel serves. Unlike tslab's executor
 * this one returns the value and the error instead of printing them, reports type errors as errors, and can
 * be interrupted: synchronous code by SIGINT (vm's breakOnSigint), awaiting code by `interrupt()`
 * (see cell-run.ts).
 */
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as vm from "node:vm";
import { isCompleteCode } from "tslab/dist/converter";
import { printQuickInfo } from "tslab/dist/inspect";
import { getCodeMetadata } from "tslab/dist/metadata";
import { setCurrentAbortSignal } from "../src/host";
import { CellRun, InterruptedError, runInCell } from "./cell-run";
import { Converter } from "./engine/converter";
import { diagnosticsError, registerCellScript } from "./errors";
import { Installation } from "../jupyter/installation";
import { CellModules } from "./modules";
import { overlayInstallation } from "./resolution";
import { expandShorthandProperties } from "./shorthand";

export type Outcome =
  | { status: "ok"; /** The last expression's value; undefined when there is none. */ value: unknown }
  | { status: "error"; error: unknown };

export interface Completion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  /** TypeScript's kind of each match ("function", "property", "class"…), for the front end's icons. */
  kinds: string[];
}

/** The global through which compiled cells reach the shared `exports` and `require`. */
const HOOK = "__stepwise_cell__";
/** After an interrupt, how long a cell gets to wind down on its own (finally blocks, fit's own error). */
const INTERRUPT_GRACE_MS = 250;

export class Executor {
  private converter: Converter | undefined;
  private prevDecl = "";
  private readonly exports: Record<string, unknown>;
  private readonly modules: CellModules;
  private running: CellRun | undefined;

  constructor(
    readonly cwd: string,
    readonly installation: Installation,
  ) {
    this.exports = createExports();
    this.modules = new CellModules(cwd, installation);
    Object.defineProperty(globalThis, HOOK, {
      value: { exports: this.exports, require: this.modules.require },
      configurable: true,
      enumerable: false,
    });
  }

  /** Build the compiler's first program now (it takes about a second) rather than at the first cell. */
  warm(): void {
    this.engine().warm();
  }

  async execute(code: string, label: string): Promise<Outcome> {
    const meta = getCodeMetadata(code);
    if (meta.mode === "browser") {
      return { status: "error", error: new Error("@browser cells are not supported: the stepwise kernel runs TypeScript in Node.js") };
    }
    const engine = this.engine();
    if (meta.module) {
      // a named in-memory module: checked now, importable as "./<name>" by later cells
      const diagnostics = engine.addModule(meta.module, code, meta.jsx === true);
      return diagnostics.length ? { status: "error", error: diagnosticsError(diagnostics, code) } : { status: "ok", value: undefined };
    }
    const source = expandShorthandProperties(code);
    const converted = engine.convert(this.prevDecl, source);
    if (converted.sideOutputs) this.modules.update(converted.sideOutputs);
    if (converted.diagnostics.length > 0) return { status: "error", error: diagnosticsError(converted.diagnostics, source) };
    if (!converted.output) {
      this.prevDecl = converted.declOutput ?? "";
      return { status: "ok", value: undefined };
    }
    const filename = `<${label}>`;
    const script =
      `(${converted.hasToplevelAwait ? "async " : ""}function (exports, require, module, __filename, __dirname) {\n` +
      `${converted.output}\n})(${HOOK}.exports, ${HOOK}.require, undefined, ${JSON.stringify(path.join(this.cwd, filename))}, ${JSON.stringify(this.cwd)})`;
    registerCellScript(filename, script);
    const run = new CellRun(label);
    this.running = run;
    setCurrentAbortSignal(run.signal);
    try {
      const returned: unknown = runInCell(run, () => vm.runInThisContext(script, { filename, breakOnSigint: true }));
      if (converted.hasToplevelAwait) await this.settle(returned as Promise<unknown>, run);
      return { status: "ok", value: this.takeValue(converted.lastExpressionVar) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") {
        run.interrupt("SIGINT");
        return { status: "error", error: run.signal.reason };
      }
      return { status: "error", error };
    } finally {
      // declarations count even when the cell failed part-way: what it defined before failing stays usable,
      // e.g. a model whose training was interrupted
      this.prevDecl = converted.declOutput ?? this.prevDecl;
      if (converted.lastExpressionVar) delete this.exports[converted.lastExpressionVar];
      if (run.interrupted) run.abandon();
      setCurrentAbortSignal(undefined);
      this.running = undefined;
    }
  }

  /** Evaluate an expression against the current state without keeping its declarations (user_expressions). */
  async evaluate(expression: string): Promise<Outcome> {
    const declarations = this.prevDecl;
    try {
      return await this.execute(expression, "user expression");
    } finally {
      this.prevDecl = declarations;
    }
  }

  /** Interrupt the running cell; false when none is running. */
  interrupt(how: string): boolean {
    if (!this.running) return false;
    this.running.interrupt(how);
    return true;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  complete(code: string, cursor: number): Completion {
    const info = this.engine().complete(this.prevDecl, code, cursor);
    const kindOf = new Map((info.original?.entries ?? []).map((entry) => [entry.name, String(entry.kind)]));
    return { matches: info.candidates, cursorStart: info.start, cursorEnd: info.end, kinds: info.candidates.map((c) => kindOf.get(c) ?? "") };
  }

  /** The type and documentation at the cursor, as TypeScript's hover shows them; undefined when none. */
  inspect(code: string, cursor: number): string | undefined {
    const info = this.engine().inspect(this.prevDecl, code, cursor);
    if (!info) return undefined;
    const text = printQuickInfo(info);
    return text || undefined;
  }

  isComplete(code: string): { complete: true } | { complete: false; indent: string } {
    const result = isCompleteCode(code);
    return result.completed ? { complete: true } : { complete: false, indent: result.indent ?? "" };
  }

  /** Forget every variable and declaration (the state of a fresh kernel, minus loaded modules). */
  reset(): void {
    this.prevDecl = "";
    for (const name of Object.keys(this.exports)) delete this.exports[name];
  }

  close(): void {
    this.converter?.close();
    this.converter = undefined;
  }

  private engine(): Converter {
    if (!this.converter) {
      // the overlay must be in place before the compiler computes its type roots
      overlayInstallation(this.cwd, this.installation);
      this.converter = new Converter(this.cwd);
    }
    return this.converter;
  }

  /**
   * Wait for an async cell. On interrupt, give it a moment to finish on its own — an AbortSignal-aware
   * loop ends with its own error, or returns — then report InterruptedError.
   */
  private async settle(promise: Promise<unknown>, run: CellRun): Promise<void> {
    try {
      await Promise.race([promise, run.interruption]);
    } catch (error) {
      if (!(error instanceof InterruptedError) || error !== run.signal.reason) throw error;
      const outcome = await Promise.race([
        promise.then(
          () => ({ settled: true as const }),
          (cellError: unknown) => ({ settled: true as const, cellError }),
        ),
        sleep(INTERRUPT_GRACE_MS, { settled: false as const }),
      ]);
      if (!outcome.settled) throw error;
      if ("cellError" in outcome) throw outcome.cellError;
    }
  }

  private takeValue(name: string | undefined): unknown {
    return name === undefined ? undefined : this.exports[name];
  }
}

/**
 * The object holding every top-level name of every cell. Compiled imports arrive as `defineProperty` with
 * getters; storing the value makes the names rewritable by later cells, as tslab does.
 */
function createExports(): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  return new Proxy(target, {
    defineProperty: (_target, property, attributes) => {
      if (property === "__esModule") return true;
      target[property as string] = attributes.get ? attributes.get() : attributes.value;
      return true;
    },
  });
}
