/**
 * plotlyToVegaLite's newer translations on hand-made figures: hidden traces, bar widths, tonexty bands and
 * error bars, category heatmaps, image traces and annotations — and the figures it refuses, by name.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { plotlyToVegaLite, type PlotlyFigure } from "../../src";
import { assertValidSpec, layerData } from "./helpers";

describe("plotlyToVegaLite: bars, bands, error bars, images, annotations", () => {
  test("hidden traces are not drawn; bars without widths are 80% of the closest spacing, as in Plotly", () => {
    const spec = plotlyToVegaLite({
      data: [
        { type: "scatter", name: "hidden", x: [0, 1], y: [5, 6], visible: false },
        { type: "bar", name: "bars", x: [1, 2, 4], y: [3, 0, 2] },
      ],
    });
    assertValidSpec(spec);
    assert.deepEqual((spec.data as { values: unknown[] }).values, []);
    const bars = layerData(spec)[1] as Array<{ x: number; x2: number; y: number }>;
    assert.deepEqual(bars.map((b) => [b.x, b.x2, b.y]), [[0.6, 1.4, 3], [1.6, 2.4, 0], [3.6, 4.4, 2]]);
  });

  test("a tonexty band spans the previous trace to this one; symmetric error_y uses array both ways", () => {
    const spec = plotlyToVegaLite({
      data: [
        { type: "scatter", mode: "lines", x: [0, 1, 2], y: [1, null, 3], line: { width: 0 }, showlegend: false },
        { type: "scatter", mode: "lines", x: [0, 1, 2], y: [2, 2, 4], fill: "tonexty", fillcolor: "rgba(1,2,3,0.2)", line: { width: 0 }, showlegend: false },
        { type: "scatter", name: "m", mode: "markers", x: [0, 1], y: [5, 6], error_y: { type: "data", array: [0.5, 1] } },
      ],
    });
    assertValidSpec(spec);
    const [points, band, errors] = layerData(spec);
    assert.deepEqual(points.map((p) => p.series), ["m", "m"], "band edges are not series");
    assert.deepEqual(band.map((b) => [b.x, b.lo, b.hi]), [[0, 1, 2], [2, 3, 4]]);
    assert.deepEqual(errors.map((e) => [e.x, e.lo, e.hi]), [[0, 4.5, 5.5], [1, 5, 7]]);
  });

  test("figures it cannot translate faithfully are refused, naming the trace and the field", () => {
    const refuse = (figure: PlotlyFigure, message: RegExp) => assert.throws(() => plotlyToVegaLite(figure), message);
    refuse({ data: [{ type: "scatter", x: [0], y: [0], fill: "tozeroy" }] }, /trace 0 fill "tozeroy" is not translated; "tonexty" is/);
    refuse({ data: [{ type: "scatter", x: [0, 1], y: [0, 1] }, { type: "scatter", x: [0, 2], y: [1, 2], fill: "tonexty" }] }, /trace 1 fills "tonexty" to trace 0, which must have the same x/);
    refuse({ data: [{ type: "bar", x: [1], y: [1], orientation: "h" }] }, /trace 0 \(bar\) orientation "h" is not translated/);
    refuse({ data: [{ type: "image", z: [[1]] }] }, /trace 0 \(image\) needs source as a PNG data URL/);
    refuse({ data: [{ type: "heatmap", x: ["a", "b"], y: ["u"], z: [[1, 2]], texttemplate: "%{z:.2f}" }] }, /trace 0 texttemplate "%\{z:\.2f\}" is not translated; "%\{text\}" and "%\{z\}" are/);
    refuse({ data: [{ type: "heatmap", x: ["a", "a"], y: ["u"], z: [[1, 2]] }] }, /trace 0 \(heatmap\) has a repeated x or y value/);
    refuse({ data: [{ type: "heatmap", x: ["a"], y: ["u"], z: [[1]], colorscale: [[0, "red"], [1, "blue"]] }] }, /trace 0 colorscale must be evenly spaced stops/);
    refuse({ data: [{ type: "scatter", x: [0], y: [0] }], layout: { annotations: [{ x: 0, y: 0, text: "a", xref: "paper", showarrow: false }] } }, /layout\.annotations\[0\] must be text at data coordinates/);
  });

  test("annotations become text marks at their data coordinates", () => {
    const spec = plotlyToVegaLite({
      data: [{ type: "scatter", x: [0, 4], y: [0, 4] }],
      layout: { annotations: [{ x: 1, y: 2, text: "here", showarrow: false, yanchor: "top", font: { size: 9 } }] },
    });
    assertValidSpec(spec);
    const note = spec.layer?.at(-1);
    assert.deepEqual(note?.mark, { type: "text", align: "center", baseline: "top", fontSize: 9, color: "#000000" });
    assert.deepEqual((note?.data as { values: unknown[] }).values, [{ x: 1, y: 2, text: "here" }]);
  });
});
