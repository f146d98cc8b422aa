/**
 * The compiler's diagnostics as the kernel reports them (tslab's shapes): positions in the cell's own text
 * (without the prefix that makes it a module), one entry per message of a chain, files outside the
 * notebook's directory left out. A top-level `await` is not an error: it marks the cell as asynchronous.
 */
import * as path from "node:path";
import { ts } from "./typescript";

export interface DiagnosticPosition {
  /** Offset in the text. */
  offset: number;
  /** Zero-based line. */
  line: number;
  /** Zero-based column. */
  character: number;
}

export interface Diagnostic {
  start: DiagnosticPosition;
  end: DiagnosticPosition;
  messageText: string;
  category: number;
  code: number;
  /** The file, relative to the notebook's directory, when it is not the cell. */
  fileName?: string;
}

/** "'await' expressions are only allowed within async functions and at the top levels of modules." */
const AWAIT_OUTSIDE_ASYNC = 1308;

export interface DiagnosticContext {
  cwd: string;
  program: ts.Program;
  /** The cell's file. */
  cellFile: string;
  /** In-memory files whose text starts with `prefix` (the cell, named modules). */
  isPrefixed(file: string): boolean;
  prefix: string;
}

export function convertDiagnostics(input: readonly ts.Diagnostic[], context: DiagnosticContext): { diagnostics: Diagnostic[]; hasToplevelAwait: boolean } {
  const { cwd, program, cellFile } = context;
  const cell = program.getSourceFile(cellFile);
  const prefixLines = (context.prefix.match(/\n/g) ?? []).length;
  const prefixColumn = context.prefix.length - (context.prefix.lastIndexOf("\n") + 1);
  const position = (file: ts.SourceFile, offset: number): DiagnosticPosition => {
    const { line, character } = ts.getLineAndCharacterOfPosition(file, offset);
    if (!context.isPrefixed(file.fileName)) return { offset, line, character };
    return { offset: offset - context.prefix.length, line: line - prefixLines, character: character - prefixColumn };
  };

  let hasToplevelAwait = false;
  const diagnostics: Diagnostic[] = [];
  for (const d of input) {
    if (!d.file || d.start === undefined) continue;
    if (d.file.fileName === cellFile && isTopLevelAwait(cell, d)) {
      hasToplevelAwait = true;
      continue;
    }
    let fileName: string | undefined;
    if (d.file.fileName !== cellFile) {
      const rel = path.relative(cwd, d.file.fileName);
      if (rel.startsWith("..")) continue;
      fileName = rel;
    }
    const start = position(d.file, d.start);
    const end = position(d.file, d.start + (d.length ?? 0));
    if (typeof d.messageText === "string") {
      diagnostics.push({ start, end, messageText: d.messageText, category: d.category, code: d.code, fileName });
    } else {
      messageChain(start, end, d.messageText, diagnostics, fileName);
    }
  }
  return { diagnostics, hasToplevelAwait };
}

/** One entry per message of the chain, depth first; only the first carries the file name (as tslab). */
function messageChain(start: DiagnosticPosition, end: DiagnosticPosition, chain: ts.DiagnosticMessageChain, out: Diagnostic[], fileName?: string): void {
  out.push({ start, end, messageText: chain.messageText, category: chain.category, code: chain.code, ...(fileName === undefined ? {} : { fileName }) });
  for (const next of chain.next ?? []) messageChain(start, end, next, out);
}

/** An `await` outside any function of the cell: allowed, the cell then runs as an async function. */
function isTopLevelAwait(cell: ts.SourceFile | undefined, d: ts.Diagnostic): boolean {
  if (d.code !== AWAIT_OUTSIDE_ASYNC || !cell || d.start === undefined) return false;
  const token = ts.findPrecedingToken(d.start + (d.length ?? 0), cell);
  if (!token || token.kind !== ts.SyntaxKind.AwaitKeyword) return false;
  for (let parent = token.parent; parent && parent !== cell; parent = parent.parent) {
    switch (parent.kind) {
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.FunctionDeclaration:
      case ts.SyntaxKind.ClassDeclaration:
      case ts.SyntaxKind.ModuleDeclaration:
        return false;
    }
  }
  return true;
}
