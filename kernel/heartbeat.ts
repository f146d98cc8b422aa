/**
 * The heartbeat channel: a ROUTER socket echoing every message back to its sender (as ipykernel's), run in
 * a worker thread so it keeps answering while a cell blocks the main thread with synchronous work —
 * a busy kernel is not a dead one.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";

export interface Heartbeat {
  stop(): Promise<void>;
}

/** Bind the heartbeat at `endpoint` (e.g. `tcp://127.0.0.1:5555`); resolves once it is listening. */
export async function startHeartbeat(endpoint: string): Promise<Heartbeat> {
  const worker = new Worker(path.join(__dirname, "heartbeat-worker.js"), { workerData: { endpoint } });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", (message: { bound?: boolean; error?: string }) =>
      message.bound ? resolve() : reject(new Error(`heartbeat: cannot bind ${endpoint}: ${message.error}`)),
    );
    worker.once("error", reject);
  });
  worker.unref();
  return {
    stop: async () => {
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage({ stop: true });
      // a stuck thread must not hold up shutdown
      const timer = setTimeout(() => void worker.terminate(), 1000);
      await exited;
      clearTimeout(timer);
    },
  };
}
