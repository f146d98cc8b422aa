/**
 * The Jupyter messaging protocol (version 5.3), one typed definition shared by the kernel and the runner.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html
 *
 * Every message type is a `Message<T>` whose `content` is `ContentOf<T>` (`ContentMap`), the channels it
 * travels on are `CHANNELS_OF[T]`, and a request's reply type is `REPLY_OF[T]`. The kernel's dispatch and
 * the client's routing are derived from these tables, so adding a message type is one entry in each here
 * (and, for a request, its handler in the kernel, which the compiler then asks for).
 */

export const PROTOCOL_VERSION = "5.3";

/** A JSON value as it travels on the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** MIME type → data: JSON types (application/json, vnd.*+json) carry objects, the rest strings. */
export type MimeBundle = { [mime: string]: JsonValue };

export type Channel = "shell" | "control" | "iopub" | "stdin";

export interface Header<T extends MessageType = MessageType> {
  msg_id: string;
  session: string;
  username: string;
  /** ISO 8601 timestamp. */
  date: string;
  msg_type: T;
  version: string;
}

/** The header of another message, whose type may be one this protocol does not know. */
export type ParentHeader = Omit<Header, "msg_type"> & { msg_type: string };

export interface Message<T extends MessageType = MessageType> {
  header: Header<T>;
  /** The header of the request this message answers or was caused by; `{}` when there is none. */
  parent_header: ParentHeader | Record<string, never>;
  metadata: JsonObject;
  content: ContentOf<T>;
  buffers: Buffer[];
  /** ZeroMQ routing identities (shell, control and stdin); empty on iopub. */
  identities?: Buffer[];
  channel?: Channel;
}

// ---------- replies share a status ----------

export interface ReplyOk {
  status: "ok";
}
export interface ReplyError {
  status: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}
export interface ReplyAbort {
  status: "abort";
}
export type ReplyStatus = ReplyOk | ReplyError | ReplyAbort;

// ---------- shell ----------

export interface ExecuteRequest {
  code: string;
  silent: boolean;
  store_history: boolean;
  user_expressions: JsonObject;
  allow_stdin: boolean;
  stop_on_error: boolean;
}
export type ExecuteReply =
  | (ReplyOk & { execution_count: number; payload?: JsonObject[]; user_expressions?: JsonObject })
  | (ReplyError & { execution_count: number | null })
  | (ReplyAbort & { execution_count?: number | null });

export interface InspectRequest {
  code: string;
  cursor_pos: number;
  detail_level: 0 | 1;
}
export type InspectReply = (ReplyOk & { found: boolean; data: MimeBundle; metadata: JsonObject }) | ReplyError;

export interface CompleteRequest {
  code: string;
  cursor_pos: number;
}
export type CompleteReply =
  | (ReplyOk & { matches: string[]; cursor_start: number; cursor_end: number; metadata: JsonObject })
  | ReplyError;

export type HistoryRequest =
  | { output: boolean; raw: boolean; hist_access_type: "tail"; n: number }
  | { output: boolean; raw: boolean; hist_access_type: "range"; session: number; start: number; stop: number }
  | { output: boolean; raw: boolean; hist_access_type: "search"; pattern: string; unique?: boolean; n?: number };
/** Entries are (session, line, input) or (session, line, [input, output]) when output was asked for. */
export type HistoryEntry = [number, number, string] | [number, number, [string, string | null]];
export type HistoryReply = (ReplyOk & { history: HistoryEntry[] }) | ReplyError;

export interface IsCompleteRequest {
  code: string;
}
export type IsCompleteReply =
  | { status: "complete" }
  | { status: "incomplete"; indent: string }
  | { status: "invalid" }
  | { status: "unknown" };

export interface CommInfoRequest {
  target_name?: string;
}
export type CommInfoReply = ReplyOk & { comms: { [commId: string]: { target_name: string } } };

export type KernelInfoRequest = Record<string, never>;
export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  pygments_lexer?: string;
  codemirror_mode?: string | JsonObject;
  nbconvert_exporter?: string;
}
export interface HelpLink {
  text: string;
  url: string;
}
export type KernelInfoReply = ReplyOk & {
  protocol_version: string;
  /** Optional protocol features the kernel implements (JEP 92), e.g. "iopub_welcome" (JEP 65). */
  supported_features?: string[];
  implementation: string;
  implementation_version: string;
  language_info: LanguageInfo;
  banner: string;
  debugger?: boolean;
  help_links?: HelpLink[];
};

export interface ShutdownRequest {
  restart: boolean;
}
export type ShutdownReply = ReplyOk & { restart: boolean };

export type InterruptRequest = Record<string, never>;
export type InterruptReply = ReplyOk | ReplyError;

// ---------- iopub ----------

export interface StatusContent {
  execution_state: "busy" | "idle" | "starting";
}
export interface StreamContent {
  name: "stdout" | "stderr";
  text: string;
}
export interface DisplayDataContent {
  data: MimeBundle;
  metadata: JsonObject;
  transient?: { display_id?: string };
}
export type UpdateDisplayDataContent = DisplayDataContent & { transient: { display_id: string } };
export interface ExecuteInputContent {
  code: string;
  execution_count: number;
}
export interface ExecuteResultContent {
  execution_count: number;
  data: MimeBundle;
  metadata: JsonObject;
}
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}
export interface ClearOutputContent {
  wait: boolean;
}

/**
 * JEP 65: published when a client subscribes to iopub, with no parent, so that the client knows its
 * subscription is live (a client that missed the status of its first kernel_info otherwise waits and asks again).
 */
export interface IopubWelcomeContent {
  subscription: string;
}

// ---------- stdin ----------

export interface InputRequest {
  prompt: string;
  password: boolean;
}
export interface InputReply {
  value: string;
}

// ---------- comms (shell and iopub, both directions) ----------

export interface CommOpen {
  comm_id: string;
  target_name: string;
  data: JsonObject;
  target_module?: string;
}
export interface CommMsg {
  comm_id: string;
  data: JsonObject;
}
export interface CommClose {
  comm_id: string;
  data: JsonObject;
}

/** Message type → content type. */
export interface ContentMap {
  execute_request: ExecuteRequest;
  execute_reply: ExecuteReply;
  inspect_request: InspectRequest;
  inspect_reply: InspectReply;
  complete_request: CompleteRequest;
  complete_reply: CompleteReply;
  history_request: HistoryRequest;
  history_reply: HistoryReply;
  is_complete_request: IsCompleteRequest;
  is_complete_reply: IsCompleteReply;
  comm_info_request: CommInfoRequest;
  comm_info_reply: CommInfoReply;
  kernel_info_request: KernelInfoRequest;
  kernel_info_reply: KernelInfoReply;
  shutdown_request: ShutdownRequest;
  shutdown_reply: ShutdownReply;
  interrupt_request: InterruptRequest;
  interrupt_reply: InterruptReply;
  status: StatusContent;
  stream: StreamContent;
  display_data: DisplayDataContent;
  update_display_data: UpdateDisplayDataContent;
  execute_input: ExecuteInputContent;
  execute_result: ExecuteResultContent;
  error: ErrorContent;
  clear_output: ClearOutputContent;
  iopub_welcome: IopubWelcomeContent;
  input_request: InputRequest;
  input_reply: InputReply;
  comm_open: CommOpen;
  comm_msg: CommMsg;
  comm_close: CommClose;
}

export type MessageType = keyof ContentMap;
export type ContentOf<T extends MessageType> = ContentMap[T];

/**
 * Message type → the channels it travels on. A reply goes back on the channel its request came on: the
 * kernel also serves kernel_info and shutdown on control (so they are answered while a cell runs), and
 * interrupt only there. Comms go front end → kernel on shell and kernel → front end on iopub.
 */
export const CHANNELS_OF = {
  execute_request: ["shell"],
  execute_reply: ["shell"],
  inspect_request: ["shell"],
  inspect_reply: ["shell"],
  complete_request: ["shell"],
  complete_reply: ["shell"],
  history_request: ["shell"],
  history_reply: ["shell"],
  is_complete_request: ["shell"],
  is_complete_reply: ["shell"],
  comm_info_request: ["shell"],
  comm_info_reply: ["shell"],
  kernel_info_request: ["shell", "control"],
  kernel_info_reply: ["shell", "control"],
  shutdown_request: ["shell", "control"],
  shutdown_reply: ["shell", "control"],
  interrupt_request: ["control"],
  interrupt_reply: ["control"],
  status: ["iopub"],
  stream: ["iopub"],
  display_data: ["iopub"],
  update_display_data: ["iopub"],
  execute_input: ["iopub"],
  execute_result: ["iopub"],
  error: ["iopub"],
  clear_output: ["iopub"],
  iopub_welcome: ["iopub"],
  input_request: ["stdin"],
  input_reply: ["stdin"],
  comm_open: ["shell", "iopub"],
  comm_msg: ["shell", "iopub"],
  comm_close: ["shell", "iopub"],
} as const satisfies { readonly [T in MessageType]: readonly [Channel, ...Channel[]] };

/** Every `*_request` and its reply, which the compiler checks is the matching `*_reply`. */
export const REPLY_OF = {
  execute_request: "execute_reply",
  inspect_request: "inspect_reply",
  complete_request: "complete_reply",
  history_request: "history_reply",
  is_complete_request: "is_complete_reply",
  comm_info_request: "comm_info_reply",
  kernel_info_request: "kernel_info_reply",
  shutdown_request: "shutdown_reply",
  interrupt_request: "interrupt_reply",
  input_request: "input_reply",
} as const satisfies { readonly [T in Extract<MessageType, `${string}_request`>]: T extends `${infer Base}_request` ? `${Base}_reply` : never };

export type RequestType = keyof typeof REPLY_OF;
export type ReplyType = (typeof REPLY_OF)[RequestType];
/** The reply type of a request type: `ReplyTypeOf<"execute_request">` is `"execute_reply"`. */
export type ReplyTypeOf<T extends RequestType> = (typeof REPLY_OF)[T];

/** The message types that travel on channel `C`. */
export type TypeOn<C extends Channel> = { [T in MessageType]: C extends (typeof CHANNELS_OF)[T][number] ? T : never }[MessageType];
/** What a kernel receives on shell or control: everything on that channel but the replies it sends. */
export type KernelBoundType<C extends "shell" | "control"> = Exclude<TypeOn<C>, ReplyType>;
/** The requests a kernel answers (on shell, control or both); a client's `request` sends these. */
export type KernelRequestType = Extract<KernelBoundType<"shell" | "control">, RequestType>;
/** Comm messages a front end sends the kernel on shell; they get no reply. */
export type CommType = Exclude<KernelBoundType<"shell">, RequestType>;

export function replyTypeOf<T extends RequestType>(requestType: T): ReplyTypeOf<T> {
  return REPLY_OF[requestType];
}

/** The wire boundary's check: `value` names a message type of this protocol. */
export function isMessageType(value: unknown): value is MessageType {
  return typeof value === "string" && Object.hasOwn(CHANNELS_OF, value);
}

/** Whether messages of `type` travel on `channel`. */
export function travelsOn(type: MessageType, channel: Channel): boolean {
  const channels: readonly Channel[] = CHANNELS_OF[type];
  return channels.includes(channel);
}

/**
 * Narrow a message to the types that key `handlers`, a handler map typed from this table (a kernel's
 * `{ [T in KernelRequestType]: … }`): the map is the one list of what is handled, at compile and run time.
 */
export function isHandledBy<K extends MessageType>(handlers: { readonly [T in K]: unknown }, message: Message): message is Message<K> {
  return Object.hasOwn(handlers, message.header.msg_type);
}

/** Narrow a message by its type. */
export function isMessageOf<T extends MessageType>(message: Message, type: T): message is Message<T> {
  return message.header.msg_type === type;
}

/** The msg_id of the request a message answers or was caused by. */
export function parentIdOf(message: Message): string | undefined {
  return "msg_id" in message.parent_header ? message.parent_header.msg_id : undefined;
}
