/** Which notebooks a run covers: files and folders expanded, sorted, and a deterministic shard of them. */
import * as fs from "node:fs/promises";
import * as path from "node:path";

const SKIPPED_FOLDERS = new Set([".ipynb_checkpoints", "node_modules", ".git"]);

/** Expand folders to the .ipynb files under them (recursively, skipping checkpoints and `exclude`), sorted. */
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
    if (stat.isDirectory()) await walk(path.resolve(input));
    else found.push(path.resolve(input));
  }
  const relative = [...new Set(found)].map((f) => path.relative(process.cwd(), f) || f);
  return relative.sort();
}

/** "I/N" → [I, N] with 1 <= I <= N. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) throw new Error(`--shard must be I/N with 1 <= I <= N (e.g. 2/4), got ${JSON.stringify(text)}`);
  return { index, count };
}

/** The notebooks of shard I of N: every N-th of the sorted list, starting at I (round-robin, stable). */
export function shardOf<T>(sorted: readonly T[], shard: { index: number; count: number }): T[] {
  return sorted.filter((_, i) => i % shard.count === shard.index - 1);
}
