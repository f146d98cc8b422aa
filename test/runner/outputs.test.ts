/**
 * Outputs collected into cells as nbclient collects them: stream merging, display_data and their updates by
 * display_id (also from later cells), clear_output with and without wait, results, errors, execution counts
 * and nbclient's timing record. Checked against the project's kernel, and — where Debian's nbclient and
 * ipykernel are installed — against what nbclient itself writes for the same notebooks and kernels.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { CodeCell, Notebook, Output, failureReport, runNotebook } from "../../runner";
import { CellSpec, executeWithNbclient, haveIpykernel, haveNbclient, readJson, useWorkspace, writeNotebook } from "./fixtures";

const workspace = useWorkspace();

const TYPESCRIPT_CELLS: CellSpec[] = [
  'const h = display.markdown("**first**");\nconsole.log("a");\nconsole.log("b");\nconsole.error("err");\nconsole.log("c");',
  'await h.update("**updated from a later cell**");\nconsole.log("second");',
  'console.log("gone");\ndisplay.clear();\nconsole.log("kept");',
  'console.log("before");\ndisplay.clear({ wait: true });\nconsole.log("after");',
  "6 * 7",
  { source: 'throw new TypeError("expected")', tags: ["raises-exception"] },
  'console.log("end")',
];

const PYTHON_CELLS: CellSpec[] = [
  'import sys\nfrom IPython.display import display, clear_output, Markdown\nprint("a")\nprint("b")\nprint("err", file=sys.stderr)\nprint("c")\nh = display(Markdown("**first**"), display_id=True)\ndisplay("fixed one", display_id="fixed")',
  'h.update(Markdown("**updated from a later cell**"))\ndisplay("fixed two", display_id="fixed")',
  'print("gone")\nclear_output()\nprint("kept")',
  'print("before")\nclear_output(wait=True)\nprint("after")',
  "6 * 7",
  { source: 'raise TypeError("expected")', tags: ["raises-exception"] },
  'print("end")',
];

function codeCells(nb: Notebook): CodeCell[] {
  return nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
}

function joined(text: string | string[]): string {
  return Array.isArray(text) ? text.join("") : text;
}

/**
 * What both clients must agree on: execution counts and outputs, with consecutive stream messages of one
 * name merged (nbclient 0.7 keeps one output per message; JupyterLab and our runner merge them) and
 * tracebacks left out (they name per-process temporary files).
 */
function comparable(nb: Notebook): Array<{ count: number | null; outputs: unknown[] }> {
  return codeCells(nb).map((cell) => {
    const outputs: Output[] = [];
    for (const o of cell.outputs) {
      const last = outputs[outputs.length - 1];
      if (o.output_type === "stream" && last?.output_type === "stream" && last.name === o.name) last.text = joined(last.text) + joined(o.text);
      else outputs.push(o.output_type === "stream" ? { ...o, text: joined(o.text) } : o);
    }
    return { count: cell.execution_count, outputs: outputs.map((o) => (o.output_type === "error" ? { ename: o.ename, evalue: o.evalue } : "data" in o ? { ...o, data: joinedData(o.data) } : o)) };
  });
}

/** nbformat writes text MIME data as lists of lines (JSON types stay objects): join them back. */
function joinedData(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([mime, value]) => [mime, !mime.endsWith("json") && Array.isArray(value) ? value.join("") : value]));
}

function executeOnNbclient(file: string): Notebook {
  return executeWithNbclient(file, workspace.dataDir);
}

describe("outputs collected into cells", () => {
  test("the TypeScript kernel: merged streams, a display updated from a later cell, clear_output, results, expected errors, timing", async () => {
    const file = writeNotebook(workspace.work, "outputs.ipynb", TYPESCRIPT_CELLS);
    const result = await runNotebook(file, { kernelSearchPath: workspace.kernelSearchPath, outputPath: path.join(workspace.work, "out", "outputs.ipynb") });
    assert.equal(result.status, "passed", failureReport(result));
    const cells = codeCells(readJson(result.outputPath ?? ""));
    const [first, second, cleared, waited, value, raised, end] = cells;
    assert.deepEqual(
      first.outputs.map((o) => [o.output_type, o.output_type === "stream" ? `${o.name}:${joined(o.text)}` : ""]),
      [["display_data", ""], ["stream", "stdout:a\nb\n"], ["stream", "stderr:err\n"], ["stream", "stdout:c\n"]],
    );
    const shown = first.outputs[0];
    assert.ok(shown.output_type === "display_data");
    assert.equal(shown.data["text/markdown"], "**updated from a later cell**", "update_display_data from cell 2 replaced cell 1's display");
    assert.deepEqual(second.outputs, [{ output_type: "stream", name: "stdout", text: "second\n" }]);
    assert.deepEqual(cleared.outputs, [{ output_type: "stream", name: "stdout", text: "kept\n" }]);
    assert.deepEqual(waited.outputs, [{ output_type: "stream", name: "stdout", text: "after\n" }]);
    assert.deepEqual(value.outputs.map((o) => o.output_type === "execute_result" && [o.execution_count, o.data["text/plain"]]), [[5, "42"]]);
    assert.deepEqual(raised.outputs.map((o) => o.output_type === "error" && [o.ename, o.evalue]), [["TypeError", "expected"]]);
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(joined((end.outputs[0] as { text: string }).text), "end\n");
    for (const cell of cells) {
      const timing = cell.metadata.execution as Record<string, string>;
      const keys = ["iopub.status.busy", "iopub.execute_input", "shell.execute_reply", "iopub.status.idle"];
      assert.deepEqual(Object.keys(timing).sort(), [...keys].sort());
      const times = keys.map((k) => Date.parse(timing[k]));
      assert.ok(times.every(Number.isFinite), JSON.stringify(timing));
      assert.ok(times[0] <= times[1] && times[1] <= times[3] && times[2] <= times[3], `timing in protocol order: ${JSON.stringify(timing)}`);
    }
  });

  if (haveNbclient && haveIpykernel) {
    describe("the same notebooks through Debian's nbclient", () => {
      for (const [kernel, language, cells] of [["stepwise", "typescript", TYPESCRIPT_CELLS], ["python3", "python", PYTHON_CELLS]] as const) {
        test(`${kernel} kernel: the runner's outputs and execution counts equal nbclient's`, async () => {
          const file = writeNotebook(workspace.work, `nbclient-${kernel}.ipynb`, [...cells], { kernel, language });
          const theirs = executeOnNbclient(file);
          const ours = await runNotebook(file, { kernelSearchPath: workspace.kernelSearchPath });
          assert.equal(ours.status, "passed", failureReport(ours));
          assert.deepEqual(comparable(ours.notebook as Notebook), comparable(theirs));
        });
      }
    });
  }
});
