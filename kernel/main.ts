#!/usr/bin/env node
/**
 * The kernel process, as a kernelspec starts it: `node dist/kernel/main.js -f <connection_file>`.
 * SIGINT interrupts the running cell (interrupt_mode "signal"); shutdown_request ends the process.
 */
import { readConnectionFile } from "../jupyter/connection";
import { Kernel } from "./kernel";

export function connectionFileArgument(argv: readonly string[]): string {
  const at = argv.findIndex((arg) => arg === "-f" || arg === "--connection-file");
  const inline = argv.find((arg) => arg.startsWith("--connection-file="));
  const file = inline ? inline.slice("--connection-file=".length) : at >= 0 ? argv[at + 1] : undefined;
  if (!file) throw new Error("usage: node dist/kernel/main.js -f <connection_file>");
  return file;
}

async function main(): Promise<void> {
  const connection = await readConnectionFile(connectionFileArgument(process.argv.slice(2)));
  const kernel = await Kernel.start(connection, { onShutdown: () => process.exit(0) });
  process.on("SIGINT", () => kernel.interrupt("SIGINT"));
  // compile the engine now rather than in the first cell; requests arriving meanwhile wait in ZeroMQ
  setImmediate(() => kernel.warm());
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`stepwise kernel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
