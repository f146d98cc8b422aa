/**
 * The Jupyter messaging protocol (version 5.3), one typed definition shared by the kernel and the runner.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html
 *
 * Every message type is a `Message<T>` whose `content` is `ContentOf<T>`; the channel a message travels on
 * is recorded in `CHANNEL_OF` so neither side can send a reply on the wrong socket.
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

export interface Message<T extends MessageType = MessageType> {
  header: Header<T>;
  /** The header of the request this message answers or was caused by; `{}` when there is none. */
  parent_header: Header | Record<string, never>;
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
  input_request: InputRequest;
  input_reply: InputReply;
  comm_open: CommOpen;
  comm_msg: CommMsg;
  comm_close: CommClose;
}

export type MessageType = keyof ContentMap;
export type ContentOf<T extends MessageType> = ContentMap[T];

/** Requests a kernel answers on shell; `kernel_info`, `shutdown` and `interrupt` may also come on control. */
export const SHELL_REQUESTS = [
  "execute_request",
  "inspect_request",
  "complete_request",
  "history_request",
  "is_complete_request",
  "comm_info_request",
  "kernel_info_request",
  "shutdown_request",
] as const;
export const CONTROL_REQUESTS = ["kernel_info_request", "shutdown_request", "interrupt_request"] as const;
export const IOPUB_TYPES = [
  "status",
  "stream",
  "display_data",
  "update_display_data",
  "execute_input",
  "execute_result",
  "error",
  "clear_output",
  "comm_open",
  "comm_msg",
  "comm_close",
] as const;
export const COMM_TYPES = ["comm_open", "comm_msg", "comm_close"] as const;

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>([
  ...SHELL_REQUESTS,
  ...CONTROL_REQUESTS,
  ...IOPUB_TYPES,
  "execute_reply",
  "inspect_reply",
  "complete_reply",
  "history_reply",
  "is_complete_reply",
  "comm_info_reply",
  "kernel_info_reply",
  "shutdown_reply",
  "interrupt_reply",
  "input_request",
  "input_reply",
]);

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === "string" && MESSAGE_TYPES.has(value);
}

/** The reply type of a request type: `execute_request` → `execute_reply`. */
export type ReplyTypeOf<T extends `${string}_request`> = T extends `${infer Base}_request`
  ? `${Base}_reply` extends MessageType
    ? `${Base}_reply`
    : never
  : never;

export function replyTypeOf<T extends `${string}_request`>(requestType: T): ReplyTypeOf<T> {
  return requestType.replace(/_request$/, "_reply") as ReplyTypeOf<T>;
}

/** Narrow a message by its type. */
export function isMessageOf<T extends MessageType>(message: Message, type: T): message is Message<T> {
  return message.header.msg_type === type;
}
