/**
 * What a kernel must survive: forged, malformed and unknown messages on its sockets, and long sessions.
 * Raw frames go through a ZeroMQ DEALER of our own; the well-behaved client checks the kernel still serves.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as zmq from "zeromq";
import { DELIMITER, Signer, createMessage, deserialize, serialize } from "../../jupyter/wire";
import { Harness, ok, resultText, startKernel } from "./harness";

let h: Harness;
before(async () => {
  h = await startKernel();
});
after(async () => {
  await h?.close();
});

/**
 * Send `bad` and then a valid kernel_info_request on one raw shell socket; returns the msg_id the first
 * reply answers. Replies come in order, so a dropped `bad` means the first reply is the valid request's.
 */
async function firstAnswered(bad: (string | Buffer)[]): Promise<{ answered: string; valid: string }> {
  const { connection } = h.kernel;
  const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: 30_000 });
  dealer.connect(`${connection.transport}://${connection.ip}:${connection.shell_port}`);
  try {
    const valid = createMessage("kernel_info_request", {}, { session: "raw-test" });
    await dealer.send(bad);
    await dealer.send(serialize(valid, new Signer(connection.key)));
    const frames = await dealer.receive();
    const reply = deserialize(frames, new Signer(connection.key));
    return { answered: reply.parent_header && "msg_id" in reply.parent_header ? reply.parent_header.msg_id : "", valid: valid.header.msg_id };
  } finally {
    dealer.close();
  }
}

function kernelInfoFrames(signer: Signer, type = "kernel_info_request"): Buffer[] {
  const message = createMessage("kernel_info_request", {}, { session: "raw-test" });
  (message.header as { msg_type: string }).msg_type = type;
  return serialize(message, signer);
}

/**
 * The kernel logs to its stderr, a pipe separate from the ZeroMQ sockets: its line may be read after the reply
 * to the request that followed, so wait for it (up to a few seconds).
 */
async function assertLogged(pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pattern.test(h.kernel.log) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(h.kernel.log, pattern);
}

async function assertDropped(bad: (string | Buffer)[], what: string): Promise<void> {
  const { answered, valid } = await firstAnswered(bad);
  assert.equal(answered, valid, `${what} was answered`);
}

describe("forged and malformed messages", () => {
  test("a message signed with the wrong key is dropped and logged; the kernel keeps serving", async () => {
    await assertDropped(kernelInfoFrames(new Signer("not-the-key")), "a forged request");
    await assertLogged(/dropped a message: .*signature/i);
    assert.equal(resultText(await ok(h.kernel, "6 * 7")), "42");
  });

  test("malformed JSON, missing frames and garbage are dropped; the kernel keeps serving", async () => {
    const signer = new Signer(h.kernel.connection.key);
    const badJson = [Buffer.from("{not json"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
    await assertDropped([DELIMITER, signer.sign(badJson), ...badJson], "malformed JSON");
    await assertDropped([DELIMITER, "only-a-signature"], "a message without its frames");
    await assertDropped(["no delimiter at all"], "a frame without the delimiter");
    await assertDropped([Buffer.from([0xff, 0xfe, 0x00])], "binary garbage");
    assert.equal(resultText(await ok(h.kernel, "'still serving'")), "'still serving'");
  });

  test("a signed message of an unknown type is logged and ignored", async () => {
    await assertDropped(kernelInfoFrames(new Signer(h.kernel.connection.key), "teleport_request"), "an unknown type");
    await assertLogged(/unknown type "teleport_request"/);
    assert.equal(resultText(await ok(h.kernel, "1 + 1")), "2");
  });
});

describe("long sessions", () => {
  test("1,000 executes in a row, each with its result and the next execution count", async () => {
    const first = (await ok(h.kernel, "let total = 0;")).reply.content.execution_count ?? 0;
    for (let i = 1; i <= 1000; i++) {
      const outcome = await ok(h.kernel, `total += ${i}`);
      assert.equal(outcome.reply.content.execution_count, first + i);
      assert.equal(resultText(outcome), String((i * (i + 1)) / 2));
    }
  });
});
