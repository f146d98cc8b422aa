/**
 * The optimizer as a chain of stages: the factories are aliases of chains, every stage kind rebuilds from
 * its spec, a chain of any order composes (and a stage a user registers joins it), and the one state
 * format — through state() or through tfjs's getWeights/setWeights — carries what the old weights left out:
 * accumulation windows in flight and skipped updates.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  adam,
  adamRule,
  adamw,
  chain,
  clip,
  decoupledDecay,
  ema,
  lion,
  nonFiniteCheck,
  optimizerFromSpec,
  registerStage,
  ruleStage,
  sgd,
  sgdRule,
  stageFromSpec,
  type Optimizer,
  type Stage,
} from "../../src/optim";
import { TinyMlp, assertClose, dataset, train } from "./helpers";

describe("the factories are chains of stages", () => {
  test("each factory's chain, in order", () => {
    const kinds = (o: Optimizer) => o.stages.map((s) => s.kind);
    const cases: [Optimizer, string[]][] = [
      [sgd({ lr: 0.1 }), ["nonFinite", "l2Decay", "rule"]],
      [adamw({ clip: { globalNorm: 1 }, ema: { decay: 0.9 } }), ["nonFinite", "clip", "decoupledDecay", "rule", "ema"]],
      [lion(), ["nonFinite", "decoupledDecay", "rule"]],
    ];
    for (const [optimizer, expected] of cases) {
      assert.deepEqual(kinds(optimizer), expected);
      optimizer.dispose();
    }
  });

  test("adamw(options) and the same chain written out train identically", () => {
    const data = dataset(64, 4);
    const [a, b] = [new TinyMlp(5), new TinyMlp(5)];
    const alias = adamw({ lr: 0.02, weightDecay: 0.1, clip: { globalNorm: 0.5 } });
    const written = chain([nonFiniteCheck(), clip({ globalNorm: 0.5 }), decoupledDecay(), ruleStage(adamRule())], { lr: 0.02, weightDecay: 0.1 });
    train(a, alias, data, 0, 12);
    train(b, written, data, 0, 12);
    assert.deepEqual(b.values(), a.values());
    [alias, written].forEach((o) => o.dispose());
    [a, b].forEach((m) => m.dispose());
    tf.dispose([data.x, data.y]);
  });
});

describe("stages rebuild from their specs", () => {
  test("every kind round-trips through JSON to an equal spec", () => {
    const stages: Stage[] = [
      nonFiniteCheck("skip"),
      clip({ value: 2, norm: 1, globalNorm: 0.5 }),
      decoupledDecay(),
      ruleStage(sgdRule({ nesterov: true })),
      ema({ decay: 0.99 }),
    ];
    for (const stage of stages) {
      const rebuilt = stageFromSpec(JSON.parse(JSON.stringify(stage.spec)));
      assert.equal(rebuilt.kind, stage.kind);
      assert.deepEqual(rebuilt.spec, stage.spec);
    }
    assert.throws(() => stageFromSpec({ kind: "lookahead" }), /stageFromSpec: unknown kind "lookahead" \(known: .*clip.*\)/);
  });

  test("an optimizer rebuilt by optimizerFromSpec continues like the original after loadState", () => {
    const data = dataset(64, 6);
    const [a, b] = [new TinyMlp(8), new TinyMlp(8)];
    const original = chain([nonFiniteCheck(), ruleStage(adamRule({ amsgrad: true })), clip({ norm: 0.3 }), ema({ decay: 0.8 })], {
      lr: 0.03,
      beta2: 0.99,
      groups: [{ name: "first", params: /w1|b1/, lr: 0.01 }],
    });
    train(a, original, data, 0, 6);
    b.copyFrom(a); // the weights at the save
    const copy = optimizerFromSpec(JSON.parse(JSON.stringify(original.toJSONConfig())));
    copy.loadState(JSON.parse(JSON.stringify(original.state()))); // state is keyed by a's variable names
    train(a, original, data, 6, 12);
    const expected = a.values().map((values) => Float32Array.from(values));
    a.copyFrom(b);
    train(a, copy, data, 6, 12);
    assert.deepEqual(a.values(), expected);
    [original, copy].forEach((o) => o.dispose());
    [a, b].forEach((m) => m.dispose());
    tf.dispose([data.x, data.y]);
  });
});

describe("composition", () => {
  test("a stage a user registers joins a chain before the rule and is saved by kind", () => {
    let calls = 0;
    const scaleGradients = (factor: number): Stage => ({
      kind: "test.scaleGradients",
      spec: Object.freeze({ kind: "test.scaleGradients", factor }),
      hyperparameters: {},
      apply(entries) {
        calls += 1;
        for (const e of entries) e.grad = e.grad.mul(factor);
      },
    });
    registerStage("test.scaleGradients", (spec) => scaleGradients(spec.factor as number));
    const v = tf.variable(tf.tensor1d([1, 1]));
    const opt = chain([scaleGradients(0.5), ruleStage(sgdRule())], { lr: 1 });
    opt.applyGradients({ [v.name]: tf.tensor1d([2, -4]) }); // θ − 1·(0.5·g)
    assertClose(v.dataSync(), [0, 3], 1e-7, "scaled step");
    assert.equal(calls, 1);
    const rebuilt = optimizerFromSpec(JSON.parse(JSON.stringify(opt.toJSONConfig())));
    rebuilt.applyGradients({ [v.name]: tf.tensor1d([2, 2]) });
    assertClose(v.dataSync(), [-1, 2], 1e-7, "the rebuilt chain scales too");
    [opt, rebuilt].forEach((o) => o.dispose());
    v.dispose();
  });

  test("order matters and is kept: clipping after the rule clips the update, not the gradient", () => {
    const v = tf.variable(tf.scalar(0));
    // sgd then clip-by-value on the gradient flow is a no-op for the parameter, so the step is the full lr·g
    const opt = chain([ruleStage(sgdRule()), clip({ value: 0.1 })], { lr: 1 });
    opt.applyGradients({ [v.name]: tf.scalar(5) });
    assertClose(v.dataSync(), [-5], 1e-7, "rule before clip");
    const clipped = chain([clip({ value: 0.1 }), ruleStage(sgdRule())], { lr: 1 });
    clipped.applyGradients({ [v.name]: tf.scalar(5) });
    assertClose(v.dataSync(), [-5.1], 1e-6, "clip before rule");
    [opt, clipped].forEach((o) => o.dispose());
    v.dispose();
  });

  test("a chain without a rule is refused only when empty; its name comes from the rule", () => {
    assert.throws(() => chain([]), /config.stages must be a non-empty list of stages/);
    const opt = chain([ruleStage(sgdRule())], { lr: 0.1 });
    assert.equal(opt.name, "sgd");
    opt.dispose();
  });
});

describe("one state format", () => {
  test("getWeights/setWeights carry an accumulation window in flight and skipped updates, bit for bit", async () => {
    const data = dataset(64, 12);
    const [straight, resumed] = [new TinyMlp(21), new TinyMlp(21)];
    const make = () => adam({ lr: 0.05, accumulate: { steps: 3 }, nonFinite: "skip" });
    const a = make();
    const first = make();
    train(straight, a, data, 0, 4);
    train(resumed, first, data, 0, 4); // 4 micro-batches: one update, one window holding 1 micro-batch
    for (const [model, opt] of [[straight, a], [resumed, first]] as const) {
      const bad = Object.fromEntries(model.variables.map((v) => [v.name, tf.fill(v.shape, Number.NaN)]));
      for (let i = 0; i < 3; i++) opt.applyGradients(bad, { itemCount: 8 }); // a window of NaN: skipped
      tf.dispose(Object.values(bad));
    }
    assert.equal(first.skippedUpdates, 1);
    assert.deepEqual(first.pendingMicroBatches(), [{ group: "default", microBatches: 1, items: 8 }]);
    const weights = (await first.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
    first.dispose();
    const second = make();
    await second.setWeights(weights);
    assert.equal(second.skippedUpdates, 1);
    assert.deepEqual(second.pendingMicroBatches(), [{ group: "default", microBatches: 1, items: 8 }]);
    train(straight, a, data, 4, 10);
    train(resumed, second, data, 4, 10);
    assert.deepEqual(resumed.values(), straight.values());
    assert.equal(second.iterations, a.iterations);
    tf.dispose(weights.map((w) => w.tensor));
    [a, second].forEach((o) => o.dispose());
    [straight, resumed].forEach((m) => m.dispose());
    tf.dispose([data.x, data.y]);
  });

  test("state() is keyed by stage then variable", () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, "stages/w");
    const opt = adamw({ lr: 0.1, ema: { decay: 0.5 } });
    opt.applyGradients({ [v.name]: tf.tensor1d([0.5, -0.5]) });
    const state = opt.state();
    assert.equal(state.format, "stepwise.optimizer-state/2");
    assert.deepEqual(Object.keys(state.stages).sort(), ["ema", "rule"]);
    assert.deepEqual(Object.keys(state.stages.rule["stages/w"].slots).sort(), ["m", "v"]);
    assert.deepEqual(Object.keys(state.stages.ema["stages/w"].slots), ["average"]);
    assert.equal(state.stages.rule["stages/w"].step, 1);
    assert.throws(() => opt.loadState({ ...state, format: "stepwise.optimizer-state/1" } as never), /not a stepwise optimizer state \(format "stepwise.optimizer-state\/1"/);
    // a state that does not fit is refused before anything changes, and its decoded tensors are freed
    const other = sgd({ lr: 0.1 });
    const before = tf.memory().numTensors;
    assert.throws(() => other.loadState(state), /sgd: cannot load the state of a adam optimizer/);
    assert.throws(() => opt.loadState({ ...state, stages: { ...state.stages, lookahead: {} } }), /adam: the state has stage "lookahead", which this optimizer does not have/);
    assert.equal(tf.memory().numTensors, before);
    other.dispose();
    opt.dispose();
    v.dispose();
  });
});
