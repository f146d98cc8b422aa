/**
 * A notebook written for tslab, run unchanged: through the runner on the project's kernel, where its displays
 * must equal what tslab's own kernel shows for the same notebook; and — where Debian's nbclient is installed —
 * through nbclient, the reference client, on the project's kernel.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CodeCell, Notebook, failureReport, runNotebook } from "../../runner";
import { TWO_PIXEL_PNG } from "../png";
import { CellSpec, executeWithNbclient, haveNbclient, readJson, useWorkspace, writeNotebook } from "./fixtures";

const workspace = useWorkspace();

/** tslab's README style: its public module, rich displays, a display updated in place. */
const TSLAB_CELLS: CellSpec[] = [
  'import * as tslab from "tslab";\nimport * as fs from "fs";\ntslab.display.html("<b>bold</b>");\ntslab.display.markdown("# title");',
  'tslab.display.png(fs.readFileSync("pixels.png"));\ntslab.display.svg("<svg/>");',
  'const progress = tslab.newDisplay();\nprogress.text("step 1");\nconst other = tslab.newDisplay();\nother.html("<i>other</i>");\nprogress.text("step 2");',
  'console.log("done", typeof tslab.versions.tslab);',
];

/** What every client must record: per cell, its outputs' type and data (text MIME data joined into one string). */
const EXPECTED = [
  [["display_data", { "text/html": "<b>bold</b>" }], ["display_data", { "text/markdown": "# title" }]],
  [["display_data", { "image/png": TWO_PIXEL_PNG.toString("base64") }], ["display_data", { "image/svg+xml": "<svg/>" }]],
  [["display_data", { "text/plain": "step 2" }], ["display_data", { "text/html": "<i>other</i>" }]],
  [["stream", "done string\n"]],
];

function recorded(nb: Notebook): unknown[][] {
  return nb.cells
    .filter((c): c is CodeCell => c.cell_type === "code")
    .map((cell) => cell.outputs.map((o) => [o.output_type, o.output_type === "stream" ? joined(o.text) : "data" in o ? joinedData(o.data) : o]));
}

function joined(text: string | string[]): string {
  return Array.isArray(text) ? text.join("") : text;
}

/** nbformat writes text MIME data as lists of lines: join them back. */
function joinedData(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([mime, value]) => [mime, Array.isArray(value) ? value.join("") : value]));
}

function tslabNotebook(name: string, kernel: string): string {
  const file = writeNotebook(path.join(workspace.work, name), `${name}.ipynb`, TSLAB_CELLS, { kernel });
  fs.writeFileSync(path.join(path.dirname(file), "pixels.png"), TWO_PIXEL_PNG);
  return file;
}

describe("a notebook written for tslab", () => {
  test("runs unchanged through the runner; its outputs are the ones tslab's own kernel records", async () => {
    const file = tslabNotebook("stepwise", "stepwise");
    const ours = await runNotebook(file, { kernelSearchPath: workspace.kernelSearchPath, outputPath: path.join(workspace.work, "out", "tslab.ipynb") });
    assert.equal(ours.status, "passed", failureReport(ours));
    const written = readJson(ours.outputPath ?? "");
    assert.deepEqual(recorded(written), EXPECTED);
    assert.deepEqual(written.cells.map((c) => (c as CodeCell).execution_count), [1, 2, 3, 4]);

    const theirs = await runNotebook(tslabNotebook("tslab", "tslab"), { kernelSearchPath: workspace.kernelSearchPath });
    assert.equal(theirs.status, "passed", failureReport(theirs));
    assert.deepEqual(recorded(theirs.notebook as Notebook), EXPECTED, "tslab's own kernel records the same outputs");
  });

  if (haveNbclient) {
    test("Debian's nbclient executes it on the project's kernel and records the same outputs", () => {
      const nb = executeWithNbclient(tslabNotebook("nbclient", "stepwise"), workspace.dataDir, "stepwise");
      assert.deepEqual(recorded(nb), EXPECTED);
      const png = (nb.cells[1] as CodeCell).outputs[0];
      assert.ok(png.output_type === "display_data");
      assert.deepEqual(Buffer.from(joined(png.data["image/png"] as string | string[]), "base64"), TWO_PIXEL_PNG);
    });
  }
});
