/** Every output type as the site renders it; a chart drawn once, its SVG a separate file for browsers without JavaScript. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Output } from "../../runner/nbformat";
import { createMarkdown } from "../../course/markdown";
import { PLOTLY_MIME, VEGA_LITE_MIME } from "../../src/host/mime";
import { OutputContext, compactNumbers, renderOutputs } from "../../course/outputs";
import { Chart, histogram, lineChart, sliderChart } from "../../src/plot";

const context = (): OutputContext => ({ md: createMarkdown(), filesDir: "figures/x", files: new Map(), needs: new Set() });
const display = (data: Record<string, unknown>): Output => ({ output_type: "display_data", data: data as never, metadata: {} });

test("a chart bundle: one interactive view from Vega-Lite, the SVG as a file behind <noscript>, no Plotly HTML", () => {
  const c = context();
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>';
  const html = renderOutputs([display({ [VEGA_LITE_MIME]: { mark: "line", data: { values: [{ x: 0.123456789 }] } }, [PLOTLY_MIME]: { data: [] }, "image/svg+xml": svg, "text/html": "<script>plotly.js</script>", "text/plain": "<chart>" })], c);
  assert.match(html, /data-kind="vega-lite"/);
  assert.match(html, /"x":0\.123457/);
  assert.doesNotMatch(html, /plotly\.js|"data":\[\]/);
  assert.match(html, /<noscript><img src="figures\/x\/output-1\.svg" alt="&lt;chart&gt;"><\/noscript>/);
  assert.equal(c.files.get("output-1.svg"), svg);
  assert.deepEqual([...c.needs], ["vega"]);
});

test("a Plotly-only bundle draws with Plotly from its JSON, never from its self-contained HTML", () => {
  const c = context();
  const html = renderOutputs([display({ [PLOTLY_MIME]: { data: [{ y: [1, 2] }] }, "text/html": "<script>plotly.js</script>", "text/plain": "p" })], c);
  assert.match(html, /data-kind="plotly"[\s\S]*\{"data":\[\{"y":\[1,2\]\}\]\}/);
  assert.doesNotMatch(html, /plotly\.js/);
  assert.deepEqual([...c.needs], ["plotly"]);
});

test("a slider chart is drawn where it can move: Vega-Lite when its translation carries the slider, else Plotly", () => {
  const bundle = (chart: Chart) => display({ [VEGA_LITE_MIME]: chart.vegaLite, [PLOTLY_MIME]: chart.plotly, "text/plain": chart.description });
  const line = (k: number) => lineChart([{ name: "loss", x: [0, 1, 2], y: [3, 2 - k / 10, 1] }]);
  const sameKind = sliderChart([0, 1, 2].map((k) => ({ label: `lr ${k}`, chart: line(k) })));
  assert.ok(Array.isArray(sameKind.vegaLite.params) && sameKind.vegaLite.params.length > 0, "same-builder frames: a Vega-Lite slider");
  const mixed = sliderChart([{ label: "curve", chart: line(0) }, { label: "histogram", chart: histogram({ steps: [1, 2, 2, 3] }) }]);
  assert.equal(mixed.vegaLite.params, undefined, "mixed frames: Vega-Lite shows one frame");
  for (const [chart, kind] of [[sameKind, "vega-lite"], [mixed, "plotly"], [line(0), "vega-lite"]] as const) {
    const c = context();
    assert.match(renderOutputs([bundle(chart)], c), new RegExp(`data-kind="${kind}"`), chart.description);
    assert.deepEqual([...c.needs], [kind === "plotly" ? "plotly" : "vega"]);
  }
});

test("streams, errors, images, HTML, Markdown, LaTeX, JSON and text", () => {
  const c = context();
  const outputs: Output[] = [
    { output_type: "stream", name: "stderr", text: "careful <b>\n" },
    { output_type: "error", ename: "Error", evalue: "boom", traceback: ["\u001b[31mError: boom\u001b[0m", "    at <cell 3>"] },
    display({ "image/png": "iVBORw0KGgo=\n", "text/plain": "png" }),
    display({ "text/html": "<table><tr><td>1</td></tr></table>" }),
    display({ "text/markdown": "**bold** $a^2$" }),
    display({ "text/latex": "$$\\frac{1}{2}$$" }),
    display({ "application/json": { a: 1 } }),
    { output_type: "execute_result", execution_count: 1, data: { "text/plain": "42 < 43" }, metadata: {} },
  ];
  const html = renderOutputs(outputs, c);
  assert.match(html, /<pre class="output stream stderr">careful &lt;b&gt;/);
  assert.match(html, /<pre class="output error"><strong>Error: boom<\/strong>\nError: boom\n {4}at &lt;cell 3&gt;<\/pre>/);
  assert.match(html, /<img class="output image" src="figures\/x\/output-1\.png" alt="png">/);
  assert.deepEqual(c.files.get("output-1.png"), Buffer.from("iVBORw0KGgo=", "base64"));
  assert.match(html, /<div class="output html"><table>/);
  assert.match(html, /<strong>bold<\/strong> <span class="katex">/);
  assert.match(html, /<div class="output latex"><span class="katex-display">/);
  assert.match(html, /<pre class="output json">\{\n {2}&quot;a&quot;: 1\n\}<\/pre>/);
  assert.match(html, /<pre class="output text">42 &lt; 43<\/pre>/);
});

test("numbers in specs keep 6 significant digits, integers stay", () => {
  assert.deepEqual(compactNumbers({ a: [2.9802322387695312e-8, 123456789, 0.1 + 0.2], b: "0.30000000000000004" }), { a: [2.98023e-8, 123456789, 0.3], b: "0.30000000000000004" });
});
