/**
 * The kernel's sockets. They are bound first thing at start-up, before the rest of the kernel and its
 * compiler load: a client that connects meanwhile (ZeroMQ retries every 100 ms) finds them, and its first
 * request, kernel_info, waits in ZeroMQ's queue to be answered as soon as the kernel serves — before the
 * compiler builds its first program, which blocks the kernel for about a second.
 */
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "../jupyter/connection";
import { Heartbeat, startHeartbeat } from "./heartbeat";

export interface Channels {
  shell: zmq.Router;
  control: zmq.Router;
  stdin: zmq.Router;
  /** XPUB: it also receives the clients' subscriptions, each answered with an iopub_welcome (kernel.ts). */
  iopub: zmq.XPublisher;
  heartbeat: Heartbeat;
}

/** Bind every channel of `connection`; the heartbeat's process is still starting when this resolves. */
export async function bindChannels(connection: ConnectionInfo): Promise<Channels> {
  const heartbeat = startHeartbeat(endpoint(connection, "hb_port"));
  const sockets = {
    shell: new zmq.Router({ linger: 1000 }),
    control: new zmq.Router({ linger: 1000 }),
    // mandatory: an input_request that cannot be routed to the asking client fails instead of vanishing
    stdin: new zmq.Router({ linger: 1000, mandatory: true }),
    // every subscription reaches the kernel, not only the first of each topic: each client gets its welcome
    iopub: new zmq.XPublisher({ linger: 1000, verbosity: "allSubs" }),
  };
  try {
    await Promise.all([
      sockets.shell.bind(endpoint(connection, "shell_port")),
      sockets.control.bind(endpoint(connection, "control_port")),
      sockets.stdin.bind(endpoint(connection, "stdin_port")),
      sockets.iopub.bind(endpoint(connection, "iopub_port")),
    ]);
  } catch (error) {
    for (const socket of Object.values(sockets)) socket.close();
    await heartbeat.stop();
    throw new Error(`cannot bind the channels of the connection (${connection.transport}://${connection.ip}): ${(error as Error).message}`);
  }
  return { ...sockets, heartbeat };
}
