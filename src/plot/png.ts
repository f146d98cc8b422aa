/**
 * PNG images for charts (imageGrid's tiles), encoded by pngjs: 8-bit greyscale or RGB, each with or without an
 * alpha channel. A data URL of the result is what Plotly's image traces and vega's image marks take as
 * `source` / `url`, so the static SVG carries the image itself and not a rectangle per pixel.
 */
import { PNG } from "pngjs";

/** PNG colour types by channel count: greyscale 0, greyscale + alpha 4, truecolour 2, truecolour + alpha 6. */
const COLOR_TYPES = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A PNG of `width` × `height` pixels from bytes in row-major order (row 0 at the top), `channels` bytes per
 * pixel: 1 grey, 2 grey + alpha, 3 red, green, blue, 4 red, green, blue + alpha (alpha 0: transparent).
 */
export function encodePng(width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`encodePng: width and height must be integers >= 1, got ${width} x ${height}`);
  if (pixels.length !== width * height * channels) throw new Error(`encodePng: expected ${width * height * channels} bytes (${width} x ${height} x ${channels}), got ${pixels.length}`);
  const colorType = COLOR_TYPES[channels];
  // input and output colour types equal: pngjs writes the bytes as given, without conversion
  return PNG.sync.write({ width, height, data: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength) } as PNG, {
    colorType,
    inputColorType: colorType,
    inputHasAlpha: channels === 2 || channels === 4,
    bitDepth: 8,
    // no per-row prediction: tiles are small, and the tests decode them with a decoder of their own
    filterType: 0,
  });
}

/** The PNG as a data URL (`data:image/png;base64,...`). */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
}

/** Width and height of a PNG given as a data URL (its IHDR chunk), or undefined if it is not one. */
export function pngSize(url: string): { width: number; height: number } | undefined {
  const prefix = "data:image/png;base64,";
  if (typeof url !== "string" || !url.startsWith(prefix)) return undefined;
  const head = Buffer.from(url.slice(prefix.length, prefix.length + 44), "base64");
  if (head.length < 24 || !head.subarray(0, 8).equals(SIGNATURE) || head.toString("ascii", 12, 16) !== "IHDR") return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
