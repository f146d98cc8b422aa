/** The heartbeat's worker thread (see heartbeat.ts): echo every message to its sender until told to stop. */
import { parentPort, workerData } from "node:worker_threads";
import * as zmq from "zeromq";

async function echo(endpoint: string): Promise<void> {
  const socket = new zmq.Router({ linger: 0 });
  parentPort?.on("message", (message: { stop?: boolean }) => {
    // closing the socket ends the loop below; the thread then exits on its own
    if (message.stop) socket.close();
  });
  try {
    await socket.bind(endpoint);
  } catch (error) {
    parentPort?.postMessage({ error: (error as Error).message });
    return;
  }
  parentPort?.postMessage({ bound: true });
  try {
    for await (const frames of socket) await socket.send(frames);
  } catch {
    // the socket was closed while sending: stopping
  }
  parentPort?.close();
}

void echo((workerData as { endpoint: string }).endpoint);
