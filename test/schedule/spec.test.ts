/** Specs: every kind round-trips through JSON and scheduleFromSpec, with defaults written out. */
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
  scheduleBuilders,
  scheduleFromSpec,
  sequence,
  step,
  type Schedule,
  type ScheduleSpec,
} from "../../src/schedule";

/** One schedule of every kind, with options away from their defaults. */
function examples(): ReadonlyMap<string, Schedule> {
  const cycle = oneCycle({ maxLr: 0.5, totalSteps: 60, pctStart: 0.2, annealStrategy: "linear", threePhase: true, divFactor: 5 });
  const triangle = cyclic({ baseLr: 0.1, maxLr: 1, stepSizeUp: 3, stepSizeDown: 7, mode: "exp_range", gamma: 0.99 });
  const plateau = reduceOnPlateau({ lr: 1, patience: 1, cooldown: 1, mode: "max" });
  for (const metric of [1, 0.5, 0.5, 2]) plateau.report(metric);
  const list: Schedule[] = [
    constant({ value: -0.25 }),
    linear({ lr: 2, startFactor: 0.1, endFactor: 0.5, totalSteps: 9 }),
    step({ lr: 1, stepSize: 4, gamma: 0.3 }),
    multiStep({ lr: 1, milestones: [3, 8, 20], gamma: 0.5 }),
    exponential({ lr: 1, gamma: 0.97 }),
    polynomial({ lr: 1, totalSteps: 30, power: 3, endLr: 0.01 }),
    inverseTime({ lr: 1, decayRate: 0.3, decaySteps: 7, staircase: true }),
    cosine({ lr: 1, tMax: 17, etaMin: 0.1 }),
    cosineWarmRestarts({ lr: 1, t0: 4, tMult: 2, etaMin: 0.05 }),
    piecewiseConstant({ boundaries: [10, 30], values: [1, 0.1, 0.01] }),
    linearWarmup({ steps: 6, startFactor: 0.1 }, cycle),
    sequence([linearWarmup({ steps: 3 }, constant({ value: 1 })), cosine({ lr: 1, tMax: 20 }), triangle], [10, 40]),
    cycle,
    cycle.momentum,
    triangle,
    triangle.momentum,
    plateau,
  ];
  return new Map(list.map((s) => [s.spec.kind, s]));
}

const viaJson = (spec: ScheduleSpec): ScheduleSpec => JSON.parse(JSON.stringify(spec)) as ScheduleSpec;

describe("scheduleFromSpec", () => {
  test("the examples cover exactly the registered kinds", () => {
    assert.deepEqual([...examples().keys()].sort(), [...scheduleBuilders.keys()].sort());
  });

  for (const [kind, schedule] of examples()) {
    test(`${kind} round-trips through JSON`, () => {
      const rebuilt = scheduleFromSpec(viaJson(schedule.spec));
      assert.deepEqual(rebuilt.spec, schedule.spec);
      assert.deepEqual(sample(rebuilt, 100), sample(schedule, 100));
      const momentum = (schedule as Partial<{ momentum: Schedule }>).momentum;
      if (momentum !== undefined) {
        assert.deepEqual(sample((rebuilt as Schedule & { momentum: Schedule }).momentum, 100), sample(momentum, 100));
      }
    });
  }

  test("a spec lists every option, defaults included", () => {
    assert.deepEqual(step({ lr: 1, stepSize: 2 }).spec, { kind: "step", options: { lr: 1, stepSize: 2, gamma: 0.1 } });
    assert.deepEqual(linearWarmup({ steps: 2 }, cosine({ lr: 1, tMax: 5 })).spec, {
      kind: "linearWarmup",
      options: { steps: 2, startFactor: 0, after: { kind: "cosine", options: { lr: 1, tMax: 5, etaMin: 0 } } },
    });
    assert.deepEqual(Object.keys(oneCycle({ maxLr: 1, totalSteps: 10 }).spec.options).sort(), [
      "annealStrategy",
      "baseMomentum",
      "divFactor",
      "finalDivFactor",
      "maxLr",
      "maxMomentum",
      "pctStart",
      "threePhase",
      "totalSteps",
    ]);
  });

  test("a spec cannot be changed behind its schedule's back", () => {
    const s = multiStep({ lr: 1, milestones: [2] });
    assert.throws(() => {
      (s.spec.options as Record<string, unknown>).lr = 3;
    }, TypeError);
    assert.throws(() => {
      (s.spec.options.milestones as number[]).push(5);
    }, TypeError);
    assert.equal(s.spec.options.lr, 1);
  });

  test("bad specs are refused with the reason", () => {
    assert.throws(() => scheduleFromSpec({ kind: "warmup", options: {} }), /scheduleFromSpec: unknown kind "warmup" \(known: constant, linear,/);
    assert.throws(() => scheduleFromSpec(null as unknown as ScheduleSpec), /spec must be an object \{ kind: string, options: object \}, got null/);
    assert.throws(() => scheduleFromSpec({ kind: "cosine" } as unknown as ScheduleSpec), /spec must be an object/);
    assert.throws(() => scheduleFromSpec({ kind: "cosine", options: { lr: 1, tMax: "5" } }), /cosine: tMax must be an integer >= 1, got "5"/);
    assert.throws(
      () => scheduleFromSpec({ kind: "sequence", options: { schedules: [{ kind: "nope", options: {} }], milestones: [] } }),
      /unknown kind "nope"/,
    );
    assert.throws(() => scheduleFromSpec({ kind: "sequence", options: { schedules: 3, milestones: [] } }), /sequence needs options.schedules/);
    assert.throws(() => scheduleFromSpec({ kind: "linearWarmup", options: { steps: 2 } }), /spec must be an object/);
  });
});
