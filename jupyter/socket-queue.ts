import type { Writable } from "zeromq";

/**
 * zeromq.js allows only one pending `send` per socket; concurrent senders (replies, iopub
 * publications, heartbeats) go through this queue so none is rejected with EBUSY.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly socket: Writable<Buffer[]>) {}

  send(frames: Buffer[]): Promise<void> {
    const sent = this.tail.then(() => this.socket.send(frames));
    this.tail = sent.catch(() => undefined);
    return sent;
  }
}
