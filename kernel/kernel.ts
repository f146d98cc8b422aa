/**
 * The kernel's protocol layer (Jupyter messaging 5.3) over ZeroMQ.
 *
 * - shell (ROUTER): requests are queued as they arrive and handled strictly one after another, each
 *   bracketed by `status: busy` / `status: idle` on iopub with the request as parent;
 * - control (ROUTER): handled at once, even while a cell runs (interrupt, shutdown, kernel_info);
 * - stdin (ROUTER): input_request / input_reply for `await input()`;
 * - iopub (PUB): outputs, in order (iopub.ts); heartbeat: a child process (heartbeat.ts).
 * The sockets are bound before this module loads (channels.ts, main.ts).
 * Frames with a bad signature or malformed JSON, messages of unknown type (wire.ts) and messages the
 * protocol table does not route to the kernel on that channel (dispatch) are logged and dropped.
 *
 * After a failed execute_request with `stop_on_error`, the execute_requests already queued at that moment
 * are answered `status: abort` without running (ipykernel's semantics); later ones run normally.
 */
import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { ConnectionInfo } from "../jupyter/connection";
import { Installation, currentInstallation } from "../jupyter/installation";
import {
  CommType,
  ContentOf,
  ExecuteReply,
  Header,
  JsonObject,
  KernelRequestType,
  Message,
  MessageType,
  ReplyError,
  ReplyTypeOf,
  StatusContent,
  isHandledBy,
  isMessageOf,
  replyTypeOf,
  travelsOn,
} from "../jupyter/messages";
import { SendQueue } from "../jupyter/socket-queue";
import { Signer, WireError, createMessage, deserialize, serialize } from "../jupyter/wire";
import { setDisplaySink } from "../src/host";
import { guardTimers } from "./cell-run";
import { Channels } from "./channels";
import { CommManager } from "./comms";
import { createDisplayApi, createDisplaySink, DisplayHost, isDisplayHandle } from "./display";
import { errorContent } from "./errors";
import { Executor } from "./executor";
import { installGlobals } from "./globals";
import { History } from "./history";
import { kernelInfo } from "./info";
import { Iopub } from "./iopub";
import { Rendered, renderValue } from "./rich";
import { Stdin } from "./stdin";
import { CapturedStreams, captureStreams } from "./streams";
import { connectTslabDisplay } from "./tslab";

export interface KernelOptions {
  /** The notebook's directory; default: the process's working directory. */
  cwd?: string;
  installation?: Installation;
  /** Called once the kernel has shut down (the process entry point exits there). */
  onShutdown?: (restart: boolean) => void;
}

interface QueuedRequest {
  message: Message;
  /** Set when a failed execute asked to stop on error while this request was waiting. */
  abort: boolean;
}

type RouterChannel = "shell" | "control" | "stdin";

/** How the kernel answers each request of the protocol table: the compiler asks for one per request. */
type RequestHandlers = { [T in KernelRequestType]: (request: Message<T>) => Promise<ContentOf<ReplyTypeOf<T>>> };
/** What the kernel does with each comm message a front end sends. */
type CommHandlers = { [T in CommType]: (message: Message<T>) => Promise<void> };

export class Kernel {
  readonly session = randomUUID();
  private readonly signer: Signer;
  private readonly queues: Record<RouterChannel, SendQueue>;
  private readonly iopub: Iopub;
  private readonly stdin: Stdin;
  private readonly executor: Executor;
  private readonly history = new History();
  private readonly comms: CommManager;
  private readonly shellQueue: QueuedRequest[] = [];
  private wakeShell: (() => void) | undefined;
  private streams: CapturedStreams | undefined;
  private restoreTimers: (() => void) | undefined;
  private disconnectTslab: (() => void) | undefined;
  private executionCount = 0;
  /** The shell request being handled now, and the execute_request running now. */
  private handling: Message | undefined;
  private executing: Message<"execute_request"> | undefined;
  /** Output with no request to belong to (a timer firing between cells) goes to the last cell. */
  private lastExecute: Message<"execute_request"> | undefined;
  private closed = false;
  private readonly installation: Installation;

  private readonly requestHandlers: RequestHandlers = {
    execute_request: (request) => this.execute(request),
    kernel_info_request: async () => kernelInfo(this.installation),
    complete_request: async (request) => okOrError(() => this.complete(request)),
    inspect_request: async (request) => okOrError(() => this.inspect(request)),
    is_complete_request: async (request) => this.isComplete(request),
    history_request: async (request) => okOrError(() => ({ status: "ok", history: this.history.query(request.content) })),
    comm_info_request: async (request) => {
      const target = request.content.target_name;
      return { status: "ok", comms: this.comms.info(typeof target === "string" ? target : undefined) };
    },
    // the kernel closes once this reply is sent (answer)
    shutdown_request: async (request) => {
      this.interrupt("shutdown");
      return { status: "ok", restart: request.content.restart === true };
    },
    interrupt_request: async () => {
      this.interrupt("interrupt_request");
      return { status: "ok" };
    },
  };

  private readonly commHandlers: CommHandlers = {
    comm_open: (message) => this.comms.handleOpen(message),
    comm_msg: (message) => this.comms.handleMsg(message),
    comm_close: (message) => this.comms.handleClose(message),
  };

  private constructor(
    readonly connection: ConnectionInfo,
    private readonly sockets: Channels,
    private readonly options: KernelOptions,
  ) {
    this.installation = options.installation ?? currentInstallation();
    this.signer = new Signer(connection.key, connection.signature_scheme);
    this.queues = {
      shell: new SendQueue(this.sockets.shell),
      control: new SendQueue(this.sockets.control),
      stdin: new SendQueue(this.sockets.stdin),
    };
    // the Iopub queue sends one message at a time itself; PUB sockets never block
    this.iopub = new Iopub((m) => this.sockets.iopub.send(serialize(m, this.signer)), this.session, (t) => this.log(t));
    this.stdin = new Stdin((m) => this.queues.stdin.send(serialize(m, this.signer)), this.session);
    this.executor = new Executor(options.cwd ?? process.cwd(), this.installation);
    this.comms = new CommManager(
      { publish: (type, content, metadata, buffers) => void this.iopub.publish(type, content, this.outputParent(), { metadata, buffers }) },
      (text) => this.log(text),
    );
  }

  /** Install the cell environment and start serving on the bound `channels` of `connection`. */
  static start(connection: ConnectionInfo, channels: Channels, options: KernelOptions = {}): Kernel {
    const kernel = new Kernel(connection, channels, options);
    kernel.installEnvironment();
    void kernel.iopub.publish("status", { execution_state: "starting" }, undefined);
    kernel.serve();
    return kernel;
  }

  /** Compile the TypeScript engine ahead of the first cell (it takes about a second). */
  warm(): void {
    this.executor.warm();
  }

  /** Interrupt the running cell (interrupt_request or SIGINT); nothing happens when none runs. */
  interrupt(how: string): void {
    if (this.executor.interrupt(how)) this.stdin.cancel(new Error(`input cancelled: the cell was interrupted (${how})`));
  }

  /** Stop serving, release the sockets and the heartbeat; the process entry point exits afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeShell?.();
    await this.iopub.drain().catch(() => undefined);
    // replies already handed to ZeroMQ still need a moment to leave (ipykernel waits 100 ms as well)
    await sleep(100);
    await this.sockets.heartbeat.stop();
    for (const socket of [this.sockets.shell, this.sockets.control, this.sockets.stdin, this.sockets.iopub]) socket.close();
    this.executor.close();
    this.streams?.restore();
    this.restoreTimers?.();
    setDisplaySink(undefined);
    this.disconnectTslab?.();
  }

  private installEnvironment(): void {
    this.streams = captureStreams((name, text) => {
      const parent = this.outputParent();
      if (!parent || this.closed) return false;
      this.iopub.stream(name, text, parent);
      return true;
    });
    this.restoreTimers = guardTimers();
    const host: DisplayHost = {
      publishDisplay: (rendered, displayId, update) => {
        const content = (r: Rendered) => ({ data: r.data, metadata: r.metadata, transient: { display_id: displayId } });
        const type = update ? "update_display_data" : "display_data";
        const parent = this.outputParent();
        return isPromise(rendered) ? this.iopub.publishLater(type, async () => content(await rendered), parent) : this.iopub.publish(type, content(rendered), parent);
      },
      clearOutput: (wait) => void this.iopub.publish("clear_output", { wait }, this.outputParent()),
    };
    setDisplaySink(createDisplaySink(host));
    this.disconnectTslab = connectTslabDisplay(host);
    installGlobals({
      display: createDisplayApi(host),
      input: (prompt = "", options = {}) => {
        if (!this.executing) return Promise.reject(new Error("input: no cell is running; call it from a cell (await input(\"…\"))"));
        return this.stdin.request(prompt, Boolean(options.password), this.executing);
      },
      comms: this.comms,
    });
    // a rejected promise or a throw in a timer after its cell ended must not take the kernel down
    process.on("unhandledRejection", (reason) => this.reportBackgroundError("unhandled promise rejection", reason));
    process.on("uncaughtException", (error) => this.reportBackgroundError("uncaught exception", error));
    // process.exit() in a cell: what the cell printed last still reaches the client
    process.on("exit", () => this.iopub.flushSync());
  }

  private serve(): void {
    void this.receive("shell", (message) => {
      this.shellQueue.push({ message, abort: false });
      this.wakeShell?.();
    });
    void this.receive("control", (message) => void this.handleControl(message));
    void this.receive("stdin", (message) => this.stdin.receive(message));
    void this.welcomeSubscribers();
    void this.serveShell();
  }

  /**
   * JEP 65: answer each iopub subscription (a frame of byte 1 and the topic, from the XPUB socket) with an
   * iopub_welcome carrying the topic, so a client that subscribed after the kernel answered its first
   * kernel_info knows its subscription is live without asking again. Unsubscriptions and topics that are not
   * UTF-8 are ignored, as the JEP says.
   */
  private async welcomeSubscribers(): Promise<void> {
    const utf8 = new TextDecoder("utf-8", { fatal: true });
    try {
      for await (const [event] of this.sockets.iopub) {
        if (this.closed) return;
        if (event.length === 0 || event[0] !== 1) continue;
        let topic: string;
        try {
          topic = utf8.decode(event.subarray(1));
        } catch {
          continue;
        }
        void this.iopub.publish("iopub_welcome", { subscription: topic }, undefined, { identities: topic ? [Buffer.from(topic)] : [] });
      }
    } catch (error) {
      if (!this.closed) this.log(`iopub: subscriptions no longer read: ${(error as Error).message}`);
    }
  }

  /** Decode every message arriving on a channel; undecodable ones are logged and dropped. */
  private async receive(channel: RouterChannel, handle: (message: Message) => void): Promise<void> {
    try {
      for await (const frames of this.sockets[channel]) {
        let message: Message;
        try {
          message = deserialize(frames, this.signer);
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          this.log(`${channel}: dropped a message: ${error.message}`);
          continue;
        }
        message.channel = channel;
        handle(message);
      }
    } catch (error) {
      if (!this.closed) this.log(`${channel}: receiving failed: ${(error as Error).message}`);
    }
  }

  private async serveShell(): Promise<void> {
    while (!this.closed) {
      const next = this.shellQueue.shift();
      if (!next) {
        await new Promise<void>((resolve) => (this.wakeShell = resolve));
        this.wakeShell = undefined;
        continue;
      }
      await this.handleShell(next);
    }
  }

  private async handleShell({ message, abort }: QueuedRequest): Promise<void> {
    this.handling = message;
    void this.status("busy", message);
    try {
      if (abort) await this.reply(message, "execute_reply", { status: "abort" });
      else await this.dispatch(message, "shell");
    } catch (error) {
      // a comm handler's exception, or a failure in the kernel itself: show it where the request's output goes
      const { ename, evalue, traceback } = errorContent(error);
      this.log(`shell: handling ${message.header.msg_type} failed: ${ename}: ${evalue}`);
      this.iopub.stream("stderr", `${traceback.join("\n")}\n`, message.header);
    } finally {
      await this.iopub.drain();
      this.handling = undefined;
      await this.status("idle", message);
    }
  }

  private async handleControl(message: Message): Promise<void> {
    void this.status("busy", message);
    try {
      await this.dispatch(message, "control");
    } finally {
      await this.status("idle", message);
    }
  }

  /** Route a message by the protocol table: a request is answered, a comm message goes to the comms. */
  private async dispatch(message: Message, channel: "shell" | "control"): Promise<void> {
    const type = message.header.msg_type;
    if (travelsOn(type, channel) && isHandledBy(this.requestHandlers, message)) await this.answer(message);
    else if (travelsOn(type, channel) && isHandledBy(this.commHandlers, message)) await this.receiveComm(message);
    else this.log(`${channel}: dropped a message of type ${JSON.stringify(type)}: the kernel takes no ${type} on ${channel}`);
  }

  private async answer<T extends KernelRequestType>(request: Message<T>): Promise<void> {
    const type = request.header.msg_type;
    const content = await this.requestHandlers[type](request);
    await this.reply(request, replyTypeOf(type), content);
    if (isMessageOf(request, "shutdown_request")) await this.shutDown(request.content.restart === true);
  }

  private async receiveComm<T extends CommType>(message: Message<T>): Promise<void> {
    await this.commHandlers[message.header.msg_type](message);
  }

  private async execute(request: Message<"execute_request">): Promise<ExecuteReply> {
    const content = request.content;
    const code = typeof content.code === "string" ? content.code : "";
    const silent = content.silent === true;
    if (!silent) this.executionCount += 1;
    const count = this.executionCount;
    this.executing = request;
    this.lastExecute = request;
    let reply: ExecuteReply;
    try {
      if (!silent) void this.iopub.publish("execute_input", { code, execution_count: count }, request.header);
      if (!silent && content.store_history !== false) this.history.add(count, code);
      // busy and execute_input reach the client before the cell can block the event loop (a synchronous loop)
      await this.iopub.drain();
      const outcome = await this.executor.execute(code, `cell ${count}`);
      let failure: unknown = outcome.status === "error" ? outcome.error : undefined;
      if (outcome.status === "ok" && outcome.value !== undefined && !isDisplayHandle(outcome.value) && !silent) {
        try {
          const rendered = await renderValue(outcome.value);
          void this.iopub.publish("execute_result", { execution_count: count, data: rendered.data, metadata: rendered.metadata }, request.header);
          const plain = rendered.data["text/plain"];
          if (typeof plain === "string") this.history.setOutput(count, plain);
        } catch (error) {
          failure = error; // the value's own display method failed
        }
      }
      if (failure === undefined) {
        reply = { status: "ok", execution_count: count, payload: [], user_expressions: await this.userExpressions(content.user_expressions) };
      } else {
        const error = errorContent(failure);
        void this.iopub.publish("error", error, request.header);
        reply = { status: "error", execution_count: count, ...error };
        if (content.stop_on_error !== false) await this.abortQueuedExecutes();
      }
    } finally {
      this.executing = undefined;
    }
    await this.iopub.drain();
    return reply;
  }

  /** Evaluate `user_expressions` after a successful cell (each to a bundle, or its error). */
  private async userExpressions(expressions: JsonObject | undefined): Promise<JsonObject> {
    const results: JsonObject = {};
    for (const [name, expression] of Object.entries(expressions ?? {})) {
      if (typeof expression !== "string") continue;
      const outcome = await this.executor.evaluate(expression);
      try {
        if (outcome.status === "error") throw outcome.error;
        const rendered = await renderValue(outcome.value);
        results[name] = { status: "ok", data: rendered.data, metadata: rendered.metadata };
      } catch (error) {
        results[name] = { status: "error", ...errorContent(error) };
      }
    }
    return results;
  }

  /**
   * Mark the execute_requests waiting now for `abort`. Messages ZeroMQ has already received are pulled into
   * the queue first (ipykernel flushes its shell stream the same way), so "queued" means "sent before".
   */
  private async abortQueuedExecutes(): Promise<void> {
    for (let turns = 0; turns < 100 && this.sockets.shell.readable; turns++) await nextTurn();
    await nextTurn();
    for (const item of this.shellQueue) if (item.message.header.msg_type === "execute_request") item.abort = true;
  }

  private complete(request: Message<"complete_request">): ContentOf<"complete_reply"> {
    const { code, cursor_pos: cursor } = request.content;
    const completion = this.executor.complete(code, cursor ?? code.length);
    return {
      status: "ok",
      matches: completion.matches,
      cursor_start: completion.cursorStart,
      cursor_end: completion.cursorEnd,
      metadata: {
        _jupyter_types_experimental: completion.matches.map((text, i) => ({
          start: completion.cursorStart,
          end: completion.cursorEnd,
          text,
          type: completion.kinds[i],
        })),
      },
    };
  }

  private inspect(request: Message<"inspect_request">): ContentOf<"inspect_reply"> {
    const { code, cursor_pos: cursor } = request.content;
    const text = this.executor.inspect(code, cursor ?? code.length);
    if (text === undefined) return { status: "ok", found: false, data: {}, metadata: {} };
    return { status: "ok", found: true, data: { "text/plain": text }, metadata: {} };
  }

  private isComplete(request: Message<"is_complete_request">): ContentOf<"is_complete_reply"> {
    const code = request.content.code;
    if (typeof code !== "string") return { status: "unknown" };
    const result = this.executor.isComplete(code);
    return result.complete ? { status: "complete" } : { status: "incomplete", indent: result.indent };
  }

  /** After the shutdown_reply has been sent. */
  private async shutDown(restart: boolean): Promise<void> {
    await this.close();
    this.options.onShutdown?.(restart);
  }

  private async reply<T extends MessageType>(request: Message, type: T, content: ContentOf<T>): Promise<void> {
    const channel = request.channel === "control" ? "control" : "shell";
    const message = createMessage(type, content, { session: this.session, parent: request.header, identities: request.identities });
    try {
      await this.queues[channel].send(serialize(message, this.signer));
    } catch (error) {
      this.log(`${channel}: cannot send ${type}: ${(error as Error).message}`);
    }
  }

  private status(state: StatusContent["execution_state"], parent: Message): Promise<void> {
    return this.iopub.publish("status", { execution_state: state }, parent.header);
  }

  /** The request output belongs to now: the one being handled, else the last cell. */
  private outputParent(): Header | undefined {
    return this.executing?.header ?? this.handling?.header ?? this.lastExecute?.header;
  }

  private reportBackgroundError(what: string, error: unknown): void {
    const { traceback } = errorContent(error);
    const text = `${what}: ${traceback.join("\n")}\n`;
    const parent = this.outputParent();
    if (parent && !this.closed) this.iopub.stream("stderr", text, parent);
    else this.log(text);
  }

  private log(text: string): void {
    const line = `[stepwise kernel] ${text}`;
    if (this.streams) this.streams.log(line);
    else process.stderr.write(`${line}\n`);
  }
}

/** What `build` returns, or an error reply when it throws. */
function okOrError<C>(build: () => C): C | ReplyError {
  try {
    return build();
  } catch (error) {
    return { status: "error", ...errorContent(error) };
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T>)?.then === "function";
}
