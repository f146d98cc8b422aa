/**
 * The iopub side of the kernel: every publication goes through one ordered queue, so outputs arrive in the
 * order the cell produced them even when a display's bundle is computed asynchronously. Stream text is
 * coalesced (one `stream` message per burst rather than per write) and always flushed before anything else
 * is published, in particular before results, errors and `status: idle`.
 *
 * When the process exits in the middle of a cell (`process.exit()`), `flushSync` hands what is still queued
 * to ZeroMQ synchronously, so the cell's last output is not lost with it.
 */
import { clearTimeout as clearTimer, setTimeout as timer } from "node:timers";
import { ContentOf, Header, JsonObject, Message, MessageType, StreamContent } from "../jupyter/messages";
import { createMessage } from "../jupyter/wire";

/** How long stream text may wait to be coalesced with more. */
const STREAM_FLUSH_MS = 50;
/** Past this much buffered text, publish at once. */
const STREAM_MAX_CHARS = 64 * 1024;

type Extra = { metadata?: JsonObject; buffers?: Buffer[]; identities?: Buffer[] };

interface Queued {
  /** The message, or how to build it later (an asynchronous display bundle). */
  message: Message | (() => Promise<Message | undefined>);
  /** Handed to the socket already. */
  sent: boolean;
  done: () => void;
}

/** Hands a message to the PUB socket; for PUB the hand-over itself is synchronous. */
export type IopubSend = (message: Message) => Promise<void>;

export class Iopub {
  private readonly queue: Queued[] = [];
  private pumping = false;
  private pending: { name: StreamContent["name"]; parent: Header | undefined; text: string } | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: IopubSend,
    private readonly session: string,
    private readonly log: (text: string) => void,
  ) {}

  /** Publish after everything published before; resolves once handed to the socket. */
  publish<T extends MessageType>(type: T, content: ContentOf<T>, parent: Header | undefined, extra: Extra = {}): Promise<void> {
    this.flushStreams();
    return this.enqueue(this.build(type, content, parent, extra));
  }

  /**
   * Publish the content `compute` resolves to (an async display bundle) after everything published before;
   * later publications wait for it. Undefined publishes nothing.
   */
  publishLater<T extends MessageType>(type: T, compute: () => Promise<ContentOf<T> | undefined>, parent: Header | undefined): Promise<void> {
    this.flushStreams();
    return this.enqueue(async () => {
      try {
        const content = await compute();
        return content === undefined ? undefined : this.build(type, content, parent);
      } catch (error) {
        // an asynchronous display failed after the cell moved on: say so where its output would have been
        const text = `${type} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`;
        return this.build("stream", { name: "stderr", text }, parent);
      }
    });
  }

  /** Buffer stream text for the request `parent`. */
  stream(name: StreamContent["name"], text: string, parent: Header | undefined): void {
    if (!text) return;
    if (this.pending && (this.pending.name !== name || this.pending.parent !== parent)) this.flushStreams();
    if (this.pending) this.pending.text += text;
    else this.pending = { name, parent, text };
    if (this.pending.text.length >= STREAM_MAX_CHARS) this.flushStreams();
    else if (!this.flushTimer) this.flushTimer = timer(() => this.flushStreams(), STREAM_FLUSH_MS);
  }

  /** Queue the buffered stream text now. */
  flushStreams(): void {
    if (this.flushTimer) {
      clearTimer(this.flushTimer);
      this.flushTimer = undefined;
    }
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    void this.enqueue(this.build("stream", { name: pending.name, text: pending.text }, pending.parent));
  }

  /** Flush streams and wait until everything queued so far has been handed to the socket. */
  async drain(): Promise<void> {
    this.flushStreams();
    const last = this.queue[this.queue.length - 1];
    if (last) await new Promise<void>((resolve) => (last.done = chain(last.done, resolve)));
  }

  /**
   * For the process's `exit` event: hand every message still queued to the socket now, skipping those whose
   * content is still being computed. Nothing asynchronous can run any more at that point.
   */
  flushSync(): void {
    this.flushStreams();
    for (const item of this.queue) {
      if (item.sent || typeof item.message === "function") continue;
      item.sent = true;
      this.send(item.message).catch(() => undefined);
    }
  }

  private build<T extends MessageType>(type: T, content: ContentOf<T>, parent: Header | undefined, extra: Extra = {}): Message<T> {
    return createMessage(type, content, { session: this.session, parent, metadata: extra.metadata, buffers: extra.buffers, identities: extra.identities });
  }

  private enqueue(message: Queued["message"]): Promise<void> {
    const published = new Promise<void>((resolve) => this.queue.push({ message, sent: false, done: resolve }));
    void this.pump();
    return published;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const item = this.queue[0];
        const message = typeof item.message === "function" ? await item.message() : item.message;
        if (message && !item.sent) {
          item.sent = true;
          try {
            await this.send(message);
          } catch (error) {
            this.log(`iopub: cannot publish ${message.header.msg_type}: ${(error as Error).message}`);
          }
        }
        this.queue.shift();
        item.done();
      }
    } finally {
      this.pumping = false;
    }
  }
}

function chain(first: () => void, second: () => void): () => void {
  return () => {
    first();
    second();
  };
}
