/**
 * Executions cached by content, as jupyter-cache and d2lbook do: the key hashes the notebook's source, the
 * parameters, stepwise's version and the backend (with its device). A changed lesson, mode, release or
 * machine misses; anything else reuses the executed notebook. Only passing runs are stored, so a failure
 * (flaky or fixed since) runs again next time. Each lesson keeps only its latest entry.
 *
 * Layout: `<dir>/<slug>/<key>.ipynb` (the executed notebook) and `<key>.json` (its record), the record
 * written last and atomically: a record always names a complete notebook.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { JsonValue, Notebook, parseNotebook, serializeNotebook } from "../runner/nbformat";
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
    for (const name of await fs.readdir(folder)) {
      if (!name.startsWith(`${run.key}.`)) await fs.rm(path.join(folder, name), { force: true });
    }
  }
}
