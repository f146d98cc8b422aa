/**
 * Starting the kernel from its startup snapshot. A snapshot can only be given to Node.js on its command line
 * (`--snapshot-blob`), and the kernelspec's command must work whatever the cache holds, so main.js, as the
 * kernelspec starts it, runs the kernel as a child from the snapshot when one fits (blob.ts) and stays as
 * its launcher:
 * - the child shares its standard streams; signals sent to the launcher (SIGINT interrupts a cell, SIGTERM
 *   and SIGHUP end the kernel) are passed on; the child runs in its own process group, so a signal sent to
 *   the launcher's group reaches it once, through the launcher;
 * - the launcher exits as the child did (its code, or the same signal); the child exits when the launcher
 *   is gone (its IPC channel closes), so killing the launcher kills the kernel;
 * - the launcher watches the client that started it (JPY_PARENT_PID, parent-watch.ts) for the kernel, whose
 *   parent it is: when the client dies, the launcher exits and the kernel with it;
 * - a child that ends before its snapshot is restored makes the launcher start the kernel itself, as
 *   without a snapshot; the file is removed when V8 refused it (code 14) or it crashed Node.js (a damaged
 *   file). A child ended by a signal the launcher passed on (the client stopping the kernel) ends it too.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { watchParent } from "../parent-watch";
import { nodeFlags } from "./blob";
import { withHugePageMalloc } from "./huge-pages";

/** The signals a launcher passes on to its kernel. */
const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
/** V8 refuses a snapshot of another Node.js build or other V8 flags with this exit code. */
const SNAPSHOT_REFUSED_CODE = 14;
/** How a damaged snapshot file ends the process that reads it. */
const CRASH_SIGNALS = new Set<NodeJS.Signals>(["SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT", "SIGTRAP", "SIGFPE"]);

export interface SnapshotFailure {
  /** V8 refused the file or it crashed Node.js: it was removed, and the caller should not build it again. */
  refused: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the child wrote to stderr before it ended. */
  stderr: string;
}

/**
 * Run the kernel from `snapshotFile` with `args` as a child. Once the snapshot is restored this never resolves:
 * the process exits as the kernel does; it also exits as the child did when a signal passed on ended it
 * first. Resolves only when the snapshot could not be restored (removing a file V8 refused); the caller then
 * starts the kernel itself.
 */
export function launchFromSnapshot(snapshotFile: string, args: readonly string[]): Promise<SnapshotFailure> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeFlags(), "--snapshot-blob", snapshotFile, "--", ...args], {
      stdio: ["inherit", "inherit", "pipe", "ipc"],
      detached: process.platform !== "win32",
      env: withHugePageMalloc(process.env),
    });
    let restored = false;
    let signalled = false;
    // until the snapshot is restored the child's errors are the snapshot's, kept to explain a fallback
    let early = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      if (restored) process.stderr.write(chunk);
      else early += chunk.toString("utf8");
    });
    const handlers = FORWARDED.map((signal) => {
      const handler = () => {
        signalled = true;
        child.kill(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    const stopForwarding = () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    };
    child.on("message", (message: unknown) => {
      if (restored || (message as { snapshot?: string } | null)?.snapshot !== "restored") return;
      restored = true;
      if (early) process.stderr.write(early);
      watchParent(process.env, () => {
        process.stderr.write("stepwise kernel: the client that started this kernel is gone; exiting\n");
        // the kernel exits as its IPC channel closes
        process.exit(0);
      });
    });
    // "close" rather than "exit": the child's last words on stderr are passed on first
    child.on("close", (code, signal) => {
      stopForwarding();
      if (restored || signalled) {
        if (!restored && early) process.stderr.write(early);
        // end the way the kernel ended, so the client sees the same death
        if (signal) process.kill(process.pid, signal);
        else process.exit(code ?? 1);
        return;
      }
      const refused = code === SNAPSHOT_REFUSED_CODE || (signal !== null && CRASH_SIGNALS.has(signal));
      if (refused) rmSync(snapshotFile, { force: true });
      resolve({ refused, code, signal, stderr: early });
    });
    child.on("error", () => {
      // spawn failed (no such Node.js binary any more): nothing ran, the caller starts the kernel itself
      stopForwarding();
      resolve({ refused: false, code: null, signal: null, stderr: "" });
    });
  });
}
