/**
 * The package's imports as a graph of folders. A folder is a part of the system: `src/<part>` inside src,
 * the top-level folder elsewhere (kernel, runner, jupyter, ...); `src/index.ts`, the package entry, is the
 * folder "src". Each edge keeps one file that makes it, so a failure names where to look.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** from folder -> to folder -> one importing file (relative to the root). */
export type FolderGraph = Map<string, Map<string, string>>;

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly file: string;
}

/** The folder of a path relative to the root, with "/" separators. */
export function folderOf(relative: string): string {
  const parts = relative.split("/");
  return parts[0] === "src" && parts.length > 2 ? `src/${parts[1]}` : parts[0];
}

function sourceFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") found.push(...sourceFiles(root, relative));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      found.push(relative);
    }
  }
  return found;
}

/** The file a relative specifier names (`./x` -> x.ts or x/index.ts), or undefined if it is not a source file. */
function resolve(root: string, from: string, specifier: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    const full = path.join(root, candidate);
    if (fs.existsSync(full) && fs.statSync(full).isFile()) return candidate;
  }
  return undefined;
}

/** Every relative import, re-export, `import()` and `require()` of the .ts files under `dirs`. */
export function readFolderGraph(root: string, dirs: readonly string[]): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const dir of dirs.filter((d) => fs.existsSync(path.join(root, d)))) {
    for (const file of sourceFiles(root, dir)) {
      const from = folderOf(file);
      const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), "utf8"), true, true);
      for (const { fileName } of info.importedFiles) {
        if (!fileName.startsWith(".")) continue; // a package, not a part of stepwise
        const target = resolve(root, file, fileName);
        if (target === undefined || target.startsWith("..")) continue; // package.json and other non-sources
        const to = folderOf(target);
        if (to === from) continue;
        if (!graph.has(from)) graph.set(from, new Map());
        const targets = graph.get(from)!;
        if (!targets.has(to)) targets.set(to, file);
      }
    }
  }
  return graph;
}

export function edgesOf(graph: FolderGraph): Edge[] {
  return [...graph].flatMap(([from, targets]) => [...targets].map(([to, file]) => ({ from, to, file })));
}

/**
 * One cycle per group of folders that import each other (Tarjan's strongly connected components), each as
 * its edges in order, the last one leading back to the first folder. Empty when the graph has no cycle.
 */
export function findCycles(graph: FolderGraph): Edge[][] {
  const nodes = new Set<string>([...graph.keys(), ...[...graph.values()].flatMap((t) => [...t.keys()])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component);
    }
  };
  for (const node of [...nodes].sort()) if (!index.has(node)) visit(node);
  return components.map((component) => cycleWithin(graph, new Set(component)));
}

/** A cycle through the first (alphabetically) folder of a strongly connected component: a breadth-first path back to it. */
function cycleWithin(graph: FolderGraph, component: Set<string>): Edge[] {
  const start = [...component].sort()[0];
  const cameFrom = new Map<string, Edge>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const [to, file] of graph.get(node) ?? []) {
      if (!component.has(to)) continue;
      const edge = { from: node, to, file };
      if (to === start) {
        const path: Edge[] = [edge];
        for (let at = node; at !== start; at = cameFrom.get(at)!.from) path.unshift(cameFrom.get(at)!);
        return path;
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, edge);
        queue.push(to);
      }
    }
  }
  throw new Error(`no cycle through ${start} in a strongly connected component (a bug in findCycles)`);
}

/** "a -> b (a/x.ts) -> c (b/y.ts) -> a (c/z.ts)". */
export function describeCycle(cycle: readonly Edge[]): string {
  return [cycle[0].from, ...cycle.map((e) => `${e.to} (${e.file})`)].join(" -> ");
}

export function describeEdge(edge: Edge): string {
  return `${edge.from} -> ${edge.to} (${edge.file})`;
}
