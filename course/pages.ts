/**
 * The site's pages as HTML strings: the index (lessons in course order with their status), one page per
 * lesson, and the page on running the lessons. Every page sits at the site's top, loads the shared
 * stylesheets and scripts from `assets/`, and works from file:// without a server or a network.
 */
import type MarkdownIt = require("markdown-it");
import { CodeCell, sourceText, tagsOf } from "../runner/nbformat";
import { LIBRARY_FILES } from "./assets";
import { LessonRun } from "./execute";
import { escapeHtml, highlight } from "./markdown";
import { OutputContext, renderOutputs } from "./outputs";

export interface SiteInfo {
  mode: string;
  stepwiseVersion: string;
  builtAt: string;
}


function layout(title: string, body: string, scripts: readonly string[] = []): string {
  const tags = [...scripts, "site.js"].map((name) => `<script defer src="assets/${name}"></script>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="assets/katex/katex.min.css">
<link rel="stylesheet" href="assets/highlight.css">
<link rel="stylesheet" href="assets/site.css">
${tags}
</head>
<body>
<header class="site-header">
<a class="site-title" href="index.html">stepwise · course</a>
<a href="running.html">Running the lessons</a>
<div class="search"><input type="search" id="search" placeholder="Search the lessons" aria-label="Search the lessons" autocomplete="off"><ol id="search-results" hidden></ol></div>
</header>
<main>
${body}
</main>
</body>
</html>
`;
}

function lessonHeading(run: LessonRun): string {
  return `${run.lesson.number ? `${run.lesson.number} · ` : ""}${run.lesson.title}`;
}

function failureText(run: LessonRun): string {
  const failure = run.failure;
  if (!failure) return "";
  const where = failure.executionCount !== undefined ? ` (In [${failure.executionCount}])` : "";
  return `${failure.ename}: ${failure.evalue}${where}`;
}

function runFacts(run: LessonRun): string {
  return `${run.seconds.toFixed(1)} s on ${escapeHtml(run.backend)} (${escapeHtml(run.device)})${run.cached ? ", cached" : ""}`;
}

export function indexPage(runs: readonly LessonRun[], md: MarkdownIt.MarkdownIt, site: SiteInfo): string {
  const rows = runs.map((run) => {
    const status = run.status === "passed" ? `<span class="badge passed">passed</span>` : `<span class="badge failed">failed</span><div class="error-summary">${escapeHtml(failureText(run))}</div>`;
    return `<tr class="lesson-row ${run.status}">
<td class="number">${escapeHtml(run.lesson.number)}</td>
<td><a class="lesson-link" href="${run.lesson.slug}.html">${escapeHtml(run.lesson.title)}</a><div class="summary">${md.renderInline(run.lesson.summary)}</div></td>
<td class="status">${status}</td>
<td class="time">${run.seconds.toFixed(1)} s</td>
<td class="backend">${escapeHtml(run.backend)}<div class="device">${escapeHtml(run.device)}</div></td>
</tr>`;
  });
  const failed = runs.filter((run) => run.status === "failed").length;
  const body = `<h1>Deep-learning optimization, step by step</h1>
<p>${runs.length} lessons, executed in ${escapeHtml(site.mode)} mode with stepwise ${escapeHtml(site.stepwiseVersion)} (${failed === 0 ? "all passed" : `${failed} failed`}). Each page shows a lesson as it ran; download the executed notebook to open it in JupyterLab.</p>
<table class="lessons">
<thead><tr><th>#</th><th>Lesson</th><th>Status</th><th>Run time</th><th>Backend</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
<p class="built">Built ${escapeHtml(site.builtAt)}. <a href="running.html">Run the lessons yourself</a>.</p>`;
  return layout("stepwise · course", body);
}

export function lessonPage(runs: readonly LessonRun[], at: number, md: MarkdownIt.MarkdownIt, site: SiteInfo, context: OutputContext): string {
  const run = runs[at];
  const cells: string[] = [];
  run.notebook.cells.forEach((cell, index) => {
    if (tagsOf(cell).includes("papermill-error-cell-tag")) return; // the banner papermill adds; ours is above
    if (cell.cell_type === "markdown") cells.push(`<section class="cell markdown">${md.render(sourceText(cell.source))}</section>`);
    if (cell.cell_type !== "code") return;
    const code = cell as CodeCell;
    const failed = code.outputs.some((output) => output.output_type === "error");
    const prompt = `In [${code.execution_count ?? " "}]:`;
    cells.push(`<section class="cell code${failed ? " failed" : ""}" id="cell-${index}">
<div class="input"><span class="prompt">${prompt}</span><pre class="hljs"><code class="language-typescript">${highlight(sourceText(code.source), "typescript")}</code></pre></div>
<div class="outputs">${renderOutputs(code.outputs, context)}</div>
</section>`);
  });
  const failedCell = run.notebook.cells.findIndex((cell) => cell.cell_type === "code" && (cell as CodeCell).outputs.some((o) => o.output_type === "error"));
  const banner =
    run.status === "failed"
      ? `<div class="failure-banner" role="alert"><strong>This lesson failed.</strong> ${escapeHtml(failureText(run))}${failedCell >= 0 ? ` <a href="#cell-${failedCell}">Go to the failing cell</a>.` : ""}</div>`
      : "";
  const previous = runs[at - 1];
  const next = runs[at + 1];
  const nav = `<nav class="prev-next">
${previous ? `<a class="prev" rel="prev" href="${previous.lesson.slug}.html">← ${escapeHtml(lessonHeading(previous))}</a>` : `<a class="prev" href="index.html">← All lessons</a>`}
${next ? `<a class="next" rel="next" href="${next.lesson.slug}.html">${escapeHtml(lessonHeading(next))} →</a>` : `<a class="next" href="index.html">All lessons →</a>`}
</nav>`;
  const body = `<div class="lesson-meta">
<span class="badge ${run.status}">${run.status}</span> Ran in ${runFacts(run)}, ${escapeHtml(site.mode)} mode ·
<a class="download" href="notebooks/${run.lesson.slug}.ipynb" download>Download the executed notebook</a>
</div>
${banner}
<article class="lesson">
${cells.join("\n")}
</article>
${nav}`;
  const scripts = [...context.needs].flatMap((need) => LIBRARY_FILES[need]);
  return layout(`${lessonHeading(run)} · stepwise`, body, scripts);
}

export function runningPage(md: MarkdownIt.MarkdownIt, site: SiteInfo): string {
  const text = `# Running the lessons

Every lesson is a Jupyter notebook in the repository's \`notebooks/\` folder, written in TypeScript for
stepwise's own kernel. This site shows them as they ran (${site.mode} mode); here is how to run them yourself.

## In JupyterLab

\`\`\`sh
npm install                      # in a clone of the repository (Node.js 20 or newer)
npx stepwise kernel install      # registers the "TypeScript (stepwise)" kernel; no Python package needed
jupyter lab notebooks/
\`\`\`

Open a lesson and run its cells in order. The \`parameters\` cell near the top sets \`mode = "full"\` (the real
experiment); set \`mode = "smoke"\` for a run of seconds. Charts display natively as Vega-Lite. The executed
notebooks on this site's pages (the download link on each) open the same way, with their outputs.

Set \`STEPWISE_BACKEND=cpu\` (or \`wasm\`, \`webgpu\`, \`tensorflow\`) before starting JupyterLab to choose the backend;
otherwise each lesson takes the best one that loads.

## Headlessly

\`\`\`sh
npx stepwise run notebooks/ -p mode smoke --output-dir executed --jobs 2   # papermill-style parameters
npx stepwise course build --mode smoke --out out/site-smoke                 # run them and build this site
npx stepwise course serve --out out/site-smoke                              # or open out/site-smoke/index.html
npm start                                                                   # the full course, into out/site
\`\`\`

\`stepwise run\` executes notebooks through their kernels and writes the executed copies; it exits with 1 when
a lesson's checks fail. \`stepwise course build\` caches each execution by the notebook's source, the
parameters, stepwise's version and the backend: a rebuild with nothing changed takes seconds, and a changed
lesson runs again alone.
`;
  return layout("Running the lessons · stepwise", md.render(text));
}
