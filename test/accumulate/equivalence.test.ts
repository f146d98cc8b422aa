/**
 * Accumulation is exact: k micro-batches of b give the parameters of one batch of k·b, also when the
 * micro-batches differ in size, because each is weighted by its item count.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, momentum, sgd, Optimizer, AccumulateOptions } from "../../src/optim";
import { TinyMlp, dataset, maxRelativeDifference } from "../optim/helpers";

type Make = (accumulate?: AccumulateOptions) => Optimizer;
const OPTIMIZERS: Record<string, Make> = {
  SGD: (accumulate) => sgd({ lr: 0.5, accumulate }),
  Momentum: (accumulate) => momentum({ lr: 0.2, momentum: 0.9, accumulate }),
  Adam: (accumulate) => adam({ lr: 0.05, accumulate }),
};

function applyRange(model: TinyMlp, opt: Optimizer, data: { x: tf.Tensor2D; y: tf.Tensor1D }, start: number, end: number): void {
  const grads = model.gradients(data, start, end);
  opt.applyGradients(grads, { itemCount: end - start });
  tf.dispose(Object.values(grads));
}

describe("k micro-batches of b equal one batch of k·b", () => {
  const data = dataset(320, 21);
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    test(`${name}: 10 updates of 4 × 8 items vs 10 updates of 32 items, within 1e-5`, () => {
      const big = new TinyMlp(4);
      const small = new TinyMlp(4);
      const plain = make();
      const accumulating = make({ steps: 4 });
      for (let update = 0; update < 10; update++) {
        applyRange(big, plain, data, update * 32, update * 32 + 32);
        for (let micro = 0; micro < 4; micro++) applyRange(small, accumulating, data, update * 32 + micro * 8, update * 32 + micro * 8 + 8);
      }
      assert.equal(accumulating.iterations, 10);
      const difference = maxRelativeDifference(small.values(), big.values());
      assert.ok(difference <= 1e-5, `max relative difference ${difference}`);
      [plain, accumulating].forEach((o) => o.dispose());
      big.dispose();
      small.dispose();
    });
  }

  test("unequal micro-batches (3, 5, 8, 16 items) are weighted by their items, not averaged as means", () => {
    const big = new TinyMlp(8);
    const small = new TinyMlp(8);
    const naive = new TinyMlp(8);
    const [plain, accumulating, naiveOpt] = [sgd({ lr: 0.5 }), sgd({ lr: 0.5, accumulate: { steps: 4 } }), sgd({ lr: 0.5 })];
    const bounds = [0, 3, 8, 16, 32];
    for (let update = 0; update < 5; update++) {
      const offset = update * 32;
      applyRange(big, plain, data, offset, offset + 32);
      for (let i = 0; i < 4; i++) applyRange(small, accumulating, data, offset + bounds[i], offset + bounds[i + 1]);
      // the transformers bug, for contrast: the mean of the micro-batch means
      const means = bounds.slice(0, 4).map((b, i) => naive.gradients(data, offset + b, offset + bounds[i + 1]));
      const averaged = tf.tidy(() => Object.fromEntries(Object.keys(means[0]).map((k) => [k, tf.addN(means.map((m) => m[k])).div(4)])));
      naiveOpt.applyGradients(averaged);
      tf.dispose([...means.flatMap((m) => Object.values(m)), ...Object.values(averaged)]);
    }
    assert.ok(maxRelativeDifference(small.values(), big.values()) <= 1e-5);
    assert.ok(maxRelativeDifference(naive.values(), big.values()) > 1e-3, "the mean of means should differ from one large batch");
    [plain, accumulating, naiveOpt].forEach((o) => o.dispose());
    [big, small, naive].forEach((m) => m.dispose());
  });
});

describe("the last incomplete window of an epoch", () => {
  const data = dataset(80, 33);
  // 10 micro-batches of 8 with windows of 4: two full windows and 2 micro-batches left over
  function epoch(model: TinyMlp, opt: Optimizer, offset = 0): void {
    for (let i = 0; i < 10; i++) applyRange(model, opt, data, (offset + i * 8) % 80, ((offset + i * 8) % 80) + 8);
    opt.endEpoch();
  }

  test("drop: the leftover micro-batches are discarded", () => {
    const [model, reference] = [new TinyMlp(2), new TinyMlp(2)];
    const opt = sgd({ lr: 0.5, accumulate: { steps: 4, lastWindow: "drop" } });
    const ref = sgd({ lr: 0.5 });
    epoch(model, opt);
    applyRange(reference, ref, data, 0, 32);
    applyRange(reference, ref, data, 32, 64);
    assert.equal(opt.iterations, 2);
    assert.deepEqual(opt.pendingMicroBatches(), []);
    assert.ok(maxRelativeDifference(model.values(), reference.values()) <= 1e-6);
    [opt, ref].forEach((o) => o.dispose());
    [model, reference].forEach((m) => m.dispose());
  });

  test("rescale: the leftover window updates with the mean over the items it holds", () => {
    const [model, reference] = [new TinyMlp(2), new TinyMlp(2)];
    const opt = sgd({ lr: 0.5, accumulate: { steps: 4, lastWindow: "rescale" } });
    const ref = sgd({ lr: 0.5 });
    epoch(model, opt);
    applyRange(reference, ref, data, 0, 32);
    applyRange(reference, ref, data, 32, 64);
    applyRange(reference, ref, data, 64, 80);
    assert.equal(opt.iterations, 3);
    assert.ok(maxRelativeDifference(model.values(), reference.values()) <= 1e-6);
    [opt, ref].forEach((o) => o.dispose());
    [model, reference].forEach((m) => m.dispose());
  });

  test("carry: the leftover micro-batches open the next epoch's first window", () => {
    const [model, reference] = [new TinyMlp(2), new TinyMlp(2)];
    const opt = sgd({ lr: 0.5, accumulate: { steps: 4, lastWindow: "carry" } });
    const ref = sgd({ lr: 0.5 });
    epoch(model, opt);
    assert.deepEqual(opt.pendingMicroBatches(), [{ group: "default", microBatches: 2, items: 16 }]);
    applyRange(model, opt, data, 0, 8);
    applyRange(model, opt, data, 8, 16); // completes the carried window: items 64..80 and 0..16
    applyRange(reference, ref, data, 0, 32);
    applyRange(reference, ref, data, 32, 64);
    const grads = tf.tidy(() => {
      const a = reference.gradients(data, 64, 80);
      const b = reference.gradients(data, 0, 16);
      return Object.fromEntries(Object.keys(a).map((k) => [k, a[k].add(b[k]).div(2)]));
    });
    ref.applyGradients(grads);
    tf.dispose(Object.values(grads));
    assert.equal(opt.iterations, 3);
    assert.ok(maxRelativeDifference(model.values(), reference.values()) <= 1e-6);
    [opt, ref].forEach((o) => o.dispose());
    [model, reference].forEach((m) => m.dispose());
  });
});
