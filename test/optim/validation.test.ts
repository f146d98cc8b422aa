/** Bad options and bad gradients get errors naming the option (or parameter) and what is allowed. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, adamw, lion, momentum, nesterov, rmsprop, sgd } from "../../src/optim";
import { cosine } from "../../src/schedule";

describe("option validation", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["lr 0", () => sgd({ lr: 0 }), /sgd: lr must be > 0, got 0/],
    ["lr negative", () => adam({ lr: -1e-3 }), /adam: lr must be > 0, got -0.001/],
    ["lr NaN", () => adam({ lr: NaN }), /adam: lr must be a finite number, got NaN/],
    ["lr missing for SGD", () => sgd({} as never), /sgd: lr is required/],
    ["plain function as lr", () => adam({ lr: ((t: number) => t) as never }), /lr must be a number or a stepwise schedule/],
    ["beta1 = 1", () => adam({ beta1: 1 }), /adam: beta1 must be in \[0, 1\), got 1/],
    ["beta2 negative", () => adamw({ beta2: -0.1 }), /adamw|adam: beta2 must be in \[0, 1\), got -0.1/],
    ["eps 0", () => adam({ eps: 0 }), /adam: eps must be > 0, got 0/],
    ["rmsprop alpha", () => rmsprop({ alpha: 1.5 }), /rmsprop: alpha must be in \[0, 1\), got 1.5/],
    ["momentum 1", () => momentum({ lr: 0.1, momentum: 1 }), /sgd: momentum must be in \[0, 1\), got 1/],
    ["nesterov dampening", () => nesterov({ lr: 0.1, dampening: 0.1 } as never), /dampening must be 0 for Nesterov momentum/],
    ["weight decay negative", () => lion({ weightDecay: -1 }), /lion: weightDecay must be >= 0, got -1/],
    ["unknown option", () => adam({ betas: [0.9, 0.99] } as never), /adam: unknown option "betas" \(hyperparameters: lr, weightDecay, beta1, beta2, eps\)/],
    ["accumulate steps 0", () => adam({ accumulate: { steps: 0 } }), /adam: accumulate.steps must be an integer >= 1, got 0/],
    ["accumulate policy", () => adam({ accumulate: { steps: 2, lastWindow: "keep" as never } }), /accumulate.lastWindow must be one of "drop", "rescale", "carry"/],
    ["clip unknown", () => adam({ clip: { max: 1 } as never }), /unknown clip option "max" \(allowed: value, norm, globalNorm\)/],
    ["clip negative", () => adam({ clip: { globalNorm: -1 } }), /clip.globalNorm must be a finite number > 0, got -1/],
    ["ema decay", () => adam({ ema: { decay: 1 } }), /ema: decay must be in \[0, 1\), got 1/],
    ["weightDecayMode", () => adam({ weightDecayMode: "both" as never }), /weightDecayMode must be one of "l2", "decoupled"/],
    ["amsgrad flag type", () => adam({ amsgrad: "yes" as never }), /adam: amsgrad must be true or false/],
  ];
  for (const [name, make, message] of cases) {
    test(name, () => assert.throws(make, message));
  }

  test("a schedule producing an invalid value is reported with the group and update", () => {
    const v = tf.variable(tf.scalar(0));
    const opt = adam({ beta1: cosine({ lr: 1.5, tMax: 10 }) });
    assert.throws(() => opt.applyGradients({ [v.name]: tf.scalar(1) }), /adam: beta1 of group "default" must be in \[0, 1\), got 1.5 \(from its cosine schedule at update 0\)/);
    opt.dispose();
    v.dispose();
  });
});

describe("gradient validation", () => {
  test("shape mismatch, unknown variable and wrong dtype name the parameter", () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, "val/w");
    const opt = sgd({ lr: 0.1 });
    assert.throws(() => opt.applyGradients({ "val/w": tf.tensor1d([1, 2, 3]) }), /gradient for "val\/w" has shape \[3\] but the parameter has shape \[2\]/);
    assert.throws(() => opt.applyGradients({ "val/missing": tf.scalar(1) }), /no variable named "val\/missing" is registered/);
    assert.throws(() => opt.applyGradients({ "val/w": tf.tensor1d([1, 2], "int32") }), /gradient for "val\/w" must be float32, got int32/);
    assert.throws(() => opt.applyGradients({ "val/w": tf.tensor1d([1, 2]) }, { itemCount: 0 }), /itemCount/);
    opt.dispose();
    v.dispose();
  });
});
