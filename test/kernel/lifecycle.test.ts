/**
 * Interrupts, stop_on_error, a cell that exits the process, restart and shutdown — against the real kernel
 * process. One kernel is shared until the tests that end it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ExecuteOutcome } from "../../jupyter/client";
import { Message } from "../../jupyter/messages";
import { Harness, ofType, ok, resultText, run, startKernel, streamText } from "./harness";

let h: Harness;
before(async () => {
  h = await startKernel();
});
after(async () => {
  await h?.close();
});

/** Start a cell and resolve once it has printed `marker` (so it is certainly running). */
function startCell(code: string, marker: string): { started: Promise<void>; done: Promise<ExecuteOutcome> } {
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  let printed = "";
  const done = run(h.kernel, code, {
    onIopub: (m) => {
      if (m.header.msg_type !== "stream") return;
      printed += (m as Message<"stream">).content.text;
      if (printed.includes(marker)) started();
    },
  });
  return { started: startedPromise, done };
}

function errorOf(outcome: ExecuteOutcome): { ename: string; evalue: string } {
  const reply = outcome.reply.content;
  assert.equal(reply.status, "error", JSON.stringify(reply));
  return reply.status === "error" ? { ename: reply.ename, evalue: reply.evalue } : { ename: "", evalue: "" };
}

describe("interrupt", () => {
  test("interrupt_request stops an awaiting loop, and the loop does not go on in the background", async () => {
    const cell = startCell('let ticks = 0;\nconsole.log("looping");\nwhile (true) {\n  await new Promise((r) => setTimeout(r, 10));\n  ticks++;\n}', "looping");
    await cell.started;
    const reply = await h.kernel.client.request("interrupt_request", {}, { channel: "control", timeoutMs: 30_000 });
    assert.deepEqual(reply.content, { status: "ok" });
    const outcome = await cell.done;
    assert.deepEqual(errorOf(outcome), { ename: "InterruptedError", evalue: `cell ${outcome.reply.content.execution_count} was interrupted (interrupt_request)` });
    assert.equal(ofType(outcome, "error").length, 1);
    // the loop's pending timer was dropped: ticks stays where it was
    assert.equal(resultText(await ok(h.kernel, "const seen = ticks;\nawait new Promise((r) => setTimeout(r, 200));\nticks - seen")), "0");
  });

  test("SIGINT (the spec's interrupt_mode) interrupts an awaiting cell", async () => {
    assert.equal(h.spec.spec.interrupt_mode, process.platform === "win32" ? "message" : "signal");
    const cell = startCell('console.log("waiting");\nawait new Promise(() => {});', "waiting");
    await cell.started;
    await h.kernel.interrupt();
    const { ename, evalue } = errorOf(await cell.done);
    assert.equal(ename, "InterruptedError");
    assert.match(evalue, /\((SIGINT|interrupt_request)\)$/);
  });

  test("SIGINT breaks a synchronous infinite loop; the kernel keeps its state", async () => {
    await ok(h.kernel, "const kept = 'still here';");
    // a blocked event loop cannot publish stream text, so wait for execute_input, then let the loop start
    let inputSeen!: () => void;
    const input = new Promise<void>((resolve) => (inputSeen = resolve));
    const cell = { done: run(h.kernel, "while (true) {}", { onIopub: (m) => { if (m.header.msg_type === "execute_input") inputSeen(); } }) };
    await input;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.kernel.interrupt();
    const { ename, evalue } = errorOf(await cell.done);
    assert.equal(ename, "InterruptedError");
    assert.match(evalue, /\(SIGINT\)$/);
    assert.equal(resultText(await ok(h.kernel, "kept")), "'still here'");
  });

  test("fit() ends at its next batch with its own InterruptedError; the model stays usable", async () => {
    const cell = startCell(
      'import * as tf from "@tensorflow/tfjs";\nimport { fit, sgd } from "stepwise";\n' +
        "const w = tf.variable(tf.zeros([1, 1]));\n" +
        "const xs = tf.tensor2d([[1], [2], [3], [4]]);\nconst ys = tf.tensor2d([[2], [4], [6], [8]]);\n" +
        "const target = { variables: [w], loss: (b: { x: tf.Tensor; y: tf.Tensor }) => tf.losses.meanSquaredError(b.y, b.x.matMul(w)) as tf.Scalar };\n" +
        'console.log("training");\n' +
        "await fit(target, { optimizer: sgd({ lr: 0.01 }), data: { x: xs, y: ys }, epochs: 1_000_000, batchSize: 1, progress: \"none\" });",
      "training",
    );
    await cell.started;
    await h.kernel.client.request("interrupt_request", {}, { channel: "control", timeoutMs: 30_000 });
    const { ename, evalue } = errorOf(await cell.done);
    assert.equal(ename, "InterruptedError");
    assert.match(evalue, /^training interrupted in epoch \d+, after \d+ updates$/);
    assert.equal(resultText(await ok(h.kernel, "w.shape")), "[ 1, 1 ]");
  });
});

describe("stop_on_error", () => {
  test("the execute_requests queued behind a failing one are aborted; later ones run", async () => {
    const failing = run(h.kernel, 'await new Promise((r) => setTimeout(r, 300));\nthrow new Error("first fails");');
    const queued = [run(h.kernel, '"second"'), run(h.kernel, '"third"'), run(h.kernel, '"fourth"')];
    const outcomes = await Promise.all([failing, ...queued]);
    assert.deepEqual(outcomes.map((o) => o.reply.content.status), ["error", "abort", "abort", "abort"]);
    for (const aborted of outcomes.slice(1)) {
      assert.deepEqual(aborted.iopub.map((m) => m.header.msg_type), ["status"], "an aborted request only reports busy (and idle)");
    }
    assert.equal(resultText(await ok(h.kernel, '"later"')), "'later'");
  });

  test("with stop_on_error false the queued requests run", async () => {
    const failing = run(h.kernel, 'await new Promise((r) => setTimeout(r, 300));\nthrow new Error("tolerated");', { stopOnError: false });
    const queued = [run(h.kernel, "1"), run(h.kernel, "2"), run(h.kernel, "3")];
    const outcomes = await Promise.all([failing, ...queued]);
    assert.deepEqual(outcomes.map((o) => o.reply.content.status), ["error", "ok", "ok", "ok"]);
    assert.deepEqual(outcomes.slice(1).map(resultText), ["1", "2", "3"]);
  });
});

describe("process exit and restart", () => {
  test("a cell calling process.exit() ends the kernel; its output still arrives; a restarted kernel works", async () => {
    const printed: string[] = [];
    const dying = h.kernel;
    const outcome = run(dying, 'console.log("last words");\nprocess.exit(3);', {
      onIopub: (m) => {
        if (m.header.msg_type === "stream") printed.push((m as Message<"stream">).content.text);
      },
    });
    await assert.rejects(outcome, /kernel exited \(code 3\)/);
    assert.deepEqual(await dying.exited, { code: 3, signal: null });
    assert.deepEqual(printed, ["last words\n"]);
    assert.equal(await dying.client.heartbeat(500), false);

    const fresh = await h.restart();
    // a restart starts from a clean state: the name declared before is unknown again
    const outcomeAfter = await run(fresh, "kept");
    assert.deepEqual(errorOf(outcomeAfter), { ename: "TSError", evalue: "1:1 - Cannot find name 'kept'." });
    assert.equal(outcomeAfter.reply.content.execution_count, 1);
  });

  test("shutdown_request with restart answers and exits cleanly", async () => {
    const kernel = h.kernel;
    const reply = await kernel.client.request("shutdown_request", { restart: true }, { channel: "control", timeoutMs: 30_000 });
    assert.deepEqual(reply.content, { status: "ok", restart: true });
    assert.deepEqual(await kernel.exited, { code: 0, signal: null });
    const fresh = await h.restart();
    assert.equal(streamText(await ok(fresh, 'console.log("back")')), "back\n");
  });
});
