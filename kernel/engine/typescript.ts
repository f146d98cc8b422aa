/**
 * The TypeScript the cell compiler runs on: tslab's fork of the compiler (`@tslab/typescript-for-tslab` 5.0,
 * pinned by tslab), the options cells compile with, and the few compiler internals the engine uses, typed in
 * this one place. The internals exist in the compiler's bundle but not in its declarations; tslab's own
 * converter relies on the same ones (a file's `locals`, its resolved modules).
 */
import * as ts from "@tslab/typescript-for-tslab";

export { ts };

/** Fields and functions of the compiler that its public declarations leave out. */
interface CompilerInternals {
  /** Binds a file's declarations (fills `locals`), as the checker does before checking it. */
  bindSourceFile(file: ts.SourceFile, options: ts.CompilerOptions): void;
  /**
   * The CommonJS module transformer (AMD/UMD only when `module` asks for them). Run after the ES module
   * emit, it turns a cell's imports and exports into `require` and `exports.x`, as `module: CommonJS` would.
   */
  transformModule: ts.TransformerFactory<ts.SourceFile>;
  /** The module an import of `file` resolved to in the program that holds `file`. */
  getResolvedModule(file: ts.SourceFile, moduleName: string, mode: ts.ResolutionMode): ts.ResolvedModuleFull | undefined;
}

interface FileInternals {
  /** The names declared at the file's top level; set once the file is bound. */
  locals?: ReadonlyMap<ts.__String, ts.Symbol>;
  /** Every module specifier of the file (imports, exports, `import()`, `require()` in JavaScript). */
  imports?: readonly ts.StringLiteralLike[];
}

const internals = ts as unknown as CompilerInternals;

export const bindSourceFile = internals.bindSourceFile;
export const transformModule = internals.transformModule;
export const getResolvedModule = internals.getResolvedModule;

/** The binder's top-level names of a bound file (empty before binding). */
export function localsOf(file: ts.SourceFile): ReadonlyMap<ts.__String, ts.Symbol> {
  return (file as ts.SourceFile & FileInternals).locals ?? new Map();
}

export function importsOf(file: ts.SourceFile): readonly ts.StringLiteralLike[] {
  return (file as ts.SourceFile & FileInternals).imports ?? [];
}

/**
 * Name resolution in a cell continues into the declarations of the cells before it: the checker walks a
 * node's parents to find a name, and tslab links the cell's file under the declarations file (tslab's trick,
 * kept as is). Set before the cell is checked.
 */
export function linkUnder(file: ts.SourceFile, declarations: ts.SourceFile): void {
  (file as { parent: ts.Node }).parent = declarations;
}

/**
 * Target and lib for the running Node.js (tslab's table; every supported Node.js is 18 or later, ES2022).
 */
export const TRANSPILE_TARGET = ts.ScriptTarget.ES2022;

/** The options cells compile with: tslab's, so cells type-check and run as they do under tslab. */
export function compilerOptions(cwd: string, typeRoots: string[]): ts.CompilerOptions {
  return {
    // ESNext rather than ES2015 for dynamic import; the emit turns modules into CommonJS (transformModule)
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: TRANSPILE_TARGET,
    lib: ["lib.es2022.d.ts"],
    declaration: true,
    newLine: ts.NewLineKind.LineFeed,
    // no "use strict" in the output
    noImplicitUseStrict: true,
    experimentalDecorators: true,
    resolveJsonModule: true,
    jsx: ts.JsxEmit.React,
    typeRoots,
    // local .js files are transpiled too
    allowJs: true,
    checkJs: true,
    // tslab's fork: a top-level await is reported (1308) and the cell then runs as an async function
    disableTopLevelAwait: true,
    skipLibCheck: true,
    // stable paths of the emitted files
    rootDir: cwd,
    outDir: "outDir",
  };
}
