/**
 * The files the cell compiler sees, as a TypeScript compiler host: in-memory files (the cell, the
 * declarations of the cells before it, named modules) over the disk as `ts.sys` shows it — with the kernel's
 * installation overlaid (kernel/resolution.ts) and `<cwd>/node_modules/tslab` forwarded to tslab's own copy,
 * as tslab's converter does.
 *
 * Parsed files are cached, so a new program per cell parses only what changed (a program holding tfjs has
 * hundreds of declaration files). Installed files (under node_modules, TypeScript's lib) are taken as
 * unchanging for the session, as the module loader takes them (a changed package needs a restart either
 * way); the notebook's own files (a local `.ts` module being edited) are checked for changes before each
 * program (`refresh`). Installed declaration files are parsed without their doc comments, restored for the
 * files an inspect request shows (docs.ts).
 *
 * A kernel started from its startup snapshot (kernel/snapshot) also finds installed declaration files parsed
 * and bound before the process began — the compiler's lib, @types/node, tfjs's and stepwise's declarations
 * (`seedInstalledFiles`): a program takes each from there the first time it asks for that exact file name.
 */
import { statSync } from "node:fs";
import * as path from "node:path";
import { blankDocComments, restoreDocs } from "./docs";
import { ts } from "./typescript";

/** TypeScript's file names use forward slashes on every platform. */
export function normalizeJoin(...parts: string[]): string {
  return path.join(...parts).replace(/\\/g, "/");
}

interface CachedFile {
  file: ts.SourceFile;
  /** The notebook's own files: modification time and size when read; undefined for in-memory and installed files. */
  stamp?: string;
  /** Parsed without its doc comments, not restored yet. */
  withoutDocs?: boolean;
}

/** An installed declaration file parsed in another process (a snapshot's builder), with its size and time then. */
export interface SeededFile {
  file: ts.SourceFile;
  withoutDocs: boolean;
  stamp: string;
}

/**
 * Installed files parsed before this process started, by file name; each is taken by the first program that
 * asks for its name (a SourceFile belongs to one file name: the program renames the files it is given).
 */
const seeded = new Map<string, SeededFile>();

/** Offer these parsed installed files to every CellFiles of this process (the snapshot's, see kernel/snapshot). */
export function seedInstalledFiles(files: Iterable<SeededFile>): void {
  for (const entry of files) seeded.set(entry.file.fileName, entry);
}

/**
 * Drop the seeded files whose file changed on disk since they were parsed (a package reinstalled since the
 * snapshot was built); returns how many were dropped. Run before the first program.
 */
export function dropChangedSeeds(): number {
  let dropped = 0;
  for (const [name, entry] of seeded) {
    if (stampOf(name) !== entry.stamp) {
      seeded.delete(name);
      dropped++;
    }
  }
  return dropped;
}

/** How many seeded files no program has taken yet. */
export function seededCount(): number {
  return seeded.size;
}

export class CellFiles implements ts.CompilerHost {
  private readonly memory = new Map<string, string>();
  private readonly parsed = new Map<string, CachedFile>();
  private readonly tslabInNotebook: string;
  private readonly tslabOwn: string;
  private changedSinceProgram = true;
  /** What exists, as found while building the current program (module resolution asks again and again). */
  private readonly exists = new Map<string, boolean>();

  constructor(readonly cwd: string) {
    this.tslabInNotebook = normalizeJoin(cwd, "node_modules", "tslab");
    this.tslabOwn = normalizeJoin(path.dirname(require.resolve("tslab/package.json")));
  }

  /** Put an in-memory file (replacing its text) or remove it (`undefined`). */
  setText(file: string, text: string | undefined): void {
    if (this.memory.get(file) === text) return;
    if (text === undefined) this.memory.delete(file);
    else this.memory.set(file, text);
    this.changedSinceProgram = true;
  }

  /** Parse `file` anew next time: a file parsed again is a changed file, whose imports are resolved again. */
  forget(file: string): void {
    if (this.parsed.delete(file)) this.changedSinceProgram = true;
  }

  /** Forget the notebook's files changed on disk since they were read; true if anything changed since the last program. */
  refresh(): boolean {
    this.exists.clear();
    for (const [file, cached] of this.parsed) {
      if (cached.stamp !== undefined && stampOf(file) !== cached.stamp) {
        this.parsed.delete(file);
        this.changedSinceProgram = true;
      }
    }
    const changed = this.changedSinceProgram;
    this.changedSinceProgram = false;
    return changed;
  }

  getSourceFile(
    fileName: string,
    languageVersionOrOptions: ts.ScriptTarget | ts.CreateSourceFileOptions,
    onError?: (message: string) => void,
    shouldCreateNewSourceFile?: boolean,
  ): ts.SourceFile | undefined {
    const inMemory = this.memory.get(fileName);
    if (inMemory === undefined && !shouldCreateNewSourceFile) this.takeSeed(fileName, languageVersionOrOptions);
    const cached = this.parsed.get(fileName);
    if (cached && !shouldCreateNewSourceFile && (inMemory === undefined || cached.file.text === inMemory)) return cached.file;
    let text: string | undefined;
    try {
      text = this.readFile(fileName);
    } catch (error) {
      onError?.((error as Error).message);
    }
    if (text === undefined) {
      this.parsed.delete(fileName);
      return undefined;
    }
    const installedDeclarations = inMemory === undefined && isInstalled(fileName) && fileName.endsWith(".d.ts");
    const file = ts.createSourceFile(fileName, installedDeclarations ? blankDocComments(text) : text, languageVersionOrOptions);
    const own = inMemory === undefined && !isInstalled(fileName);
    this.parsed.set(fileName, { file, stamp: own ? stampOf(this.forward(fileName)) : undefined, withoutDocs: installedDeclarations && file.text !== text });
    return file;
  }

  /**
   * The installed declaration files parsed so far: what a snapshot carries into later processes. Only files
   * read from disk under their own name, each with its size and time now, by which a later process checks
   * that it is unchanged (dropChangedSeeds).
   */
  installedFiles(): SeededFile[] {
    const files: SeededFile[] = [];
    for (const [name, cached] of this.parsed) {
      if (!isInstalled(name) || !name.endsWith(".d.ts") || this.memory.has(name) || cached.file.fileName !== name) continue;
      // a file seen under another name (tslab forwarded, the kernel's overlay) is checked under its own only
      const stamp = this.forward(name) === name ? stampOf(name) : "missing";
      if (stamp !== "missing") files.push({ file: cached.file, withoutDocs: cached.withoutDocs === true, stamp });
    }
    return files;
  }

  /** Give `file` its doc comments back if it was parsed without them (for an inspect request). */
  restoreDocs(file: ts.SourceFile): void {
    const cached = this.parsed.get(file.fileName);
    if (!cached?.withoutDocs || cached.file !== file) return;
    cached.withoutDocs = false;
    const original = this.readFile(file.fileName);
    if (original !== undefined) restoreDocs(file, original);
  }

  fileExists(file: string): boolean {
    return this.memory.has(file) || this.probe(`f:${file}`, () => ts.sys.fileExists(this.forward(file)));
  }

  readFile(file: string): string | undefined {
    return this.memory.get(file) ?? ts.sys.readFile(this.forward(file));
  }

  directoryExists(dir: string): boolean {
    // tslab fakes `<cwd>/node_modules`, so `import "tslab"` resolves where the notebook has no node_modules
    return this.probe(`d:${dir}`, () => ts.sys.directoryExists(this.forward(dir))) || dir === normalizeJoin(this.cwd, "node_modules");
  }

  getDirectories(dir: string): string[] {
    return ts.sys.getDirectories(this.forward(dir));
  }

  realpath(file: string): string {
    return ts.sys.realpath ? ts.sys.realpath(this.forward(file)) : file;
  }

  readDirectory(dir: string, extensions: readonly string[], excludes: readonly string[] | undefined, includes: readonly string[], depth?: number): string[] {
    return ts.sys.readDirectory(this.forward(dir), extensions, excludes, includes, depth);
  }

  getDefaultLibFileName(options: ts.CompilerOptions): string {
    return ts.getDefaultLibFilePath(options);
  }

  getDefaultLibLocation(): string {
    return path.dirname(ts.getDefaultLibFilePath({})).replace(/\\/g, "/");
  }

  writeFile(): void {
    throw new Error("the cell compiler writes no files: its output is returned");
  }

  getCurrentDirectory(): string {
    return this.cwd;
  }

  getCanonicalFileName(file: string): string {
    return file;
  }

  /** tslab's choice: file names are case-sensitive on every platform. */
  useCaseSensitiveFileNames(): boolean {
    return true;
  }

  getNewLine(): string {
    return "\n";
  }

  /**
   * Whether a file or directory exists, asked once per program. `node:` modules are declared by @types/node
   * and never found on disk: Node's module resolution looks for them in every node_modules up the tree,
   * hundreds of lookups for a program with @types/node, all answered here without asking the disk.
   */
  private probe(key: string, ask: () => boolean): boolean {
    let found = this.exists.get(key);
    if (found === undefined) {
      found = !key.includes("/node_modules/node:") && ask();
      this.exists.set(key, found);
    }
    return found;
  }

  /** Move a seeded file of that name into this host's cache, if one was parsed for the same language version. */
  private takeSeed(fileName: string, languageVersionOrOptions: ts.ScriptTarget | ts.CreateSourceFileOptions): void {
    const seed = seeded.get(fileName);
    if (!seed || this.parsed.has(fileName)) return;
    seeded.delete(fileName);
    const version = typeof languageVersionOrOptions === "object" ? languageVersionOrOptions.languageVersion : languageVersionOrOptions;
    const format = typeof languageVersionOrOptions === "object" ? languageVersionOrOptions.impliedNodeFormat : undefined;
    if (seed.file.languageVersion !== version || seed.file.impliedNodeFormat !== format) return;
    this.parsed.set(fileName, { file: seed.file, withoutDocs: seed.withoutDocs });
  }

  /** `<cwd>/node_modules/tslab/…` is tslab's own copy, the one the kernel's display hook is set on. */
  private forward(file: string): string {
    if (!file.startsWith(this.tslabInNotebook)) return file;
    const rel = path.relative(this.tslabInNotebook, file);
    return rel.startsWith("..") || path.isAbsolute(rel) ? file : normalizeJoin(this.tslabOwn, rel);
  }
}

/** Installed files: packages and TypeScript's own lib, which do not change during a session. */
export function isInstalled(file: string): boolean {
  return /\/node_modules\//.test(file) || file.includes("/typescript-for-tslab/lib/");
}

function stampOf(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return "missing";
  }
}
