/**
 * Writing the site: every page, figure, executed notebook and asset goes into a fresh folder beside the
 * target, which then replaces the target in two renames. A build that fails half-way leaves the previous
 * site as it was, and a reader never sees a site that is half old, half new.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { serializeNotebook } from "../runner/nbformat";
import { writeAssets } from "./assets";
import { LessonRun } from "./execute";
import { createMarkdown } from "./markdown";
import { OutputContext } from "./outputs";
import { SiteInfo, indexPage, lessonPage, runningPage } from "./pages";
import { searchIndexScript } from "./search";

export async function writeSite(siteDir: string, runs: readonly LessonRun[], site: SiteInfo): Promise<void> {
  const target = path.resolve(siteDir);
  const staging = `${target}.partial-${crypto.randomBytes(4).toString("hex")}`;
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.mkdir(staging);
  try {
    await fillSite(staging, runs, site);
    await replaceFolder(staging, target);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function fillSite(dir: string, runs: readonly LessonRun[], site: SiteInfo): Promise<void> {
  const md = createMarkdown();
  const needs = new Set<"vega" | "plotly">();
  await fs.mkdir(path.join(dir, "notebooks"));
  for (let at = 0; at < runs.length; at++) {
    const { slug } = runs[at].lesson;
    const context: OutputContext = { md, filesDir: `figures/${slug}`, files: new Map(), needs: new Set() };
    const html = lessonPage(runs, at, md, site, context);
    if (context.files.size > 0) await fs.mkdir(path.join(dir, context.filesDir), { recursive: true });
    for (const [name, content] of context.files) await fs.writeFile(path.join(dir, context.filesDir, name), content);
    await fs.writeFile(path.join(dir, `${slug}.html`), html);
    await fs.writeFile(path.join(dir, "notebooks", `${slug}.ipynb`), serializeNotebook(runs[at].notebook));
    for (const need of context.needs) needs.add(need);
  }
  await writeAssets(dir, needs);
  await fs.writeFile(path.join(dir, "assets", "search-index.js"), searchIndexScript(runs, md));
  await fs.writeFile(path.join(dir, "running.html"), runningPage(md, site));
  await fs.writeFile(path.join(dir, "index.html"), indexPage(runs, md, site));
}

/** Put `from` where `to` is: the old folder moves aside, the new one takes its name, the old one goes. */
async function replaceFolder(from: string, to: string): Promise<void> {
  const old = `${to}.old-${crypto.randomBytes(4).toString("hex")}`;
  const hadOld = await fs.rename(to, old).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    },
  );
  await fs.rename(from, to);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}
