/**
 * Where `stepwise run` writes executed notebooks, as nbconvert places its outputs: a notebook named as a file
 * goes to the top of --output-dir, a folder's notebooks keep their paths below that folder, wherever the run
 * starts from. Runs that would write two notebooks to one file, or over a source, are refused before any runs.
 * Each notebook prints its own name, so a file found at an output path shows which notebook was run into it.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CodeCell, failureReport, runNotebooks } from "../../runner";
import { cellText, readJson, useWorkspace, writeNotebook } from "./fixtures";

const workspace = useWorkspace();
const bin = path.join(__dirname, "..", "..", "..", "bin", "stepwise.js");

/** Paths below the workspace: the project's notebooks, and a folder elsewhere to run from. */
const at = (...parts: string[]): string => path.join(workspace.work, ...parts);

/** A notebook at `relative` below the workspace whose one cell shows that path. */
function labelled(relative: string): string {
  return writeNotebook(workspace.work, relative, [JSON.stringify(relative)]);
}

/** Every file under `dir`, as sorted paths relative to it (none when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** The label an executed notebook shows (which source it was run from). */
function labelOf(file: string): string {
  return cellText(readJson(file).cells[0] as CodeCell);
}

function stepwiseRun(args: string[], cwd: string) {
  const env = { ...process.env, JUPYTER_PATH: workspace.dataDir, JUPYTER_DATA_DIR: workspace.dataDir };
  return spawnSync(process.execPath, [bin, "run", ...args], { env, cwd, encoding: "utf8" });
}

describe("output paths", () => {
  before(() => {
    labelled("project/notebooks/01-first.ipynb");
    labelled("project/notebooks/sub/x.ipynb");
    labelled("project/single/nb.ipynb");
    fs.mkdirSync(at("elsewhere"), { recursive: true });
  });

  test("a notebook named as a file goes to the top of --output-dir, by an absolute or a relative path, from another folder", () => {
    const run = stepwiseRun([at("project/single/nb.ipynb"), path.join("..", "project", "notebooks", "sub", "x.ipynb"), "--output-dir", "out-files"], at("elsewhere"));
    assert.equal(run.status, 0, run.stderr);
    const out = at("elsewhere", "out-files");
    assert.deepEqual(filesUnder(out), ["nb.ipynb", "x.ipynb"]);
    assert.equal(labelOf(path.join(out, "nb.ipynb")), "'project/single/nb.ipynb'");
    assert.equal(labelOf(path.join(out, "x.ipynb")), "'project/notebooks/sub/x.ipynb'");
  });

  test("a relative file path from the library API goes to the top of the output folder as well", async () => {
    const relative = path.relative(process.cwd(), at("project/single/nb.ipynb"));
    const out = at("out-library-file");
    const [result] = await runNotebooks([relative], { kernelSearchPath: workspace.kernelSearchPath, outputDir: out });
    assert.equal(result.status, "passed", failureReport(result));
    assert.equal(result.outputPath, path.join(out, "nb.ipynb"));
    assert.deepEqual(filesUnder(out), ["nb.ipynb"]);
  });

  test("a folder's notebooks keep their paths below that folder, a subfolder included", async () => {
    const out = at("out-folder");
    const results = await runNotebooks([at("project/notebooks")], { kernelSearchPath: workspace.kernelSearchPath, outputDir: out, jobs: 2 });
    for (const result of results) assert.equal(result.status, "passed", failureReport(result));
    assert.deepEqual(filesUnder(out), ["01-first.ipynb", path.join("sub", "x.ipynb")]);
    assert.equal(labelOf(path.join(out, "sub", "x.ipynb")), "'project/notebooks/sub/x.ipynb'");
  });

  test("files and folders mixed: each notebook placed by the input that named it", () => {
    const run = stepwiseRun([path.join("single", "nb.ipynb"), "notebooks", "-o", at("out-mixed"), "--jobs", "2"], at("project"));
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(filesUnder(at("out-mixed")), ["01-first.ipynb", "nb.ipynb", path.join("sub", "x.ipynb")]);
    assert.equal(labelOf(at("out-mixed", "nb.ipynb")), "'project/single/nb.ipynb'");
  });

  test("two notebooks that would land on one output are refused, naming both and the output, before anything runs", async () => {
    labelled("clash/a/nb.ipynb");
    labelled("clash/b/nb.ipynb");
    const run = stepwiseRun([path.join("a", "nb.ipynb"), path.join("b", "nb.ipynb"), "-o", "out"], at("clash"));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, new RegExp(`a/nb\\.ipynb and b/nb\\.ipynb would both be written to ${literal(at("clash", "out", "nb.ipynb"))} \\(`));
    assert.match(run.stderr, /run them with separate --output-dir/);
    assert.equal(fs.existsSync(at("clash", "out")), false, "nothing ran, nothing was written");

    // a named file against a folder's notebook of the same relative path
    labelled("clash/01-first.ipynb");
    let started = 0;
    await assert.rejects(
      runNotebooks([at("project/notebooks"), at("clash/01-first.ipynb")], {
        kernelSearchPath: workspace.kernelSearchPath,
        outputDir: at("clash", "out-mixed"),
        onPlan: () => started++,
        onNotebookStart: () => started++,
      }),
      new RegExp(`01-first\\.ipynb and .*clash/01-first\\.ipynb would both be written to ${literal(at("clash", "out-mixed", "01-first.ipynb"))}`),
    );
    assert.equal(started, 0);
    assert.equal(fs.existsSync(at("clash", "out-mixed")), false);
  });

  test("an output folder that maps a notebook onto itself, or onto another source of the run, is refused before anything runs", async () => {
    const own = labelled("guard/p/x.ipynb");
    const other = labelled("guard/q/x.ipynb");
    const before = [own, other].map((file) => fs.readFileSync(file, "utf8"));
    // a named notebook goes to the top of the output folder: its own folder is the source itself
    await assert.rejects(
      runNotebooks([own], { kernelSearchPath: workspace.kernelSearchPath, outputDir: path.dirname(own) }),
      new RegExp(`--output-dir ${literal(path.dirname(own))} would write over the source notebook ${literal(own)}; choose another folder, or --inplace to do that on purpose`),
    );
    // p/x.ipynb would land on q/x.ipynb, another notebook of the same run
    await assert.rejects(
      runNotebooks([own, other], { kernelSearchPath: workspace.kernelSearchPath, outputDir: path.dirname(other) }),
      new RegExp(`would write the executed copy of .*guard/p/x\\.ipynb over the source notebook ${literal(other)}; choose another folder, or --inplace`),
    );
    assert.deepEqual([own, other].map((file) => fs.readFileSync(file, "utf8")), before);
    assert.deepEqual(filesUnder(at("guard")), [path.join("p", "x.ipynb"), path.join("q", "x.ipynb")]);
  });
});

/** `text` as a regular expression matching itself. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
