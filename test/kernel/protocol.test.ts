/**
 * The kernel process over ZeroMQ, message type by message type, as a Jupyter client sees it.
 * One kernel is shared by the tests of this file (in order); it runs in a fresh directory outside the repo.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zmq from "zeromq";
import { endpoint } from "../../jupyter/connection";
import { Message, MessageType, ContentOf, PROTOCOL_VERSION } from "../../jupyter/messages";
import { Signer, createMessage, deserialize, serialize } from "../../jupyter/wire";
import { Harness, ofType, ok, resultText, run, startKernel, streamText } from "./harness";

const repoRoot = path.resolve(__dirname, "../../..");
const packageJson = (name: string) => JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [repoRoot] }), "utf8"));

let h: Harness;
before(async () => {
  h = await startKernel();
});
after(async () => {
  await h?.close();
});

describe("kernel_info", () => {
  test("answers on shell and control with status, protocol version and TypeScript language_info", async () => {
    for (const channel of ["shell", "control"] as const) {
      const seen: Message[] = [];
      const stop = h.kernel.client.onIopub((m) => seen.push(m));
      const reply = await h.kernel.client.request("kernel_info_request", {}, { channel, timeoutMs: 30_000 });
      // the request's idle may follow its reply: wait for it, so that the next test starts on a quiet kernel
      await waitFor(() => seen.some((m) => isStatus(m, "idle", reply.parent_header.msg_id as string)));
      stop();
      const info = reply.content;
      assert.equal(info.status, "ok");
      assert.equal(info.protocol_version, PROTOCOL_VERSION);
      assert.equal(info.implementation, "stepwise");
      assert.equal(info.implementation_version, packageJson("stepwise").version);
      assert.deepEqual(info.language_info, {
        name: "typescript",
        version: packageJson("@tslab/typescript-for-tslab").version,
        mimetype: "text/typescript",
        file_extension: ".ts",
        codemirror_mode: "typescript",
        pygments_lexer: "typescript",
        nbconvert_exporter: "script",
      });
      assert.match(info.banner, new RegExp(`TypeScript ${info.language_info.version.replace(/\./g, "\\.")} on Node\\.js ${process.versions.node}`));
      assert.ok(info.help_links && info.help_links.length > 0 && info.help_links.every((l) => /^https:\/\//.test(l.url) && l.text));
      assert.deepEqual(info.supported_features, ["iopub_welcome"]);
    }
  });

  test("JEP 65: each new iopub subscriber first gets an iopub_welcome with its topic, then every later publication", async () => {
    const signer = new Signer(h.kernel.connection.key, h.kernel.connection.signature_scheme);
    const subscribers: zmq.Subscriber[] = [];
    try {
      for (const topic of ["", "", "kernel.topic"]) {
        const subscriber = new zmq.Subscriber({ receiveTimeout: 10_000, linger: 0 });
        subscribers.push(subscriber);
        subscriber.connect(endpoint(h.kernel.connection, "iopub_port"));
        subscriber.subscribe(topic);
        // on a quiet kernel, the first message a subscriber sees is its welcome: no parent, signed, its topic
        const welcome = deserialize(await subscriber.receive(), signer);
        assert.equal(welcome.header.msg_type, "iopub_welcome");
        assert.deepEqual(welcome.content, { subscription: topic });
        assert.deepEqual(welcome.parent_header, {});
        if (topic) assert.deepEqual(welcome.identities, [Buffer.from(topic)]);
      }
      // the kernel serves as before, and the new wildcard subscribers see the whole of the next request
      const outcome = await ok(h.kernel, "40 + 2");
      assert.equal(resultText(outcome), "42");
      const requestId = outcome.reply.parent_header.msg_id as string;
      for (const subscriber of subscribers.slice(0, 2)) {
        const types: string[] = [];
        for (;;) {
          const message = deserialize(await subscriber.receive(), signer);
          if ((message.parent_header as { msg_id?: string }).msg_id !== requestId) continue;
          types.push(message.header.msg_type);
          if (isStatus(message, "idle", requestId)) break;
        }
        assert.deepEqual(types, ["status", "execute_input", "execute_result", "status"]);
      }
    } finally {
      for (const subscriber of subscribers) subscriber.close();
    }
  });

  test("every shell request is bracketed by busy and idle with the request as parent", async () => {
    const seen: Message[] = [];
    const stop = h.kernel.client.onIopub((m) => seen.push(m));
    const reply = await h.kernel.client.request("kernel_info_request", {}, { timeoutMs: 30_000 });
    const parentId = reply.parent_header.msg_id as string;
    await waitFor(() => seen.some((m) => isStatus(m, "idle", parentId)));
    stop();
    const mine = seen.filter((m) => (m.parent_header as { msg_id?: string }).msg_id === parentId);
    assert.deepEqual(
      mine.map((m) => (m as Message<"status">).content.execution_state),
      ["busy", "idle"],
    );
  });
});

describe("execute", () => {
  test("publishes execute_input, streams and execute_result with one execution count", async () => {
    const first = await ok(h.kernel, 'console.log("hello"); console.error("careful"); 6 * 7');
    const types = first.iopub.map((m) => m.header.msg_type);
    assert.deepEqual(types.filter((t) => t !== "stream"), ["status", "execute_input", "execute_result"]);
    const input = ofType(first, "execute_input")[0].content;
    assert.equal(input.code, 'console.log("hello"); console.error("careful"); 6 * 7');
    assert.equal(streamText(first, "stdout"), "hello\n");
    assert.equal(streamText(first, "stderr"), "careful\n");
    assert.equal(resultText(first), "42");
    const count = first.reply.content.execution_count as number;
    assert.equal(input.execution_count, count);
    assert.equal(ofType(first, "execute_result")[0].content.execution_count, count);
    const second = await ok(h.kernel, "1");
    assert.equal(second.reply.content.execution_count, count + 1);
  });

  test("shorthand properties and assignment patterns see earlier cells' variables", async () => {
    await ok(h.kernel, "let seed = 7;\nlet fallback = 1;");
    assert.equal(resultText(await ok(h.kernel, "const options = { seed, label: `seed ${seed}` };\noptions")), "{ seed: 7, label: 'seed 7' }");
    assert.equal(resultText(await ok(h.kernel, "({ seed, fallback = 5 } = { seed: 8 } as { seed: number; fallback?: number });\n[seed, fallback]")), "[ 8, 5 ]");
  });

  test("keeps variables and their types across cells; redeclaring is allowed", async () => {
    await ok(h.kernel, "let counter = 1;\nconst label: string = 'n';");
    assert.equal(resultText(await ok(h.kernel, "counter += 1;\ncounter")), "2");
    const typeError = await run(h.kernel, "const n: number = label;");
    assert.equal(typeError.reply.content.status, "error");
    assert.equal(resultText(await ok(h.kernel, "const label = 3; label + counter")), "5");
  });

  test("a statement without a value and undefined show nothing; null and strings show as JavaScript literals", async () => {
    assert.equal(ofType(await ok(h.kernel, "const unused = 1;"), "execute_result").length, 0);
    assert.equal(ofType(await ok(h.kernel, "undefined"), "execute_result").length, 0);
    assert.equal(resultText(await ok(h.kernel, "null")), "null");
    assert.equal(resultText(await ok(h.kernel, '"text"')), "'text'");
    assert.equal(resultText(await ok(h.kernel, "({ a: [1, 2], b: { c: true } })")), "{ a: [ 1, 2 ], b: { c: true } }");
    assert.equal(resultText(await ok(h.kernel, "await new Promise<number>((r) => setTimeout(() => r(5), 20))")), "5");
    assert.equal(resultText(await ok(h.kernel, "Promise.resolve(8)")), "Promise { 8 }");
  });

  test("silent requests publish no input and no result and do not count", async () => {
    const before = (await ok(h.kernel, "0")).reply.content.execution_count as number;
    const silent = await ok(h.kernel, 'console.log("quiet"); 99', { silent: true });
    assert.equal(ofType(silent, "execute_input").length, 0);
    assert.equal(ofType(silent, "execute_result").length, 0);
    assert.equal(streamText(silent), "quiet\n");
    assert.equal(silent.reply.content.execution_count, before);
    assert.equal((await ok(h.kernel, "0")).reply.content.execution_count, before + 1);
  });

  test("user_expressions are evaluated after the cell, each to a bundle or an error", async () => {
    const message = createMessage(
      "execute_request",
      { code: "const base = 20;", silent: false, store_history: true, user_expressions: { twice: "base * 2", broken: "noSuchName" }, allow_stdin: false, stop_on_error: true },
      { session: "user-expressions" },
    );
    const reply = await sendRaw(h, "shell", message);
    const content = reply.content as ContentOf<"execute_reply"> & { user_expressions: Record<string, { status: string; data?: Record<string, unknown>; ename?: string }> };
    assert.equal(content.status, "ok");
    assert.deepEqual(content.user_expressions.twice, { status: "ok", data: { "text/plain": "40" }, metadata: {} });
    assert.equal(content.user_expressions.broken.status, "error");
    assert.equal(content.user_expressions.broken.ename, "TSError");
  });
});

describe("errors", () => {
  test("a runtime error replies and publishes ename, evalue and a traceback of the cell's frames", async () => {
    const outcome = await run(h.kernel, 'function check(n: number) {\n  if (n > 1) throw new RangeError("too big: " + n);\n  return n;\n}\ncheck(3)');
    const reply = outcome.reply.content;
    assert.equal(reply.status, "error");
    if (reply.status !== "error") return;
    assert.equal(reply.ename, "RangeError");
    assert.equal(reply.evalue, "too big: 3");
    assert.equal(reply.traceback[0], "RangeError: too big: 3");
    assert.ok(reply.traceback.some((l) => l.includes("check (<cell") && l.includes('throw new RangeError("too big: " + n)')), reply.traceback.join("\n"));
    assert.ok(!reply.traceback.some((l) => l.includes(path.join("dist", "kernel"))), "no kernel frames");
    const published = ofType(outcome, "error");
    assert.equal(published.length, 1);
    assert.deepEqual(published[0].content, { ename: reply.ename, evalue: reply.evalue, traceback: reply.traceback });
  });

  test("ename is the class name, also for subclasses that set no name and for errors from awaited code", async () => {
    const custom = (await run(h.kernel, "class BudgetExceeded extends Error {}\nthrow new BudgetExceeded('over')")).reply.content;
    assert.equal(custom.status === "error" && custom.ename, "BudgetExceeded");
    const awaited = (await run(h.kernel, "await Promise.reject(new TypeError('late'))")).reply.content;
    assert.deepEqual(awaited.status === "error" && [awaited.ename, awaited.evalue], ["TypeError", "late"]);
    const thrownString = (await run(h.kernel, 'throw "plain text"')).reply.content;
    assert.deepEqual(thrownString.status === "error" && [thrownString.ename, thrownString.evalue], ["Uncaught", "'plain text'"]);
  });

  test("type errors report as TSError with line:col and the line underlined", async () => {
    const reply = (await run(h.kernel, "const fine = 1;\nconst wrong: number = 'text';")).reply.content;
    assert.equal(reply.status, "error");
    if (reply.status !== "error") return;
    assert.equal(reply.ename, "TSError");
    assert.equal(reply.evalue, "2:7 - Type 'string' is not assignable to type 'number'.");
    assert.deepEqual(reply.traceback, [
      "TSError: 2:7 - Type 'string' is not assignable to type 'number'.",
      "  2 | const wrong: number = 'text';",
      "    |       ~~~~~",
    ]);
    const two = (await run(h.kernel, "const a: string = 1;\nconst b: boolean = 'x';")).reply.content;
    assert.equal(two.status === "error" && two.evalue, "1:7 - Type 'number' is not assignable to type 'string'. (and 1 more)");
  });
});

describe("working directory and module resolution", () => {
  test("the kernel runs in the notebook's directory, outside any Node project", async () => {
    assert.ok(!fs.existsSync(path.join(h.cwd, "node_modules")));
    assert.ok(path.relative(repoRoot, h.cwd).startsWith(".."));
    const outcome = await ok(h.kernel, "console.log(process.cwd()); process.versions.node");
    assert.equal(fs.realpathSync(streamText(outcome).trim()), fs.realpathSync(h.cwd));
    assert.equal(resultText(outcome), `'${process.versions.node}'`);
  });

  test("cells import stepwise and tfjs with their types from the kernel's installation", async () => {
    const outcome = await ok(
      h.kernel,
      'import * as tf from "@tensorflow/tfjs";\nimport { version, sgd } from "stepwise";\nconst optimizer = sgd({ lr: 0.1 });\n[version, tf.version.tfjs, typeof optimizer.minimize]',
    );
    assert.equal(resultText(outcome), `[ '${packageJson("stepwise").version}', '${packageJson("@tensorflow/tfjs").version}', 'function' ]`);
    // the compiler sees the real declarations: a wrong use is a type error naming stepwise's and tfjs's types
    const wrongStepwise = (await run(h.kernel, "const v: number = version;")).reply.content;
    assert.equal(wrongStepwise.status === "error" && wrongStepwise.evalue, "1:7 - Type 'string' is not assignable to type 'number'.");
    const wrongTf = (await run(h.kernel, "const s: string = tf.scalar(1);")).reply.content;
    assert.match(wrongTf.status === "error" ? wrongTf.evalue : "", /Type 'Scalar' is not assignable to type 'string'/);
    const missing = (await run(h.kernel, 'import { nothing } from "no-such-package-anywhere";')).reply.content;
    assert.match(missing.status === "error" ? missing.evalue : "", /Cannot find module 'no-such-package-anywhere'/);
  });

  test("relative reads and local .ts modules resolve from the notebook's directory", async () => {
    fs.writeFileSync(path.join(h.cwd, "numbers.txt"), "3 4 5");
    fs.writeFileSync(path.join(h.cwd, "geometry.ts"), "export function hypot(a: number, b: number): number {\n  return Math.sqrt(a * a + b * b);\n}\n");
    const outcome = await ok(h.kernel, 'import * as fs from "fs";\nimport { hypot } from "./geometry";\nconst [a, b] = fs.readFileSync("numbers.txt", "utf8").split(" ").map(Number);\nhypot(a, b)');
    assert.equal(resultText(outcome), "5");
    const typed = (await run(h.kernel, 'hypot("3", 4)')).reply.content;
    assert.match(typed.status === "error" ? typed.evalue : "", /Argument of type 'string' is not assignable to parameter of type 'number'/);
  });
});

describe("display", () => {
  test("display helpers publish display_data with a display_id, in order with the streams", async () => {
    const outcome = await ok(
      h.kernel,
      'console.log("before");\ndisplay.html("<b>bold</b>");\nconsole.log("after");\ndisplay.markdown("# title");\ndisplay.svg("<svg/>");\ndisplay.json({ a: [1, 2] });',
    );
    const sequence = outcome.iopub.filter((m) => m.header.msg_type !== "status" && m.header.msg_type !== "execute_input");
    assert.deepEqual(
      sequence.map((m) => (m.header.msg_type === "stream" ? `stream:${(m as Message<"stream">).content.text}` : m.header.msg_type)),
      ["stream:before\n", "display_data", "stream:after\n", "display_data", "display_data", "display_data"],
    );
    const displays = ofType(outcome, "display_data").map((m) => m.content);
    assert.deepEqual(displays.map((d) => d.data), [
      { "text/html": "<b>bold</b>" },
      { "text/markdown": "# title" },
      { "image/svg+xml": "<svg/>" },
      { "application/json": { a: [1, 2] }, "text/plain": '{\n  "a": [\n    1,\n    2\n  ]\n}' },
    ]);
    for (const d of displays) assert.equal(typeof d.transient?.display_id, "string");
    assert.equal(new Set(displays.map((d) => d.transient?.display_id)).size, 4);
  });

  test("multi-MIME bundles keep every type; JSON types stay objects, bytes become base64", async () => {
    const outcome = await ok(
      h.kernel,
      'display.bundle({ "text/html": "<i>x</i>", "text/plain": "x", "application/vnd.custom+json": { n: 1 } }, { metadata: { note: "m" } });\n' +
        "display.png(new Uint8Array([137, 80, 78, 71]), { width: 12 });",
    );
    const [bundle, png] = ofType(outcome, "display_data").map((m) => m.content);
    assert.deepEqual(bundle.data, { "text/html": "<i>x</i>", "text/plain": "x", "application/vnd.custom+json": { n: 1 } });
    assert.deepEqual(bundle.metadata, { note: "m" });
    assert.deepEqual(png.data, { "image/png": Buffer.from([137, 80, 78, 71]).toString("base64") });
    assert.deepEqual(png.metadata, { "image/png": { width: 12 } });
    const bad = (await run(h.kernel, 'display.bundle({ "text/html": 42 } as any)')).reply.content;
    assert.deepEqual(bad.status === "error" && [bad.ename, bad.evalue], ["TypeError", 'display.bundle: data for "text/html" must be a string, got number 42']);
  });

  test("a handle updates its display in place with update_display_data; clear_output clears", async () => {
    const outcome = await ok(h.kernel, 'const status = display.markdown("step 1");\nawait status.update("step 2");\nclear_output(true);\ndisplay.clear();\nstatus.displayId');
    const shown = ofType(outcome, "display_data")[0].content;
    const updated = ofType(outcome, "update_display_data")[0].content;
    assert.deepEqual(shown.data, { "text/markdown": "step 1" });
    assert.deepEqual(updated.data, { "text/markdown": "step 2" });
    assert.equal(updated.transient.display_id, shown.transient?.display_id);
    assert.equal(resultText(outcome), `'${shown.transient?.display_id}'`);
    assert.deepEqual(ofType(outcome, "clear_output").map((m) => m.content), [{ wait: true }, { wait: false }]);
    // a later cell can update an earlier display: the update goes out under the cell running now
    const later = await ok(h.kernel, 'await status.update("step 3")');
    const update = ofType(later, "update_display_data")[0];
    assert.deepEqual([update.content.data, update.content.transient.display_id], [{ "text/markdown": "step 3" }, shown.transient?.display_id]);
  });

  test("charts: Plotly and Vega-Lite bundles carry the interactive type, HTML, a static SVG and text", async () => {
    const outcome = await ok(
      h.kernel,
      'display.plotly({ data: [{ x: [1, 2], y: [3, 4], type: "scatter" }], layout: { title: { text: "loss" } } });\n' +
        'display.plotly({ data: [{ x: [1, 2], y: [5, 6], type: "scatter" }] });\n' +
        'display.vegalite({ mark: "line", data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } });\n' +
        'import { lineChart } from "stepwise";\n' +
        'lineChart([{ name: "train", x: [1, 2, 3], y: [3, 2, 1] }], { title: "a stepwise chart" })',
    );
    const [plotly, plotlyAgain, vega] = ofType(outcome, "display_data").map((m) => m.content.data);
    assert.deepEqual(plotly["application/vnd.plotly.v1+json"], { data: [{ x: [1, 2], y: [3, 4], type: "scatter" }], layout: { title: { text: "loss" } } });
    assert.match(plotly["text/plain"] as string, /^<Plotly figure: loss: 1 trace>$/);
    assert.match(plotly["image/svg+xml"] as string, /^<svg[^>]*>.*<\/svg>$/s);
    // plotly.js is inlined into the session's first Plotly output only
    assert.ok((plotly["text/html"] as string).length > 1_000_000 && (plotly["text/html"] as string).includes("window.Plotly = module.exports"));
    assert.ok((plotlyAgain["text/html"] as string).length < 2_000 && (plotlyAgain["text/html"] as string).includes("Plotly.newPlot"));
    assert.equal((vega["application/vnd.vegalite.v5+json"] as { mark: string }).mark, "line");
    assert.match(vega["image/svg+xml"] as string, /^<svg[^>]*>.*<\/svg>$/s);
    assert.equal(typeof vega["text/plain"], "string");
    const chart = ofType(outcome, "execute_result")[0].content.data;
    assert.deepEqual(Object.keys(chart).sort(), ["application/vnd.plotly.v1+json", "application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    assert.match(chart["image/svg+xml"] as string, /a stepwise chart/);
  });


  test("last expressions: Deno's display protocol (sync and async), toSpec() charts, tensors", async () => {
    const deno = await ok(h.kernel, '({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<b>deno</b>" }; } })');
    const denoData = ofType(deno, "execute_result")[0].content.data;
    assert.equal(denoData["text/html"], "<b>deno</b>");
    assert.equal(typeof denoData["text/plain"], "string");
    const asyncDeno = await ok(h.kernel, '({ async [Symbol.for("Jupyter.display")]() { return { "text/markdown": "*later*", "text/plain": "later" }; } })');
    assert.deepEqual(ofType(asyncDeno, "execute_result")[0].content.data, { "text/markdown": "*later*", "text/plain": "later" });
    const vega = await ok(h.kernel, '({ toSpec: () => ({ mark: "bar", data: { values: [] } }) })');
    assert.deepEqual(ofType(vega, "execute_result")[0].content.data["application/vnd.vegalite.v5+json"], {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      mark: "bar",
      data: { values: [] },
    });
    const tensor = await ok(h.kernel, 'import * as tfjs from "@tensorflow/tfjs";\ntfjs.tensor2d([[1, 2, 3], [4, 5, 6]])');
    assert.equal(resultText(tensor), "Tensor float32 [2,3]\n[[1, 2, 3],\n [4, 5, 6]]");
    const long = resultText(await ok(h.kernel, "tfjs.range(0, 1000, 1, 'int32')"));
    assert.equal(long, "Tensor int32 [1000]\n[0, 1, 2, ..., 997, 998, 999]");
    assert.equal(resultText(await ok(h.kernel, "const gone = tfjs.ones([2]); gone.dispose(); gone")), "Tensor float32 [2] (disposed)");
  });

  test("fit() shows live progress through the kernel's display sink and updates it in place", async () => {
    const outcome = await ok(
      h.kernel,
      'import { fit, sgd } from "stepwise";\n' +
        "const w = tfjs.variable(tfjs.zeros([1, 1]));\n" +
        "const xs = tfjs.tensor2d([[1], [2], [3], [4]]);\n" +
        "const ys = tfjs.tensor2d([[2], [4], [6], [8]]);\n" +
        "const history = await fit({ variables: [w], loss: (b) => tfjs.losses.meanSquaredError(b.y, b.x.matMul(w)) as tfjs.Scalar },\n" +
        "  { optimizer: sgd({ lr: 0.05 }), data: { x: xs, y: ys }, epochs: 3, batchSize: 2 });\n" +
        "history.steps.length",
    );
    assert.equal(resultText(outcome), "6");
    const shown = ofType(outcome, "display_data");
    assert.equal(shown.length, 1);
    assert.ok("text/html" in shown[0].content.data && "text/plain" in shown[0].content.data);
    const updates = ofType(outcome, "update_display_data");
    assert.ok(updates.length >= 1);
    for (const u of updates) assert.equal(u.content.transient.display_id, shown[0].content.transient?.display_id);
    assert.match(updates[updates.length - 1].content.data["text/plain"] as string, /^done: epoch 3\/3, 100%/);
  });
});

describe("complete, inspect, is_complete", () => {
  test("completes names from earlier cells and members from types", async () => {
    await ok(h.kernel, "const learningRateSchedule = 1;");
    const names = (await h.kernel.client.request("complete_request", { code: "learningRa", cursor_pos: 10 }, { timeoutMs: 30_000 })).content;
    assert.equal(names.status, "ok");
    if (names.status !== "ok") return;
    assert.equal(names.matches[0], "learningRateSchedule");
    assert.deepEqual([names.cursor_start, names.cursor_end], [0, 10]);
    const members = (await h.kernel.client.request("complete_request", { code: '"abc".toUpp', cursor_pos: 11 }, { timeoutMs: 30_000 })).content;
    assert.ok(members.status === "ok" && members.matches.includes("toUpperCase"));
    assert.ok(members.status === "ok" && members.cursor_start === 6 && members.cursor_end === 11);
    const types = (members as unknown as { metadata: { _jupyter_types_experimental: { text: string; type: string }[] } }).metadata._jupyter_types_experimental;
    assert.equal(types.find((t) => t.text === "toUpperCase")?.type, "method");
  });

  test("inspects the type and documentation under the cursor", async () => {
    const found = (await h.kernel.client.request("inspect_request", { code: "Math.max(1, 2)", cursor_pos: 6, detail_level: 0 }, { timeoutMs: 30_000 })).content;
    assert.equal(found.status, "ok");
    assert.ok(found.status === "ok" && found.found);
    assert.match(found.status === "ok" ? (found.data["text/plain"] as string) : "", /max\(\.\.\.values: number\[\]\): number/);
    const nothing = (await h.kernel.client.request("inspect_request", { code: "1 +   2", cursor_pos: 4, detail_level: 0 }, { timeoutMs: 30_000 })).content;
    assert.deepEqual(nothing, { status: "ok", found: false, data: {}, metadata: {} });
  });

  test("is_complete tells complete from incomplete code, with the indent to continue", async () => {
    const ask = async (code: string) => (await h.kernel.client.request("is_complete_request", { code }, { timeoutMs: 30_000 })).content;
    assert.deepEqual(await ask("const x = 1 + 1;"), { status: "complete" });
    assert.deepEqual(await ask("function f() {"), { status: "incomplete", indent: "  " });
    assert.deepEqual(await ask("const list = ["), { status: "incomplete", indent: "  " });
  });
});

describe("history", () => {
  test("tail, range and glob search over the session, with outputs on request", async () => {
    const first = (await ok(h.kernel, "const historyMarker = 'alpha'; historyMarker")).reply.content.execution_count as number;
    await ok(h.kernel, "historyMarker + '-beta'");
    await ok(h.kernel, "historyMarker + '-beta'");
    const tail = (await h.kernel.client.request("history_request", { output: false, raw: true, hist_access_type: "tail", n: 2 }, { timeoutMs: 30_000 })).content;
    assert.deepEqual(tail.status === "ok" && tail.history, [
      [1, first + 1, "historyMarker + '-beta'"],
      [1, first + 2, "historyMarker + '-beta'"],
    ]);
    const range = (await h.kernel.client.request("history_request", { output: true, raw: true, hist_access_type: "range", session: 0, start: first, stop: first + 2 }, { timeoutMs: 30_000 })).content;
    assert.deepEqual(range.status === "ok" && range.history, [
      [1, first, ["const historyMarker = 'alpha'; historyMarker", "'alpha'"]],
      [1, first + 1, ["historyMarker + '-beta'", "'alpha-beta'"]],
    ]);
    const search = (await h.kernel.client.request("history_request", { output: false, raw: true, hist_access_type: "search", pattern: "historyMarker +*", unique: true }, { timeoutMs: 30_000 })).content;
    assert.deepEqual(search.status === "ok" && search.history, [[1, first + 2, "historyMarker + '-beta'"]]);
    const none = (await h.kernel.client.request("history_request", { output: false, raw: true, hist_access_type: "search", pattern: "[!h]istoryMarker*" }, { timeoutMs: 30_000 })).content;
    assert.deepEqual(none.status === "ok" && none.history, []);
    const otherSession = (await h.kernel.client.request("history_request", { output: false, raw: true, hist_access_type: "range", session: 7, start: 1, stop: 100 }, { timeoutMs: 30_000 })).content;
    assert.deepEqual(otherSession.status === "ok" && otherSession.history, []);
  });
});

describe("comms", () => {
  test("front-end comms reach registered targets; messages flow both ways; comm_info lists them by target", async () => {
    await ok(
      h.kernel,
      'comms.registerTarget("echo", (comm, data) => {\n' +
        "  comm.send({ opened: data });\n" +
        "  comm.onMsg((d) => comm.send({ echo: d }));\n" +
        '  comm.onClose(() => console.log("closed " + comm.commId));\n' +
        "});",
    );
    const commId = "comm-under-test";
    const opened = await sendAndCollect(h, createMessage("comm_open", { comm_id: commId, target_name: "echo", data: { hello: 1 } }, { session: "comm-test" }));
    assert.deepEqual(commMessages(opened), [{ type: "comm_msg", content: { comm_id: commId, data: { opened: { hello: 1 } } } }]);

    const info = async (target_name?: string) =>
      (await h.kernel.client.request("comm_info_request", target_name === undefined ? {} : { target_name }, { timeoutMs: 30_000 })).content.comms;
    assert.deepEqual(await info("echo"), { [commId]: { target_name: "echo" } });
    assert.deepEqual(await info("other"), {});
    assert.deepEqual((await info())[commId], { target_name: "echo" });

    const echoed = await sendAndCollect(h, createMessage("comm_msg", { comm_id: commId, data: { n: 2 } }, { session: "comm-test" }));
    assert.deepEqual(commMessages(echoed), [{ type: "comm_msg", content: { comm_id: commId, data: { echo: { n: 2 } } } }]);

    const closed = await sendAndCollect(h, createMessage("comm_close", { comm_id: commId, data: {} }, { session: "comm-test" }));
    assert.deepEqual(closed.filter((m) => m.header.msg_type === "stream").map((m) => (m as Message<"stream">).content.text), [`closed ${commId}\n`]);
    assert.deepEqual(await info("echo"), {});
  });

  test("an open for an unknown target is answered with comm_close; the kernel opens comms too", async () => {
    const answer = await sendAndCollect(h, createMessage("comm_open", { comm_id: "stray", target_name: "nobody", data: {} }, { session: "comm-test" }));
    assert.deepEqual(commMessages(answer), [{ type: "comm_close", content: { comm_id: "stray", data: {} } }]);
    const outcome = await ok(h.kernel, 'const fromKernel = comms.open("frontend.widget", { value: 1 }, { version: "1" });\nfromKernel.send({ value: 2 });\nfromKernel.commId');
    const commId = resultText(outcome).slice(1, -1);
    const [open, msg] = [ofType(outcome, "comm_open")[0], ofType(outcome, "comm_msg")[0]];
    assert.deepEqual(open.content, { comm_id: commId, target_name: "frontend.widget", data: { value: 1 } });
    assert.deepEqual(open.metadata, { version: "1" });
    assert.deepEqual(msg.content, { comm_id: commId, data: { value: 2 } });
    const comms = (await h.kernel.client.request("comm_info_request", { target_name: "frontend.widget" }, { timeoutMs: 30_000 })).content.comms;
    assert.deepEqual(comms, { [commId]: { target_name: "frontend.widget" } });
  });
});

describe("stdin", () => {
  test("input() asks the client over stdin when it allows it", async () => {
    const prompts: { prompt: string; password: boolean }[] = [];
    const outcome = await ok(h.kernel, 'const who = await input("Name: ");\nconst secret = await input("Key: ", { password: true });\n`${who}:${secret.length}`', {
      onInput: (request) => {
        prompts.push(request);
        return request.password ? "hunter2" : "Ada";
      },
    });
    assert.deepEqual(prompts, [
      { prompt: "Name: ", password: false },
      { prompt: "Key: ", password: true },
    ]);
    assert.equal(resultText(outcome), "'Ada:7'");
  });

  test("without allow_stdin, input() fails at once with an error saying why", async () => {
    const reply = (await run(h.kernel, 'await input("Name: ")')).reply.content;
    assert.equal(reply.status, "error");
    assert.ok(reply.status === "error" && reply.ename === "StdinUnavailableError");
    assert.match(reply.status === "error" ? reply.evalue : "", /allow_stdin: false/);
  });
});

describe("heartbeat and control", () => {
  test("the heartbeat answers, even while a cell blocks the main thread", async () => {
    assert.equal(await h.kernel.client.heartbeat(2000), true);
    const blocking = run(h.kernel, "const until = Date.now() + 1500; while (Date.now() < until) {}\n'done'");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await h.kernel.client.heartbeat(1000), true);
    assert.equal(resultText(await blocking), "'done'");
  });

  test("interrupt_request with no cell running is answered ok and changes nothing", async () => {
    const reply = await h.kernel.client.request("interrupt_request", {}, { channel: "control", timeoutMs: 30_000 });
    assert.deepEqual(reply.content, { status: "ok" });
    assert.equal(resultText(await ok(h.kernel, "counter")), "2");
  });
});

// ---------- helpers ----------

function isStatus(m: Message, state: string, parentId: string): boolean {
  return m.header.msg_type === "status" && (m as Message<"status">).content.execution_state === state && (m.parent_header as { msg_id?: string }).msg_id === parentId;
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Send a message on a fresh DEALER (as another client of the same session key would) and await its reply. */
async function sendRaw<T extends MessageType>(harness: Harness, channel: "shell" | "control", message: Message<T>): Promise<Message> {
  const socket = new zmq.Dealer({ linger: 0, receiveTimeout: 60_000 });
  try {
    socket.connect(endpoint(harness.kernel.connection, channel === "shell" ? "shell_port" : "control_port"));
    await socket.send(serialize(message, new Signer(harness.kernel.connection.key)));
    return deserialize(await socket.receive(), new Signer(harness.kernel.connection.key));
  } finally {
    socket.close();
  }
}

/** Send a reply-less shell message (comms) and collect the iopub messages it causes, up to its idle. */
async function sendAndCollect(harness: Harness, message: Message): Promise<Message[]> {
  const collected: Message[] = [];
  let idle!: () => void;
  const done = new Promise<void>((resolve) => (idle = resolve));
  const stop = harness.kernel.client.onIopub((m) => {
    if ((m.parent_header as { msg_id?: string }).msg_id !== message.header.msg_id) return;
    if (isStatus(m, "idle", message.header.msg_id)) idle();
    else if (m.header.msg_type !== "status") collected.push(m);
  });
  const socket = new zmq.Dealer({ linger: 0 });
  let timer: NodeJS.Timeout | undefined;
  try {
    socket.connect(endpoint(harness.kernel.connection, "shell_port"));
    await socket.send(serialize(message, new Signer(harness.kernel.connection.key)));
    await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no idle after 60 s")), 60_000)))]);
    return collected;
  } finally {
    clearTimeout(timer);
    stop();
    socket.close();
  }
}

function commMessages(messages: Message[]): { type: string; content: unknown }[] {
  return messages.filter((m) => m.header.msg_type.startsWith("comm_")).map((m) => ({ type: m.header.msg_type, content: m.content }));
}
