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
 *
 * Each Node.js or compiler upgrade starts a new file. A start that finds its cache refreshes the file's time
 * at most once a day, and caches no kernel has used for UNUSED_DAYS are removed when a cache is written or
 * refreshed, so the directory holds the caches in use, not one per Node.js ever run.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import * as fs from "node:fs/promises";
import Module, { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { writeFileAtomic } from "../src/util/files";

export const COMPILER_PACKAGE = "@tslab/typescript-for-tslab";

/** A cache file no kernel has used for this many days (an old Node.js's or compiler's) is removed. */
export const UNUSED_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;
const CACHE_NAME = /^typescript-[0-9a-f]{20}\.v8-code-cache$/;
/** writeFileAtomic's temporary file of a cache, left behind by a kernel killed while writing it. */
const TEMPORARY_NAME = /^\.typescript-[0-9a-f]{20}\.v8-code-cache\.[0-9a-f]+\.tmp$/;

/** What the load found: a cache V8 accepted, none yet, one V8 rejected, or the compiler already loaded. */
export type CacheState = "accepted" | "missing" | "rejected" | "already-loaded";

export interface CompilerLoad {
  state: CacheState;
  /** The cache file (for `already-loaded`, the one that would have been used). */
  cacheFile: string;
  /**
   * Write the cache when it was missing or rejected, with the bytecode of every function run so far: call
   * it once the first program is built. A cache that was accepted is marked as used instead (once a day).
   * After a write or a mark, caches unused for UNUSED_DAYS are removed. Resolves to whether a cache was
   * written; never rejects.
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
      if (saved) return false;
      saved = true;
      if (state === "accepted") {
        if (await markUsed(cacheFile)) await removeUnused(path.dirname(cacheFile), cacheFile);
        return false;
      }
      try {
        mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
        await writeFileAtomic(cacheFile, script.createCachedData(), { mode: 0o600 });
      } catch {
        return false;
      }
      await removeUnused(path.dirname(cacheFile), cacheFile);
      return true;
    },
  };
}

/** Set the file's modification time to now if it is a day old or more; whether it did. */
export async function markUsed(file: string): Promise<boolean> {
  try {
    const { mtimeMs } = await fs.stat(file);
    const now = Date.now();
    if (now - mtimeMs < DAY_MS) return false;
    await fs.utimes(file, now / 1000, now / 1000);
    return true;
  } catch {
    return false;
  }
}

/** Remove the caches in `directory`, other than `current`, unused for UNUSED_DAYS, and temporary files a day old. */
async function removeUnused(directory: string, current: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const file = path.join(directory, name);
    const maxAge = CACHE_NAME.test(name) ? UNUSED_DAYS * DAY_MS : TEMPORARY_NAME.test(name) ? DAY_MS : undefined;
    if (maxAge === undefined || file === current) continue;
    try {
      if (now - (await fs.stat(file)).mtimeMs >= maxAge) await fs.rm(file, { force: true });
    } catch {
      // another kernel removed it, or it cannot be removed: it costs only disk space
    }
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
