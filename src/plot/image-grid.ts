/**
 * Small images in a grid (digits, filters, feature maps), each with an optional caption below it.
 *
 * Each tile becomes a PNG (a data URL), shown by a Plotly image trace and, in the Vega-Lite translation, by
 * an image mark: the static SVG holds one <image> per tile, not a rectangle per pixel. Pixels are row-major,
 * row 0 at the top. Colours:
 * - "gray" (default): black at the low end of the range, white at the high end, t = (v − lo) / (hi − lo);
 * - "diverging": blue – white – red symmetric around 0, t = 1/2 + v / (2·max|v|), so 0 is white.
 * The range is each tile's own (scale "each", default) or one over all tiles ("shared"); a range of one
 * value draws mid-scale. Non-finite pixels are transparent and left out of the range.
 */
import { Chart } from "./chart";
import { DIVERGING, colorAt } from "./colors";
import { plotlyToVegaLite } from "./plotly-to-vega";
import { encodePng, pngDataUrl } from "./png";
import { PlotlyAnnotation, PlotlyFigure, PlotlyTrace } from "./types";
import { checkChoice, checkInteger, checkNumbers, checkTitle } from "./validate";
import { requireKnownKeys } from "../util/validate";

export interface GridImage {
  /** width × height values, row-major, row 0 at the top. */
  pixels: ArrayLike<number>;
  width: number;
  height: number;
  caption?: string;
}

export interface ImageGridOptions {
  /** Tiles per row (default: up to 8). */
  columns?: number;
  title?: string;
  /** "each" (default): every tile min–max normalised on its own; "shared": one range for all tiles. */
  scale?: "each" | "shared";
  /** "gray" (default, digits) or "diverging" (filters: blue–white–red, symmetric around 0). */
  colorScale?: "gray" | "diverging";
}

const BUILDER = "imageGrid";
const MAX_SIDE = 512;
/** Caption font size in pixels (Plotly's annotation and the SVG's text). */
const CAPTION_FONT = 11;

/** Small images in a grid, each with an optional caption; gray or diverging colours, per-tile or shared range. */
export function imageGrid(images: ReadonlyArray<GridImage>, options: ImageGridOptions = {}): Chart {
  requireKnownKeys(BUILDER, options, ["columns", "title", "scale", "colorScale"]);
  checkTitle(BUILDER, "title", options.title);
  checkChoice(BUILDER, "scale", options.scale, ["each", "shared"]);
  checkChoice(BUILDER, "colorScale", options.colorScale, ["gray", "diverging"]);
  if (!Array.isArray(images) || images.length === 0) throw new Error(`${BUILDER}: images must be a non-empty list of { pixels, width, height, caption? }, got ${images === null ? "null" : Array.isArray(images) ? "an empty list" : typeof images}`);
  checkInteger(BUILDER, "columns", options.columns, 1, 1000);
  images.forEach((image, k) => {
    const where = `${BUILDER}: images[${k}]`;
    if (image === null || typeof image !== "object") throw new Error(`${where} must be { pixels, width, height, caption? }, got ${image === null ? "null" : typeof image}`);
    requireKnownKeys(where, image, ["pixels", "width", "height", "caption"]);
    checkInteger(where, "width", image.width, 1, MAX_SIDE);
    checkInteger(where, "height", image.height, 1, MAX_SIDE);
    checkNumbers(`${where}.pixels`, image.pixels);
    if (image.pixels.length !== image.width * image.height) throw new Error(`${where}.pixels has ${image.pixels.length} values but width × height is ${image.width} × ${image.height} = ${image.width * image.height}`);
    checkTitle(where, "caption", image.caption);
  });
  const diverging = options.colorScale === "diverging";
  const ranges = images.map((image) => range(image.pixels, diverging));
  const shared = ranges.reduce((a, b) => ({ lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) }));
  const urls = images.map((image, k) => pngDataUrl(tile(image, options.scale === "shared" ? shared : ranges[k], diverging)));

  const columns = options.columns ?? Math.min(images.length, 8);
  const rows = Math.ceil(images.length / columns);
  const cellW = Math.max(...images.map((i) => i.width));
  const cellH = Math.max(...images.map((i) => i.height));
  const gap = Math.max(1, Math.round(0.15 * Math.max(cellW, cellH)));
  const gridW = columns * (cellW + gap) - gap;
  // screen pixels per image pixel: tiles about 80 pixels across, the grid at most about 560 pixels wide
  const zoom = Math.max(1, Math.min(Math.floor(560 / gridW), Math.ceil(80 / Math.max(cellW, cellH))));
  const captioned = images.some((i) => i.caption !== undefined && i.caption !== "");
  const captionH = captioned ? Math.ceil((CAPTION_FONT * 1.5) / zoom) : 0;
  const rowH = cellH + captionH + gap;
  const gridH = rows * rowH - gap;
  const traces: PlotlyTrace[] = [];
  const annotations: PlotlyAnnotation[] = [];
  images.forEach((image, k) => {
    const left = (k % columns) * (cellW + gap) + (cellW - image.width) / 2;
    const top = Math.floor(k / columns) * rowH + (cellH - image.height) / 2;
    // Plotly's image pixel (i, j) is centred at (x0 + j, y0 + i)
    traces.push({ type: "image", name: image.caption || `image ${k}`, source: urls[k], x0: left + 0.5, y0: top + 0.5, dx: 1, dy: 1, hoverinfo: "name" });
    if (image.caption) {
      annotations.push({ x: left + image.width / 2, y: Math.floor(k / columns) * rowH + cellH + captionH * 0.15, text: image.caption, xref: "x", yref: "y", showarrow: false, xanchor: "center", yanchor: "top", font: { size: CAPTION_FONT } });
    }
  });
  const figure: PlotlyFigure = {
    data: traces,
    layout: {
      ...(options.title ? { title: { text: options.title } } : {}),
      xaxis: { visible: false, range: [-0.5, gridW + 0.5] },
      // row 0 of the grid (and of each image) at the top; square pixels
      yaxis: { visible: false, range: [gridH + 0.5, -0.5], scaleanchor: "x" },
      ...(annotations.length > 0 ? { annotations } : {}),
      plot_bgcolor: "#ffffff",
    },
  };
  const spec = plotlyToVegaLite(figure, { width: (gridW + 1) * zoom, height: (gridH + 1) * zoom });
  return new Chart({ ...spec, view: { stroke: null } }, figure, `${options.title ?? "image grid"}: ${images.length} image${images.length === 1 ? "" : "s"} in ${rows} × ${columns}`);
}

/** The finite pixels' range: [min, max], or [−max|v|, max|v|] for the diverging scale. */
function range(pixels: ArrayLike<number>, diverging: boolean): { lo: number; hi: number } {
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, diverging ? -Math.abs(v) : v);
    hi = Math.max(hi, diverging ? Math.abs(v) : v);
  }
  if (diverging) [lo, hi] = [Math.min(lo, -hi), Math.max(hi, -lo)];
  return { lo, hi };
}

/** One tile as a PNG: grey (+ alpha when a pixel is non-finite), or RGB for the diverging scale. */
function tile(image: GridImage, { lo, hi }: { lo: number; hi: number }, diverging: boolean): Buffer {
  const { pixels, width, height } = image;
  let transparent = false;
  for (let i = 0; i < pixels.length; i++) if (!Number.isFinite(pixels[i])) transparent = true;
  const colour = diverging ? 3 : 1;
  const channels = (colour + (transparent ? 1 : 0)) as 1 | 2 | 3 | 4;
  const bytes = new Uint8Array(width * height * channels);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    const at = i * channels;
    if (!Number.isFinite(v)) continue; // all zero: transparent
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    if (diverging) bytes.set(colorAt(DIVERGING, t).map(Math.round), at);
    else bytes[at] = Math.round(255 * t);
    if (transparent) bytes[at + colour] = 255;
  }
  return encodePng(width, height, channels, bytes);
}
