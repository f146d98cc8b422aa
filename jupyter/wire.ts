/**
 * The wire format of Jupyter messages over ZeroMQ:
 *   [identities…, "<IDS|MSG>", hmac, header, parent_header, metadata, content, buffers…]
 * The HMAC-SHA256 signature covers the four JSON frames; an empty key disables signing.
 */
import { KeyObject, createHmac, createSecretKey, randomUUID, timingSafeEqual } from "node:crypto";
import { ContentOf, JsonObject, Message, MessageType, PROTOCOL_VERSION, ParentHeader, isMessageType } from "./messages";

export const DELIMITER = "<IDS|MSG>";
const DELIMITER_BUFFER = Buffer.from(DELIMITER);

export type SignatureScheme = "hmac-sha256";

/** Why an incoming multipart message was rejected; the receiver logs it and keeps serving. */
export class WireError extends Error {
  override readonly name = "WireError";
}

export class Signer {
  /** Imported once rather than with every message; undefined when signing is disabled. */
  private readonly key: KeyObject | undefined;

  constructor(key: string, scheme: string = "hmac-sha256") {
    if (scheme !== "hmac-sha256") {
      throw new WireError(`signature_scheme must be "hmac-sha256", got ${JSON.stringify(scheme)}`);
    }
    this.key = key.length > 0 ? createSecretKey(Buffer.from(key, "utf8")) : undefined;
  }

  get enabled(): boolean {
    return this.key !== undefined;
  }

  sign(frames: readonly Buffer[]): string {
    if (!this.key) return "";
    const hmac = createHmac("sha256", this.key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest("hex");
  }

  /** Constant-time comparison, so a forger learns nothing from response timing. */
  verify(signature: string, frames: readonly Buffer[]): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(frames), "utf8");
    const given = Buffer.from(signature, "utf8");
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** Encode a message as ZeroMQ frames. */
export function serialize(message: Message, signer: Signer): Buffer[] {
  const frames = [
    Buffer.from(JSON.stringify(message.header)),
    Buffer.from(JSON.stringify(message.parent_header)),
    Buffer.from(JSON.stringify(message.metadata)),
    Buffer.from(JSON.stringify(message.content)),
  ];
  return [
    ...(message.identities ?? []),
    DELIMITER_BUFFER,
    Buffer.from(signer.sign(frames)),
    ...frames,
    ...message.buffers,
  ];
}

/**
 * Decode ZeroMQ frames into a message; throws `WireError` for a bad signature, malformed frames or a message
 * type the protocol does not define. This is where untrusted bytes become a typed `Message`: the header is
 * checked against the message table, the content is trusted to match its type (as every Jupyter client does).
 */
export function deserialize(frames: readonly Buffer[], signer: Signer): Message {
  const delimiterAt = frames.findIndex((frame) => frame.equals(DELIMITER_BUFFER));
  if (delimiterAt < 0) throw new WireError("no <IDS|MSG> delimiter frame");
  if (frames.length < delimiterAt + 6) {
    throw new WireError(`expected at least 5 frames after the delimiter, got ${frames.length - delimiterAt - 1}`);
  }
  const signature = frames[delimiterAt + 1].toString("utf8");
  const body = frames.slice(delimiterAt + 2, delimiterAt + 6);
  if (!signer.verify(signature, body)) throw new WireError("invalid HMAC signature");
  const [header, parentHeader, metadata, content] = body.map((frame, i) => parseJsonObject(frame, FRAME_NAMES[i]));
  if (!isHeader(header)) throw new WireError("header lacks msg_id, msg_type or session");
  if (!isMessageType(header.msg_type)) throw new WireError(`unknown type ${JSON.stringify(header.msg_type)}`);
  return {
    header: { ...header, msg_type: header.msg_type },
    parent_header: isHeader(parentHeader) ? parentHeader : {},
    metadata,
    content: content as unknown as ContentOf<MessageType>,
    buffers: frames.slice(delimiterAt + 6),
    identities: frames.slice(0, delimiterAt),
  };
}

const FRAME_NAMES = ["header", "parent_header", "metadata", "content"];

function parseJsonObject(frame: Buffer, name: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString("utf8"));
  } catch (error) {
    throw new WireError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WireError(`${name} must be a JSON object`);
  }
  return value as JsonObject;
}

function isHeader(value: JsonObject): value is JsonObject & ParentHeader {
  return typeof value.msg_id === "string" && typeof value.session === "string" && typeof value.msg_type === "string";
}

export interface MessageOptions {
  session: string;
  username?: string;
  parent?: ParentHeader;
  metadata?: JsonObject;
  identities?: Buffer[];
  buffers?: Buffer[];
}

/** Build a new message with a fresh header. */
export function createMessage<T extends MessageType>(type: T, content: ContentOf<T>, options: MessageOptions): Message<T> {
  return {
    header: {
      msg_id: randomUUID(),
      session: options.session,
      username: options.username ?? "stepwise",
      date: isoDateMicros(),
      msg_type: type,
      version: PROTOCOL_VERSION,
    },
    parent_header: options.parent ?? {},
    metadata: options.metadata ?? {},
    content,
    buffers: options.buffers ?? [],
    identities: options.identities ?? [],
  };
}

/** Wall-clock time minus the monotonic clock, kept while they agree to a millisecond. */
let clockAnchor = Date.now() - performance.now();
let lastDate = 0;

/**
 * Now, in ISO 8601 with microseconds (as ipykernel writes its dates): clients time cells from the header
 * dates of busy and idle (nbclient's `metadata.execution`), and a short cell takes about a millisecond.
 * The microseconds come from the monotonic clock, re-anchored to the wall clock whenever the two drift
 * apart by more than a millisecond (the wall clock was set, or the machine slept); a re-anchoring by less
 * than a few milliseconds does not take dates back.
 */
export function isoDateMicros(): string {
  const monotonic = performance.now();
  const wall = Date.now();
  if (Math.abs(wall - (clockAnchor + monotonic)) > 1) clockAnchor = wall - monotonic;
  let now = clockAnchor + monotonic;
  if (now < lastDate && lastDate - now < 5) now = lastDate;
  lastDate = now;
  const millis = Math.floor(now);
  const micros = Math.min(999, Math.floor((now - millis) * 1000));
  return new Date(millis).toISOString().replace("Z", `${String(micros).padStart(3, "0")}Z`);
}
