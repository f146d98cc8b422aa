/**
 * The heartbeat's process (see heartbeat.ts): echo every message to its sender until the kernel's IPC
 * channel closes (the kernel stopped it, exited or was killed).
 */
import * as zmq from "zeromq";

async function echo(endpoint: string): Promise<void> {
  const socket = new zmq.Router({ linger: 0 });
  process.on("disconnect", () => {
    socket.close();
    process.exit(0);
  });
  // SIGINT is for the kernel (interrupts); the heartbeat ignores it even when it reaches the process group
  process.on("SIGINT", () => undefined);
  try {
    await socket.bind(endpoint);
  } catch (error) {
    tell({ error: (error as Error).message });
    process.exit(1);
  }
  tell({ bound: true });
  try {
    for await (const frames of socket) await socket.send(frames);
  } catch {
    // the socket was closed: stopping
  }
}

/** Report to the kernel, which may have given up already (it failed to bind its own sockets): then no one listens. */
function tell(message: { bound?: true; error?: string }): void {
  if (process.connected) process.send?.(message, undefined, {}, () => undefined);
}

void echo(process.argv[2]);
