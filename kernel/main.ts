#!/usr/bin/env node
/**
 * The kernel process, as a kernelspec starts it: `node dist/kernel/main.js -f <connection_file>`.
 * SIGINT interrupts the running cell (interrupt_mode "signal"); shutdown_request ends the process, and so
 * does the death of the client that started it (JPY_PARENT_PID, see parent-watch.ts).
 */
import { readConnectionFile } from "../jupyter/connection";
import { bindChannels } from "./channels";
import { loadCompiler } from "./compiler-cache";
import { watchParent } from "./parent-watch";

export function connectionFileArgument(argv: readonly string[]): string {
  const at = argv.findIndex((arg) => arg === "-f" || arg === "--connection-file");
  const inline = argv.find((arg) => arg.startsWith("--connection-file="));
  const file = inline ? inline.slice("--connection-file=".length) : at >= 0 ? argv[at + 1] : undefined;
  if (!file) throw new Error("usage: node dist/kernel/main.js -f <connection_file>");
  return file;
}

async function main(): Promise<void> {
  const connection = await readConnectionFile(connectionFileArgument(process.argv.slice(2)));
  const channels = await bindChannels(connection);
  channels.heartbeat.bound.catch((error: unknown) => {
    process.stderr.write(`stepwise kernel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
  // the rest of the kernel, the compiler most of all, loads once clients can connect (channels.ts); the
  // compiler first, through its code cache
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
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`stepwise kernel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
