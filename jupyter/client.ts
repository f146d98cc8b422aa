/**
 * A Jupyter client over ZeroMQ: the runner's and the tests' way to talk to any conformant kernel.
 * One request at a time per caller is not required: replies and iopub messages are routed by parent msg_id.
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "./connection";
import {
  CHANNELS_OF,
  ContentOf,
  ExecuteRequest,
  InputRequest,
  KernelRequestType,
  Message,
  ReplyTypeOf,
  isMessageOf,
  parentIdOf,
  replyTypeOf,
} from "./messages";
import { SendQueue } from "./socket-queue";
import { Signer, WireError, createMessage, deserialize, serialize } from "./wire";

export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

export interface RequestOptions {
  /** Default: the request's own channel (shell, or control for interrupt_request). */
  channel?: "shell" | "control";
  /** Reject with `TimeoutError` when no reply comes within this many milliseconds. */
  timeoutMs?: number;
}

export interface ExecuteOptions extends RequestOptions {
  /** Each iopub message caused by this request, as it arrives. */
  onIopub?: (message: Message) => void;
  /** Answer `input_request`s; without it `allow_stdin` is false. */
  onInput?: (request: InputRequest) => string | Promise<string>;
  silent?: boolean;
  storeHistory?: boolean;
  stopOnError?: boolean;
}

export interface ExecuteOutcome {
  reply: Message<"execute_reply">;
  /** Iopub messages with this request as parent, up to and excluding the final `status: idle`. */
  iopub: Message[];
}

interface Pending {
  resolve: (message: Message) => void;
  reject: (error: Error) => void;
}

interface IopubWatch {
  onMessage: (message: Message) => void;
  idle: () => void;
}

export class KernelClient {
  readonly session = crypto.randomUUID();
  private readonly signer: Signer;
  // shell and stdin share one identity (the session, as jupyter_client does): a kernel sends input_request
  // on stdin to the identity the execute_request came from on shell
  private readonly shell = new zmq.Dealer({ linger: 0, routingId: this.session });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly stdin = new zmq.Dealer({ linger: 0, routingId: this.session });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly queues: Record<"shell" | "control" | "stdin", SendQueue>;
  private readonly pending = new Map<string, Pending>();
  private readonly watches = new Map<string, IopubWatch>();
  private readonly inputHandlers = new Map<string, NonNullable<ExecuteOptions["onInput"]>>();
  private readonly iopubListeners = new Set<(message: Message) => void>();
  private closed = false;
  /** Messages that failed to decode (bad signature, malformed JSON): counted, logged by the owner. */
  readonly rejected: WireError[] = [];

  private constructor(readonly info: ConnectionInfo) {
    this.signer = new Signer(info.key, info.signature_scheme);
    this.queues = { shell: new SendQueue(this.shell), control: new SendQueue(this.control), stdin: new SendQueue(this.stdin) };
  }

  /** Connect the four message channels; `waitForReady` then makes sure iopub is flowing. */
  static connect(info: ConnectionInfo): KernelClient {
    const client = new KernelClient(info);
    client.shell.connect(endpoint(info, "shell_port"));
    client.control.connect(endpoint(info, "control_port"));
    client.stdin.connect(endpoint(info, "stdin_port"));
    client.iopub.connect(endpoint(info, "iopub_port"));
    client.iopub.subscribe();
    void client.pump(client.shell, (m) => client.settle(m));
    void client.pump(client.control, (m) => client.settle(m));
    void client.pump(client.stdin, (m) => void client.answerInput(m));
    void client.pump(client.iopub, (m) => client.dispatchIopub(m));
    return client;
  }

  /** Listen to every iopub message (status, streams, comms…), whichever request caused it. */
  onIopub(listener: (message: Message) => void): () => void {
    this.iopubListeners.add(listener);
    return () => this.iopubListeners.delete(listener);
  }

  /**
   * Send a request and resolve with its reply. The ZeroMQ subscription joins asynchronously, so
   * callers that need the iopub side use `execute` or `waitForReady` first.
   */
  async request<T extends KernelRequestType>(
    type: T,
    content: ContentOf<T>,
    options: RequestOptions = {},
  ): Promise<Message<ReplyTypeOf<T>>> {
    return this.roundTrip(createMessage(type, content, { session: this.session }), options);
  }

  /**
   * Execute code; resolves once the kernel has replied and published `status: idle` for the request,
   * so every output of the cell has been seen (the ordering nbclient relies on).
   */
  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteOutcome> {
    const content: ExecuteRequest = {
      code,
      silent: options.silent ?? false,
      store_history: options.storeHistory ?? !(options.silent ?? false),
      user_expressions: {},
      allow_stdin: options.onInput !== undefined,
      stop_on_error: options.stopOnError ?? true,
    };
    const message = createMessage("execute_request", content, { session: this.session });
    const id = message.header.msg_id;
    const iopub: Message[] = [];
    let markIdle!: () => void;
    const idle = new Promise<void>((resolve) => (markIdle = resolve));
    this.watches.set(id, {
      onMessage: (m) => {
        iopub.push(m);
        options.onIopub?.(m);
      },
      idle: () => markIdle(),
    });
    if (options.onInput) this.inputHandlers.set(id, options.onInput);
    try {
      const answered = await this.roundTrip(message, options);
      await withTimeout(idle, options.timeoutMs, "status: idle after execute_reply");
      return { reply: answered, iopub };
    } finally {
      this.watches.delete(id);
      this.inputHandlers.delete(id);
    }
  }

  /**
   * Wait until the kernel answers kernel_info on shell and iopub delivers messages to us
   * (retrying, as jupyter_client's wait_for_ready does, because of ZeroMQ's slow-joiner subscription).
   */
  async waitForReady(timeoutMs: number): Promise<Message<"kernel_info_reply">> {
    const deadline = Date.now() + timeoutMs;
    let sawIopub = false;
    const stop = this.onIopub(() => (sawIopub = true));
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new TimeoutError(`kernel not ready within ${timeoutMs} ms`);
        try {
          const reply = await this.request("kernel_info_request", {}, { timeoutMs: Math.min(left, 1000) });
          // the busy/idle status of this very request proves the subscription is live
          await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
          if (sawIopub) return reply;
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
        }
      }
    } finally {
      stop();
    }
  }

  /** True when the heartbeat channel echoes within `timeoutMs`. */
  async heartbeat(timeoutMs = 1000): Promise<boolean> {
    const socket = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
    try {
      socket.connect(endpoint(this.info, "hb_port"));
      const ping = Buffer.from(crypto.randomUUID());
      await socket.send(ping);
      const [pong] = await socket.receive();
      return pong.equals(ping);
    } catch {
      return false;
    } finally {
      socket.close();
    }
  }

  /** Fail every outstanding request (the kernel died) and close the sockets. */
  close(reason = "client closed"): void {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.pending.values()) pending.reject(new Error(reason));
    this.pending.clear();
    for (const watch of this.watches.values()) watch.idle();
    for (const socket of [this.shell, this.control, this.stdin, this.iopub]) socket.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send `request` on its channel and resolve with its reply, checked to be of the reply type. */
  private async roundTrip<T extends KernelRequestType>(request: Message<T>, options: RequestOptions): Promise<Message<ReplyTypeOf<T>>> {
    const type = request.header.msg_type;
    const reply = this.awaitReply(request.header.msg_id, options.timeoutMs, type);
    await this.queues[options.channel ?? CHANNELS_OF[type][0]].send(serialize(request, this.signer));
    const answered = await reply;
    const expected = replyTypeOf(type);
    if (!isMessageOf(answered, expected)) throw new Error(`expected ${expected} to ${type}, got ${answered.header.msg_type}`);
    return answered;
  }

  private awaitReply(msgId: string, timeoutMs: number | undefined, what: string): Promise<Message> {
    if (this.closed) return Promise.reject(new Error("client closed"));
    const reply = new Promise<Message>((resolve, reject) => this.pending.set(msgId, { resolve, reject }));
    return withTimeout(reply, timeoutMs, `reply to ${what}`).finally(() => this.pending.delete(msgId));
  }

  private settle(message: Message): void {
    const parent = parentIdOf(message);
    if (parent) this.pending.get(parent)?.resolve(message);
  }

  private dispatchIopub(message: Message): void {
    for (const listener of this.iopubListeners) listener(message);
    const parent = parentIdOf(message);
    const watch = parent ? this.watches.get(parent) : undefined;
    if (!watch) return;
    if (isMessageOf(message, "status") && message.content.execution_state === "idle") watch.idle();
    else watch.onMessage(message);
  }

  private async answerInput(message: Message): Promise<void> {
    if (!isMessageOf(message, "input_request")) return;
    const parent = parentIdOf(message);
    const handler = parent ? this.inputHandlers.get(parent) : undefined;
    const value = handler ? await handler(message.content) : "";
    const reply = createMessage("input_reply", { value }, { session: this.session, parent: message.header });
    await this.queues.stdin.send(serialize(reply, this.signer));
  }

  private async pump(socket: zmq.Dealer | zmq.Subscriber, handle: (message: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        let message: Message;
        try {
          message = deserialize(frames, this.signer);
        } catch (error) {
          if (error instanceof WireError) {
            this.rejected.push(error);
            continue;
          }
          throw error;
        }
        handle(message);
      }
    } catch (error) {
      // a socket failing outside close(): no further replies can arrive, so fail what waits
      if (!this.closed) this.close(`socket failed: ${(error as Error).message}`);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined, what: string): Promise<T> {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
