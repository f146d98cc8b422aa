#!/usr/bin/env node
/**
 * The kernel process, as a kernelspec starts it: `node dist/kernel/main.js -f <connection_file>`.
 * SIGINT interrupts the running cell (interrupt_mode "signal"); shutdown_request ends the process, and so
 * does the death of the client that started it (JPY_PARENT_PID, see parent-watch.ts).
 *
 * Where the user's cache holds a startup snapshot for this Node.js (kernel/snapshot), this process runs the
 * kernel from it as a child and passes signals on (snapshot/launch.ts); otherwise it runs the kernel itself
 * and, once the kernel serves, has a snapshot built in the background for the next start.
 */
import { markUsed } from "./compiler-cache";
import { markRefused, snapshotsEnabled, usableSnapshot } from "./snapshot/blob";
import type { SnapshotStart } from "./snapshot/plan";

export function connectionFileArgument(argv: readonly string[]): string {
  const at = argv.findIndex((arg) => arg === "-f" || arg === "--connection-file");
  const inline = argv.find((arg) => arg.startsWith("--connection-file="));
  const file = inline ? inline.slice("--connection-file=".length) : at >= 0 ? argv[at + 1] : undefined;
  if (!file) throw new Error("usage: node dist/kernel/main.js -f <connection_file>");
  return file;
}

export interface StartOptions {
  /** Set when the process was restored from a startup snapshot (snapshot/entry.ts). */
  snapshot?: SnapshotStart;
  /** Build a snapshot in the background once the kernel serves (a start without a fitting one). */
  buildSnapshot?: boolean;
}

/** The snapshot this kernel started from, if any (tests read it from a cell through `require`). */
export let kernelStart: SnapshotStart | undefined;

/** Run the kernel in this process with the command-line arguments `args` (`-f <connection_file>`). */
export async function startKernel(args: readonly string[], options: StartOptions = {}): Promise<void> {
  kernelStart = options.snapshot;
  // loaded here rather than at the top: a launcher (main() with a snapshot) needs none of them
  const { readConnectionFile }: typeof import("../jupyter/connection") = require("../jupyter/connection");
  const { bindChannels }: typeof import("./channels") = require("./channels");
  const { loadCompiler }: typeof import("./compiler-cache") = require("./compiler-cache");
  const { watchParent }: typeof import("./parent-watch") = require("./parent-watch");
  const connection = await readConnectionFile(connectionFileArgument(args));
  const channels = await bindChannels(connection);
  channels.heartbeat.bound.catch(reportFatal);
  // the rest of the kernel, the compiler most of all, loads once clients can connect (channels.ts); the
  // compiler first, through its code cache (a snapshot's process has it loaded already)
  const compiler = loadCompiler();
  const { Kernel }: typeof import("./kernel") = require("./kernel");
  const kernel = Kernel.start(connection, channels, { onShutdown: () => process.exit(0) });
  process.on("SIGINT", () => kernel.interrupt("SIGINT"));
  watchParent(process.env, () => {
    process.stderr.write("stepwise kernel: the client that started this kernel is gone; exiting\n");
    process.exit(0);
  });
  // build the compiler's first program now rather than in the first cell: requests already queued (a client's
  // kernel_info) are answered first, in this turn; those arriving meanwhile wait in ZeroMQ
  setImmediate(() => {
    kernel.warm();
    // once per Node.js build and compiler, when the cache was missing or rejected: about 50 ms
    void compiler.save();
    if (options.snapshot) void markUsed(options.snapshot.file);
    // a snapshot whose parsed files went stale (a package reinstalled) is built again, as a missing one is
    if (options.buildSnapshot || (options.snapshot && options.snapshot.stale > 0)) {
      const { buildSnapshotInBackground }: typeof import("./snapshot/build") = require("./snapshot/build");
      buildSnapshotInBackground(process.cwd());
    }
  });
}

export function reportFatal(error: unknown): void {
  process.stderr.write(`stepwise kernel: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

/** The kernelspec's entry: from the snapshot when one fits, else in this process. */
async function main(args: readonly string[]): Promise<void> {
  const snapshot = usableSnapshot();
  if (snapshot) {
    const { launchFromSnapshot }: typeof import("./snapshot/launch") = require("./snapshot/launch");
    // resolves only when the snapshot could not be restored: start without it; one V8 refused was removed, and
    // is never built again (the same Node.js and code would be refused again)
    const failed = await launchFromSnapshot(snapshot, args);
    if (failed.refused) markRefused(snapshot);
    process.stderr.write(
      `stepwise kernel: the start-up snapshot ${snapshot} ${failed.refused ? "was refused" : "did not start"} (${failed.signal ?? `code ${failed.code}`}); starting without it\n` +
        (failed.stderr ? `${failed.stderr.trim()}\n` : ""),
    );
  }
  await startKernel(args, { buildSnapshot: snapshotsEnabled() });
}

if (require.main === module) {
  main(process.argv.slice(2)).catch(reportFatal);
}
