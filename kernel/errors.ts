/**
 * What a failed cell reports: `ename` (the error's class), `evalue` (its message) and a traceback whose lines
 * show the error and the frames of the user's and libraries' code, without the kernel's own frames.
 * TypeScript diagnostics report as ename "TSError", one `line:col - message` per diagnostic with the
 * offending source line underlined.
 */
import * as path from "node:path";
import { inspect } from "node:util";
import type { Diagnostic } from "./engine/diagnostics";
import { ErrorContent } from "../jupyter/messages";

/** Frames from these places are the kernel's machinery, not the cell's story. */
const KERNEL_DIR = __dirname + path.sep;
const INTERNAL_FRAME = /\((node:|internal\/)|at (node:|internal\/)|\(<anonymous>\)$/;

export class TSError extends Error {
  override readonly name = "TSError";
  constructor(
    message: string,
    readonly lines: string[],
  ) {
    super(message);
  }
}

/** Turn whatever a cell threw into Jupyter's error content. */
export function errorContent(thrown: unknown): ErrorContent {
  if (thrown instanceof TSError) {
    const [first = thrown.message, ...rest] = thrown.lines;
    return { ename: thrown.name, evalue: thrown.message, traceback: [`${thrown.name}: ${first}`, ...rest] };
  }
  if (isErrorLike(thrown)) {
    const ename = errorName(thrown);
    const evalue = String(thrown.message ?? "");
    const traceback = [evalue ? `${ename}: ${evalue}` : ename, ...userFrames(thrown.stack)];
    let cause: unknown = (thrown as { cause?: unknown }).cause;
    for (let depth = 0; cause !== undefined && depth < 5; depth++) {
      if (isErrorLike(cause)) {
        traceback.push(`Caused by: ${errorName(cause)}: ${cause.message}`, ...userFrames(cause.stack));
        cause = (cause as { cause?: unknown }).cause;
      } else {
        traceback.push(`Caused by: ${inspect(cause)}`);
        break;
      }
    }
    return { ename, evalue, traceback };
  }
  // `throw "text"` or `throw 42`: not an Error, so no class and no stack
  const evalue = inspect(thrown, { depth: 2, breakLength: Infinity });
  return { ename: "Uncaught", evalue, traceback: [`Uncaught ${evalue}`] };
}

/** The class name: the explicit `name` when a class sets one, else the constructor's name. */
function errorName(error: Error): string {
  if (typeof error.name === "string" && error.name && error.name !== "Error") return error.name;
  const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === "string" && constructorName ? constructorName : "Error";
}

function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === "object" && value !== null && typeof (value as Error).message === "string" && typeof (value as Error).stack === "string")
  );
}

/**
 * The compiled code of recent cells, by script name (`<cell 3>`). Cells run as JavaScript the engine
 * emitted, whose line numbers are not the cell's; a frame in a cell therefore shows the statement it was
 * executing instead of a misleading line:column.
 */
const cellScripts = new Map<string, string[]>();
const KEPT_CELL_SCRIPTS = 500;

export function registerCellScript(name: string, script: string): void {
  cellScripts.delete(name);
  cellScripts.set(name, script.split("\n"));
  if (cellScripts.size > KEPT_CELL_SCRIPTS) cellScripts.delete(cellScripts.keys().next().value as string);
}

/** The `at …` lines of a stack, without node internals and the kernel's own frames. */
export function userFrames(stack: string | undefined): string[] {
  if (!stack) return [];
  const frames: string[] = [];
  for (const line of stack.split("\n")) {
    if (!/^\s+at /.test(line) || line.includes(KERNEL_DIR) || INTERNAL_FRAME.test(line)) continue;
    const frame = cellFrame(line.trim());
    if (frame === null) continue;
    frames.push(`    ${frame ?? line.trim()}`);
  }
  return frames;
}

/**
 * A frame in a cell as `at f (<cell 3>): throw new Error("big");`; null for the frame of the wrapper that
 * calls the cell's code; undefined for frames elsewhere.
 */
function cellFrame(frame: string): string | null | undefined {
  const match = /^at (?:(.*) \()?(<[^>]+>):(\d+):(\d+)\)?$/.exec(frame);
  if (!match) return undefined;
  const [, fn, name, lineText] = match;
  const script = cellScripts.get(name);
  if (!script) return undefined;
  const line = Number(lineText);
  if (line === script.length) return null; // the last line of the script calls the cell's function
  const statement = (script[line - 1] ?? "").trim().replace(/^exports\.tsLastExpr\d* = /, "").replace(/\bexports\./g, "");
  const where = fn ? `${fn} (${name})` : name;
  return statement ? `at ${where}: ${statement.length > 120 ? `${statement.slice(0, 117)}...` : statement}` : `at ${where}`;
}

/**
 * TypeScript diagnostics of a cell as one TSError. `source` is the cell's code, for the excerpts. The engine
 * lists a chained message ("Type A is not assignable to B" → "Property x is missing…") as several diagnostics
 * at one position: they form one group, the follow-ups indented, the excerpt once.
 */
export function diagnosticsError(diagnostics: readonly Diagnostic[], source: string): TSError {
  const sourceLines = source.split("\n");
  const lines: string[] = [];
  const heads: string[] = [];
  for (let i = 0; i < diagnostics.length; ) {
    const first = diagnostics[i];
    const head = `${first.fileName ? `${first.fileName} ` : ""}${first.start.line + 1}:${first.start.character + 1} - ${first.messageText}`;
    heads.push(head);
    lines.push(head);
    let j = i + 1;
    for (; j < diagnostics.length && samePlace(diagnostics[j], first); j++) lines.push(`    ${diagnostics[j].messageText}`);
    const text = first.fileName ? undefined : sourceLines[first.start.line];
    if (text !== undefined) {
      const end = first.end.line === first.start.line ? first.end.character : text.length;
      const gutter = String(first.start.line + 1);
      lines.push(`  ${gutter} | ${text}`, `  ${" ".repeat(gutter.length)} | ${" ".repeat(first.start.character)}${"~".repeat(Math.max(1, end - first.start.character))}`);
    }
    i = j;
  }
  const more = heads.length > 1 ? ` (and ${heads.length - 1} more)` : "";
  return new TSError(`${heads[0] ?? "type check failed"}${more}`, lines);
}

function samePlace(a: Diagnostic, b: Diagnostic): boolean {
  return a.start.offset === b.start.offset && a.end.offset === b.end.offset;
}
