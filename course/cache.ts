/**
 * Executions cached by content, as jupyter-cache and d2lbook do: the key hashes the notebook's source, the
 * parameters, stepwise's version and the backend (with its device). A changed lesson, mode, release or
 * machine misses; anything else reuses the executed notebook. Only passing runs are stored, so a failure
 * (flaky or fixed since) runs again next time. A lesson keeps one entry per variant (its parameters and
 * backend): a new run replaces the entry of the same variant (an older source or release), so the full
 * course's executions survive a smoke build in the same cache.
 *
 * Layout: `<dir>/<slug>/<key>.ipynb` (the executed notebook) and `<key>.json` (its record), the record
 * written last and atomically: a record always names a complete notebook.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { JsonValue } from "../jupyter/messages";
import { Notebook, parseNotebook, serializeNotebook } from "../runner/nbformat";
import { writeFileAtomic } from "../src/util/files";

export interface CacheKeyParts {
  /** The source notebook's text, as on disk. */
  source: string;
  parameters: Record<string, JsonValue>;
  stepwiseVersion: string;
  backend: { name: string; device: string };
}

export interface CachedRun {
  key: string;
  /** What a newer run of the lesson replaces: canonical JSON of the parameters and backend. */
  variant: string;
  seconds: number;
  backend: string;
  device: string;
  /** ISO time the execution finished. */
  finishedAt: string;
  notebook: Notebook;
}

export function cacheKey(parts: CacheKeyParts): string {
  return crypto.createHash("sha256").update(canonicalJson(parts as unknown as JsonValue)).digest("hex").slice(0, 32);
}

/** JSON with object keys sorted, so equal parameters give equal keys whatever their order. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export class ExecutionCache {
  constructor(readonly dir: string) {}

  async lookup(slug: string, key: string): Promise<CachedRun | undefined> {
    const base = path.join(this.dir, slug, key);
    try {
      const record = JSON.parse(await fs.readFile(`${base}.json`, "utf8")) as Omit<CachedRun, "notebook">;
      const notebook = parseNotebook(await fs.readFile(`${base}.ipynb`, "utf8"), `${base}.ipynb`);
      return { ...record, key, notebook };
    } catch {
      return undefined; // missing or unreadable: run again
    }
  }

  async store(slug: string, run: CachedRun): Promise<void> {
    const folder = path.join(this.dir, slug);
    await fs.mkdir(folder, { recursive: true });
    const { notebook, ...record } = run;
    await writeFileAtomic(path.join(folder, `${run.key}.ipynb`), serializeNotebook(notebook));
    await writeFileAtomic(path.join(folder, `${run.key}.json`), `${JSON.stringify(record, null, 1)}\n`);
    const names = await fs.readdir(folder);
    for (const name of names) {
      // a notebook without its record: left by a run stopped between the two writes
      if (name.endsWith(".ipynb") && !names.includes(name.replace(/\.ipynb$/, ".json"))) await fs.rm(path.join(folder, name), { force: true });
      if (!name.endsWith(".json") || name === `${run.key}.json`) continue;
      const other = await fs.readFile(path.join(folder, name), "utf8").then((text) => (JSON.parse(text) as { variant?: string }).variant, () => undefined);
      if (other !== undefined && other !== run.variant) continue;
      await fs.rm(path.join(folder, name), { force: true });
      await fs.rm(path.join(folder, name.replace(/\.json$/, ".ipynb")), { force: true });
    }
  }
}
