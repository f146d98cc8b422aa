/**
 * The iopub side of the kernel: every publication goes through one ordered queue, so outputs arrive in the
 * order the cell produced them even when a display's bundle is computed asynchronously. Stream text is
 * coalesced (one `stream` message per burst rather than per write) and always flushed before anything else
 * is published, in particular before results, errors and `status: idle`.
 */
import { setTimeout as timer, clearTimeout as clearTimer } from "node:timers";
import { ContentOf, Header, JsonObject, Message, MessageType, StreamContent } from "../jupyter/messages";
import { createMessage } from "../jupyter/wire";

/** How long stream text may wait to be coalesced with more. */
const STREAM_FLUSH_MS = 50;
/** Past this much buffered text, publish at once. */
const STREAM_MAX_CHARS = 64 * 1024;

type Content<T extends MessageType> = ContentOf<T> | (() => Promise<ContentOf<T> | undefined>);
type Extra = { metadata?: JsonObject; buffers?: Buffer[] };

export class Iopub {
  private tail: Promise<void> = Promise.resolve();
  private pending: { name: StreamContent["name"]; parent: Header | undefined; text: string } | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (message: Message) => Promise<void>,
    private readonly session: string,
    private readonly log: (text: string) => void,
  ) {}

  /**
   * Publish after everything published before. `content` may be a function computing it later (an async
   * display bundle): later publications wait for it. A function returning undefined publishes nothing.
   */
  publish<T extends MessageType>(type: T, content: Content<T>, parent: Header | undefined, extra: Extra = {}): Promise<void> {
    this.flushStreams();
    return this.enqueue(type, content, parent, extra);
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
    void this.enqueue("stream", { name: pending.name, text: pending.text }, pending.parent);
  }

  /** Flush streams and wait until everything queued so far has been handed to the socket. */
  async drain(): Promise<void> {
    this.flushStreams();
    await this.tail;
  }

  private enqueue<T extends MessageType>(type: T, content: Content<T>, parent: Header | undefined, extra: Extra = {}): Promise<void> {
    const sent = this.tail.then(async () => {
      let resolved: ContentOf<T> | undefined;
      try {
        resolved = typeof content === "function" ? await (content as () => Promise<ContentOf<T> | undefined>)() : content;
      } catch (error) {
        // an asynchronous display failed after the cell moved on: tell the user where the output would have been
        resolved = undefined;
        const text = `${type} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`;
        await this.send(createMessage("stream", { name: "stderr", text }, { session: this.session, parent }));
      }
      if (resolved === undefined) return;
      await this.send(createMessage(type, resolved, { session: this.session, parent, metadata: extra.metadata, buffers: extra.buffers }));
    });
    this.tail = sent.catch((error: unknown) => this.log(`iopub: cannot publish ${type}: ${(error as Error).message}`));
    return this.tail;
  }
}
