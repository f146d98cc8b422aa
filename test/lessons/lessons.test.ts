/**
 * The lesson pack: every notebook is well-formed courseware (kernel metadata JupyterLab recognises, a
 * parameters cell with a smoke mode, the backend shown first, a final cell that checks the lesson's claims)
 * and runs to the end in smoke mode for seeds 0, 1 and 2 — through the project's own runner, and through
 * Debian's nbclient (the reference client) where it is installed — with every chart carrying its static
 * fallback. A lesson whose data stops supporting its text fails here, in its checks cell.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CodeCell, Notebook, NotebookResult, failureReport, injectParameters, readNotebook, runNotebooks, serializeNotebook } from "../../runner";
import { executeWithNbclient, haveNbclient, useWorkspace } from "../runner/fixtures";

const LESSONS = path.join(__dirname, "..", "..", "..", "notebooks");
const lessonFiles = fs.readdirSync(LESSONS).filter((f) => f.endsWith(".ipynb")).sort();
/** The lessons' claims must hold for other seeds than the default. */
const SEEDS = [0, 1, 2];

const tagsOf = (cell: CodeCell): string[] => (cell.metadata.tags as string[] | undefined) ?? [];
const codeCells = (nb: Notebook): CodeCell[] => nb.cells.filter((c): c is CodeCell => c.cell_type === "code");

/** Charts in an executed notebook: outputs with a Vega-Lite spec, each checked for its other renderings. */
function countCharts(nb: Notebook, where: string): number {
  let charts = 0;
  for (const cell of codeCells(nb)) {
    for (const output of cell.outputs) {
      if (output.output_type !== "display_data" && output.output_type !== "execute_result") continue;
      if (!("application/vnd.vegalite.v5+json" in output.data)) continue;
      charts++;
      assert.ok("application/vnd.plotly.v1+json" in output.data && "text/plain" in output.data, where);
      const svg = output.data["image/svg+xml"];
      assert.match(Array.isArray(svg) ? svg.join("") : String(svg), /^<svg/, where);
    }
  }
  return charts;
}

describe("the lesson pack", () => {
  test("lessons are numbered in teaching order from 00, one per number", () => {
    const numbers = lessonFiles.map((f) => f.match(/^(\d\d)-[a-z0-9-]+\.ipynb$/)?.[1]);
    assert.ok(numbers.every((n) => n !== undefined), `lesson files are NN-name.ipynb: ${lessonFiles.join(", ")}`);
    assert.deepEqual(numbers.map(Number), numbers.map((_, i) => i), `lessons numbered 00, 01, … without gaps or repeats: ${lessonFiles.join(", ")}`);
  });

  test("each lesson declares the TypeScript kernel, shows its backend first, has one parameters cell, writes its conclusion from the run and ends with its checks", async () => {
    for (const file of lessonFiles) {
      const nb = await readNotebook(path.join(LESSONS, file));
      assert.equal(nb.metadata.kernelspec?.name, "stepwise", file);
      assert.equal(nb.metadata.language_info?.name, "typescript", file);
      const code = codeCells(nb);
      assert.match(String(code[0].source), /await sw\.useBestBackend\(\)/, `${file}: the first cell shows the backend`);
      const parameters = code.filter((c) => tagsOf(c).includes("parameters"));
      assert.equal(parameters.length, 1, `${file}: one parameters cell`);
      assert.match(String(parameters[0].source), /let mode = "full";/, file);
      assert.match(String(parameters[0].source), /let seed = 0;/, file);
      assert.ok(code.every((c) => c.outputs.length === 0 && c.execution_count === null), `${file}: stored without outputs`);
      const checks = code.filter((c) => tagsOf(c).includes("checks"));
      assert.equal(checks.length, 1, `${file}: one cell tagged "checks"`);
      assert.equal(checks[0], code.at(-1), `${file}: the checks cell is the last code cell`);
      assert.match(String(checks[0].source), /throw new Error\(/, `${file}: the checks cell throws when a claim fails`);
      // conclusions come from the run's numbers: a cell builds them as Markdown, never prose typed with numbers
      assert.ok(code.some((c) => /display\.markdown\(/.test(String(c.source)) && c !== checks[0]), `${file}: a cell writes the conclusion with display.markdown`);
    }
  });

  for (const seed of SEEDS) {
    describe(`smoke run through the runner, seed ${seed}`, () => {
      let outputDir: string;
      let results: NotebookResult[];
      before(async () => {
        outputDir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-lessons-"));
        results = await runNotebooks([LESSONS], { parameters: { mode: "smoke", seed }, outputDir, cellTimeout: 300 });
      });
      after(() => fs.rmSync(outputDir, { recursive: true, force: true }));

      test("every lesson runs to the end, its checks included", () => {
        assert.equal(results.length, lessonFiles.length);
        for (const result of results) assert.equal(result.status, "passed", failureReport(result));
      });

      test("each executed lesson is written to the top of the output folder under its own name", () => {
        assert.deepEqual(results.map((r) => r.outputPath), lessonFiles.map((f) => path.join(outputDir, f)));
        assert.deepEqual(fs.readdirSync(outputDir).sort(), lessonFiles);
      });

      test("every lesson draws charts, each with Vega-Lite, Plotly, a static SVG and text", () => {
        for (const result of results) assert.ok(countCharts(result.notebook as Notebook, result.path) >= 1, `${result.path}: no chart`);
      });
    });
  }

  if (haveNbclient) {
    describe("smoke run through Debian's nbclient (the reference client) on the project's kernel", () => {
      const workspace = useWorkspace();
      for (const seed of SEEDS) {
        test(`every lesson runs to the end with seed ${seed}, charts included`, async () => {
          for (const file of lessonFiles) {
            // nbclient has no parameters: inject them as papermill does, after the parameters cell
            const nb = injectParameters(await readNotebook(path.join(LESSONS, file)), { mode: "smoke", seed }, "typescript");
            const copy = path.join(workspace.work, `seed-${seed}-${file}`);
            fs.writeFileSync(copy, serializeNotebook(nb));
            const executed = executeWithNbclient(copy, workspace.dataDir);
            assert.ok(countCharts(executed, `${file} (seed ${seed})`) >= 1, `${file}: no chart under nbclient`);
          }
        });
      }
    });
  }
});
