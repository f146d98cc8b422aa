/**
 * Which notebooks a run covers, in a deterministic order: the inputs as given, each folder expanded to the
 * notebooks under it in path order (as pytest collects), duplicates dropped; and a shard of that list.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";

const SKIPPED_FOLDERS = new Set([".ipynb_checkpoints", "node_modules", ".git"]);

/** Expand folders to the .ipynb files under them (recursively, skipping checkpoints and `exclude`, in path order). */
export async function collectNotebooks(inputs: readonly string[], exclude: readonly string[] = []): Promise<string[]> {
  if (inputs.length === 0) throw new Error("run: name at least one notebook or folder");
  const excluded = exclude.map((e) => path.resolve(e));
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (excluded.some((e) => full === e || full.startsWith(e + path.sep))) continue;
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) await walk(full);
      else if (entry.isFile() && entry.name.endsWith(".ipynb")) found.push(full);
    }
  };
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => undefined);
    if (!stat) throw new Error(`run: ${input} does not exist`);
    if (stat.isDirectory()) {
      const start = found.length;
      await walk(path.resolve(input));
      found.push(...found.splice(start).sort(byPath));
    } else {
      found.push(path.resolve(input));
    }
  }
  return [...new Set(found)].map((f) => path.relative(process.cwd(), f) || f);
}

/** Code-point order of the paths (locale-independent, so every CI machine shards the same way). */
function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "I/N" → [I, N] with 1 <= I <= N. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) throw new Error(`--shard must be I/N with 1 <= I <= N (e.g. 2/4), got ${JSON.stringify(text)}`);
  return { index, count };
}

/** The notebooks of shard I of N: every N-th of the collected list, starting at I (round-robin, stable). */
export function shardOf<T>(notebooks: readonly T[], shard: { index: number; count: number }): T[] {
  return notebooks.filter((_, i) => i % shard.count === shard.index - 1);
}
