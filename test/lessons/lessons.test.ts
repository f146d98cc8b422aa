/**
 * The lesson pack: every notebook is well-formed courseware (kernel metadata JupyterLab recognises, a
 * parameters cell with a smoke mode, the backend shown first) and runs to the end in smoke mode through the
 * project's own runner and kernel, with every chart carrying its static fallback.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CodeCell, NotebookResult, failureReport, readNotebook, runNotebooks } from "../../runner";

const LESSONS = path.join(__dirname, "..", "..", "..", "notebooks");
const lessonFiles = fs.readdirSync(LESSONS).filter((f) => f.endsWith(".ipynb")).sort();

describe("the lesson pack", () => {
  test("seven lessons, numbered in teaching order", () => {
    assert.deepEqual(lessonFiles.map((f) => f.slice(0, 3)), ["01-", "02-", "03-", "04-", "05-", "06-", "07-"]);
  });

  test("each lesson declares the TypeScript kernel, a parameters cell with a smoke mode, and shows its backend first", async () => {
    for (const file of lessonFiles) {
      const nb = await readNotebook(path.join(LESSONS, file));
      assert.equal(nb.metadata.kernelspec?.name, "stepwise", file);
      assert.equal(nb.metadata.language_info?.name, "typescript", file);
      const code = nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
      assert.match(String(code[0].source), /await sw\.useBestBackend\(\)/, `${file}: the first cell shows the backend`);
      const parameters = code.filter((c) => (c.metadata.tags as string[] | undefined)?.includes("parameters"));
      assert.equal(parameters.length, 1, `${file}: one parameters cell`);
      assert.match(String(parameters[0].source), /let mode = "full";/, file);
      assert.ok(code.every((c) => c.outputs.length === 0 && c.execution_count === null), `${file}: stored without outputs`);
    }
  });

  describe("smoke run through the runner", () => {
    let outputDir: string;
    let results: NotebookResult[];
    before(async () => {
      outputDir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-lessons-"));
      results = await runNotebooks([LESSONS], { parameters: { mode: "smoke" }, outputDir, cellTimeout: 300 });
    });
    after(() => fs.rmSync(outputDir, { recursive: true, force: true }));

    test("every lesson runs to the end", () => {
      assert.equal(results.length, lessonFiles.length);
      for (const result of results) assert.equal(result.status, "passed", failureReport(result));
    });

    test("each executed lesson is written to the top of the output folder under its own name", () => {
      assert.deepEqual(results.map((r) => r.outputPath), lessonFiles.map((f) => path.join(outputDir, f)));
      assert.deepEqual(fs.readdirSync(outputDir).sort(), lessonFiles);
    });

    test("every chart output carries Vega-Lite, Plotly, a static SVG and text", () => {
      let charts = 0;
      for (const result of results) {
        for (const cell of result.notebook?.cells ?? []) {
          if (cell.cell_type !== "code") continue;
          for (const output of cell.outputs) {
            if (output.output_type !== "display_data" && output.output_type !== "execute_result") continue;
            if (!("application/vnd.vegalite.v5+json" in output.data)) continue;
            charts++;
            assert.ok("application/vnd.plotly.v1+json" in output.data && "text/plain" in output.data, result.path);
            assert.match(String(output.data["image/svg+xml"]), /^<svg/, result.path);
          }
        }
      }
      assert.ok(charts >= lessonFiles.length * 2, `only ${charts} charts`);
    });
  });
});
