/**
 * Which notebooks a run covers, in a deterministic order: the inputs as given, each folder expanded to the
 * notebooks under it in path order (as pytest collects), duplicates dropped (the first mention wins); and a
 * shard of that list.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";

const SKIPPED_FOLDERS = new Set([".ipynb_checkpoints", "node_modules", ".git"]);

/** A notebook of a run, and its place below the input that named it. */
export interface CollectedNotebook {
  /** The notebook's path relative to the working directory. */
  readonly path: string;
  /**
   * Its path below the folder argument it was found in, or its file name when it was named itself: where its
   * executed copy goes under the output folder (as nbconvert places its outputs).
   */
  readonly relativePath: string;
}

/**
 * Expand folders to the .ipynb files under them (recursively, skipping checkpoints and `exclude`, in path
 * order); named files are taken as they are.
 */
export async function collectNotebooks(inputs: readonly string[], exclude: readonly string[] = []): Promise<CollectedNotebook[]> {
  if (inputs.length === 0) throw new Error("run: name at least one notebook or folder");
  const excluded = exclude.map((e) => path.resolve(e));
  const seen = new Set<string>();
  const collected: CollectedNotebook[] = [];
  const add = (file: string, relativePath: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    collected.push({ path: path.relative(process.cwd(), file) || file, relativePath });
  };
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => undefined);
    if (!stat) throw new Error(`run: ${input} does not exist`);
    const resolved = path.resolve(input);
    if (stat.isDirectory()) {
      for (const file of (await notebooksUnder(resolved, excluded)).sort(byPath)) add(file, path.relative(resolved, file));
    } else {
      add(resolved, path.basename(resolved));
    }
  }
  return collected;
}

/** The .ipynb files below `dir`, at any depth, leaving out skipped folders and everything under `excluded`. */
async function notebooksUnder(dir: string, excluded: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (excluded.some((e) => full === e || full.startsWith(e + path.sep))) continue;
    if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) found.push(...(await notebooksUnder(full, excluded)));
    else if (entry.isFile() && entry.name.endsWith(".ipynb")) found.push(full);
  }
  return found;
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
