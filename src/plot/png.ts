/**
 * A minimal PNG encoder for chart images (imageGrid's tiles): 8-bit greyscale or RGB, no interlacing, every
 * row filtered with "none" and the whole compressed by zlib (node:zlib) — PNG's required chunks IHDR, IDAT and
 * IEND, each with its CRC-32. A data URL of the result is what Plotly's image traces and vega's image marks
 * take as `source` / `url`, so the static SVG carries the image itself and not a rectangle per pixel.
 */
import { deflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** CRC-32 (ISO 3309, polynomial 0xedb88320), as PNG's chunks carry it. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/**
 * A PNG of `width` × `height` pixels from bytes in row-major order (row 0 at the top): one byte per pixel
 * for greyscale (channels 1), three (red, green, blue) for RGB (channels 3).
 */
export function encodePng(width: number, height: number, channels: 1 | 3, pixels: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`encodePng: width and height must be integers >= 1, got ${width} x ${height}`);
  if (pixels.length !== width * height * channels) throw new Error(`encodePng: expected ${width * height * channels} bytes (${width} x ${height} x ${channels}), got ${pixels.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // colour type: greyscale or truecolour
  // compression, filter and interlace methods: 0 (deflate, adaptive filtering, none)
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let row = 0; row < height; row++) {
    raw[row * (stride + 1)] = 0; // filter type "none"
    raw.set(pixels.subarray(row * stride, (row + 1) * stride), row * (stride + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk("IHDR", header), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", new Uint8Array(0))]);
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
