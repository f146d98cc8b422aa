/**
 * The course site in a real browser: Debian's chromium, driven by playwright-core, opens the site built in
 * smoke mode over file:// — the lessons of notebooks/ plus a fixture lesson with math, a Plotly-only and a
 * Vega-Lite-only chart, stderr and a failing checks cell. Every page must load without a console error or a
 * failed request (nothing may come from the network), draw each chart, render its math, and be
 * screenshotted under out/test/course-browser/ (the site built there stays for a person to open; the
 * executions are cached beside it, so a local rerun only renders).
 * The site is built once and shared by every check. No browser is a failure that says how to install one.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { parseNotebook, readNotebook, serializeNotebook } from "../../runner";
import { sourceText } from "../../runner/nbformat";
import { createMarkdown } from "../../course/markdown";

const ROOT = path.join(__dirname, "..", "..", "..");
const LESSONS = path.join(ROOT, "notebooks");
const OUTPUT = path.resolve(process.env.STEPWISE_TEST_OUTPUT ?? path.join(ROOT, "out", "test"), "course-browser");
const SITE = path.join(OUTPUT, "site");
const SCREENSHOTS = path.join(OUTPUT, "screenshots");
/** Beside the output, so a local rerun reuses the executions (a clean CI machine runs them all). */
const CACHE = path.join(path.dirname(OUTPUT), "course-browser-cache");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FIXTURE = "99-rendering-fixture";
const FIXTURE_WORD = "zanzibarite";

/** A lesson exercising what the real lessons may lack: math, both chart kinds alone, stderr, a failure. */
function fixtureLesson(metadata: object): string {
  const markdown = (source: string) => ({ cell_type: "markdown", id: Math.random().toString(16).slice(2, 10), metadata: {}, source });
  const code = (source: string, tags: string[] = []) => ({ cell_type: "code", id: Math.random().toString(16).slice(2, 10), metadata: { tags }, source, outputs: [], execution_count: null });
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { ...metadata, stepwise: { lesson: "Rendering fixture" } },
    cells: [
      markdown(`# 99 · Rendering fixture\n\nA lesson that fails on purpose; its word is ${FIXTURE_WORD}. Inline math $\\theta_{t+1} = \\theta_t - \\eta\\, g_t$ and display math:\n\n$$\\bar g = \\frac{1}{k} \\sum_{i=1}^{k} g_i$$`),
      code('let mode = "full";', ["parameters"]),
      code('display.plotly({ data: [{ x: [1, 2, 3], y: [2, 1, 3], type: "scatter", name: "plotly" }], layout: { title: { text: "fixture: Plotly alone" } } });'),
      code('display.vegalite({ mark: "bar", data: { values: [{ a: "x", b: 1 }, { a: "y", b: 2 }] }, encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } } });'),
      code('console.error("a warning on stderr");'),
      code('throw new Error("fixture failure: this checks cell fails on purpose");', ["checks"]),
    ],
  });
}

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, maxBuffer: 64 << 20, timeout: 30 * 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Math expressions in a notebook's Markdown, as markdown-it with the KaTeX plugin parses them. */
function mathCount(markdowns: string[]): number {
  const md = createMarkdown();
  let count = 0;
  for (const text of markdowns) {
    for (const token of md.parse(text, {})) {
      if (token.type === "math_block" || token.type === "math_block_eqno") count++;
      for (const child of token.children ?? []) if (child.type === "math_inline") count++;
    }
  }
  return count;
}

describe("the course site in chromium", { timeout: 40 * 60_000 }, () => {
  let browser: Browser | undefined;
  let lessons: Array<{ slug: string; math: number; markdown: string }> = [];
  let build: { code: number; stdout: string; stderr: string };

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) return; // each test fails with the install command
    fs.rmSync(OUTPUT, { recursive: true, force: true });
    const sources = path.join(OUTPUT, "lessons");
    fs.mkdirSync(sources, { recursive: true });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const files = fs.readdirSync(LESSONS).filter((f) => f.endsWith(".ipynb")).sort();
    for (const file of files) fs.copyFileSync(path.join(LESSONS, file), path.join(sources, file));
    const template = await readNotebook(path.join(LESSONS, files[0]));
    const { kernelspec, language_info } = template.metadata;
    fs.writeFileSync(path.join(sources, `${FIXTURE}.ipynb`), serializeNotebook(parseNotebook(fixtureLesson({ kernelspec, language_info }), FIXTURE)));
    for (const file of fs.readdirSync(sources).sort()) {
      const nb = await readNotebook(path.join(sources, file));
      const markdowns = nb.cells.filter((c) => c.cell_type === "markdown").map((c) => sourceText(c.source));
      lessons.push({ slug: file.replace(/\.ipynb$/, ""), math: mathCount(markdowns), markdown: markdowns.join("\n") });
    }
    build = await run(process.execPath, [path.join(ROOT, "bin", "stepwise.js"), "course", "build", "--mode", "smoke", "--quiet", "--notebooks", sources, "--out", SITE, "--cache", CACHE]);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  });
  after(async () => {
    await browser?.close();
  });

  function needBrowser(): Browser {
    assert.ok(
      fs.existsSync(CHROMIUM),
      `no browser: ${CHROMIUM} does not exist. Install Debian's chromium (as root: apt-get update && apt-get install -y chromium; .ci/run does this), or set CHROMIUM_PATH`,
    );
    assert.ok(browser, "chromium did not start");
    return browser;
  }

  /** Open a page over file://, failing on console errors, page errors and any request that fails or leaves file://. */
  async function open(name: string, options: { javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
    const context = await needBrowser().newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: options.javaScriptEnabled ?? true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => problems.push(`failed request: ${request.url()} (${request.failure()?.errorText})`));
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file://") || url.startsWith("data:")) return route.continue();
      problems.push(`network request: ${url}`);
      return route.abort();
    });
    await page.goto(pathToFileURL(path.join(SITE, name)).href, { waitUntil: "load" });
    return { page, problems, close: () => context.close() };
  }

  test("the site builds: the lessons pass, the fixture's failure is reported", () => {
    needBrowser();
    assert.equal(build.code, 1, `the build exits 1 for the failing fixture\n${build.stdout}\n${build.stderr}`);
    assert.match(build.stdout, /the course site: file:\/\//);
    assert.match(build.stderr, /fixture failure/);
    assert.ok(fs.existsSync(path.join(SITE, "index.html")), build.stderr);
  });

  test("the index lists every lesson in course order, the failing one marked with its error", async () => {
    needBrowser();
    const { page, problems, close } = await open("index.html");
    try {
      const rows = await page.$$eval("tr.lesson-row", (trs) => trs.map((tr) => ({ href: tr.querySelector("a.lesson-link")?.getAttribute("href"), failed: tr.classList.contains("failed"), text: tr.textContent ?? "" })));
      assert.deepEqual(rows.map((r) => r.href), lessons.map((l) => `${l.slug}.html`));
      const fixture = rows.find((r) => r.href === `${FIXTURE}.html`)!;
      assert.ok(fixture.failed && /fixture failure/.test(fixture.text), fixture.text);
      for (const row of rows) assert.match(row.text, /\d+\.\d s/);
      await page.screenshot({ path: path.join(SCREENSHOTS, "index.png"), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("every lesson page loads offline, draws its charts and renders its math", async () => {
    needBrowser();
    const failures: string[] = [];
    for (const lesson of lessons) {
      const { page, problems, close } = await open(`${lesson.slug}.html`);
      try {
        const charts = await page.$$("figure.chart");
        await page.waitForFunction(
          () => Array.from(document.querySelectorAll("figure.chart")).every((f) => f.classList.contains("rendered") || f.classList.contains("chart-error")),
          null,
          { timeout: 120_000 },
        );
        for (const [i, chart] of charts.entries()) {
          const kind = await chart.getAttribute("data-kind");
          const drawn = await chart.$(kind === "plotly" ? ".chart-view svg.main-svg" : ".chart-view canvas, .chart-view svg");
          const box = await drawn?.boundingBox();
          if (!box || box.width < 50 || box.height < 50) failures.push(`${lesson.slug}: ${kind} chart ${i + 1} not drawn (${JSON.stringify(box)})`);
        }
        const math = await page.$$eval("article .katex", (nodes) => nodes.filter((n) => (n as HTMLElement).offsetWidth > 0 && !n.closest(".output")).length);
        const mathErrors = await page.$$eval(".katex-error", (nodes) => nodes.length);
        if (math < lesson.math || mathErrors > 0) failures.push(`${lesson.slug}: ${math} of ${lesson.math} math expressions rendered, ${mathErrors} KaTeX errors`);
        if (!(await page.$("a.download[href$='.ipynb']"))) failures.push(`${lesson.slug}: no download link`);
        await page.screenshot({ path: path.join(SCREENSHOTS, `${lesson.slug}.png`), fullPage: true });
        failures.push(...problems.map((p) => `${lesson.slug}: ${p}`));
      } finally {
        await close();
      }
    }
    assert.deepEqual(failures, []);
    const fixture = lessons.find((l) => l.slug === FIXTURE)!;
    assert.ok(fixture.math >= 2);
  });

  test("the fixture page shows its failure and both chart kinds", async () => {
    needBrowser();
    const { page, close } = await open(`${FIXTURE}.html`);
    try {
      assert.match((await page.textContent(".failure-banner")) ?? "", /fixture failure/);
      assert.equal(await page.$$eval("section.cell.failed", (n) => n.length), 1);
      assert.deepEqual(await page.$$eval("figure.chart", (fs) => fs.map((f) => f.getAttribute("data-kind"))), ["plotly", "vega-lite"]);
      assert.ok(await page.$("pre.stderr"));
    } finally {
      await close();
    }
  });

  test("search finds a lesson by a word of its text", async () => {
    needBrowser();
    // a word of some real lesson's text that no other lesson has, and the fixture's word
    const words = (text: string) => new Set(text.toLowerCase().match(/[a-z]{7,}/g) ?? []);
    const real = lessons.filter((l) => l.slug !== FIXTURE);
    const probes: Array<{ slug: string; word: string }> = [{ slug: FIXTURE, word: FIXTURE_WORD }];
    for (const lesson of real) {
      const others = lessons.filter((l) => l !== lesson).map((l) => words(l.markdown));
      const word = [...words(lesson.markdown)].find((w) => others.every((set) => !set.has(w)));
      if (word) {
        probes.push({ slug: lesson.slug, word });
        break;
      }
    }
    const { page, problems, close } = await open("index.html");
    try {
      for (const probe of probes) {
        await page.fill("#search", probe.word);
        await page.waitForSelector(`#search-results a[href="${probe.slug}.html"]`, { timeout: 10_000 });
      }
      await page.screenshot({ path: path.join(SCREENSHOTS, "search.png") });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("without JavaScript, charts show their static SVG", async () => {
    needBrowser();
    const withCharts = lessons.find((l) => l.slug !== FIXTURE && fs.readFileSync(path.join(SITE, `${l.slug}.html`), "utf8").includes('class="output chart"'));
    assert.ok(withCharts, "a lesson with a chart");
    const { page, problems, close } = await open(`${withCharts.slug}.html`, { javaScriptEnabled: false });
    try {
      const sizes = await page.$$eval("figure.chart noscript img", (imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
      assert.ok(sizes.length > 0 && sizes.every((w) => w > 0), JSON.stringify(sizes));
      await page.screenshot({ path: path.join(SCREENSHOTS, `${withCharts.slug}-no-js.png`), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
