/**
 * The parts of stepwise form layers: no folder imports a folder that imports it, and the lower layers
 * (schedule, data, util, host, tensor, accumulate, the optimizer math) import nothing above them. Read from the sources'
 * imports with the TypeScript compiler, so a new import that breaks a layer fails here with its file.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { packageRoot } from "../package-root";
import { describeCycle, describeEdge, edgesOf, findCycles, readFolderGraph, type FolderGraph } from "./import-graph";

const SOURCE_DIRS = ["src", "kernel", "runner", "jupyter", "cli", "course", "bench"];
const graph = readFolderGraph(packageRoot(), SOURCE_DIRS);
const edges = edgesOf(graph);

/** The edges out of `from` to folders outside `allowed`. */
function edgesBeyond(from: string, allowed: readonly string[]): string[] {
  return edges.filter((e) => e.from === from && !allowed.includes(e.to)).map(describeEdge);
}

function graphOf(pairs: ReadonlyArray<[string, string]>): FolderGraph {
  const g: FolderGraph = new Map();
  for (const [from, to] of pairs) {
    if (!g.has(from)) g.set(from, new Map());
    g.get(from)!.set(to, `${from}/file.ts`);
  }
  return g;
}

describe("the cycle detector", () => {
  test("finds a cycle and names each edge's file", () => {
    const cycles = findCycles(graphOf([["a", "b"], ["b", "c"], ["c", "a"], ["c", "d"]]));
    assert.deepEqual(cycles.map(describeCycle), ["a -> b (a/file.ts) -> c (b/file.ts) -> a (c/file.ts)"]);
  });

  test("finds two folders that import each other, and one cycle per group", () => {
    const cycles = findCycles(graphOf([["plot", "display"], ["display", "plot"], ["x", "y"], ["y", "x"], ["x", "plot"]]));
    assert.deepEqual(cycles.map(describeCycle).sort(), ["display -> plot (display/file.ts) -> display (plot/file.ts)", "x -> y (x/file.ts) -> x (y/file.ts)"]);
  });

  test("finds none in layers", () => {
    assert.deepEqual(findCycles(graphOf([["a", "b"], ["a", "c"], ["b", "c"]])), []);
  });

  test("reads the package's imports", () => {
    // a known edge, so an empty graph (a wrong root, a broken reader) cannot pass the checks below
    assert.ok(graph.get("kernel")?.has("jupyter"), `kernel -> jupyter missing from ${JSON.stringify(edges.map(describeEdge))}`);
  });
});

describe("folder layers", () => {
  test("no folder imports a folder that imports it", () => {
    assert.deepEqual(findCycles(graph).map(describeCycle), []);
  });

  for (const lower of ["src/schedule", "src/data", "src/util"]) {
    test(`${lower} imports no other part but src/util`, () => {
      assert.deepEqual(edgesBeyond(lower, ["src/util"]), []);
    });
  }

  test("src/host, the hooks a host sets, imports nothing of stepwise", () => {
    assert.deepEqual(edgesBeyond("src/host", []), []);
  });

  test("src/tensor, the tensor arithmetic the optimizer shares, imports only src/util", () => {
    assert.deepEqual(edgesBeyond("src/tensor", ["src/util"]), []);
  });

  test("src/accumulate, the accumulation windows and noise scale, imports only src/tensor and src/util", () => {
    assert.deepEqual(edgesBeyond("src/accumulate", ["src/tensor", "src/util"]), []);
  });

  test("src/optim, the optimizer math, imports only src/schedule, src/accumulate, src/tensor and src/util (no backend)", () => {
    assert.deepEqual(edgesBeyond("src/optim", ["src/schedule", "src/accumulate", "src/tensor", "src/util"]), []);
  });

  test("the library does not import the kernel, the runner, the course or the tools", () => {
    const above = ["kernel", "runner", "course", "cli", "bench"];
    const library = edges.filter((e) => (e.from === "src" || e.from.startsWith("src/")) && above.includes(e.to));
    assert.deepEqual(library.map(describeEdge), []);
  });

  test("runner does not import kernel (it runs any Jupyter kernel through the protocol)", () => {
    assert.deepEqual(edges.filter((e) => e.from === "runner" && e.to === "kernel").map(describeEdge), []);
  });
});
