/**
 * The heartbeat channel: a ROUTER socket echoing every message back to its sender (as ipykernel's), run in
 * a small child process so it keeps answering while a cell blocks the main thread with synchronous work —
 * a busy kernel is not a dead one.
 *
 * Why a process and not a worker thread: zeromq.js aborts the whole process when it exits with a socket
 * open in a worker thread (zeromq/zeromq.js#411), so a cell calling `process.exit(3)` would end as SIGABRT
 * instead of exit code 3. The child exits as soon as its IPC channel to the kernel closes, so it never
 * outlives the kernel, however the kernel ends (even SIGKILL).
 */
import { ChildProcess, fork } from "node:child_process";
import * as path from "node:path";

export interface Heartbeat {
  /** Resolves once the heartbeat listens; rejects when it cannot bind. */
  readonly bound: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start the heartbeat at `endpoint` (e.g. `tcp://127.0.0.1:5555`). Returns at once: the child process starts
 * while the kernel loads, on another core where there is one.
 */
export function startHeartbeat(endpoint: string): Heartbeat {
  const child: ChildProcess = fork(path.join(__dirname, "heartbeat-worker.js"), [endpoint], {
    execArgv: [],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const bound = new Promise<void>((resolve, reject) => {
    child.once("message", (message: { bound?: boolean; error?: string }) =>
      message.bound ? resolve() : reject(new Error(`heartbeat: cannot bind ${endpoint}: ${message.error}`)),
    );
    child.once("error", reject);
    child.once("exit", (code, signal) => reject(new Error(`heartbeat: the process ended before binding (${signal ?? `code ${code}`})`)));
  });
  bound.catch(() => undefined);
  // neither the child nor its IPC channel keeps the kernel's event loop alive
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  return {
    bound,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      if (child.connected) child.disconnect();
      else child.kill();
      // a stuck process must not hold up shutdown
      const timer = setTimeout(() => child.kill("SIGKILL"), 1000);
      await exited;
      clearTimeout(timer);
    },
  };
}
