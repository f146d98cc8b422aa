/**
 * Notebooks written for tslab run unchanged: `import * as tslab from "tslab"` type-checks against tslab's own
 * declarations, and its display API publishes through the kernel's display path (display_data with the cell's
 * parent header, in order with the streams). One kernel for the tests of this file, in order.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Message } from "../../jupyter/messages";
import { TWO_PIXEL_PNG } from "../png";
import { Harness, ofType, ok, resultText, run, startKernel } from "./harness";

const repoRoot = path.resolve(__dirname, "../../..");
const tslabVersion = (JSON.parse(fs.readFileSync(require.resolve("tslab/package.json", { paths: [repoRoot] }), "utf8")) as { version: string }).version;

let h: Harness;
before(async () => {
  h = await startKernel();
});
after(async () => {
  await h?.close();
});

describe("tslab's public API", () => {
  test("display.html, markdown, svg and png publish display_data under the cell, in order with the streams", async () => {
    fs.writeFileSync(path.join(h.cwd, "pixels.png"), TWO_PIXEL_PNG);
    const outcome = await ok(
      h.kernel,
      'import * as tslab from "tslab";\nimport * as fs from "fs";\n' +
        'console.log("before");\ntslab.display.html("<b>bold</b>");\ntslab.display.markdown("# title");\n' +
        'tslab.display.svg("<svg/>");\ntslab.display.png(fs.readFileSync("pixels.png"));\nconsole.log("after");',
    );
    const sequence = outcome.iopub.filter((m) => !["status", "execute_input"].includes(m.header.msg_type));
    assert.deepEqual(
      sequence.map((m) => (m.header.msg_type === "stream" ? `stream:${(m as Message<"stream">).content.text}` : m.header.msg_type)),
      ["stream:before\n", "display_data", "display_data", "display_data", "display_data", "stream:after\n"],
    );
    const displays = ofType(outcome, "display_data");
    assert.deepEqual(displays.map((m) => m.content.data), [
      { "text/html": "<b>bold</b>" },
      { "text/markdown": "# title" },
      { "image/svg+xml": "<svg/>" },
      { "image/png": TWO_PIXEL_PNG.toString("base64") },
    ]);
    const request = outcome.iopub.find((m) => m.header.msg_type === "execute_input")?.parent_header;
    for (const d of displays) {
      assert.deepEqual(d.parent_header, request, "each display belongs to the cell that made it");
      assert.equal(typeof d.content.transient?.display_id, "string");
    }
    assert.deepEqual(Buffer.from(displays[3].content.data["image/png"] as string, "base64"), TWO_PIXEL_PNG);
  });

  test("newDisplay(): each is its own display; its second call updates it in place", async () => {
    const outcome = await ok(
      h.kernel,
      'const first = tslab.newDisplay();\nconst second = tslab.newDisplay();\nfirst.text("one");\nsecond.latex("$x^2$");\nfirst.text("one, updated");',
    );
    const shown = ofType(outcome, "display_data").map((m) => m.content);
    assert.deepEqual(shown.map((d) => d.data), [{ "text/plain": "one" }, { "text/latex": "$x^2$" }]);
    const [firstId, secondId] = shown.map((d) => d.transient?.display_id);
    assert.ok(firstId && secondId && firstId !== secondId, `two display ids: ${firstId}, ${secondId}`);
    const updates = ofType(outcome, "update_display_data").map((m) => m.content);
    assert.deepEqual(updates.map((u) => [u.data, u.transient.display_id]), [[{ "text/plain": "one, updated" }, firstId]]);
    // a later cell updates an earlier display, as tslab's kernel does
    const later = await ok(h.kernel, 'second.latex("$y^2$")');
    assert.deepEqual(ofType(later, "update_display_data").map((m) => [m.content.data, m.content.transient.display_id]), [[{ "text/latex": "$y^2$" }, secondId]]);
  });

  test("raw(), jpeg and javascript keep their MIME types; bytes become base64", async () => {
    const outcome = await ok(
      h.kernel,
      'tslab.display.raw("text/csv", "a,b\\n1,2");\ntslab.display.jpeg(new Uint8Array([255, 216, 255]));\ntslab.display.javascript("void 0");',
    );
    assert.deepEqual(ofType(outcome, "display_data").map((m) => m.content.data), [
      { "text/csv": "a,b\n1,2" },
      { "image/jpeg": Buffer.from([255, 216, 255]).toString("base64") },
      { "text/javascript": "void 0" },
    ]);
  });

  test("types come from tslab's declarations; versions; require() gives the same module", async () => {
    const outcome = await ok(
      h.kernel,
      'const viaRequire = require("tslab") as typeof tslab;\n[tslab.versions.tslab, tslab.versions.node === process.version, viaRequire.display === tslab.display]',
    );
    assert.equal(resultText(outcome), `[ '${tslabVersion}', true, true ]`);
    const wrong = (await run(h.kernel, "const d: number = tslab.newDisplay();")).reply.content;
    assert.match(wrong.status === "error" ? wrong.evalue : "", /Type 'Display' is not assignable to type 'number'/);
    const bad = (await run(h.kernel, "tslab.display.html(42 as any)")).reply.content;
    assert.deepEqual(bad.status === "error" && [bad.ename, bad.evalue], ["TypeError", 'tslab.display: data for "text/html" must be a string, got number 42']);
  });

  test("a tslab in the notebook's own node_modules does not replace the kernel's", async () => {
    const local = path.join(h.cwd, "node_modules", "tslab");
    fs.mkdirSync(local, { recursive: true });
    fs.writeFileSync(path.join(local, "package.json"), JSON.stringify({ name: "tslab", version: "0.0.1", main: "index.js" }));
    fs.writeFileSync(path.join(local, "index.js"), 'exports.display = { html() { throw new Error("the notebook\'s own copy"); } };');
    const outcome = await ok(h.kernel, 'const again = require("tslab") as typeof tslab;\nagain.display.html("<i>kernel copy</i>");');
    assert.deepEqual(ofType(outcome, "display_data").map((m) => m.content.data), [{ "text/html": "<i>kernel copy</i>" }]);
  });
});
