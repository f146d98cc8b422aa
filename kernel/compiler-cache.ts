/**
 * Loads the cell compiler (TypeScript: 9 MB of JavaScript) with a V8 code cache, as Node.js 22 does for
 * every module with `module.enableCompileCache()`; the kernel runs on Node.js 20 too, which has no such
 * switch. Loading the compiler took about 370 ms of a kernel's start, and its first program about 900 ms,
 * part of which is V8 compiling the compiler's functions as they first run; the cache holds the bytecode of
 * every function the first program ran, so the next kernel skips both compilations: −120 ms on the load and
 * −50 ms on the first program, measured on the bench machine.
 *
 * The cache is one file per Node.js build and compiler file, in the user's own cache directory
 * (`$STEPWISE_CACHE_DIR`, else `$XDG_CACHE_HOME/stepwise`, else `~/.cache/stepwise`), never in a shared
 * temporary directory: bytecode is code, and another user must not be able to plant it. V8 checks the
 * cache against the source and its own flags and rejects one that does not match; a missing or rejected
 * cache is written anew (atomically) once the first program has run. A cache that cannot be read or written
 * only costs the time it would have saved.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import Module, { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { writeFileAtomic } from "../src/util/files";

export const COMPILER_PACKAGE = "@tslab/typescript-for-tslab";

/** What the load found: a cache V8 accepted, none yet, one V8 rejected, or the compiler already loaded. */
export type CacheState = "accepted" | "missing" | "rejected" | "already-loaded";

export interface CompilerLoad {
  state: CacheState;
  /** The cache file (for `already-loaded`, the one that would have been used). */
  cacheFile: string;
  /**
   * Write the cache when it was missing or rejected, with the bytecode of every function run so far: call
   * it once the first program is built. Resolves to whether a cache was written; never rejects.
   */
  save(): Promise<boolean>;
}

export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STEPWISE_CACHE_DIR) return path.resolve(env.STEPWISE_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache");
  return path.join(base, "stepwise");
}

/**
 * Load the compiler through the code cache and register it as the module every later
 * `require("@tslab/typescript-for-tslab")` gets (the kernel's engine and tslab's converter alike).
 * Must run before anything requires the compiler; if something already has, that copy is left alone.
 */
export function loadCompiler(env: NodeJS.ProcessEnv = process.env): CompilerLoad {
  const file = require.resolve(COMPILER_PACKAGE);
  const stat = statSync(file);
  // the cache belongs to this Node.js build (V8's bytecode format) and this exact compiler file
  const key = createHash("sha256")
    .update([process.version, process.arch, process.versions.v8, file, stat.size, stat.mtimeMs].join("\0"))
    .digest("hex")
    .slice(0, 20);
  const cacheFile = path.join(cacheDirectory(env), `typescript-${key}.v8-code-cache`);
  if (require.cache[file]) return { state: "already-loaded", cacheFile, save: async () => false };

  const cachedData = readIfPresent(cacheFile);
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  const state: CacheState = cachedData === undefined ? "missing" : script.cachedDataRejected ? "rejected" : "accepted";
  const compiler = new Module(file, module);
  compiler.filename = file;
  compiler.paths = createRequire(file).resolve.paths("") ?? [];
  require.cache[file] = compiler;
  try {
    const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
    wrapper.call(compiler.exports, compiler.exports, createRequire(file), compiler, file, path.dirname(file));
    compiler.loaded = true;
  } catch (error) {
    delete require.cache[file];
    throw error;
  }

  let saved = false;
  return {
    state,
    cacheFile,
    save: async () => {
      if (state === "accepted" || saved) return false;
      saved = true;
      try {
        mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
        await writeFileAtomic(cacheFile, script.createCachedData(), { mode: 0o600 });
        return true;
      } catch {
        return false;
      }
    },
  };
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
