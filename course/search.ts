/**
 * The search index: one MiniSearch document per lesson (title, its Markdown's words, its code), built here
 * and shipped as `assets/search-index.js` (a script, since pages opened from file:// cannot fetch JSON).
 * The page loads it, and minisearch, on the first use of the search box.
 */
import MiniSearch from "minisearch";
import type MarkdownIt = require("markdown-it");
import { sourceText } from "../runner/nbformat";
import { LessonRun } from "./execute";
import { plainText } from "./markdown";

export const SEARCH_OPTIONS = { fields: ["title", "text"], storeFields: ["title", "number"] };

export function searchIndexScript(runs: readonly LessonRun[], md: MarkdownIt.MarkdownIt): string {
  const search = new MiniSearch(SEARCH_OPTIONS);
  search.addAll(
    runs.map((run) => ({
      id: run.lesson.slug,
      title: run.lesson.title,
      number: run.lesson.number,
      text: run.notebook.cells
        .filter((cell) => cell.cell_type === "markdown" || cell.cell_type === "code")
        .map((cell) => (cell.cell_type === "markdown" ? plainText(md, sourceText(cell.source)) : sourceText(cell.source)))
        .join(" "),
    })),
  );
  const data = JSON.stringify({ index: search.toJSON(), options: SEARCH_OPTIONS }).replace(/</g, "\\u003c");
  return `window.STEPWISE_SEARCH = ${data};\n`;
}
