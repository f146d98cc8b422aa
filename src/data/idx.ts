import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

/** Element types of the IDX format (LeCun's MNIST page), by their type code. */
export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX file: row-major data with its shape (dims as stored, outermost first). */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

const DTYPES: ReadonlyMap<number, { dtype: IdxDtype; bytes: number }> = new Map([
  [0x08, { dtype: "uint8", bytes: 1 }],
  [0x09, { dtype: "int8", bytes: 1 }],
  [0x0b, { dtype: "int16", bytes: 2 }],
  [0x0c, { dtype: "int32", bytes: 4 }],
  [0x0d, { dtype: "float32", bytes: 4 }],
  [0x0e, { dtype: "float64", bytes: 8 }],
]);

const hex = (value: number, digits: number) => "0x" + value.toString(16).padStart(digits, "0");

/**
 * Parses an IDX file. Layout: two zero bytes; a type code (0x08 uint8, 0x09 int8, 0x0B int16,
 * 0x0C int32, 0x0D float32, 0x0E float64); the number of dimensions d >= 1; d big-endian uint32
 * sizes; then prod(sizes) big-endian elements, row-major, and nothing after them.
 * A gzip-compressed file (the usual `.gz` download) is decompressed first.
 *
 * uint8 data is returned as a view into `bytes` (no copy); other types are decoded into new arrays.
 * Throws an Error naming `source` when the header is malformed or the data is truncated or too long.
 *
 * @param source name of the data in error messages, typically its file path
 */
export function readIdx(bytes: Uint8Array, source = "IDX data"): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new Error(`readIdx: ${source} must be a Uint8Array or Buffer`);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(gunzipSync(bytes));
  const problem = (what: string): Error => new Error(`readIdx: ${source} is not a valid IDX file: ${what}`);
  if (bytes.length < 4) throw problem(`truncated header (${bytes.length} bytes, the magic number alone needs 4)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw problem(`bad magic number ${hex(magic, 8)} (IDX files start with two zero bytes)`);
  const type = DTYPES.get(bytes[2]);
  if (type === undefined) {
    throw problem(`unknown type code ${hex(bytes[2], 2)} in magic number ${hex(magic, 8)} (known: 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)`);
  }
  const rank = bytes[3];
  if (rank === 0) throw problem("zero dimensions (the 4th byte must be >= 1)");
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw problem(`truncated header (${bytes.length} bytes, ${rank} dimensions need ${headerBytes})`);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    count *= size;
  }
  const dataBytes = count * type.bytes;
  const found = bytes.length - headerBytes;
  if (found < dataBytes) {
    throw problem(`truncated data (shape [${shape.join(", ")}] of ${type.dtype} needs ${dataBytes} bytes after the header, found ${found})`);
  }
  if (found > dataBytes) {
    throw problem(`${found - dataBytes} unexpected bytes after the data (shape [${shape.join(", ")}] of ${type.dtype} needs ${dataBytes})`);
  }
  return { dtype: type.dtype, shape, data: decode(type.dtype, bytes, view, headerBytes, count) };
}

function decode(dtype: IdxDtype, bytes: Uint8Array, view: DataView, offset: number, count: number): IdxData {
  switch (dtype) {
    case "uint8":
      return bytes.subarray(offset, offset + count);
    case "int8":
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count).slice();
    case "int16": {
      const data = new Int16Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt16(offset + 2 * i, false);
      return data;
    }
    case "int32": {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(offset + 4 * i, false);
      return data;
    }
    case "float32": {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, false);
      return data;
    }
    case "float64": {
      const data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(offset + 8 * i, false);
      return data;
    }
  }
}

/** Reads and parses an IDX file (optionally gzip-compressed); errors name the path. */
export function readIdxFile(path: string): IdxArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`readIdxFile: cannot read ${path}: ${(error as Error).message}`);
  }
  return readIdx(bytes, path);
}
