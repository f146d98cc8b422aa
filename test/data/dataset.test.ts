/** Datasets: construction checks, zero-copy slices, gathered subsets, contiguous and seeded splits. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Dataset, dataset, rng, sliceDataset, splitDataset, subsetDataset } from "../../src/data";

/** n items of shape [2, 3]: x values 100 i + j, label i mod 4. */
function numbered(n: number): Dataset {
  const x = new Float32Array(n * 6).map((_, k) => 100 * Math.floor(k / 6) + (k % 6));
  const y = new Int32Array(n).map((_, i) => i % 4);
  return dataset({ x, xShape: [2, 3], y, yShape: [], numClasses: 4 });
}

/** The item ids (x[0] / 100) in a dataset, in order. */
const ids = (ds: Dataset) => Array.from({ length: ds.size }, (_, i) => ds.x[i * 6] / 100);

describe("dataset", () => {
  test("derives size from x and keeps shapes, labels and numClasses", () => {
    const ds = numbered(5);
    assert.equal(ds.size, 5);
    assert.deepEqual(ds.xShape, [2, 3]);
    assert.deepEqual(ds.yShape, []);
    assert.equal(ds.numClasses, 4);
    const regression = dataset({ x: new Float32Array(6), xShape: [3], y: new Float32Array(4), yShape: [2] });
    assert.equal(regression.size, 2);
    assert.equal(regression.numClasses, undefined);
  });

  test("rejects mismatched lengths, bad shapes, wrong array types and out-of-range labels", () => {
    const x = new Float32Array(6);
    assert.throws(() => dataset({ x, xShape: [4], y: new Int32Array(1), yShape: [] }), /dataset: x has 6 values, not a whole number of items of shape \[4\]/);
    assert.throws(() => dataset({ x, xShape: [3], y: new Int32Array(3), yShape: [] }), /dataset: x holds 2 items but y has 3 values/);
    assert.throws(() => dataset({ x, xShape: [0], y: new Int32Array(2), yShape: [] }), /dataset: xShape must be an array of integers >= 1/);
    assert.throws(() => dataset({ x: [1, 2] as never, xShape: [1], y: new Int32Array(2), yShape: [] }), /dataset: x must be a Float32Array, got \[1, 2\]/);
    assert.throws(() => dataset({ x, xShape: [3], y: new Float64Array(2) as never, yShape: [] }), /dataset: y must be a Float32Array or an Int32Array, got a Float64Array/);
    assert.throws(() => dataset({ x, xShape: [3], y: new Int32Array([0, 3]), yShape: [], numClasses: 3 }), /dataset: label 3 at item 1 is outside \[0, 3\)/);
    assert.throws(() => dataset({ x, xShape: [3], y: new Float32Array(2), yShape: [], numClasses: 3 }), /numClasses is given/);
    assert.throws(() => dataset({ x, xShape: [3], y: new Int32Array(2), yShape: [], numClasses: 0 }), /dataset: numClasses must be an integer >= 1, got 0/);
  });
});

describe("sliceDataset", () => {
  test("returns views of items [start, end) that share memory with the source", () => {
    const ds = numbered(10);
    const part = sliceDataset(ds, 3, 7);
    assert.equal(part.size, 4);
    assert.deepEqual(ids(part), [3, 4, 5, 6]);
    assert.deepEqual([...part.y], [3, 0, 1, 2]);
    assert.equal(part.x.buffer, ds.x.buffer);
    assert.equal(part.numClasses, 4);
    assert.deepEqual(ids(sliceDataset(ds, 8)), [8, 9]);
    assert.equal(sliceDataset(ds, 4, 4).size, 0);
  });

  test("checks the bounds", () => {
    const ds = numbered(10);
    assert.throws(() => sliceDataset(ds, -1), /sliceDataset: start must be an integer in \[0, 10\], got -1/);
    assert.throws(() => sliceDataset(ds, 5, 3), /sliceDataset: end must be an integer in \[5, 10\], got 3/);
    assert.throws(() => sliceDataset(ds, 0, 11), /sliceDataset: end must be an integer in \[0, 10\], got 11/);
  });
});

describe("subsetDataset", () => {
  test("copies the items at the indices in order, repeats allowed", () => {
    const ds = numbered(10);
    const picked = subsetDataset(ds, [9, 0, 9, 4]);
    assert.deepEqual(ids(picked), [9, 0, 9, 4]);
    assert.deepEqual(Array.from(picked.x.subarray(12, 18)), [900, 901, 902, 903, 904, 905]);
    assert.deepEqual([...picked.y], [1, 0, 1, 0]);
    assert.notEqual(picked.x.buffer, ds.x.buffer);
    const regression = dataset({ x: new Float32Array([1, 2, 3]), xShape: [1], y: new Float32Array([10, 11, 20, 21, 30, 31]), yShape: [2] });
    const reversed = subsetDataset(regression, new Int32Array([2, 1, 0]));
    assert.ok(reversed.y instanceof Float32Array);
    assert.deepEqual([...reversed.y], [30, 31, 20, 21, 10, 11]);
  });

  test("rejects indices outside the dataset", () => {
    assert.throws(() => subsetDataset(numbered(3), [0, 3]), /subsetDataset: indices\[1\] must be an integer in \[0, 2\], got 3/);
    assert.throws(() => subsetDataset(numbered(3), [0.5]), /subsetDataset: indices\[0\] must be an integer/);
  });
});

describe("splitDataset", () => {
  test("without a seed: the first count items, then the rest, as views", () => {
    const ds = numbered(10);
    const [first, second] = splitDataset(ds, { fraction: 0.7 });
    assert.deepEqual(ids(first), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(ids(second), [7, 8, 9]);
    assert.equal(first.x.buffer, ds.x.buffer);
    const [a, b] = splitDataset(ds, { count: 1 });
    assert.equal(a.size, 1);
    assert.equal(b.size, 9);
  });

  test("with a seed: a random partition given by rng(seed).shuffle", () => {
    const ds = numbered(50);
    const [first, second] = splitDataset(ds, { count: 40, seed: 3 });
    const order = rng(3).shuffle(Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(ids(first), order.slice(0, 40));
    assert.deepEqual(ids(second), order.slice(40));
    assert.deepEqual([...ids(first), ...ids(second)].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(ids(splitDataset(ds, { count: 40, seed: 3 })[0]), ids(first));
    assert.notDeepEqual(ids(splitDataset(ds, { count: 40, seed: 4 })[0]), ids(first));
  });

  test("needs exactly one of fraction or count, and two non-empty parts", () => {
    const ds = numbered(10);
    assert.throws(() => splitDataset(ds, {}), /splitDataset: give exactly one of fraction \(in \(0, 1\)\) or count/);
    assert.throws(() => splitDataset(ds, { fraction: 0.5, count: 5 }), /give exactly one of fraction/);
    assert.throws(() => splitDataset(ds, { fraction: 1 }), /splitDataset: fraction must be in \(0, 1\), got 1/);
    assert.throws(() => splitDataset(ds, { fraction: 0.01 }), /fraction 0.01 of 10 items gives an empty part/);
    assert.throws(() => splitDataset(ds, { count: 10 }), /splitDataset: count must be an integer in \[1, 9\], got 10/);
    assert.throws(() => splitDataset(ds, { count: 5, seed: -1 }), /splitDataset: seed must be an integer >= 0, got -1/);
    assert.throws(() => splitDataset(ds, { size: 5 } as never), /splitDataset: unknown option "size"/);
    assert.throws(() => splitDataset(numbered(1), { count: 1 }), /needs a dataset of at least 2 items/);
  });
});
