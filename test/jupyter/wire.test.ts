import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Signer, serialize, deserialize, createMessage, WireError, DELIMITER, isoDateMicros } from "../../jupyter/wire";
import { CHANNELS_OF, REPLY_OF, isMessageType, replyTypeOf, travelsOn } from "../../jupyter/messages";

describe("Signer", () => {
  test("matches the RFC 4231 HMAC-SHA256 test case 2", () => {
    const signer = new Signer("Jefe");
    assert.equal(
      signer.sign([Buffer.from("what do ya want "), Buffer.from("for nothing?")]),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  test("rejects a tampered frame and a wrong-length signature", () => {
    const signer = new Signer("secret");
    const frames = [Buffer.from("a"), Buffer.from("b")];
    const signature = signer.sign(frames);
    assert.equal(signer.verify(signature, frames), true);
    assert.equal(signer.verify(signature, [Buffer.from("a"), Buffer.from("c")]), false);
    assert.equal(signer.verify(signature.slice(1), frames), false);
  });

  test("an empty key disables signing", () => {
    const signer = new Signer("");
    assert.equal(signer.sign([Buffer.from("x")]), "");
    assert.equal(signer.verify("anything", [Buffer.from("x")]), true);
  });

  test("only hmac-sha256 is accepted", () => {
    assert.throws(() => new Signer("k", "hmac-md5"), /signature_scheme must be "hmac-sha256"/);
  });
});

describe("serialize / deserialize", () => {
  const signer = new Signer("key");
  const message = createMessage("execute_request", {
    code: "1 + 1",
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: true,
  }, { session: "s1", identities: [Buffer.from("client-id")], buffers: [Buffer.from([1, 2, 3])] });

  test("round-trips identities, JSON frames and buffers", () => {
    const frames = serialize(message, signer);
    assert.equal(frames[1].toString(), DELIMITER);
    const decoded = deserialize(frames, signer);
    assert.deepEqual(decoded.header, message.header);
    assert.deepEqual(decoded.content, message.content);
    assert.deepEqual(decoded.identities, [Buffer.from("client-id")]);
    assert.deepEqual(decoded.buffers, [Buffer.from([1, 2, 3])]);
  });

  test("rejects a bad signature, missing delimiter, malformed JSON", () => {
    const frames = serialize(message, signer);
    assert.throws(() => deserialize(frames, new Signer("other")), WireError);
    assert.throws(() => deserialize(frames.filter((f) => f.toString() !== DELIMITER), signer), /delimiter/);
    const broken = [...frames];
    broken[6] = Buffer.from("{not json");
    broken[2] = Buffer.from(signer.sign(broken.slice(3, 7)));
    assert.throws(() => deserialize(broken, signer), /content is not valid JSON/);
  });

  test("reply types follow request types", () => {
    assert.equal(replyTypeOf("execute_request"), "execute_reply");
    assert.equal(replyTypeOf("kernel_info_request"), "kernel_info_reply");
  });

  test("a message type the protocol does not define is rejected at the wire", () => {
    const forged = serialize(message, signer);
    forged[3] = Buffer.from(JSON.stringify({ ...message.header, msg_type: "teleport_request" }));
    forged[2] = Buffer.from(signer.sign(forged.slice(3, 7)));
    assert.throws(() => deserialize(forged, signer), /unknown type "teleport_request"/);
  });
});

describe("the message table", () => {
  test("a reply travels on the channels of its request", () => {
    for (const [request, reply] of Object.entries(REPLY_OF)) {
      assert.ok(isMessageType(request) && isMessageType(reply), `${request} → ${reply}`);
      assert.deepEqual(CHANNELS_OF[reply], CHANNELS_OF[request], `${request} and ${reply}`);
    }
  });

  test("interrupt only on control, kernel_info on shell and control, comms on shell and iopub", () => {
    assert.equal(travelsOn("interrupt_request", "shell"), false);
    assert.equal(travelsOn("interrupt_request", "control"), true);
    assert.equal(travelsOn("kernel_info_request", "shell") && travelsOn("kernel_info_request", "control"), true);
    assert.equal(travelsOn("comm_msg", "shell") && travelsOn("comm_msg", "iopub"), true);
    assert.equal(travelsOn("execute_request", "control"), false);
    assert.equal(isMessageType("teleport_request"), false);
  });
});

describe("header dates", () => {
  test("ISO 8601 with microseconds (as ipykernel's), on the wall clock, never going back between calls", () => {
    const before = Date.now();
    const dates = Array.from({ length: 1000 }, () => isoDateMicros());
    const after = Date.now();
    for (const date of dates) assert.match(date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const micros = dates.map((d) => Date.parse(d.slice(0, 23) + "Z") * 1000 + Number(d.slice(23, 26)));
    assert.ok(micros[0] >= (before - 1) * 1000 && micros[micros.length - 1] <= (after + 1) * 1000, `${dates[0]} … ${dates[dates.length - 1]} outside [${before}, ${after}]`);
    for (let i = 1; i < micros.length; i++) assert.ok(micros[i] >= micros[i - 1], `${dates[i - 1]} then ${dates[i]}`);
    // a message carries one
    assert.match(createMessage("status", { execution_state: "idle" }, { session: "s" }).header.date, /\.\d{6}Z$/);
  });
});
