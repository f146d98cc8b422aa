/**
 * The cell compiler: type-checks a cell against the declarations of the cells before it and compiles it to
 * the CommonJS the executor runs. It follows tslab's converter (tslab/src/converter.ts, Apache-2.0) — same
 * compiler options, same file layout (the cell `__tslab__.ts`, the earlier declarations `__prev__.d.ts`,
 * both prefixed `export {};` to be modules), same results — with a plain program per cell instead of a watch
 * program and builder:
 * - one program per cell: the cell's top-level names come from binding the cell alone, not from a first
 *   program (tslab built two programs for a cell that declares anything);
 * - parsed files are reused from program to program (CellFiles), and an unchanged cell reuses the program
 *   whole (re-running a cell checks nothing again);
 * - the CommonJS transform runs inside the one emit (transformers.ts) instead of re-parsing the output.
 */
import * as path from "node:path";
import { remainingDeclarations } from "./declarations";
import { Diagnostic, convertDiagnostics } from "./diagnostics";
import { CellFiles, type SeededFile, normalizeJoin } from "./files";
import { cellTransformers } from "./transformers";
import { TRANSPILE_TARGET, bindSourceFile, compilerOptions, getResolvedModule, importsOf, linkUnder, localsOf, transformModule, ts } from "./typescript";

export type { Diagnostic } from "./diagnostics";

/** A local module the cell imports, compiled to CommonJS (`path` is the `.js` beside its source). */
export interface SideOutput {
  path: string;
  data: string;
}

export interface ConvertResult {
  /** CommonJS code of the cell; unset when there are diagnostics. */
  output?: string;
  /** The declarations the next cell is checked against. */
  declOutput?: string;
  /** Type errors; when there are any, nothing else is set. */
  diagnostics: Diagnostic[];
  /** The exported variable holding the last expression's value, when the cell ends with an expression. */
  lastExpressionVar?: string;
  /** The cell awaits at its top level: the executor runs it as an async function. */
  hasToplevelAwait?: boolean;
  /** Local modules compiled for the first time or again since they changed. */
  sideOutputs?: SideOutput[];
}

export interface CompletionInfo {
  start: number;
  end: number;
  candidates: string[];
  original?: ts.CompletionInfo;
}

/** Makes a cell's text a module, so its top-level names do not leak into the global scope. */
const PREFIX = "export {};\n";

const neverCancelled: ts.CancellationToken = {
  isCancellationRequested: () => false,
  throwIfCancellationRequested: () => undefined,
};

export class Converter {
  private readonly files: CellFiles;
  private readonly options: ts.CompilerOptions;
  private readonly cellFile: string;
  private readonly declarationsFile: string;
  private readonly cellOutput: string;
  private readonly declarationsOutput: string;
  private readonly rootFiles: Set<string>;
  /** Named modules (`//@module`), in memory. */
  private readonly modules = new Set<string>();
  private program: ts.Program | undefined;
  /** The last program type-checked its cell without errors (a failed one is rebuilt even when unchanged). */
  private programChecked = false;
  /** The file version each local dependency was last compiled from; compiled again once it changes. */
  private readonly compiled = new Map<string, ts.SourceFile>();
  /** The last cell compiled without errors, with the program it was checked in. */
  private last: { previousDeclarations: string; code: string; exported: Exported; program: ts.Program; result: ConvertResult } | undefined;

  constructor(readonly cwd: string) {
    this.files = new CellFiles(cwd);
    this.cellFile = normalizeJoin(cwd, "__tslab__.ts");
    this.declarationsFile = normalizeJoin(cwd, "__prev__.d.ts");
    this.cellOutput = normalizeJoin("outDir", "__tslab__.js");
    this.declarationsOutput = normalizeJoin("outDir", "__tslab__.d.ts");
    this.rootFiles = new Set([this.declarationsFile, this.cellFile]);
    const options = compilerOptions(cwd, this.typeRoots());
    // the automatic @types (node and the kernel's globals), found once: installed packages do not change
    // during a session (files.ts), and looking for them again cost each program a walk of the type roots
    this.options = { ...options, types: ts.getAutomaticTypeDirectiveNames(options, this.files) };
  }

  /** The installed declaration files this converter parsed: what a startup snapshot keeps (kernel/snapshot). */
  installedFiles(): SeededFile[] {
    return this.files.installedFiles();
  }

  /** Build the first program now (the compiler's lib and @types/node: the bulk of a kernel's start). */
  warm(): void {
    this.convert("", "");
  }

  convert(previousDeclarations: string, code: string): ConvertResult {
    const last = this.last;
    const exported = last?.code === code ? last.exported : exportAll(code);
    const program = this.update(previousDeclarations, exported.text);
    // the same cell after the same declarations, in the same program: the same code (a cell run again)
    if (last && last.program === program && last.code === code && last.previousDeclarations === previousDeclarations) {
      return { ...last.result, sideOutputs: undefined };
    }
    this.last = undefined;
    const locals = exported.locals;
    const cell = this.sourceFile(program, this.cellFile);
    const declarations = this.sourceFile(program, this.declarationsFile);
    const dependencies = localDependencies(program, cell);
    const checked = this.diagnostics(program, ts.getPreEmitDiagnosticsOfFiles(program, [cell, ...dependencies.filter((d) => d !== cell)]));
    this.programChecked = checked.diagnostics.length === 0;
    if (!this.programChecked) return { diagnostics: checked.diagnostics };

    let output: string | undefined;
    let declOutput = "";
    let lastExpressionVar: string | undefined;
    let sideOutputs: SideOutput[] | undefined;
    const checker = program.getTypeChecker();
    for (const file of dependencies) {
      if (file !== cell && this.compiled.get(file.fileName) === file) continue;
      if (file !== cell) this.compiled.set(file.fileName, file);
      // local modules only become CommonJS; the cell's own transforms (tslab applied them to modules too,
      // which exported a stray `tsLastExpr` from a module ending with an expression) are the cell's
      const transformers = file === cell ? cellTransformers(checker, declarations, locals, (name) => (lastExpressionVar = name)) : { after: [transformModule] };
      program.emit(
        file,
        (fileName, data) => {
          if (fileName === this.cellOutput) output = data;
          else if (fileName === this.declarationsOutput) declOutput = data;
          else if (fileName.endsWith(".js")) {
            const rel = path.relative("outDir", fileName);
            if (rel.startsWith("..")) throw new Error(`unexpected emit path: ${fileName}`);
            (sideOutputs ??= []).push({ path: normalizeJoin(this.cwd, rel), data });
          }
        },
        undefined,
        false,
        transformers,
      );
    }
    sideOutputs?.sort((a, b) => a.path.localeCompare(b.path));
    const result: ConvertResult = {
      output: output ?? "",
      declOutput: declOutput + remainingDeclarations(checker, cell, declarations),
      diagnostics: [],
      hasToplevelAwait: checked.hasToplevelAwait,
      sideOutputs,
      lastExpressionVar,
    };
    this.last = { previousDeclarations, code, exported, program, result };
    return result;
  }

  /** The type and documentation at `position` of `code`, as TypeScript's hover shows them. */
  inspect(previousDeclarations: string, code: string, position: number): ts.QuickInfo | undefined {
    const program = this.update(previousDeclarations, code);
    const cell = this.sourceFile(program, this.cellFile);
    const checker = program.getTypeChecker();
    for (const file of declaringFiles(checker, cell, position + PREFIX.length)) this.files.restoreDocs(file);
    const info = ts.getQuickInfoAtPosition(cell, checker, neverCancelled, position + PREFIX.length);
    if (info?.textSpan) info.textSpan.start -= PREFIX.length;
    return info;
  }

  complete(previousDeclarations: string, code: string, position: number): CompletionInfo {
    const program = this.update(previousDeclarations, code);
    const cell = this.sourceFile(program, this.cellFile);
    const at = position + PREFIX.length;
    const info = ts.Completions.getCompletionsAtPositionForTslab(
      {} as ts.LanguageServiceHost,
      program,
      () => undefined,
      cell,
      at,
      {},
      undefined,
      ts.CompletionTriggerKind.Invoked,
      neverCancelled,
    );
    if (info?.optionalReplacementSpan) info.optionalReplacementSpan.start -= PREFIX.length;
    // the identifier around the cursor is what the candidates replace
    const previous = ts.findPrecedingToken(at, cell);
    if (previous && ts.isIdentifier(previous) && previous.end >= at) return completionForIdentifier(info, previous, cell);
    const next = previous ? ts.findNextToken(previous, cell, cell) : undefined;
    if (next && ts.isIdentifier(next) && next.getStart(cell) <= at && at <= next.end) return completionForIdentifier(info, next, cell);
    const entries = [...(info?.entries ?? [])].sort((a, b) => a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name));
    return { start: position, end: position, candidates: entries.map((e) => e.name), original: info };
  }

  /** Define the in-memory module `./<name>`; returns its type errors. */
  addModule(name: string, code: string, jsx = false): Diagnostic[] {
    if (!/^\w+$/.test(name)) throw new Error(`invalid module name: ${JSON.stringify(name)}`);
    const file = normalizeJoin(this.cwd, `${name}.ts${jsx ? "x" : ""}`);
    this.files.setText(file, PREFIX + code);
    this.modules.add(file);
    this.rootFiles.add(file);
    const program = this.build();
    return this.diagnostics(program, ts.getPreEmitDiagnostics(program, this.sourceFile(program, file))).diagnostics;
  }

  close(): void {
    this.program = undefined;
  }

  /** The program for the cell `code` after `previousDeclarations`; the current one when nothing changed. */
  private update(previousDeclarations: string, code: string): ts.Program {
    if (!this.programChecked) {
      // TypeScript keeps the resolutions of an unchanged file, failed ones too: after an error (a module not
      // found, created since), the cell and its declarations are resolved again
      this.files.forget(this.cellFile);
      this.files.forget(this.declarationsFile);
    }
    this.files.setText(this.declarationsFile, PREFIX + previousDeclarations);
    this.files.setText(this.cellFile, PREFIX + code);
    const changed = this.files.refresh();
    if (this.program && !changed && this.programChecked) return this.program;
    return this.build();
  }

  private build(): ts.Program {
    this.files.refresh();
    const program = ts.createProgram({ rootNames: [...this.rootFiles], options: this.options, host: this.files, oldProgram: this.program });
    linkUnder(this.sourceFile(program, this.cellFile), this.sourceFile(program, this.declarationsFile));
    // the checker binds the new files, which also sets their parent pointers (completions walk them)
    program.getTypeChecker();
    this.program = program;
    this.programChecked = false;
    return program;
  }

  private sourceFile(program: ts.Program, file: string): ts.SourceFile {
    const found = program.getSourceFile(file);
    if (!found) throw new Error(`the cell compiler lost its file ${file}`);
    return found;
  }

  private diagnostics(program: ts.Program, input: readonly ts.Diagnostic[]): ReturnType<typeof convertDiagnostics> {
    return convertDiagnostics(input, {
      cwd: this.cwd,
      program,
      cellFile: this.cellFile,
      prefix: PREFIX,
      isPrefixed: (file) => file === this.cellFile || this.modules.has(file),
    });
  }

  /**
   * The default type roots from the working directory; where none holds @types/node, tslab's own @types
   * (tslab's rule; the kernel's overlay normally provides node's, kernel/resolution.ts).
   */
  private typeRoots(): string[] {
    const roots = ts.getDefaultTypeRoots(this.cwd, { directoryExists: (dir) => this.files.directoryExists(dir) }) ?? [];
    if (roots.some((root) => ts.sys.fileExists(normalizeJoin(root, "node", "package.json")))) return roots;
    return [...roots, normalizeJoin(path.dirname(require.resolve("tslab/package.json")), "node_modules", "@types")];
  }
}

/** A cell with its top-level names exported, and those names. */
interface Exported {
  text: string;
  locals: ReadonlySet<string>;
}

/**
 * Every top-level name of the cell exported, so the declaration emit carries it to the next cell. The names
 * are the binder's, from the cell bound alone (binding is per file: the program binds it the same way).
 */
function exportAll(code: string): Exported {
  const file = ts.createSourceFile("__names__.ts", PREFIX + code, TRANSPILE_TARGET);
  bindSourceFile(file, {});
  const locals = new Set([...localsOf(file).keys()].map((name) => ts.unescapeLeadingUnderscores(name)));
  return { text: locals.size > 0 ? `${code}\nexport {${[...locals].join(", ")}}` : code, locals };
}

/**
 * The cell and the local files (TypeScript and JavaScript, not declaration files) it imports, directly or
 * through other local files: what must be checked and compiled with it. A cell with a `declare global`
 * block affects every file, so every local file counts (TypeScript's builder rule).
 */
function localDependencies(program: ts.Program, cell: ts.SourceFile): ts.SourceFile[] {
  const isLocal = (fileName: string) => fileName.endsWith(".js") || (fileName.endsWith(".ts") && !fileName.endsWith(".d.ts"));
  if (cell.statements.some((s) => ts.isModuleDeclaration(s) && s.flags & ts.NodeFlags.GlobalAugmentation)) {
    return [cell, ...program.getSourceFiles().filter((f) => f !== cell && isLocal(f.fileName))];
  }
  const found = new Set<ts.SourceFile>([cell]);
  const queue = [cell];
  for (let file = queue.pop(); file; file = queue.pop()) {
    const targets = [
      ...importsOf(file).map((name) => getResolvedModule(file as ts.SourceFile, name.text, ts.getModeForUsageLocation(file as ts.SourceFile, name))?.resolvedFileName),
      ...file.referencedFiles.map((ref) => normalizeJoin(path.dirname(file?.fileName ?? ""), ref.fileName)),
    ];
    for (const target of targets) {
      const dependency = target === undefined ? undefined : program.getSourceFile(target);
      if (!dependency || found.has(dependency) || !isLocal(dependency.fileName)) continue;
      found.add(dependency);
      queue.push(dependency);
    }
  }
  return [...found];
}

/** The files declaring the symbol at `position` (and what it aliases): where its documentation is. */
function declaringFiles(checker: ts.TypeChecker, file: ts.SourceFile, position: number): Set<ts.SourceFile> {
  let node: ts.Node = file;
  for (let inner: ts.Node | undefined = file; inner; ) {
    node = inner;
    inner = ts.forEachChild(node, (child) => (child.getStart(file) <= position && position <= child.end ? child : undefined));
  }
  const files = new Set<ts.SourceFile>();
  const symbol = checker.getSymbolAtLocation(node);
  const symbols = symbol && symbol.flags & ts.SymbolFlags.Alias ? [symbol, checker.getAliasedSymbol(symbol)] : symbol ? [symbol] : [];
  for (const s of symbols) for (const declaration of s.declarations ?? []) files.add(declaration.getSourceFile());
  return files;
}

function completionForIdentifier(info: ts.CompletionInfo | undefined, id: ts.Identifier, file: ts.SourceFile): CompletionInfo {
  const name = id.text;
  const lower = name.toLowerCase();
  const ranked = (info?.entries ?? []).flatMap((entry, index) => {
    const entryLower = entry.name.toLowerCase();
    const rank = entry.name.startsWith(name) ? "0" : entryLower.startsWith(lower) ? "1" : entryLower.includes(lower) ? "2" : undefined;
    return rank === undefined ? [] : [{ name: entry.name, key: rank + entry.sortText, index }];
  });
  ranked.sort((a, b) => a.key.localeCompare(b.key) || a.index - b.index);
  return { start: id.getStart(file) - PREFIX.length, end: id.end - PREFIX.length, candidates: ranked.map((e) => e.name), original: info };
}
