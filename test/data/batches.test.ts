/** Batching: order, reproducibility from (seed, epoch), labels as indices or one-hot, ownership and leaks. */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DataBatch, Dataset, batchCount, batches, dataset, epochOrder, rng } from "../../src/data";

before(async () => {
  await tf.setBackend("cpu");
});

/** n items of shape [3]: x = (i, i + 0.25, i + 0.5), label i mod 3. */
function numbered(n: number): Dataset {
  const x = new Float32Array(n * 3).map((_, k) => Math.floor(k / 3) + 0.25 * (k % 3));
  return dataset({ x, xShape: [3], y: new Int32Array(n).map((_, i) => i % 3), yShape: [], numClasses: 3 });
}

/** Reads a batch into plain arrays (item ids from x, labels) and disposes its tensors. */
function consume(batch: DataBatch): { ids: number[]; labels: number[][] | number[]; size: number; index: number } {
  const x = batch.x.arraySync() as number[][];
  const labels = batch.y.arraySync() as number[][] | number[];
  x.forEach((row, k) => assert.deepEqual(row, [row[0], row[0] + 0.25, row[0] + 0.5], `row ${k} is one whole item`));
  const result = { ids: x.map((row) => row[0]), labels, size: batch.size, index: batch.index };
  tf.dispose([batch.x, batch.y]);
  return result;
}

describe("batches", () => {
  test("without shuffle: dataset order, shapes [size, ...xShape], int32 labels, a short last batch", () => {
    const ds = numbered(10);
    const seen = [...batches(ds, { batchSize: 4 })].map((batch) => {
      assert.deepEqual(batch.x.shape, [batch.size, 3]);
      assert.equal(batch.x.dtype, "float32");
      assert.deepEqual(batch.y.shape, [batch.size]);
      assert.equal(batch.y.dtype, "int32");
      return consume(batch);
    });
    assert.deepEqual(seen.map((b) => b.ids), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    assert.deepEqual(seen.map((b) => b.labels), [[0, 1, 2, 0], [1, 2, 0, 1], [2, 0]]);
    assert.deepEqual(seen.map((b) => [b.index, b.size]), [[0, 4], [1, 4], [2, 2]]);
  });

  test("dropLast leaves out the short batch; batchCount agrees", () => {
    const ds = numbered(10);
    assert.deepEqual([...batches(ds, { batchSize: 4, dropLast: true })].map((b) => consume(b).size), [4, 4]);
    assert.equal(batchCount(10, 4), 3);
    assert.equal(batchCount(10, 4, true), 2);
    assert.equal(batchCount(12, 4), 3);
    assert.equal(batchCount(0, 4), 0);
    assert.deepEqual([...batches(numbered(3), { batchSize: 8, dropLast: true })], []);
  });

  test("with shuffle: every item once per epoch, in the order epochOrder(size, seed, epoch)", () => {
    const ds = numbered(103);
    const order = epochOrder(103, 5, 2);
    const seen = [...batches(ds, { batchSize: 16, shuffle: true, seed: 5, epoch: 2 })].map(consume);
    const visited = seen.flatMap((b) => b.ids);
    assert.deepEqual(visited, [...order]);
    assert.deepEqual([...visited].sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
    assert.deepEqual(seen.flatMap((b) => b.labels as number[]), visited.map((id) => id % 3));
  });

  test("epochOrder is the Fisher–Yates shuffle driven by rng(seed, epoch)", () => {
    const expected = rng(9, 4).shuffle(Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual([...epochOrder(50, 9, 4)], expected);
  });

  test("the order is a function of (seed, epoch): resumed runs see the same batches, epochs differ", () => {
    const ds = numbered(64);
    const epochIds = (seed: number, epoch: number) => [...batches(ds, { batchSize: 8, shuffle: true, seed, epoch })].map((b) => consume(b).ids);
    assert.deepEqual(epochIds(1, 3), epochIds(1, 3));
    assert.notDeepEqual(epochIds(1, 3), epochIds(1, 4));
    assert.notDeepEqual(epochIds(1, 3), epochIds(2, 3));
  });

  test("startBatch resumes mid-epoch with the same remaining batches and indices", () => {
    const ds = numbered(50);
    const options = { batchSize: 7, shuffle: true, seed: 8, epoch: 1 };
    const full = [...batches(ds, options)].map(consume);
    const resumed = [...batches(ds, { ...options, startBatch: 4 })].map(consume);
    assert.deepEqual(resumed, full.slice(4));
    assert.deepEqual([...batches(ds, { ...options, startBatch: 8 })], []);
  });

  test("oneHot yields float32 rows of length numClasses", () => {
    const [batch] = batches(numbered(4), { batchSize: 4, oneHot: true });
    assert.equal(batch.y.dtype, "float32");
    assert.deepEqual(batch.y.arraySync(), [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]);
    tf.dispose([batch.x, batch.y]);
  });

  test("float targets keep their shape and values in the shuffled order", () => {
    const x = new Float32Array([0, 1, 2, 3, 4]);
    const y = new Float32Array([0, 0.5, 10, 10.5, 20, 20.5, 30, 30.5, 40, 40.5]);
    const ds = dataset({ x, xShape: [1], y, yShape: [2] });
    for (const batch of batches(ds, { batchSize: 2, shuffle: true, seed: 1 })) {
      assert.deepEqual(batch.y.shape, [batch.size, 2]);
      assert.equal(batch.y.dtype, "float32");
      const ids = batch.x.dataSync();
      assert.deepEqual(batch.y.arraySync(), Array.from(ids, (id) => [10 * id, 10 * id + 0.5]));
      tf.dispose([batch.x, batch.y]);
    }
  });

  test("image items keep their shape; rows stay intact", () => {
    const ds = dataset({ x: new Float32Array(5 * 4).map((_, k) => k), xShape: [2, 2, 1], y: new Int32Array(5), yShape: [] });
    const [batch] = batches(ds, { batchSize: 3, shuffle: true, seed: 2 });
    assert.deepEqual(batch.x.shape, [3, 2, 2, 1]);
    const order = epochOrder(5, 2, 0);
    assert.deepEqual(Array.from(batch.x.dataSync()), [...order.subarray(0, 3)].flatMap((i) => [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]));
    tf.dispose([batch.x, batch.y]);
  });

  test("earlier batches are unchanged by later ones (tfjs's cpu backend keeps the arrays it is given)", () => {
    const iterator = batches(numbered(20), { batchSize: 5, shuffle: true, seed: 3 });
    const first = iterator.next().value as DataBatch;
    const before = Array.from(first.x.dataSync());
    const rest = [...iterator];
    assert.deepEqual(Array.from(first.x.dataSync()), before);
    tf.dispose([first.x, first.y, ...rest.flatMap((b) => [b.x, b.y])]);
  });

  test("creates exactly two tensors per batch and holds none itself", () => {
    const ds = numbered(40);
    const start = tf.memory().numTensors;
    let count = 0;
    for (const batch of batches(ds, { batchSize: 8, shuffle: true, oneHot: true })) {
      count++;
      assert.equal(tf.memory().numTensors, start + 2);
      tf.dispose([batch.x, batch.y]);
    }
    assert.equal(count, 5);
    assert.equal(tf.memory().numTensors, start);
  });

  test("options are checked when batches() is called, with the allowed range in the message", () => {
    const ds = numbered(10);
    const regression = dataset({ x: new Float32Array(2), xShape: [1], y: new Float32Array(2), yShape: [1] });
    assert.throws(() => batches(ds, { batchSize: 0 }), /batches: batchSize must be an integer >= 1, got 0/);
    assert.throws(() => batches(ds, { batchSize: 2.5 }), /batches: batchSize must be an integer >= 1, got 2.5/);
    assert.throws(() => batches(ds, {} as never), /batches: batchSize must be an integer >= 1, got undefined/);
    assert.throws(() => batches(ds, undefined as never), /batches: options must be an object with at least batchSize/);
    assert.throws(() => batches(ds, { batchSize: 2, seed: -3 }), /batches: seed must be an integer >= 0, got -3/);
    assert.throws(() => batches(ds, { batchSize: 2, epoch: 0.5 }), /batches: epoch must be an integer >= 0, got 0.5/);
    assert.throws(() => batches(ds, { batchSize: 2, shuffle: 1 as never }), /batches: shuffle must be true or false, got 1/);
    assert.throws(() => batches(ds, { batchSize: 2, startBatch: 6 }), /batches: startBatch must be an integer in \[0, 5\], got 6/);
    assert.throws(() => batches(ds, { batchSize: 2, batch_size: 3 } as never), /batches: unknown option "batch_size"/);
    assert.throws(() => batches(regression, { batchSize: 1, oneHot: true }), /batches: oneHot needs class labels/);
    assert.throws(() => epochOrder(10, 1, -1), /epochOrder: epoch must be an integer >= 0, got -1/);
    assert.throws(() => batchCount(10, 0), /batchCount: batchSize must be an integer >= 1, got 0/);
  });
});
