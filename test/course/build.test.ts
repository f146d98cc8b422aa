/**
 * The course build without kernels: a stand-in for the runner's runNotebook records which lessons ran, so
 * the tests see what the cache reuses and what it runs again, how a failing lesson is shown, and that the
 * site is replaced whole or not at all.
 */
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NotebookResult, RunNotebookOptions, runNotebook } from "../../runner/execute";
import { CodeCell, parseNotebook, readNotebook } from "../../runner/nbformat";
import { buildCourse } from "../../course/build";
import { ExecutionCache, cacheKey } from "../../course/cache";
import { runLessons } from "../../course/execute";
import { describeLesson, findLessons } from "../../course/lessons";
import { writeSite } from "../../course/site";

const BACKEND = { name: "cpu", device: "test CPU" };

function lessonSource(n: number, title: string, code = "1 + 1"): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "stepwise", display_name: "TypeScript (stepwise)", language: "typescript" }, stepwise: { lesson: title } },
    cells: [
      { cell_type: "markdown", id: "t", metadata: {}, source: `# ${n} · ${title}\n\nThe summary of ${title}, with $x^2$.\n\nMore text.` },
      { cell_type: "code", id: "p", metadata: { tags: ["parameters"] }, source: 'let mode = "full";', outputs: [], execution_count: null },
      { cell_type: "code", id: "c", metadata: { tags: ["checks"] }, source: code, outputs: [], execution_count: null },
    ],
  });
}

/** runNotebook's stand-in: "executes" by giving each code cell a text output; `throw` in a cell fails it. */
function fakeRunner(ran: string[]): typeof runNotebook {
  return async (file: string, options: RunNotebookOptions = {}): Promise<NotebookResult> => {
    ran.push(path.basename(file, ".ipynb"));
    const nb = await readNotebook(file);
    let failure: NotebookResult["failure"];
    let count = 0;
    for (const cell of nb.cells) {
      if (cell.cell_type !== "code" || failure) continue;
      const code = cell as CodeCell;
      code.execution_count = ++count;
      if (String(code.source).includes("throw")) {
        failure = { kind: "error", ename: "Error", evalue: "the checks failed", traceback: ["Error: the checks failed"], executionCount: count };
        code.outputs = [{ output_type: "error", ename: "Error", evalue: "the checks failed", traceback: ["Error: the checks failed"] }];
      } else {
        code.outputs = [{ output_type: "execute_result", execution_count: count, metadata: {}, data: { "text/plain": `ran with ${JSON.stringify(options.parameters)}` } }];
      }
    }
    return { path: file, status: failure ? "failed" : "passed", seconds: 0.5, codeCells: count, executedCells: count, warnings: [], notebook: nb, failure };
  };
}

describe("course build", () => {
  let work: string;
  let lessons: string;
  const options = () => ({ notebooks: lessons, out: path.join(work, "site"), cacheDir: path.join(work, "cache"), mode: "smoke" as const, jobs: 1, backend: BACKEND });

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-course-"));
    lessons = path.join(work, "lessons");
    fs.mkdirSync(lessons);
    fs.writeFileSync(path.join(lessons, "01-first.ipynb"), lessonSource(1, "First steps"));
    fs.writeFileSync(path.join(lessons, "02-second.ipynb"), lessonSource(2, "Second thoughts"));
  });

  test("a lesson's title, number and summary come from its first Markdown cell", async () => {
    const [first] = await findLessons(lessons);
    assert.deepEqual({ ...first, file: path.basename(first.file) }, { file: "01-first.ipynb", slug: "01-first", number: "1", title: "First steps", summary: "The summary of First steps, with $x^2$." });
    const untitled = describeLesson("/x/07-y.ipynb", parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }), "y"));
    assert.deepEqual([untitled.number, untitled.title], ["7", "07-y"]);
  });

  test("cache keys: equal for equal content, different when the source, parameters, version or backend change", () => {
    const parts = { source: "{}", parameters: { mode: "smoke", seed: 0 }, stepwiseVersion: "0.1.0", backend: BACKEND };
    const key = cacheKey(parts);
    assert.equal(cacheKey({ ...parts, parameters: { seed: 0, mode: "smoke" } }), key, "parameter order does not matter");
    const changed = [
      { ...parts, source: "{ }" },
      { ...parts, parameters: { mode: "full", seed: 0 } },
      { ...parts, stepwiseVersion: "0.2.0" },
      { ...parts, backend: { name: "wasm", device: "test CPU" } },
      { ...parts, backend: { name: "cpu", device: "another CPU" } },
    ].map(cacheKey);
    assert.equal(new Set([key, ...changed]).size, 6);
  });

  test("a second build reuses every execution; a changed lesson runs again alone", async () => {
    const ran: string[] = [];
    const first = await buildCourse({ ...options(), execute: fakeRunner(ran) });
    assert.deepEqual(ran, ["01-first", "02-second"]);
    assert.deepEqual(first.runs.map((r) => r.cached), [false, false]);
    const second = await buildCourse({ ...options(), execute: fakeRunner(ran) });
    assert.deepEqual(ran, ["01-first", "02-second"], "nothing ran again");
    assert.deepEqual(second.runs.map((r) => r.cached), [true, true]);
    assert.match(fs.readFileSync(path.join(work, "site", "01-first.html"), "utf8"), /ran with \{&quot;mode&quot;:&quot;smoke&quot;\}/);
    fs.writeFileSync(path.join(lessons, "02-second.ipynb"), lessonSource(2, "Second thoughts", "2 + 2"));
    await buildCourse({ ...options(), execute: fakeRunner(ran) });
    assert.deepEqual(ran, ["01-first", "02-second", "02-second"]);
  });

  test("another mode, backend or stepwise version runs every lesson again", async () => {
    const ran: string[] = [];
    await buildCourse({ ...options(), execute: fakeRunner(ran) });
    await buildCourse({ ...options(), mode: "full", execute: fakeRunner(ran) });
    assert.equal(ran.length, 4, "the full mode's parameters miss the smoke mode's cache");
    await buildCourse({ ...options(), execute: fakeRunner(ran) });
    await buildCourse({ ...options(), mode: "full", execute: fakeRunner(ran) });
    assert.equal(ran.length, 4, "both modes' executions stay cached side by side");
    await buildCourse({ ...options(), backend: { name: "wasm", device: "test CPU" }, execute: fakeRunner(ran) });
    assert.equal(ran.length, 6, "another backend misses");
    const found = await findLessons(lessons);
    const common = { parameters: { mode: "smoke" }, backend: BACKEND, cache: new ExecutionCache(path.join(work, "cache")), jobs: 1, execute: fakeRunner(ran) };
    await runLessons(found, { ...common, stepwiseVersion: "99.0.0" });
    assert.equal(ran.length, 8, "another stepwise version misses");
    await runLessons(found, { ...common, stepwiseVersion: "99.0.0" });
    assert.equal(ran.length, 8);
  });

  test("a failing lesson is marked on the index with its error, the others still build, and it is not cached", async () => {
    fs.writeFileSync(path.join(lessons, "02-second.ipynb"), lessonSource(2, "Second thoughts", 'throw new Error("no")'));
    const ran: string[] = [];
    const built = await buildCourse({ ...options(), execute: fakeRunner(ran) });
    assert.deepEqual(built.runs.map((r) => r.status), ["passed", "failed"]);
    const index = fs.readFileSync(built.index, "utf8");
    assert.match(index, /<tr class="lesson-row failed">[\s\S]*Second thoughts[\s\S]*Error: the checks failed/);
    assert.match(index, /<tr class="lesson-row passed">[\s\S]*First steps/);
    const page = fs.readFileSync(path.join(work, "site", "02-second.html"), "utf8");
    assert.match(page, /class="failure-banner"/);
    assert.match(page, /<section class="cell code failed"/);
    assert.ok(fs.existsSync(path.join(work, "site", "01-first.html")));
    await buildCourse({ ...options(), execute: fakeRunner(ran) });
    assert.deepEqual(ran, ["01-first", "02-second", "02-second"], "the failure runs again, the pass is reused");
  });

  test("the site is replaced whole: a build that fails leaves the previous site and no partial folder", async () => {
    const built = await buildCourse({ ...options(), execute: fakeRunner([]) });
    const before = fs.readFileSync(built.index, "utf8");
    const broken = built.runs.map((run) => ({ ...run, notebook: { ...run.notebook, cells: null as never } }));
    await assert.rejects(writeSite(path.join(work, "site"), broken, { mode: "smoke", stepwiseVersion: "0", builtAt: "now" }));
    assert.equal(fs.readFileSync(built.index, "utf8"), before);
    assert.deepEqual(fs.readdirSync(work).sort(), ["cache", "lessons", "site"]);
  });

  test("a cache entry without its record, or with a broken notebook, is a miss", async () => {
    const cache = new ExecutionCache(path.join(work, "cache"));
    const nb = parseNotebook(lessonSource(1, "x"), "x");
    await cache.store("01-first", { key: "k", variant: "smoke", seconds: 1, backend: "cpu", device: "d", finishedAt: "t", notebook: nb });
    assert.ok(await cache.lookup("01-first", "k"));
    fs.writeFileSync(path.join(work, "cache", "01-first", "k.ipynb"), "{ half a notebook");
    assert.equal(await cache.lookup("01-first", "k"), undefined);
    fs.rmSync(path.join(work, "cache", "01-first", "k.json"));
    assert.equal(await cache.lookup("01-first", "k"), undefined);
    await cache.store("01-first", { key: "k2", variant: "smoke", seconds: 1, backend: "cpu", device: "d", finishedAt: "t", notebook: nb });
    await cache.store("01-first", { key: "k3", variant: "full", seconds: 1, backend: "cpu", device: "d", finishedAt: "t", notebook: nb });
    await cache.store("01-first", { key: "k4", variant: "smoke", seconds: 1, backend: "cpu", device: "d", finishedAt: "t", notebook: nb });
    assert.deepEqual(fs.readdirSync(path.join(work, "cache", "01-first")).sort(), ["k3.ipynb", "k3.json", "k4.ipynb", "k4.json"], "a run replaces its variant's older entry, and only that");
  });
});
