/** Every factory checks its options and names the option and the allowed range in the error. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  constant,
  cosine,
  cosineWarmRestarts,
  cyclic,
  exponential,
  inverseTime,
  linear,
  linearWarmup,
  multiStep,
  oneCycle,
  piecewiseConstant,
  polynomial,
  reduceOnPlateau,
  sample,
  sequence,
  step,
  type Schedule,
} from "../../src/schedule";

/** Options from untyped callers (JavaScript, JSON); the checks must catch what the types would. */
const loose = <T>(value: unknown): T => value as T;

const cases: readonly (readonly [string, () => unknown, RegExp])[] = [
  ["constant: value missing", () => constant(loose({})), /^Error: constant: value must be a finite number, got undefined$/],
  ["constant: not an object", () => constant(loose(3)), /constant: options must be an object, got 3/],
  ["constant: misspelt option", () => constant(loose({ value: 1, vlaue: 2 })), /constant: unknown option "vlaue" \(allowed: value\)/],
  ["linear: startFactor < 0", () => linear({ lr: 1, startFactor: -0.1, totalSteps: 5 }), /linear: startFactor must be a finite number >= 0, got -0.1/],
  ["linear: totalSteps 0", () => linear({ lr: 1, startFactor: 0.1, totalSteps: 0 }), /linear: totalSteps must be an integer >= 1, got 0/],
  ["linear: lr NaN", () => linear({ lr: NaN, startFactor: 0.1, totalSteps: 2 }), /linear: lr must be a finite number >= 0, got NaN/],
  ["step: stepSize 2.5", () => step({ lr: 1, stepSize: 2.5 }), /step: stepSize must be an integer >= 1, got 2.5/],
  ["step: gamma 0", () => step({ lr: 1, stepSize: 2, gamma: 0 }), /step: gamma must be a finite number > 0, got 0/],
  ["multiStep: unsorted", () => multiStep({ lr: 1, milestones: [5, 3] }), /multiStep: milestones must be an array of strictly increasing integers >= 1, got \[5, 3\]/],
  ["multiStep: milestone 0", () => multiStep({ lr: 1, milestones: [0, 3] }), /milestones must be an array of strictly increasing integers >= 1/],
  ["multiStep: not an array", () => multiStep(loose({ lr: 1, milestones: 3 })), /milestones must be an array/],
  ["exponential: gamma missing", () => exponential(loose({ lr: 1 })), /exponential: gamma must be a finite number > 0, got undefined/],
  ["exponential: lr < 0", () => exponential({ lr: -1, gamma: 0.9 }), /exponential: lr must be a finite number >= 0, got -1/],
  ["polynomial: power 0", () => polynomial({ lr: 1, totalSteps: 5, power: 0 }), /polynomial: power must be a finite number > 0, got 0/],
  ["polynomial: endLr < 0", () => polynomial({ lr: 1, totalSteps: 5, endLr: -1 }), /polynomial: endLr must be a finite number >= 0, got -1/],
  ["inverseTime: decaySteps 0", () => inverseTime({ lr: 1, decayRate: 1, decaySteps: 0 }), /inverseTime: decaySteps must be a finite number > 0, got 0/],
  ["inverseTime: staircase string", () => inverseTime(loose({ lr: 1, decayRate: 1, decaySteps: 2, staircase: "yes" })), /inverseTime: staircase must be true or false, got "yes"/],
  ["cosine: tMax 0", () => cosine({ lr: 1, tMax: 0 }), /^Error: cosine: tMax must be an integer >= 1, got 0$/],
  ["cosine: etaMin Infinity", () => cosine({ lr: 1, tMax: 3, etaMin: Infinity }), /cosine: etaMin must be a finite number >= 0, got Infinity/],
  ["cosineWarmRestarts: tMult 1.5", () => cosineWarmRestarts({ lr: 1, t0: 3, tMult: 1.5 }), /cosineWarmRestarts: tMult must be an integer >= 1, got 1.5/],
  ["cosineWarmRestarts: t0 0", () => cosineWarmRestarts({ lr: 1, t0: 0 }), /cosineWarmRestarts: t0 must be an integer >= 1, got 0/],
  ["linearWarmup: steps -1", () => linearWarmup({ steps: -1 }, constant({ value: 1 })), /linearWarmup: steps must be an integer >= 0, got -1/],
  ["linearWarmup: after a plain function", () => linearWarmup({ steps: 2 }, loose((t: number) => t)), /linearWarmup: after must be a Schedule made by a schedule factory, got a function/],
  ["sequence: empty", () => sequence([], []), /sequence: schedules must be a non-empty array of Schedules, got \[\]/],
  ["sequence: milestone count", () => sequence([constant({ value: 1 }), constant({ value: 2 })], []), /sequence: milestones must have one entry fewer than schedules \(1\), got 0/],
  ["sequence: not a schedule", () => sequence(loose([constant({ value: 1 }), 2]), [3]), /sequence: schedules\[1\] must be a Schedule made by a schedule factory, got 2/],
  ["piecewiseConstant: counts", () => piecewiseConstant({ boundaries: [3], values: [1] }), /piecewiseConstant: values must have one entry more than boundaries \(2\), got 1/],
  ["piecewiseConstant: NaN value", () => piecewiseConstant({ boundaries: [3], values: [1, NaN] }), /piecewiseConstant: values must be an array of finite numbers, got \[1, NaN\]/],
  ["oneCycle: pctStart 1", () => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 1 }), /oneCycle: pctStart must be in \(0, 1\), got 1/],
  ["oneCycle: peak before step 1", () => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 0.1 }), /oneCycle: pctStart \* totalSteps must be in \(1, totalSteps\) so that every phase has a positive length, got 0.1 \* 10 = 1/],
  ["oneCycle: three phases too long", () => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 0.6, threePhase: true }), /pctStart \* totalSteps must be in \(1, \(totalSteps \+ 1\) \/ 2\)/],
  ["oneCycle: annealStrategy", () => oneCycle(loose({ maxLr: 1, totalSteps: 10, annealStrategy: "cosine" })), /oneCycle: annealStrategy must be one of "cos", "linear", got "cosine"/],
  ["oneCycle: totalSteps 1", () => oneCycle({ maxLr: 1, totalSteps: 1 }), /oneCycle: totalSteps must be an integer >= 2, got 1/],
  ["oneCycle: divFactor 0", () => oneCycle({ maxLr: 1, totalSteps: 10, divFactor: 0 }), /oneCycle: divFactor must be a finite number > 0, got 0/],
  ["cyclic: mode", () => cyclic(loose({ baseLr: 0.1, maxLr: 1, stepSizeUp: 2, mode: "triangle" })), /cyclic: mode must be one of "triangular", "triangular2", "exp_range", got "triangle"/],
  ["cyclic: stepSizeDown 0", () => cyclic({ baseLr: 0.1, maxLr: 1, stepSizeUp: 2, stepSizeDown: 0 }), /cyclic: stepSizeDown must be an integer >= 1, got 0/],
  ["cyclic: PyTorch option name", () => cyclic(loose({ baseLr: 0.1, maxLr: 1, step_size_up: 2 })), /cyclic: unknown option "step_size_up"/],
  ["reduceOnPlateau: factor 1", () => reduceOnPlateau({ lr: 1, factor: 1 }), /reduceOnPlateau: factor must be in \(0, 1\), got 1/],
  ["reduceOnPlateau: patience -1", () => reduceOnPlateau({ lr: 1, patience: -1 }), /reduceOnPlateau: patience must be an integer >= 0, got -1/],
  ["reduceOnPlateau: thresholdMode", () => reduceOnPlateau(loose({ lr: 1, thresholdMode: "relative" })), /reduceOnPlateau: thresholdMode must be one of "rel", "abs", got "relative"/],
  ["reduceOnPlateau: mode", () => reduceOnPlateau(loose({ lr: 1, mode: "minimum" })), /reduceOnPlateau: mode must be one of "min", "max", got "minimum"/],
  ["reduceOnPlateau: minLr < 0", () => reduceOnPlateau({ lr: 1, minLr: -0.1 }), /reduceOnPlateau: minLr must be a finite number >= 0, got -0.1/],
  ["sample: steps -1", () => sample(constant({ value: 1 }), -1), /sample: steps must be an integer >= 0, got -1/],
];

describe("option checks", () => {
  for (const [label, make, message] of cases) {
    test(label, () => assert.throws(make, message));
  }
});

describe("step checks", () => {
  const schedules: readonly Schedule[] = [
    constant({ value: 1 }),
    cosine({ lr: 1, tMax: 3 }),
    linearWarmup({ steps: 2 }, step({ lr: 1, stepSize: 2 })),
    oneCycle({ maxLr: 1, totalSteps: 10 }).momentum,
  ];
  for (const schedule of schedules) {
    test(`${schedule.spec.kind} takes only integer steps >= 0`, () => {
      for (const bad of [-1, 1.5, NaN, Infinity]) {
        assert.throws(() => schedule(bad), new RegExp(`^Error: ${schedule.spec.kind}: step must be an integer >= 0, got ${bad}$`));
      }
      assert.throws(() => schedule(loose("3")), /step must be an integer >= 0, got "3"/);
      assert.equal(typeof schedule(0), "number");
    });
  }
});
