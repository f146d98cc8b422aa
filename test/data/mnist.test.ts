/** loadMnist against published facts about MNIST: sizes, first labels, per-class counts, pixel statistics. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadMnist } from "../../src/data";

/** Items per digit 0..9 as published for the MNIST training and test sets. */
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

describe("loadMnist", () => {
  test("the training set: 60,000 items [28, 28, 1] in [0, 1], first labels 5 0 4 1 9 2 1 3 1 4, published class counts", () => {
    const train = loadMnist({ split: "train" });
    assert.equal(train.size, 60000);
    assert.deepEqual(train.xShape, [28, 28, 1]);
    assert.deepEqual(train.yShape, []);
    assert.equal(train.numClasses, 10);
    assert.ok(train.x instanceof Float32Array && train.x.length === 60000 * 784);
    assert.ok(train.y instanceof Int32Array);
    assert.deepEqual([...train.y.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    const counts = histogram(train.y as Int32Array);
    assert.deepEqual(counts, TRAIN_COUNTS);
    assert.equal(counts.reduce((a, b) => a + b), 60000);
    // The mean and standard deviation behind the customary Normalize((0.1307,), (0.3081,)).
    let sum = 0;
    let squares = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.x) {
      sum += v;
      squares += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / train.x.length;
    assert.equal(min, 0);
    assert.equal(max, 1);
    assert.ok(Math.abs(mean - 0.1307) < 5e-5, `mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(squares / train.x.length - mean * mean) - 0.3081) < 5e-5);
  });

  test("the test set: 10,000 items, first labels 7 2 1 0 4 1 4 9 5 9, published class counts (the default split is train)", () => {
    const testSet = loadMnist({ split: "test" });
    assert.equal(testSet.size, 10000);
    assert.deepEqual([...testSet.y.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert.deepEqual(histogram(testSet.y as Int32Array), TEST_COUNTS);
    assert.equal(loadMnist({ limit: 3 }).y[0], 5);
  });

  test("limit keeps the first items; normalize: false keeps whole pixel values 0..255; each call owns its arrays", () => {
    const scaled = loadMnist({ split: "test", limit: 100 });
    const raw = loadMnist({ split: "test", limit: 100, normalize: false });
    assert.equal(scaled.size, 100);
    assert.equal(scaled.x.length, 100 * 784);
    assert.deepEqual([...raw.y], [...scaled.y]);
    let maxRaw = 0;
    for (let i = 0; i < raw.x.length; i++) {
      assert.ok(Number.isInteger(raw.x[i]) && raw.x[i] >= 0 && raw.x[i] <= 255);
      assert.equal(scaled.x[i], Math.fround(raw.x[i] / 255));
      maxRaw = Math.max(maxRaw, raw.x[i]);
    }
    assert.equal(maxRaw, 255);
    const again = loadMnist({ split: "test", limit: 100 });
    assert.notEqual(again.x, scaled.x);
    assert.deepEqual(again.x, scaled.x);
  });

  test("options are checked", () => {
    assert.throws(() => loadMnist({ split: "validation" as never }), /loadMnist: split must be one of "train", "test", got "validation"/);
    assert.throws(() => loadMnist({ limit: 0 }), /loadMnist: limit must be an integer in \[1, 60000\], got 0/);
    assert.throws(() => loadMnist({ split: "test", limit: 10001 }), /loadMnist: limit must be an integer in \[1, 10000\], got 10001/);
    assert.throws(() => loadMnist({ normalize: "yes" as never }), /loadMnist: normalize must be true or false, got "yes"/);
    assert.throws(() => loadMnist({ shuffle: true } as never), /loadMnist: unknown option "shuffle"/);
  });
});
