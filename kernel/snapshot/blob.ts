/**
 * Where a kernel's startup snapshot lives and which one fits this process.
 *
 * A snapshot (Node.js's `--build-snapshot`, see entry.ts) holds the cell compiler loaded and the declaration
 * files a lesson's first cells need parsed and bound, so a kernel started from it skips ~0.7 s of compiler work
 * for ~0.25 s of restoring the snapshot (2-core bench machine). V8 refuses a snapshot made by another Node.js build or with other V8 flags (the process
 * exits with code 14), and the snapshot holds the compiler's and the engine's code as they were, so each
 * combination of these gets its own file, named by a hash of them:
 * - the Node.js build (version, V8, architecture) and the flags the kernel runs with (`process.execArgv`,
 *   NODE_OPTIONS);
 * - the code the snapshot holds: the engine (dist/kernel/engine), the overlay (dist/kernel/resolution.js)
 *   and the snapshot's entry by their contents (a build rewrites them, mostly unchanged), the compiler (9 MB,
 *   installed) by its size and time.
 * The declaration files it holds parsed are checked one by one when a kernel starts (engine/files.ts), so a
 * reinstalled package costs only its own parse.
 *
 * Snapshots sit beside the compiler's code cache, in the user's own cache directory (they hold code), and one
 * no kernel has used for UNUSED_DAYS is removed when another is written (build.ts). A snapshot V8 refused
 * leaves a `.refused` mark so that it is not built again. `STEPWISE_KERNEL_SNAPSHOT=0` turns
 * them off: kernels start without one and build none.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { COMPILER_PACKAGE, cacheDirectory } from "../compiler-cache";

export const SNAPSHOT_NAME = /^kernel-[0-9a-f]{20}\.snapshot(\.refused)?$/;
/** The files the snapshot's builder leaves while it works (renamed into place when done). */
export const SNAPSHOT_TEMPORARY = /^\.kernel-[0-9a-f]{20}\.snapshot\.[0-9a-f]+\.tmp$/;

/** dist/kernel, the folder this module was built into the parent of. */
export const KERNEL_DIST = path.resolve(__dirname, "..");
export const ENTRY_SCRIPT = path.join(__dirname, "entry.js");

/** Node.js options that name what to run rather than how: never passed on, and not part of a snapshot's name. */
const WHAT_TO_RUN = new Set(["-e", "--eval", "-p", "--print", "--snapshot-blob", "--build-snapshot", "-i", "--interactive", "-c", "--check"]);
const WITH_VALUE = new Set(["-e", "--eval", "-p", "--print", "--snapshot-blob"]);

/**
 * The Node.js flags this process runs with that a kernel started from a snapshot (or its builder) runs with
 * too: `process.execArgv` less the code of `-e`/`-p`, snapshot options and other modes of running.
 */
export function nodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const [name] = execArgv[i].split("=", 1);
    // the test runner's and watch mode's own options (--test-reporter, --watch-path…) go with them
    if (!WHAT_TO_RUN.has(name) && !/^--(experimental-)?(test|watch)/.test(name)) flags.push(execArgv[i]);
    else if (WITH_VALUE.has(execArgv[i])) i++;
  }
  return flags;
}

export function snapshotsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.STEPWISE_KERNEL_SNAPSHOT !== "0";
}

/** The kernel's own files whose code the snapshot holds (the compiler aside): a change to any calls for a new one. */
export function snapshotCodeFiles(): string[] {
  const engine = path.join(KERNEL_DIST, "engine");
  const engineFiles = readdirSync(engine)
    .filter((name) => name.endsWith(".js"))
    .sort()
    .map((name) => path.join(engine, name));
  return [...engineFiles, path.join(KERNEL_DIST, "resolution.js"), ENTRY_SCRIPT];
}

/** The snapshot file that fits this Node.js, these flags and this code. */
export function snapshotFile(env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256").update([process.version, process.versions.v8, process.arch, process.execPath, nodeFlags().join(" "), env.NODE_OPTIONS ?? ""].join("\0"));
  const compiler = require.resolve(COMPILER_PACKAGE);
  const stat = statSync(compiler);
  hash.update(`\0${compiler}\0${stat.size}\0${stat.mtimeMs}`);
  // about 70 kB in all: hashed in well under a millisecond
  for (const file of snapshotCodeFiles()) hash.update(`\0${file}\0`).update(readFileSync(file));
  return path.join(cacheDirectory(env), `kernel-${hash.digest("hex").slice(0, 20)}.snapshot`);
}

/** The snapshot to start from, if snapshots are on and one fitting this process exists. */
export function usableSnapshot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!snapshotsEnabled(env)) return undefined;
  try {
    const file = snapshotFile(env);
    return statSync(file).size > 0 ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Remember that V8 refused this snapshot file, so that it is not built again. */
export function markRefused(file: string): void {
  try {
    writeFileSync(`${file}.refused`, "");
  } catch {
    // then it may be built and refused again: each costs a start a fraction of a second
  }
}

export function wasRefused(file: string): boolean {
  try {
    statSync(`${file}.refused`);
    return true;
  } catch {
    return false;
  }
}
