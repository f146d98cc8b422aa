/**
 * Resumable training: state() / loadState() (JSON) and getWeights / setWeights (saved with a model) give the
 * same parameters after a resume as without interruption, bit for bit, for every optimizer.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adagrad, adam, adamax, adamw, amsgrad, lion, momentum, nadam, nesterov, rmsprop, scheduleFreeAdamw, sgd, Optimizer } from "../../src/optim";
import { cosine, linearWarmup } from "../../src/schedule";
import { TinyMlp, dataset, train } from "./helpers";

const FACTORIES: Record<string, () => Optimizer> = {
  sgd: () => sgd({ lr: 0.1 }),
  momentum: () => momentum({ lr: 0.1, dampening: 0.1 }),
  nesterov: () => nesterov({ lr: 0.1 }),
  adagrad: () => adagrad({ lr: 0.1, lrDecay: 0.01, initialAccumulator: 0.1 }),
  rmsprop: () => rmsprop({ lr: 0.01, momentum: 0.9, centered: true }),
  adam: () => adam({ lr: linearWarmup({ steps: 3 }, cosine({ lr: 0.05, tMax: 20 })) }),
  amsgrad: () => amsgrad({ lr: 0.05 }),
  adamw: () => adamw({ lr: 0.05, clip: { globalNorm: 0.5 }, ema: { decay: 0.9 } }),
  adamax: () => adamax({ lr: 0.05 }),
  nadam: () => nadam({ lr: 0.05 }),
  lion: () => lion({ lr: 0.01, weightDecay: 0.1 }),
  "adam+accumulate": () => adam({ lr: 0.05, accumulate: { steps: 3 } }),
  scheduleFreeAdamw: () => scheduleFreeAdamw({ lr: linearWarmup({ steps: 3 }, cosine({ lr: 0.05, tMax: 20 })), weightDecay: 0.01 }),
};

describe("resume exactly", () => {
  const data = dataset(64, 5);
  for (const [name, make] of Object.entries(FACTORIES)) {
    test(`${name}: state() → JSON → loadState() continues bit for bit`, () => {
      const straight = new TinyMlp(11);
      const resumed = new TinyMlp(11);
      const a = make();
      train(straight, a, data, 0, 10);

      const first = make();
      train(resumed, first, data, 0, 5);
      const saved = JSON.parse(JSON.stringify(first.state()));
      first.dispose();
      const second = make();
      second.loadState(saved);
      train(resumed, second, data, 5, 10);

      assert.deepEqual(resumed.values(), straight.values());
      assert.equal(second.iterations, a.iterations);
      [a, second].forEach((o) => o.dispose());
      straight.dispose();
      resumed.dispose();
    });
  }

  test("getWeights / setWeights round-trip every slot, step and average", async () => {
    const straight = new TinyMlp(3);
    const resumed = new TinyMlp(3);
    const a = adamw({ lr: 0.05, ema: { decay: 0.9 } });
    train(straight, a, data, 0, 8);
    const first = adamw({ lr: 0.05, ema: { decay: 0.9 } });
    train(resumed, first, data, 0, 4);
    const weights = (await first.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
    first.dispose();
    const second = adamw({ lr: 0.05, ema: { decay: 0.9 } });
    await second.setWeights(weights);
    train(resumed, second, data, 4, 8);
    assert.deepEqual(resumed.values(), straight.values());
    const averaged = await second.withAveragedWeights(() => resumed.values());
    assert.deepEqual(averaged, await a.withAveragedWeights(() => straight.values()));
    tf.dispose(weights.map((w) => w.tensor));
    [a, second].forEach((o) => o.dispose());
    straight.dispose();
    resumed.dispose();
  });

  test("loading a state from another algorithm is refused", () => {
    const v = tf.variable(tf.scalar(1));
    const opt = adam();
    opt.applyGradients({ [v.name]: tf.scalar(1) });
    const other = sgd({ lr: 0.1 });
    assert.throws(() => other.loadState(opt.state()), /sgd: cannot load the state of a adam optimizer/);
    assert.throws(() => other.loadState({} as never), /not a stepwise optimizer state/);
    [opt, other].forEach((o) => o.dispose());
    v.dispose();
  });
});

describe("inside model.fit", () => {
  function makeModel(): tf.Sequential {
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [6], units: 8, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    return model;
  }

  test("a stepwise optimizer with schedule, clipping and accumulation trains a LayersModel and saves with it", async () => {
    const data = dataset(48, 9);
    const labels = tf.oneHot(data.y, 3);
    const model = makeModel();
    const optimizer = adamw({
      lr: linearWarmup({ steps: 2 }, cosine({ lr: 0.05, tMax: 20 })),
      clip: { globalNorm: 1 },
      accumulate: { steps: 2 },
      groups: [{ name: "first", params: model.layers[0].trainableWeights, lr: 0.01 }],
    });
    model.compile({ optimizer, loss: "categoricalCrossentropy" });
    const history = await model.fit(data.x, labels, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    assert.ok(losses[2] < losses[0], `loss should fall: ${losses}`);
    assert.equal(optimizer.iterations, 9); // 6 batches per epoch, one update per 2

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })), { includeOptimizer: true });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const restored = loaded.optimizer as Optimizer;
    assert.ok(restored instanceof Optimizer);
    assert.deepEqual(restored.toJSONConfig(), optimizer.toJSONConfig());
    assert.equal(restored.iterations, 9);

    // both continue identically: same weights, same optimizer state
    await model.fit(data.x, labels, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(data.x, labels, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const original = model.getWeights().map((w) => Array.from(w.dataSync()));
    const reloaded = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(reloaded, original);
    model.dispose();
    loaded.dispose();
    tf.dispose([data.x, data.y, labels]);
  });
});
