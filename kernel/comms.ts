/**
 * Comms: paired objects on the kernel and the front end exchanging messages (what widgets are built on).
 * Front-end `comm_open`s are routed to the handler registered for their target name; an open for an unknown
 * target is answered with `comm_close`, as ipykernel does. Kernel code opens comms with `open()`.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html#custom-messages
 */
import { randomUUID } from "node:crypto";
import { CommType, ContentOf, JsonObject, Message } from "../jupyter/messages";
import { toJson } from "./rich";

export interface CommMessage {
  data: JsonObject;
  metadata: JsonObject;
  buffers: Buffer[];
}

export type CommMessageHandler = (data: JsonObject, message: CommMessage) => void | Promise<void>;
export type CommTargetHandler = (comm: Comm, data: JsonObject, message: CommMessage) => void | Promise<void>;

/** How comms reach the front end: iopub messages under the current request. */
export interface CommTransport {
  publish<T extends CommType>(type: T, content: ContentOf<T>, metadata: JsonObject, buffers: Buffer[]): void;
}

export class Comm {
  private readonly messageHandlers: CommMessageHandler[] = [];
  private readonly closeHandlers: CommMessageHandler[] = [];
  private isClosed = false;

  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly transport: CommTransport,
    private readonly forget: (comm: Comm) => void,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** Send `data` (JSON) to the front-end side of this comm. */
  send(data: object = {}, metadata: object = {}, buffers: Uint8Array[] = []): void {
    if (this.isClosed) throw new Error(`comm ${this.commId} (${this.targetName}) is closed`);
    this.transport.publish("comm_msg", { comm_id: this.commId, data: jsonObject(data, "comm.send: data") }, jsonObject(metadata, "comm.send: metadata"), buffers.map(toBuffer));
  }

  /** Close this comm on both sides. */
  close(data: object = {}): void {
    if (this.isClosed) return;
    this.transport.publish("comm_close", { comm_id: this.commId, data: jsonObject(data, "comm.close: data") }, {}, []);
    this.isClosed = true;
    this.forget(this);
  }

  onMsg(handler: CommMessageHandler): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: CommMessageHandler): void {
    this.closeHandlers.push(handler);
  }

  /** @internal a comm_msg from the front end */
  async receive(message: CommMessage): Promise<void> {
    for (const handler of this.messageHandlers) await handler(message.data, message);
  }

  /** @internal a comm_close from the front end */
  async closedRemotely(message: CommMessage): Promise<void> {
    this.isClosed = true;
    this.forget(this);
    for (const handler of this.closeHandlers) await handler(message.data, message);
  }
}

export class CommManager {
  private readonly comms = new Map<string, Comm>();
  private readonly targets = new Map<string, CommTargetHandler>();

  constructor(
    private readonly transport: CommTransport,
    private readonly warn: (text: string) => void,
  ) {}

  /** Handle front-end `comm_open`s for `targetName`. */
  registerTarget(targetName: string, handler: CommTargetHandler): void {
    if (typeof targetName !== "string" || !targetName) throw new TypeError("comms.registerTarget: targetName must be a non-empty string");
    if (typeof handler !== "function") throw new TypeError("comms.registerTarget: handler must be a function (comm, data, message) => void");
    this.targets.set(targetName, handler);
  }

  unregisterTarget(targetName: string): void {
    this.targets.delete(targetName);
  }

  /** Open a comm from the kernel; the front end routes it to its handler for `targetName`. */
  open(targetName: string, data: object = {}, metadata: object = {}, buffers: Uint8Array[] = []): Comm {
    if (typeof targetName !== "string" || !targetName) throw new TypeError("comms.open: targetName must be a non-empty string");
    const comm = this.add(randomUUID(), targetName);
    this.transport.publish("comm_open", { comm_id: comm.commId, target_name: targetName, data: jsonObject(data, "comms.open: data") }, jsonObject(metadata, "comms.open: metadata"), buffers.map(toBuffer));
    return comm;
  }

  /** The open comms, optionally only those of one target (comm_info_reply). */
  info(targetName?: string): { [commId: string]: { target_name: string } } {
    const comms: { [commId: string]: { target_name: string } } = {};
    for (const comm of this.comms.values()) {
      if (targetName === undefined || comm.targetName === targetName) comms[comm.commId] = { target_name: comm.targetName };
    }
    return comms;
  }

  async handleOpen(message: Message<"comm_open">): Promise<void> {
    const { comm_id: commId, target_name: targetName, data } = message.content;
    const handler = this.targets.get(targetName);
    if (!handler) {
      this.warn(`comm_open for target "${targetName}", which nothing registered: closing comm ${commId}`);
      this.transport.publish("comm_close", { comm_id: commId, data: {} }, {}, []);
      return;
    }
    const comm = this.add(commId, targetName);
    await handler(comm, data ?? {}, commMessage(message));
  }

  async handleMsg(message: Message<"comm_msg">): Promise<void> {
    const comm = this.comms.get(message.content.comm_id);
    if (!comm) return this.warn(`comm_msg for unknown comm ${message.content.comm_id}: dropped`);
    await comm.receive(commMessage(message));
  }

  async handleClose(message: Message<"comm_close">): Promise<void> {
    const comm = this.comms.get(message.content.comm_id);
    if (!comm) return this.warn(`comm_close for unknown comm ${message.content.comm_id}: dropped`);
    await comm.closedRemotely(commMessage(message));
  }

  private add(commId: string, targetName: string): Comm {
    const comm = new Comm(commId, targetName, this.transport, (c) => this.comms.delete(c.commId));
    this.comms.set(commId, comm);
    return comm;
  }
}

function commMessage(message: Message<CommType>): CommMessage {
  // a front end may leave `data` out
  return { data: message.content.data ?? {}, metadata: message.metadata, buffers: message.buffers };
}

function jsonObject(value: object, what: string): JsonObject {
  const json = toJson(value, what);
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new TypeError(`${what} must be a JSON object`);
  return json;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
