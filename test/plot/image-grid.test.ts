/**
 * imageGrid: each tile's PNG, decoded here independently (chunk CRCs checked bit by bit, IDAT inflated), holds
 * the pixels mapped to grey or blue–white–red over the tile's own or the shared range, over random tiles; the
 * Vega-Lite image marks show the same pictures where Plotly's image traces place them; the SVG holds one
 * <image> per tile and the captions; sizes stay small; the errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { imageGrid, rng, type PlotlyTrace } from "../../src";
import { assertValidSpec, layerData, marks, texts } from "./helpers";

/** CRC-32 computed bit by bit (no table), to check the encoder's chunks independently. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A PNG data URL decoded: size, channels and the pixel bytes (filter type 0 only, as the encoder writes). */
function decodePng(url: string): { width: number; height: number; channels: number; bytes: Uint8Array } {
  const png = Buffer.from(url.replace(/^data:image\/png;base64,/, ""), "base64");
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  let offset = 8;
  const chunks: Array<{ type: string; data: Buffer }> = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    assert.equal(png.readUInt32BE(offset + 8 + length), crc32(png.subarray(offset + 4, offset + 8 + length)), `${type} CRC`);
    chunks.push({ type, data });
    offset += 12 + length;
  }
  assert.deepEqual([chunks[0].type, chunks.at(-1)?.type], ["IHDR", "IEND"]);
  const header = chunks[0].data;
  const [width, height, depth, colourType] = [header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]];
  assert.equal(depth, 8);
  const channels = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[colourType];
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data)));
  assert.equal(raw.length, height * (width * channels + 1));
  const bytes = new Uint8Array(width * height * channels);
  for (let row = 0; row < height; row++) {
    assert.equal(raw[row * (width * channels + 1)], 0, "filter type none");
    bytes.set(raw.subarray(row * (width * channels + 1) + 1, (row + 1) * (width * channels + 1)), row * width * channels);
  }
  return { width, height, channels, bytes };
}

describe("imageGrid", () => {
  test("grey tiles: black at the range's low end, white at its high end, per tile or shared, over random tiles", () => {
    const random = rng(31);
    for (let trial = 0; trial < 12; trial++) {
      const count = 1 + random.int(12);
      const images = Array.from({ length: count }, () => {
        const [width, height] = [1 + random.int(12), 1 + random.int(12)];
        const offset = random.normal() * 5;
        return { width, height, pixels: Array.from({ length: width * height }, () => offset + random.normal()) };
      });
      const holes = trial % 3 === 0;
      if (holes) images[0].pixels[0] = Number.NaN;
      const scale = trial % 2 === 0 ? "each" : "shared";
      const chart = imageGrid(images, { scale });
      const finite = (values: number[]) => values.filter(Number.isFinite);
      const all = images.flatMap((i) => finite(i.pixels));
      chart.plotly.data.forEach((trace, k) => {
        const png = decodePng(trace.source as string);
        const image = images[k];
        assert.deepEqual([png.width, png.height], [image.width, image.height]);
        const transparent = holes && k === 0;
        assert.equal(png.channels, transparent ? 2 : 1);
        const [lo, hi] = scale === "each" ? [Math.min(...finite(image.pixels)), Math.max(...finite(image.pixels))] : [Math.min(...all), Math.max(...all)];
        image.pixels.forEach((v, i) => {
          if (!Number.isFinite(v)) {
            assert.equal(png.bytes[i * png.channels + 1], 0, "a non-finite pixel is transparent");
            return;
          }
          const expected = hi > lo ? (255 * (v - lo)) / (hi - lo) : 127.5;
          assert.ok(Math.abs(png.bytes[i * png.channels] - expected) <= 0.5 + 1e-9, `trial ${trial}, tile ${k}, pixel ${i}: ${png.bytes[i * png.channels]} vs ${expected}`);
          if (transparent) assert.equal(png.bytes[i * png.channels + 1], 255);
        });
      });
    }
  });

  test("diverging tiles: 0 white, −max|v| blue, +max|v| red, symmetric around 0", () => {
    const filter = { width: 3, height: 1, pixels: [-2, 0, 1] };
    const other = { width: 2, height: 1, pixels: [4, -1] };
    const hex = (bytes: Uint8Array, i: number) => `#${[0, 1, 2].map((c) => bytes[i * 3 + c].toString(16).padStart(2, "0")).join("")}`;
    const each = imageGrid([filter, other], { colorScale: "diverging" }).plotly.data.map((t) => decodePng(t.source as string));
    assert.deepEqual([0, 1].map((i) => hex(each[0].bytes, i)), ["#2166ac", "#f7f7f7"]);
    // +1 of max|v| = 2 is three quarters along the scale: stop 6 of 0..8
    assert.equal(hex(each[0].bytes, 2), "#f4a582");
    assert.equal(hex(each[1].bytes, 0), "#b2182b");
    const shared = imageGrid([filter, other], { colorScale: "diverging", scale: "shared" }).plotly.data.map((t) => decodePng(t.source as string));
    // shared range ±4: −2 is a quarter along (stop 2), 4 the red end, 0 white
    assert.deepEqual([hex(shared[0].bytes, 0), hex(shared[0].bytes, 1), hex(shared[1].bytes, 0)], ["#92c5de", "#f7f7f7", "#b2182b"]);
  });

  test("the Vega-Lite image marks show each tile's picture over the pixels its Plotly trace covers; the SVG holds images and captions", async () => {
    const random = rng(4);
    const images = Array.from({ length: 11 }, (_, k) => ({ width: 28, height: 28, pixels: Array.from({ length: 784 }, () => random.next()), caption: `digit ${k % 10}` }));
    const chart = imageGrid(images, { columns: 4, title: "Digits" });
    assertValidSpec(chart.vegaLite);
    const rows = layerData(chart.vegaLite).find((d) => d.length > 0 && "url" in d[0]) as Array<{ url: string; x: number; x2: number; y: number; y2: number }>;
    assert.equal(rows.length, 11);
    chart.plotly.data.forEach((trace: PlotlyTrace, k) => {
      assert.equal(trace.type, "image");
      assert.equal(rows[k].url, trace.source);
      // Plotly centres pixel (i, j) at (x0 + j·dx, y0 + i·dy): the image spans x0 − dx/2 .. x0 + (w − 1/2)·dx
      assert.deepEqual([rows[k].x, rows[k].x2, rows[k].y, rows[k].y2], [(trace.x0 as number) - 0.5, (trace.x0 as number) + 27.5, (trace.y0 as number) - 0.5, (trace.y0 as number) + 27.5]);
      // grid position: 4 columns
      assert.equal(rows[k].x, (k % 4) * rows[1].x);
      assert.ok(k < 4 ? rows[k].y === 0 : rows[k].y > rows[k - 4].y2, `row of tile ${k}`);
    });
    const [bottom, top] = chart.plotly.layout?.yaxis?.range ?? [0, 0];
    assert.ok(bottom > top, "y reversed: row 0 at the top");
    const svg = await chart.toSVG();
    const pictures = [...svg.matchAll(/<image[^>]*href="(data:image\/png;base64,[^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(pictures, chart.plotly.data.map((t) => t.source));
    assert.equal(marks(svg, "rect").length, 0, "no rectangle per pixel");
    const shown = texts(svg);
    for (const caption of ["Digits", "digit 0", "digit 9"]) assert.ok(shown.includes(caption), `${caption} in ${shown}`);
    assert.equal(shown.filter((t) => t.startsWith("digit ")).length, 11);
    // placed as in the grid, every tile the same size on screen (square pixels)
    const placed = [...svg.matchAll(/<image[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) => m.slice(1).map(Number));
    assert.equal(placed.length, 11);
    for (const [, , width, height] of placed) assert.ok(Math.abs(width - placed[0][2]) < 1e-6 && Math.abs(height - placed[0][2]) < 1e-6, `${width} × ${height}`);
    assert.ok(placed[0][2] >= 28, "at least a screen pixel per image pixel");
    assert.ok(placed[5][0] > placed[4][0] && Math.abs(placed[5][1] - placed[4][1]) < 1e-9, "tile 5 right of tile 4");
    assert.ok(placed[4][1] > placed[3][1] + placed[0][3], "tile 4 starts the second row");
  });

  test("a 32-digit grid stays small: PNG tiles, not a rectangle per pixel", async () => {
    const random = rng(7);
    // digit-like tiles: mostly 0 with a stroke of bright pixels
    const images = Array.from({ length: 32 }, (_, k) => {
      const pixels = new Float32Array(784);
      for (let s = 0; s < 120; s++) pixels[28 * (4 + random.int(20)) + 4 + random.int(20)] = random.next();
      return { pixels, width: 28, height: 28, caption: `label ${k % 10}` };
    });
    const chart = imageGrid(images);
    const sizes = { plotly: JSON.stringify(chart.plotly).length, vegaLite: JSON.stringify(chart.vegaLite).length, svg: (await chart.toSVG()).length };
    for (const [what, bytes] of Object.entries(sizes)) assert.ok(bytes < 60_000, `${what}: ${bytes} bytes`);
  });

  test("bad input is refused, naming the builder and the option", () => {
    const ok = { pixels: [0, 1, 2, 3], width: 2, height: 2 };
    assert.throws(() => imageGrid([]), /^Error: imageGrid: images must be a non-empty list of \{ pixels, width, height, caption\? \}, got an empty list/);
    assert.throws(() => imageGrid([{ ...ok, width: 3 }]), /imageGrid: images\[0\]\.pixels has 4 values but width × height is 3 × 2 = 6/);
    assert.throws(() => imageGrid([{ ...ok, width: 0 }]), /imageGrid: images\[0\]: width must be an integer in \[1, 512\], got 0/);
    assert.throws(() => imageGrid([{ ...ok, pixels: [0, 1, "2", 3] as never }]), /imageGrid: images\[0\]\.pixels must hold numbers, found "2" at index 2/);
    assert.throws(() => imageGrid([ok], { columns: 0 }), /imageGrid: columns must be an integer in \[1, 1000\], got 0/);
    assert.throws(() => imageGrid([ok], { scale: "global" as never }), /imageGrid: scale must be one of "each", "shared", got "global"/);
    assert.throws(() => imageGrid([ok], { colorScale: "viridis" as never }), /imageGrid: colorScale must be one of "gray", "diverging", got "viridis"/);
    assert.throws(() => imageGrid([{ ...ok, label: "a" } as never]), /imageGrid: images\[0\]: unknown option "label" \(allowed: pixels, width, height, caption\)/);
  });
});
