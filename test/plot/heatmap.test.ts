/**
 * heatmap: cell values, labels, colour range and texts in the Plotly trace and its Vega-Lite translation over
 * random matrices (with empty cells); row 0 drawn at the top, the colour scale's ends on the extreme cells and
 * readable text colours in the SVG; the errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { heatmap, rng } from "../../src";
import { assertValidSpec, layerData, marks } from "./helpers";

type Cell = { x: string; y: string; z: number; text?: string; textColor?: string };

describe("heatmap", () => {
  test("every finite cell at its row and column label, with its value and text, over random matrices", () => {
    const random = rng(99);
    for (let trial = 0; trial < 25; trial++) {
      const rows = 1 + random.int(20);
      const columns = 1 + random.int(20);
      const integers = trial % 2 === 0;
      const z = Array.from({ length: rows }, () => Array.from({ length: columns }, () => (integers ? random.int(500) : random.normal() * 10 ** (random.int(5) - 2))));
      for (let k = 0; k < rows * columns; k += 7) z[k % rows][Math.floor(k / rows) % columns] = Number.NaN;
      const labelled = trial % 3 === 0;
      const xLabels = Array.from({ length: columns }, (_, j) => (labelled ? `class ${String.fromCharCode(65 + j)}` : String(j)));
      const yLabels = Array.from({ length: rows }, (_, i) => (labelled ? `true ${i}` : String(i)));
      const annotate = trial % 5 === 4 ? rows > 15 : undefined; // an override now and then
      const chart = heatmap(z, { ...(labelled ? { x: { labels: xLabels }, y: { labels: yLabels } } : {}), ...(annotate !== undefined ? { annotate } : {}) });
      const finite = z.flat().filter(Number.isFinite);
      const [trace] = chart.plotly.data;
      assert.deepEqual(trace.x, xLabels);
      assert.deepEqual(trace.y, yLabels);
      assert.deepEqual(trace.z, z.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))));
      if (finite.length > 0 && Math.min(...finite) < Math.max(...finite)) assert.deepEqual([trace.zmin, trace.zmax], [Math.min(...finite), Math.max(...finite)]);
      const written = annotate ?? (rows <= 15 && columns <= 15);
      assert.equal(trace.texttemplate, written ? "%{text}" : undefined, `trial ${trial}: ${rows} × ${columns}, annotate ${annotate}`);
      const cells = layerData(chart.vegaLite)[1] as Cell[]; // [0]: the (empty) series data at the top
      const expected: Cell[] = [];
      z.forEach((row, i) =>
        row.forEach((v, j) => {
          if (Number.isFinite(v)) expected.push({ x: xLabels[j], y: yLabels[i], z: v });
        }),
      );
      assert.deepEqual(cells.map(({ x, y, z: value }) => ({ x, y, z: value })), expected);
      for (const cell of cells) {
        if (!written) assert.equal(cell.text, undefined);
        // integers whole, others to 3 significant digits
        else assert.equal(cell.text, Number.isInteger(cell.z) ? String(cell.z) : String(Number(cell.z.toPrecision(3))));
      }
    }
  });

  test("the SVG draws row 0 at the top, the scale's ends on the extreme cells and readable texts", async () => {
    const z = [
      [50, 2, 0],
      [3, 41, 6],
      [1, 7, 39],
      [4, 4, 4],
    ];
    const chart = heatmap(z, { title: "Confusion matrix", x: { title: "predicted", labels: ["cat", "dog", "fox"] }, y: { title: "true", labels: ["cat", "dog", "fox", "owl"] } });
    assertValidSpec(chart.vegaLite);
    assert.equal(chart.plotly.layout?.yaxis?.autorange, "reversed");
    const svg = await chart.toSVG();
    const rects = marks(svg, "rect").map((m) => ({
      label: /aria-label="([^"]*)"/.exec(m)?.[1] ?? "",
      y: Number(/\sd="M[-\d.]+,([-\d.]+)/.exec(m)?.[1]),
      fill: /fill="([^"]*)"/.exec(m)?.[1],
    }));
    assert.equal(rects.length, 12);
    const rowOf = (label: string) => ["cat", "dog", "fox", "owl"].indexOf(/true: (\w+)/.exec(label)?.[1] ?? "");
    for (const a of rects) for (const b of rects) if (rowOf(a.label) < rowOf(b.label)) assert.ok(a.y < b.y, `${a.label} above ${b.label}`);
    // blues: the largest value darkest (#08306b), the smallest white-blue (#f7fbff)
    const fillOf = (value: number) => rects.find((r) => new RegExp(`(^|; )value: ${value}(;|$)`).test(r.label) || r.label.endsWith(`: ${value}`))?.fill;
    assert.match(fillOf(50) ?? "", /^(#08306b|rgb\(8, ?48, ?107\))$/);
    assert.match(fillOf(0) ?? "", /^(#f7fbff|rgb\(247, ?251, ?255\))$/);
    const labels = marks(svg, "text").map((m) => m);
    assert.equal(labels.length, 12, "a text per cell");
    const textFill = (text: string) => new RegExp(`<text[^>]*fill="([^"]*)"[^>]*>${text}</text>`).exec(svg)?.[1];
    assert.equal(textFill("50"), "#ffffff", "white on the darkest cell");
    assert.equal(textFill("0"), "#000000", "black on the lightest cell");
  });

  test("viridis colours, and annotate: false writes nothing", async () => {
    const chart = heatmap([[1, 2], [3, 4]], { colorScale: "viridis", annotate: false });
    const scale = (chart.plotly.data[0].colorscale as Array<[number, string]>).map((s) => s[1]);
    assert.deepEqual([scale[0], scale.at(-1)], ["#440154", "#fde725"]);
    assert.equal(marks(await chart.toSVG(), "text").length, 0);
  });

  test("bad input is refused, naming the builder and the option", () => {
    assert.throws(() => heatmap([]), /^Error: heatmap: z must be a non-empty list of rows \(arrays of numbers\), got an empty list/);
    assert.throws(() => heatmap([[1, 2], [3]]), /heatmap: z\[1\] has 1 values but z\[0\] has 2; every row needs one value per column/);
    assert.throws(() => heatmap([[1, "a"]] as never), /heatmap: z\[0\] must hold numbers, found "a" at index 1/);
    assert.throws(() => heatmap([[Number.NaN]]), /heatmap: z has no finite value to colour/);
    assert.throws(() => heatmap([[1, 2]], { x: { labels: ["a"] } }), /heatmap: x\.labels must be 2 strings, one per column, got \["a"\]/);
    assert.throws(() => heatmap([[1], [2]], { y: { labels: ["a", "a"] } }), /heatmap: y\.labels must all differ \(each names one row\); "a" is repeated/);
    assert.throws(() => heatmap([[1]], { colorScale: "reds" as never }), /heatmap: colorScale must be one of "blues", "viridis", got "reds"/);
    assert.throws(() => heatmap([[1]], { annotate: "yes" as never }), /heatmap: annotate must be true or false, got "yes"/);
    assert.throws(() => heatmap([[1]], { x: { label: "a" } } as never), /heatmap: x: unknown option "label" \(allowed: title, labels\)/);
  });
});
