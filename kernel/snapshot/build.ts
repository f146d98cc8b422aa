/**
 * Building the kernel's startup snapshot (entry.ts) into the user's cache (blob.ts):
 * - in the foreground, by `stepwise kernel install` and `stepwise kernel snapshot`: a few seconds;
 * - in the background, by a kernel that started without one (none yet, a new Node.js, a changed package):
 *   `node dist/kernel/snapshot/build.js <cwd>`, detached and at the lowest CPU priority, so that the next
 *   kernel starts from it.
 *
 * Node.js writes the snapshot as the builder exits; it writes it to a temporary name here and the file is
 * renamed into place only when the builder succeeded, so a kernel never starts from half a file. One build at
 * a time per snapshot file (a lock file beside it; a lock older than LOCK_STALE_MS is taken over: its builder
 * died).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { currentInstallation } from "../../jupyter/installation";
import { COMPILER_PACKAGE } from "../compiler-cache";
import { ENTRY_SCRIPT, KERNEL_DIST, SNAPSHOT_NAME, SNAPSHOT_TEMPORARY, nodeFlags, snapshotFile, wasRefused } from "./blob";
import type { SnapshotPlan } from "./plan";

/** A snapshot no kernel has started from for this many days (an old Node.js's, an old stepwise's) is removed. */
export const UNUSED_DAYS = 30;
/**
 * At most this many snapshots besides the one just built are kept, the most recently used: each is ~50 MB,
 * and every change to the engine's code (a rebuild of stepwise) makes a new one.
 */
export const KEEP_OTHERS = 2;
const DAY_MS = 24 * 3600 * 1000;
const LOCK_STALE_MS = 10 * 60 * 1000;
/** A builder that runs longer than this is stopped (the compiler's first programs take seconds). */
const BUILD_TIMEOUT_MS = 5 * 60 * 1000;

/** What the builder compiles after the first program: a lesson's first cell, whose imports are kept parsed. */
export const WARM_CELLS: readonly string[] = ['import * as tf from "@tensorflow/tfjs";\nimport * as sw from "stepwise";\n'];

export type BuildOutcome = { built: true; file: string; bytes: number; ms: number } | { built: false; file: string; reason: string };

/** The plan handed to the builder: this installation, built in `cwd` (where the first programs resolve from). */
export function snapshotPlan(cwd: string): SnapshotPlan {
  return {
    kernelDist: KERNEL_DIST,
    modules: { [COMPILER_PACKAGE]: require.resolve(COMPILER_PACKAGE) },
    resolved: { "tslab/package.json": require.resolve("tslab/package.json") },
    installation: currentInstallation(),
    cwd,
    cells: [...WARM_CELLS],
  };
}

/**
 * Build the snapshot for this Node.js and these flags, from `cwd`; resolves when the file is in place, or
 * with the reason it is not (another build holds the lock, the builder failed). Never rejects.
 */
export async function buildSnapshot(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<BuildOutcome> {
  const started = performance.now();
  let file: string;
  try {
    file = snapshotFile(env);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    return { built: false, file: "", reason: `no snapshot file: ${(error as Error).message}` };
  }
  if (wasRefused(file)) return { built: false, file, reason: `V8 refused this snapshot before (${file}.refused)` };
  const lock = `${file}.lock`;
  if (!takeLock(lock)) return { built: false, file, reason: `another build holds ${lock}` };
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const failure = await runBuilder(temporary, snapshotPlan(cwd), env);
    if (failure) return { built: false, file, reason: failure };
    const bytes = fs.statSync(temporary).size;
    if (bytes === 0) return { built: false, file, reason: "the builder wrote an empty snapshot" };
    fs.renameSync(temporary, file);
    removeUnused(path.dirname(file), file);
    return { built: true, file, bytes, ms: performance.now() - started };
  } catch (error) {
    return { built: false, file, reason: (error as Error).message };
  } finally {
    fs.rmSync(temporary, { force: true });
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Build the snapshot in a detached process at the lowest priority, for the kernels started after this one;
 * returns at once. Nothing is reported: a kernel without a snapshot works, only slower to start.
 */
export function buildSnapshotInBackground(cwd: string): void {
  try {
    const child = spawn(process.execPath, [...nodeFlags(), __filename, cwd], { detached: true, stdio: "ignore" });
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, os.constants.priority.PRIORITY_LOW);
      } catch {
        // not allowed here: it builds at normal priority
      }
    }
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // no process could be started: the next kernel starts without a snapshot too
  }
}

/**
 * Run Node.js's snapshot builder on entry.js; the reason it failed, or undefined. The builder gives its script
 * `require` but no `exports`, which a compiled module writes to first: it runs a copy of entry.js that
 * declares one, beside the output.
 */
async function runBuilder(output: string, plan: SnapshotPlan, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const script = `${output}.entry.js`;
  fs.writeFileSync(script, `"use strict";\nvar exports = {};\n${fs.readFileSync(ENTRY_SCRIPT, "utf8")}`, { mode: 0o600 });
  try {
    return await runNodeBuilder(output, script, plan, env);
  } finally {
    fs.rmSync(script, { force: true });
  }
}

function runNodeBuilder(output: string, script: string, plan: SnapshotPlan, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeFlags(), "--snapshot-blob", output, "--build-snapshot", script], {
      cwd: plan.cwd,
      env: { ...env, STEPWISE_SNAPSHOT_PLAN: JSON.stringify(plan) },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve(`the builder could not start: ${error.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else resolve(`the builder ${signal ? `was killed by ${signal}` : `exited with code ${code}`}: ${lastLines(stderr)}`);
    });
  });
}

/** Node.js's warnings about built-in modules in snapshots are noise; the error is at the end. */
function lastLines(text: string): string {
  const lines = text.trim().split("\n").filter((line) => !/Warning: It's not yet fully verified|may still work|To request support|--trace-warnings/.test(line));
  return lines.slice(-6).join("\n");
}

function takeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.closeSync(fs.openSync(lock, "wx", 0o600));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return false;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs < LOCK_STALE_MS) return false;
        fs.rmSync(lock, { force: true });
      } catch {
        return false;
      }
    }
  }
  return false;
}

/**
 * Remove, of the snapshots other than `current`, those no kernel used for UNUSED_DAYS and all but the
 * KEEP_OTHERS most recently used; and builders' leftovers a day old. (A kernel started from a snapshot marks
 * it used once a day; a `.refused` mark is kept as long as a snapshot would be.)
 */
export function removeUnused(directory: string, current: string): void {
  const now = Date.now();
  const snapshots: Array<{ file: string; mtimeMs: number }> = [];
  for (const name of fs.readdirSync(directory)) {
    const file = path.join(directory, name);
    if (file === current || !(SNAPSHOT_NAME.test(name) || SNAPSHOT_TEMPORARY.test(name))) continue;
    try {
      const { mtimeMs } = fs.statSync(file);
      if (now - mtimeMs >= (SNAPSHOT_TEMPORARY.test(name) ? DAY_MS : UNUSED_DAYS * DAY_MS)) fs.rmSync(file, { force: true });
      else if (name.endsWith(".snapshot")) snapshots.push({ file, mtimeMs });
    } catch {
      // removed by another process, or not removable: it costs only disk space
    }
  }
  snapshots.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { file } of snapshots.slice(KEEP_OTHERS)) fs.rmSync(file, { force: true });
}

if (require.main === module) {
  void buildSnapshot(process.argv[2] ?? process.cwd());
}
