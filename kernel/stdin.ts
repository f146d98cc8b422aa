/**
 * Input from the user over the stdin channel: the kernel sends `input_request` to the client that sent the
 * running execute_request (same ZeroMQ identity) and waits for its `input_reply`.
 * Clients that cannot answer say so with `allow_stdin: false`; asking them anyway is an error, not a hang.
 */
import { Message, isMessageOf, parentIdOf } from "../jupyter/messages";
import { createMessage } from "../jupyter/wire";

export class StdinUnavailableError extends Error {
  override readonly name = "StdinUnavailableError";
}

interface Waiting {
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

export class Stdin {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly send: (message: Message) => Promise<void>,
    private readonly session: string,
  ) {}

  /** Ask the client of `request` for a line of input. */
  async request(prompt: string, password: boolean, request: Message<"execute_request"> | undefined): Promise<string> {
    if (!request || !request.content.allow_stdin) {
      throw new StdinUnavailableError(
        "input: this client does not accept input (its execute_request has allow_stdin: false); " +
          "run the notebook in a front end that supports input, or set the value in code",
      );
    }
    const message = createMessage(
      "input_request",
      { prompt: String(prompt), password },
      { session: this.session, parent: request.header, identities: request.identities },
    );
    const answer = new Promise<string>((resolve, reject) => this.waiting.set(message.header.msg_id, { resolve, reject }));
    try {
      try {
        await this.send(message);
      } catch (error) {
        throw new StdinUnavailableError(
          `input: cannot reach the client's stdin channel (${(error as Error).message}); ` +
            "its stdin socket must connect with the same identity as its shell socket",
        );
      }
      return await answer;
    } finally {
      this.waiting.delete(message.header.msg_id);
    }
  }

  /** An `input_reply` arrived. */
  receive(message: Message): void {
    if (!isMessageOf(message, "input_reply")) return;
    const parent = parentIdOf(message);
    const waiting = parent ? this.waiting.get(parent) : undefined;
    if (!waiting) return;
    const value: unknown = message.content.value;
    waiting.resolve(typeof value === "string" ? value : String(value ?? ""));
  }

  /** Fail every pending request (the cell was interrupted). */
  cancel(error: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}
