/**
 * The lessons of a course: the notebooks of a folder in file-name order (the course order), each with its
 * title and summary read from its first Markdown cell (`# N · Title`, then a paragraph).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Notebook, readNotebook, sourceText } from "../runner/nbformat";

export interface Lesson {
  /** The source notebook. */
  file: string;
  /** File name without `.ipynb`: the page's name and the cache's. */
  slug: string;
  /** "7" for `# 7 · Gradient accumulation`; the file name's leading digits otherwise ("" when none). */
  number: string;
  title: string;
  /** The first paragraph after the title, as Markdown. */
  summary: string;
}

/** The notebooks directly in `dir`, in course order. */
export async function findLessons(dir: string): Promise<Lesson[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    throw new Error(`course: cannot read the lessons folder ${dir}: ${(error as Error).message}`);
  }
  const files = names.filter((name) => name.endsWith(".ipynb")).sort();
  return Promise.all(
    files.map(async (name) => {
      const file = path.join(dir, name);
      // an unreadable notebook is still a lesson: its run fails and the site says why
      return describeLesson(file, await readNotebook(file).catch(() => emptyNotebook()));
    }),
  );
}

export function emptyNotebook(): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] };
}

export function describeLesson(file: string, nb: Notebook): Lesson {
  const slug = path.basename(file, ".ipynb");
  const first = nb.cells.find((cell) => cell.cell_type === "markdown");
  const lines = first ? sourceText(first.source).split("\n") : [];
  const heading = lines.findIndex((line) => /^#\s/.test(line));
  const metaTitle = (nb.metadata.stepwise as { lesson?: unknown } | undefined)?.lesson;
  let number = /^(\d+)/.exec(slug)?.[1]?.replace(/^0+(?=\d)/, "") ?? "";
  let title = typeof metaTitle === "string" ? metaTitle : slug;
  if (heading >= 0) {
    const text = lines[heading].replace(/^#\s+/, "").trim();
    const numbered = /^(\d+)\s*[·.:-]\s*(.+)$/.exec(text);
    if (numbered) [number, title] = [numbered[1], numbered[2]];
    else title = text;
  }
  const rest = lines.slice(heading + 1);
  const start = rest.findIndex((line) => line.trim() !== "");
  const end = start < 0 ? -1 : rest.findIndex((line, i) => i > start && line.trim() === "");
  // a paragraph that leads into a table or a list ends with a colon; on its own it ends with a full stop
  const summary = start < 0 ? "" : rest.slice(start, end < 0 ? undefined : end).join("\n").trim().replace(/:$/, ".");
  return { file, slug, number, title, summary };
}
