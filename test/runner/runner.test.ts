/**
 * The runner against real kernels: the project's TypeScript kernel (installed into a temporary Jupyter
 * data directory by its own installer) and, where Debian's ipykernel is installed, Python's.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CodeCell,
  collectNotebooks,
  failureReport,
  junitXml,
  parameterWarnings,
  parseNotebook,
  parseShard,
  runNotebook,
  runNotebooks,
  sanitize,
  shardOf,
} from "../../runner";
import { CellSpec, PYTHON, cellText as text, haveIpykernel, notebookJson, readJson as read, useWorkspace, writeNotebook } from "./fixtures";

const workspace = useWorkspace();

function notebook(name: string, cells: CellSpec[], options: { kernel?: string; language?: string; minor?: number } = {}): string {
  return writeNotebook(workspace.work, name, cells, options);
}

function out(name: string): string {
  return path.join(workspace.work, "out", name);
}

describe("executing a notebook", () => {
  test("parameters are injected after the parameters cell, used, and recorded where papermill keeps them", async () => {
    const source = notebook("params.ipynb", [
      { source: 'let mode = "full";\nlet steps = 100;', tags: ["parameters"] },
      'console.log(mode, steps * 2);\n`${mode}:${steps}`',
    ]);
    const before = fs.readFileSync(source, "utf8");
    const result = await runNotebook(source, { kernelSearchPath: workspace.kernelSearchPath, parameters: { mode: "smoke", steps: 3 }, outputPath: out("params.ipynb") });
    assert.equal(result.status, "passed", failureReport(result));
    assert.deepEqual(result.warnings, []);
    assert.equal(fs.readFileSync(source, "utf8"), before, "the source notebook is untouched");
    const nb = read(out("params.ipynb"));
    const [parameters, injected, body] = nb.cells as CodeCell[];
    assert.deepEqual(parameters.metadata.tags, ["parameters"]);
    assert.deepEqual(injected.metadata.tags, ["injected-parameters"]);
    assert.equal(injected.source, '// Parameters\nlet mode = "smoke";\nlet steps = 3;');
    assert.equal(text(body), "smoke 6\n'smoke:3'");
    assert.deepEqual([parameters, injected, body].map((c) => c.execution_count), [1, 2, 3]);
    const papermill = nb.metadata.papermill as Record<string, unknown>;
    assert.deepEqual(papermill.parameters, { mode: "smoke", steps: 3 });
    assert.equal(papermill.exception, false);
    assert.equal((body.metadata.papermill as Record<string, unknown>).status, "completed");
    assert.ok(typeof (body.metadata.papermill as Record<string, unknown>).duration === "number");
    // the written notebook is valid nbformat 4.5
    parseNotebook(fs.readFileSync(out("params.ipynb"), "utf8"), "written");
  });

  test("an injected value keeps the parameter's type: code comparing it with another value still compiles", async () => {
    const source = notebook("params-type.ipynb", [
      { source: 'let mode = "full";\nlet steps = 100;', tags: ["parameters"] },
      'const full = mode !== "smoke";\n`${full}:${steps === 0}`',
    ]);
    for (const [parameters, expected] of [[{ mode: "full", steps: 100 }, "'true:false'"], [{ mode: "smoke", steps: 0 }, "'false:true'"]] as const) {
      const result = await runNotebook(source, { kernelSearchPath: workspace.kernelSearchPath, parameters, outputPath: out("params-type.ipynb") });
      assert.equal(result.status, "passed", failureReport(result));
      assert.equal(text((read(out("params-type.ipynb")).cells as CodeCell[])[2]), expected);
    }
  });

  test("a failing cell: the report names the file, cell and error; the partial notebook is written and marked", async () => {
    const source = notebook("fails.ipynb", ['console.log("before")', 'const answer = 42;\nthrow new RangeError("out of range: " + answer);', 'console.log("never")']);
    const result = await runNotebook(source, { kernelSearchPath: workspace.kernelSearchPath, outputPath: out("fails.ipynb") });
    assert.equal(result.status, "failed");
    assert.deepEqual([result.failure?.kind, result.failure?.ename, result.failure?.evalue, result.failure?.cellId], ["error", "RangeError", "out of range: 42", "cell-1"]);
    const report = failureReport(result);
    assert.match(report, /^FAILED .*fails\.ipynb: a cell raised an error\n {2}cell 1 \(id cell-1, In \[2\]\):\n {4}\| const answer = 42;\n {4}\| throw new RangeError/);
    // the error once, then the traceback's frames (the kernel's "ename: evalue" opening line not repeated)
    assert.equal(report.match(/RangeError: out of range: 42/g)?.length, 1, report);
    assert.match(report, /\n {2}RangeError: out of range: 42\n +at <cell 2>: throw new RangeError/);
    const nb = read(out("fails.ipynb"));
    assert.match(String(nb.cells[0].source), /An Exception was encountered at '<a href="#papermill-error-cell">In \[2\]<\/a>'/);
    assert.deepEqual(nb.cells[2].metadata.tags, ["papermill-error-cell-tag"]);
    const failed = nb.cells[3] as CodeCell;
    assert.equal(failed.outputs.find((o) => o.output_type === "error")?.output_type, "error");
    assert.equal((failed.metadata.papermill as Record<string, unknown>).status, "failed");
    const never = nb.cells[4] as CodeCell;
    assert.deepEqual([never.outputs, never.execution_count, (never.metadata.papermill as Record<string, unknown>).status], [[], null, "pending"]);
  });

  test("raises-exception, allow_errors and skip-execution", async () => {
    const expected = notebook("expected.ipynb", [{ source: 'throw new Error("expected")', tags: ["raises-exception"] }, { source: "process.exit(9)", tags: ["skip-execution"] }, "1 + 1"]);
    const result = await runNotebook(expected, { kernelSearchPath: workspace.kernelSearchPath });
    assert.equal(result.status, "passed", failureReport(result));
    assert.equal(text(result.notebook?.cells[2] as CodeCell), "2");

    const missing = notebook("missing.ipynb", [{ source: "1", tags: ["raises-exception"] }]);
    const noError = await runNotebook(missing, { kernelSearchPath: workspace.kernelSearchPath });
    assert.deepEqual([noError.status, noError.failure?.kind], ["failed", "missing-exception"]);

    const tolerated = notebook("tolerated.ipynb", ['throw new Error("tolerated")', '"after"']);
    assert.equal((await runNotebook(tolerated, { kernelSearchPath: workspace.kernelSearchPath })).status, "failed");
    const allowed = await runNotebook(tolerated, { kernelSearchPath: workspace.kernelSearchPath, allowErrors: true });
    assert.equal(allowed.status, "passed");
    assert.equal(text(allowed.notebook?.cells[1] as CodeCell), "'after'");
    const nb = read(tolerated);
    nb.metadata.execution = { allow_errors: true }; // nbmake's notebook-level switch
    fs.writeFileSync(tolerated, JSON.stringify(nb));
    assert.equal((await runNotebook(tolerated, { kernelSearchPath: workspace.kernelSearchPath })).status, "passed");
  });

  test("a cell past its timeout is interrupted and reported with an error output; the partial notebook is written; the next notebook runs", async () => {
    // the cell's own metadata.execution.timeout (a string, as nbformat's schema wants it) wins over the run's
    const slow = notebook("slow.ipynb", ['console.log("started")', { source: "await new Promise(() => {})", metadata: { execution: { timeout: "1" } } }, '"never"']);
    const next = notebook("after-slow.ipynb", ['"fine"']);
    const source = fs.readFileSync(slow, "utf8");
    const [timedOut, fine] = await runNotebooks([slow, next], { kernelSearchPath: workspace.kernelSearchPath, cellTimeout: 120, outputDir: out("timeouts") });
    assert.deepEqual([timedOut.status, timedOut.failure?.kind, timedOut.failure?.cellId], ["failed", "timeout", "cell-1"]);
    assert.match(timedOut.failure?.evalue ?? "", /^the cell ran past the cell timeout of 1 s; it was interrupted$/);
    assert.equal(fine.status, "passed", failureReport(fine));
    const written = read(timedOut.outputPath ?? "");
    assert.equal(fs.readFileSync(slow, "utf8"), source, "the source notebook is untouched");
    // banner, first cell, papermill's anchor, the timed-out cell, the cell never run
    const [, started, , hung, never] = written.cells as CodeCell[];
    assert.equal(text(started), "started\n");
    assert.deepEqual([hung.id, hung.execution_count, (hung.metadata.papermill as Record<string, unknown>).status], ["cell-1", 2, "failed"]);
    const error = hung.outputs[hung.outputs.length - 1];
    assert.ok(error.output_type === "error" && error.ename === "CellTimeoutError", JSON.stringify(hung.outputs));
    assert.deepEqual([never.execution_count, (never.metadata.papermill as Record<string, unknown>).status], [null, "pending"]);
    parseNotebook(JSON.stringify(written), "the partial notebook"); // still valid nbformat

    // the run's --timeout, and the whole-notebook timeout
    const [cellLimit, notebookLimit] = await Promise.all([
      runNotebook(notebook("hang.ipynb", ["await new Promise(() => {})"]), { kernelSearchPath: workspace.kernelSearchPath, cellTimeout: 1 }),
      runNotebook(notebook("hang-notebook.ipynb", ["await new Promise(() => {})"]), { kernelSearchPath: workspace.kernelSearchPath, notebookTimeout: 2 }),
    ]);
    assert.match(cellLimit.failure?.evalue ?? "", /^the cell ran past the cell timeout of 1 s/);
    assert.match(notebookLimit.failure?.evalue ?? "", /^the cell ran past the notebook timeout of 2 s/);
  });

  test("a long run autosaves its progress as papermill does: finished cells with outputs, the running cell marked running", async () => {
    const file = notebook("autosave.ipynb", ['console.log("first")', 'await new Promise((r) => setTimeout(r, 2000));\n"done"']);
    const output = out("autosave.ipynb");
    let settled = false;
    const run = runNotebook(file, { kernelSearchPath: workspace.kernelSearchPath, outputPath: output, autosave: 0.2 }).finally(() => (settled = true));
    let snapshot: ReturnType<typeof read> | undefined;
    while (!snapshot && !settled) {
      const saved = fs.existsSync(output) ? read(output) : undefined;
      if ((saved?.cells[1].metadata.papermill as Record<string, unknown> | undefined)?.status === "running") snapshot = saved;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(snapshot, "an autosave showed the second cell running");
    const [first, second] = snapshot.cells as CodeCell[];
    assert.deepEqual([text(first), (first.metadata.papermill as Record<string, unknown>).status, second.outputs], ["first\n", "completed", []]);
    const result = await run;
    assert.equal(result.status, "passed", failureReport(result));
    const final = read(output).cells[1] as CodeCell;
    assert.deepEqual([text(final), (final.metadata.papermill as Record<string, unknown>).status], ["'done'", "completed"]);
    await assert.rejects(runNotebook(file, { autosave: -1 }), /runNotebook: autosave must be a number of seconds >= 0, got -1/);
  });

  test("a kernel that dies is reported with the cell that killed it; the next notebook gets a fresh kernel", async () => {
    const dying = notebook("dies.ipynb", ['console.log("last words")', "process.exit(3)", '"never"']);
    const healthy = notebook("healthy.ipynb", ["typeof process"]);
    const [died, fine] = await runNotebooks([dying, healthy], { kernelSearchPath: workspace.kernelSearchPath, outputDir: out("batch") });
    assert.deepEqual([died.failure?.kind, died.failure?.ename, died.failure?.cellId], ["kernel-died", "DeadKernelError", "cell-1"]);
    assert.match(died.failure?.evalue ?? "", /exit code 3/);
    assert.equal(fine.status, "passed");
  });

  test("malformed files are reported and the rest still run", async () => {
    const broken = path.join(workspace.work, "malformed", "broken.ipynb");
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(broken, "{ not json");
    fs.writeFileSync(path.join(workspace.work, "malformed", "v3.ipynb"), JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [] }));
    fs.writeFileSync(path.join(workspace.work, "malformed", "shape.ipynb"), JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code", id: "x", source: 1 }] }));
    notebook(path.join("malformed", "ok.ipynb"), ["1"], { minor: 4 }); // nbformat 4.4: ids are added
    const results = await runNotebooks([path.join(workspace.work, "malformed")], { kernelSearchPath: workspace.kernelSearchPath, outputDir: out("malformed") });
    const byName = Object.fromEntries(results.map((r) => [path.basename(r.path), r]));
    assert.match(byName["broken.ipynb"].failure?.evalue ?? "", /broken\.ipynb: not a notebook: invalid JSON/);
    assert.match(byName["v3.ipynb"].failure?.evalue ?? "", /nbformat 3 is not supported/);
    assert.match(byName["shape.ipynb"].failure?.evalue ?? "", /shape\.ipynb: not a valid nbformat 4\.5 notebook: \/cells\/0/);
    assert.equal(byName["ok.ipynb"].status, "passed", failureReport(byName["ok.ipynb"]));
  });

  test("jobs run notebooks in parallel, each in its own kernel; results keep the input order", async () => {
    const files = [0, 1, 2].map((i) => notebook(path.join("parallel", `n${i}.ipynb`), [`await new Promise((r) => setTimeout(r, 300));\nprocess.pid`]));
    const results = await runNotebooks(files, { kernelSearchPath: workspace.kernelSearchPath, jobs: 2, outputDir: out("parallel") });
    assert.deepEqual(results.map((r) => path.basename(r.path)), ["n0.ipynb", "n1.ipynb", "n2.ipynb"]);
    const pids = results.map((r) => text(r.notebook?.cells[0] as CodeCell));
    assert.equal(new Set(pids).size, 3, `one kernel per notebook, got pids ${pids}`);
  });

  test("check-outputs: sanitised outputs must match the stored ones", async () => {
    const file = notebook("stored.ipynb", ['console.log("took " + (1 + Math.random()).toFixed(3) + " ms")', '"stable"']);
    const first = await runNotebook(file, { kernelSearchPath: workspace.kernelSearchPath, outputPath: file }); // store outputs in place
    assert.equal(first.status, "passed");
    const [same] = await runNotebooks([file], { kernelSearchPath: workspace.kernelSearchPath, checkOutputs: true, outputDir: out("check") });
    assert.equal(same.status, "passed", failureReport(same));
    const nb = read(file);
    (nb.cells[1] as CodeCell).outputs = [{ output_type: "execute_result", execution_count: 2, data: { "text/plain": "'changed'" }, metadata: {} }];
    fs.writeFileSync(file, JSON.stringify(nb));
    const [differs] = await runNotebooks([file], { kernelSearchPath: workspace.kernelSearchPath, checkOutputs: true, outputDir: out("check") });
    assert.deepEqual([differs.status, differs.failure?.kind, differs.failure?.cellId], ["failed", "output-mismatch", "cell-1"]);
  });
});

describe("a weaker kernel: tslab's", () => {
  test("parameters work, and an error reply without ename/evalue/traceback is reported from the cell's stderr", async () => {
    const file = notebook("tslab.ipynb", [{ source: "let n = 1;", tags: ["parameters"] }, 'console.log("n is", n);', 'throw new RangeError("weak " + n);'], { kernel: "tslab" });
    const result = await runNotebook(file, { kernelSearchPath: workspace.kernelSearchPath, parameters: { n: 5 }, cellTimeout: 120 });
    const cells = result.notebook?.cells.filter((c): c is CodeCell => c.cell_type === "code") ?? [];
    assert.equal(text(cells[2]), "n is 5\n");
    assert.deepEqual([result.failure?.kind, result.failure?.ename, result.failure?.evalue, result.failure?.cellId], ["error", "RangeError", "weak 5", "cell-2"]);
    assert.ok(result.failure?.traceback.some((line) => /at evalmachine/.test(line)), JSON.stringify(result.failure?.traceback));
    assert.match(failureReport(result), /\n {2}RangeError: weak 5\n/);
  });
});

describe("the runner's own kernel", () => {
  test("without an installed stepwise kernelspec, the runner uses its own installation's kernel", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-no-kernels-"));
    try {
      const result = await runNotebook(notebook("own-kernel.ipynb", ['"runs"']), { kernelSearchPath: [empty] });
      assert.equal(result.status, "passed", failureReport(result));
      await assert.rejects(runNotebook(notebook("other.ipynb", ["1"], { kernel: "julia-1.9" }), { kernelSearchPath: [empty] }).then((r) => {
        throw new Error(r.failure?.evalue);
      }), /no kernel spec named "julia-1\.9"/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("collection, shards, reports", () => {
  test("folders expand to their notebooks in path order, skipping checkpoints and the output folder; named files keep their order", async () => {
    const root = path.join(workspace.work, "tree");
    for (const f of ["b/2.ipynb", "a.ipynb", "b/1.ipynb", "b/.ipynb_checkpoints/1-checkpoint.ipynb", "executed/a.ipynb", "notes.txt"]) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), "{}");
    }
    // each with its path below the folder that was named (where its output goes)
    const found = await collectNotebooks([root], [path.join(root, "executed")]);
    assert.deepEqual(found.map((f) => [path.relative(root, path.resolve(f.path)), f.relativePath]), [["a.ipynb", "a.ipynb"], ["b/1.ipynb", "b/1.ipynb"], ["b/2.ipynb", "b/2.ipynb"]]);
    // files keep the order they were named in, each by its file name; a notebook named twice runs once, as first named
    const named = await collectNotebooks([path.join(root, "b/2.ipynb"), path.join(root, "a.ipynb"), path.join(root, "b")]);
    assert.deepEqual(named.map((f) => [path.relative(root, path.resolve(f.path)), f.relativePath]), [["b/2.ipynb", "2.ipynb"], ["a.ipynb", "a.ipynb"], ["b/1.ipynb", "1.ipynb"]]);
    await assert.rejects(collectNotebooks([path.join(root, "missing")]), /missing does not exist/);
  });

  test("shards partition the sorted list deterministically", () => {
    const all = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const shards = [1, 2, 3].map((index) => shardOf(all, { index, count: 3 }));
    assert.deepEqual(shards.flat().sort(), [...all].sort());
    assert.deepEqual(shards[1], ["n1", "n4", "n7"]);
    assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
    assert.throws(() => parseShard("4/3"), /--shard must be I\/N with 1 <= I <= N/);
  });

  test("a run's shard is that slice of its collected notebooks, the same on every call", async () => {
    const root = path.join(workspace.work, "shards");
    for (let i = 0; i < 7; i++) notebook(path.join("shards", `s${i}`, "n.ipynb"), ["1"]);
    const planned = async () => {
      let plan: readonly string[] = [];
      // an aborted signal: the run plans its notebooks, then starts none
      const results = await runNotebooks([root], { shard: { index: 2, count: 3 }, signal: AbortSignal.abort(), outputDir: out("shards"), onPlan: (p) => (plan = p) });
      assert.deepEqual(results, []);
      return plan.map((f) => path.relative(root, path.resolve(f)));
    };
    const expected = ["s1/n.ipynb", "s4/n.ipynb"];
    assert.deepEqual(await planned(), expected);
    assert.deepEqual(await planned(), expected);
  });

  test("JUnit XML: a testcase per notebook, failures with the escaped report", () => {
    const xml = junitXml([
      { path: "lessons/a.ipynb", status: "passed", seconds: 1.5, codeCells: 2, executedCells: 2, warnings: [] },
      { path: "lessons/b.ipynb", status: "failed", seconds: 0.5, codeCells: 2, executedCells: 1, warnings: [], failure: { kind: "error", cellIndex: 1, cellId: "x", sourceHead: "if (a < b && c) {", ename: "Error", evalue: 'bad "quote" \u001b[31mred\u001b[0m', traceback: [] } },
    ], { timestamp: new Date("2026-01-02T03:04:05.678Z"), hostname: "ci-1" });
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites tests="2" failures="1" time="2\.000">\n<testsuite name="stepwise run" tests="2" failures="1" errors="0" skipped="0" time="2\.000" timestamp="2026-01-02T03:04:05" hostname="ci-1">\n/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 2);
    assert.match(xml, /<testcase classname="lessons" name="lessons\/b\.ipynb" time="0\.500">\n {4}<failure type="error" message="Error: bad &quot;quote&quot; red">/);
    assert.match(xml, /\| if \(a &lt; b &amp;&amp; c\) \{/);
    assert.ok(!xml.includes("\u001b"));
  });

  test("parameter warnings, as papermill's: unknown names and a notebook without a parameters cell", () => {
    const declared = notebookJson([{ source: 'let mode = "full", steps: number = 100;\nconst lr=0.1; // steps == 3 is not an assignment\nseed = 1', tags: ["parameters"] }, "let other = 1;"]);
    assert.deepEqual(parameterWarnings(declared, { mode: "smoke", steps: 3, lr: 1, seed: 2 }), []);
    assert.deepEqual(parameterWarnings(declared, { mdoe: "smoke", other: 2, ste: 1 }), [
      'passed unknown parameter "mdoe": the parameters cell does not assign it',
      'passed unknown parameter "other": the parameters cell does not assign it',
      'passed unknown parameter "ste": the parameters cell does not assign it',
    ]);
    assert.deepEqual(parameterWarnings(notebookJson(["let mode = 1"]), { mode: 2 }), ['the notebook has no cell tagged "parameters"; the parameters are injected before the first cell']);
    assert.deepEqual(parameterWarnings(notebookJson(["let mode = 1"]), {}), []);
  });

  test("sanitising removes timings, addresses, dates and tensor ids only", () => {
    assert.equal(sanitize("took 12.5 ms at 0x7ffd2a, 2026-11-24T10:00:00Z, Tensor 17, 3500 samples/s, 42 apples"), "took <DURATION> at <ADDRESS>, <DATE>, Tensor <ID>, <RATE>, 42 apples");
  });
});

describe("the command line", () => {
  test("Ctrl-C: the running kernel is stopped, the partial notebook written, the rest not run, exit code 130", async () => {
    const pidFile = path.join(workspace.work, "interrupted-kernel.pid");
    // the cell that hangs writes the pid file itself, so the interrupt cannot land while cell 0 is still finishing
    const running = notebook(path.join("sigint", "a.ipynb"), ['import { writeFileSync } from "node:fs";', `writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nawait new Promise(() => {})`]);
    notebook(path.join("sigint", "b.ipynb"), ['"not run"']);
    const bin = path.join(__dirname, "..", "..", "..", "bin", "stepwise.js");
    const env = { ...process.env, JUPYTER_PATH: workspace.dataDir, JUPYTER_DATA_DIR: workspace.dataDir };
    const cli = spawn(process.execPath, [bin, "run", path.dirname(running), "--output-dir", out("sigint")], { env, cwd: workspace.work, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    cli.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(cli, "exit");
    while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, "utf8") === "") {
      assert.equal(cli.exitCode, null, `the run ended before its first cell ran: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const kernelPid = Number(fs.readFileSync(pidFile, "utf8"));
    cli.kill("SIGINT");
    const [code] = await exited;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /SIGINT: stopping the kernels/);
    assert.match(stderr, /FAILED sigint\/a\.ipynb: the run was interrupted\n {2}cell 1 \(id cell-1, In \[2\]\):/);
    assert.match(stderr, /1 of 2 notebooks not run: the run was interrupted/);
    assert.throws(() => process.kill(kernelPid, 0), { code: "ESRCH" }, "the kernel process is gone");
    const partial = read(path.join(out("sigint"), "a.ipynb"));
    const stopped = partial.cells.find((c) => c.id === "cell-1") as CodeCell;
    assert.deepEqual(stopped.outputs.map((o) => o.output_type === "error" && o.ename), ["RunInterrupted"]);
    assert.equal(fs.existsSync(path.join(out("sigint"), "b.ipynb")), false);
  });

  test("stepwise run: -p parameters, summary on stdout, failures on stderr, JUnit file, exit code", () => {
    const ok = notebook(path.join("cli", "ok.ipynb"), [{ source: "let n = 1;", tags: ["parameters"] }, "n * 10"]);
    const bad = notebook(path.join("cli", "bad.ipynb"), ['throw new Error("cli failure")']);
    const bin = path.join(__dirname, "..", "..", "..", "bin", "stepwise.js");
    const env = { ...process.env, JUPYTER_PATH: workspace.dataDir, JUPYTER_DATA_DIR: workspace.dataDir };
    const pass = spawnSync(process.execPath, [bin, "run", ok, "-p", "n", "7", "--output-dir", out("cli"), "--junit", out("cli/junit.xml")], { env, encoding: "utf8", cwd: workspace.work });
    assert.equal(pass.status, 0, pass.stderr);
    assert.match(pass.stdout, /^status +time +cells +notebook\npassed .*ok\.ipynb\n1 passed, 0 failed/);
    assert.equal(text(read(path.join(out("cli"), "ok.ipynb")).cells[2] as CodeCell), "70");
    assert.match(fs.readFileSync(out("cli/junit.xml"), "utf8"), /<testsuite name="stepwise run" tests="1" failures="0"/);
    const fail = spawnSync(process.execPath, [bin, "run", ok, bad, "--jobs", "2", "--output-dir", out("cli"), "--junit", out("cli/junit-fail.xml")], { env, encoding: "utf8", cwd: workspace.work });
    assert.equal(fail.status, 1);
    assert.match(fail.stderr, /FAILED .*bad\.ipynb: a cell raised an error[\s\S]*Error: cli failure/);
    if (fs.existsSync(PYTHON)) {
      // an independent XML parser (Python's ElementTree) reads the report as a CI system would
      const parse = spawnSync(PYTHON, ["-c", JUNIT_STRUCTURE, out("cli/junit-fail.xml")], { encoding: "utf8" });
      assert.equal(parse.status, 0, parse.stderr);
      assert.deepEqual(JSON.parse(parse.stdout), {
        root: "testsuites",
        suites: [{ name: "stepwise run", tests: "2", failures: "1", errors: "0" }],
        cases: [
          { name: path.join("cli", "ok.ipynb"), classname: "cli", failure: null },
          { name: path.join("cli", "bad.ipynb"), classname: "cli", failure: { type: "error", message: "Error: cli failure", text: "FAILED cli/bad.ipynb: a cell raised an error" } },
        ],
      });
    }
    const usage = spawnSync(process.execPath, [bin, "run", ok, "--jobs", "0"], { env, encoding: "utf8", cwd: workspace.work });
    assert.notEqual(usage.status, 0);
    assert.match(usage.stderr, /--jobs must be an integer >= 1, got "0"/);
  });
});

/** Python's ElementTree: the JUnit file's structure as JSON (the failure's text: its first line). */
const JUNIT_STRUCTURE = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [{k: s.get(k) for k in ("name", "tests", "failures", "errors")} for s in root.iter("testsuite")]
def failure(case):
    f = case.find("failure")
    return None if f is None else {"type": f.get("type"), "message": f.get("message"), "text": f.text.split("\\n")[0]}
cases = [{"name": c.get("name"), "classname": c.get("classname"), "failure": failure(c)} for c in root.iter("testcase")]
print(json.dumps({"root": root.tag, "suites": suites, "cases": cases}))
`;

if (haveIpykernel) {
  describe("another kernel: Debian's ipykernel", () => {
    test("parameters in Python, results, errors with ename/evalue/traceback", async () => {
      const file = notebook("python.ipynb", [{ source: "n = 1\nflag = False", tags: ["parameters"] }, "print(n * 2, flag)\n{'n': n}", "1 / 0"], { kernel: "python3", language: "python" });
      const result = await runNotebook(file, { kernelSearchPath: workspace.kernelSearchPath, parameters: { n: 21, flag: true } });
      const cells = result.notebook?.cells.filter((c) => c.cell_type === "code") as CodeCell[];
      assert.equal(cells[1].source, "# Parameters\nn = 21\nflag = True");
      assert.equal(text(cells[2]), "42 True\n{'n': 21}");
      assert.deepEqual([result.failure?.kind, result.failure?.ename, result.failure?.evalue], ["error", "ZeroDivisionError", "division by zero"]);
      assert.ok((result.failure?.traceback.length ?? 0) > 0);
    });

    test("a cell that ignores the interrupt: the kernel is killed after the grace period, reported, and the next notebook runs", async () => {
      const stubborn = notebook("stubborn.ipynb", ["import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('ignoring interrupts', flush=True)\ntime.sleep(600)"], { kernel: "python3", language: "python" });
      const next = notebook("after-stubborn.ipynb", ["6 * 7"], { kernel: "python3", language: "python" });
      const [killed, fine] = await runNotebooks([stubborn, next], { kernelSearchPath: workspace.kernelSearchPath, cellTimeout: 2, interruptGrace: 1, outputDir: out("stubborn") });
      assert.deepEqual([killed.failure?.kind, killed.failure?.cellId], ["timeout", "cell-0"]);
      assert.match(killed.failure?.evalue ?? "", /it did not end within 1 s of the interrupt, so the kernel was killed$/);
      assert.equal(text(read(killed.outputPath ?? "").cells[2] as CodeCell), "ignoring interrupts\n");
      assert.equal(text(fine.notebook?.cells[0] as CodeCell), "42");
    });
  });
}
