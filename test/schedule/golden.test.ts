/**
 * PyTorch parity: replays every learning-rate scheduler case of the golden file
 * (test/golden/pytorch-reference.json, made with PyTorch in float64) through the matching stepwise schedule.
 * The file is read at test time; if it cannot be found, or a case has no mapping, the test fails.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  cosine,
  cosineWarmRestarts,
  cyclic,
  exponential,
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
import { loadGolden } from "../golden/pytorch-reference";

/** Relative tolerance for values computed in different orders (PyTorch's recursive forms vs closed forms). */
const RELATIVE_TOLERANCE = 1e-9;

/** Asserts |actual - expected| <= 1e-9 * |expected| at every index (an exact 0 must be matched to 1e-15). */
function assertAllClose(actual: readonly number[], expected: readonly number[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  expected.forEach((e, i) => {
    const a = actual[i];
    const ok = Math.abs(a - e) <= RELATIVE_TOLERANCE * Math.abs(e) + 1e-15;
    if (!ok) assert.fail(`${label}: at step ${i} got ${a}, expected ${e}`);
  });
}

interface GoldenCase {
  readonly schedule: string;
  readonly baseLr: number;
  readonly options: Readonly<Record<string, unknown>>;
  readonly lr: readonly number[];
  readonly momentum?: readonly number[];
  readonly metrics?: readonly number[];
}

/** The PyTorch options of a case, after checking that the mapping knows every one of them. */
function optionsOf(c: GoldenCase, known: readonly string[]): Readonly<Record<string, unknown>> {
  const unknown = Object.keys(c.options).filter((k) => !known.includes(k));
  assert.deepEqual(unknown, [], `${c.schedule}: options the mapping does not translate`);
  return c.options;
}

const num = (value: unknown): number => {
  assert.equal(typeof value, "number");
  return value as number;
};
const ints = (value: unknown): number[] => {
  assert.ok(Array.isArray(value));
  return (value as unknown[]).map(num);
};
const str = <T extends string>(value: unknown): T => {
  assert.equal(typeof value, "string");
  return value as T;
};
const optional = <T>(value: unknown, read: (v: unknown) => T): T | undefined =>
  value === undefined ? undefined : read(value);

/** Stepwise versions of a PyTorch case: each is checked against the golden values. */
interface Mapped {
  readonly name: string;
  readonly lr: Schedule;
  readonly momentum?: Schedule;
}

/** PyTorch scheduler (as named in the golden file) -> stepwise schedules with the same settings. */
const mappings: Readonly<Record<string, (c: GoldenCase) => readonly Mapped[]>> = {
  StepLR: (c) => {
    const o = optionsOf(c, ["step_size", "gamma"]);
    return [{ name: "step", lr: step({ lr: c.baseLr, stepSize: num(o.step_size), gamma: num(o.gamma) }) }];
  },
  MultiStepLR: (c) => {
    const o = optionsOf(c, ["milestones", "gamma"]);
    return [{ name: "multiStep", lr: multiStep({ lr: c.baseLr, milestones: ints(o.milestones), gamma: num(o.gamma) }) }];
  },
  ConstantLR: (c) => {
    const o = optionsOf(c, ["factor", "total_iters"]);
    const values = [c.baseLr * num(o.factor), c.baseLr];
    return [{ name: "piecewiseConstant", lr: piecewiseConstant({ boundaries: [num(o.total_iters)], values }) }];
  },
  LinearLR: (c) => {
    const o = optionsOf(c, ["start_factor", "end_factor", "total_iters"]);
    const lr = linear({
      lr: c.baseLr,
      startFactor: num(o.start_factor),
      endFactor: num(o.end_factor),
      totalSteps: num(o.total_iters),
    });
    return [{ name: "linear", lr }];
  },
  ExponentialLR: (c) => {
    const o = optionsOf(c, ["gamma"]);
    return [{ name: "exponential", lr: exponential({ lr: c.baseLr, gamma: num(o.gamma) }) }];
  },
  PolynomialLR: (c) => {
    const o = optionsOf(c, ["total_iters", "power"]);
    return [{ name: "polynomial", lr: polynomial({ lr: c.baseLr, totalSteps: num(o.total_iters), power: num(o.power) }) }];
  },
  CosineAnnealingLR: (c) => {
    const o = optionsOf(c, ["T_max", "eta_min"]);
    return [{ name: "cosine", lr: cosine({ lr: c.baseLr, tMax: num(o.T_max), etaMin: num(o.eta_min) }) }];
  },
  CosineAnnealingWarmRestarts: (c) => {
    const o = optionsOf(c, ["T_0", "T_mult", "eta_min"]);
    const lr = cosineWarmRestarts({ lr: c.baseLr, t0: num(o.T_0), tMult: num(o.T_mult), etaMin: num(o.eta_min) });
    return [{ name: "cosineWarmRestarts", lr }];
  },
  CyclicLR: (c) => {
    const o = optionsOf(c, [
      "base_lr",
      "max_lr",
      "step_size_up",
      "step_size_down",
      "mode",
      "gamma",
      "cycle_momentum",
      "base_momentum",
      "max_momentum",
    ]);
    const schedule = cyclic({
      baseLr: num(o.base_lr),
      maxLr: num(o.max_lr),
      stepSizeUp: num(o.step_size_up),
      stepSizeDown: optional(o.step_size_down, num),
      mode: optional(o.mode, str<"triangular" | "triangular2" | "exp_range">),
      gamma: optional(o.gamma, num),
      baseMomentum: optional(o.base_momentum, num),
      maxMomentum: optional(o.max_momentum, num),
    });
    // cycle_momentum only says whether PyTorch writes the momentum cycle into the optimizer.
    return [{ name: "cyclic", lr: schedule, momentum: o.cycle_momentum === false ? undefined : schedule.momentum }];
  },
  OneCycleLR: (c) => {
    const o = optionsOf(c, [
      "max_lr",
      "total_steps",
      "pct_start",
      "anneal_strategy",
      "cycle_momentum",
      "div_factor",
      "final_div_factor",
      "three_phase",
      "base_momentum",
      "max_momentum",
    ]);
    const schedule = oneCycle({
      maxLr: num(o.max_lr),
      totalSteps: num(o.total_steps),
      pctStart: optional(o.pct_start, num),
      annealStrategy: optional(o.anneal_strategy, str<"cos" | "linear">),
      divFactor: optional(o.div_factor, num),
      finalDivFactor: optional(o.final_div_factor, num),
      threePhase: optional(o.three_phase, (v) => v === true),
      baseMomentum: optional(o.base_momentum, num),
      maxMomentum: optional(o.max_momentum, num),
    });
    return [{ name: "oneCycle", lr: schedule, momentum: o.cycle_momentum === false ? undefined : schedule.momentum }];
  },
  "SequentialLR(LinearLR,CosineAnnealingLR)": (c) => {
    const o = optionsOf(c, ["warmup", "cosine", "milestones"]);
    const warmup = o.warmup as Record<string, unknown>;
    const cos = o.cosine as Record<string, unknown>;
    const milestones = ints(o.milestones);
    assert.equal(milestones.length, 1);
    assert.equal(milestones[0], num(warmup.total_iters), "the warm-up ends at the milestone");
    const after = cosine({ lr: c.baseLr, tMax: num(cos.T_max), etaMin: optional(cos.eta_min, num) });
    const startFactor = num(warmup.start_factor);
    const endFactor = optional(warmup.end_factor, num) ?? 1;
    return [
      {
        name: "sequence",
        lr: sequence([linear({ lr: c.baseLr, startFactor, endFactor, totalSteps: milestones[0] }), after], milestones),
      },
      { name: "linearWarmup", lr: linearWarmup({ steps: milestones[0], startFactor }, after) },
    ];
  },
};

/** ReduceLROnPlateau is stateful: replay the metrics, checking the value in force before each report. */
function replayPlateau(c: GoldenCase): number[] {
  const o = optionsOf(c, ["mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"]);
  assert.ok(c.metrics !== undefined && c.metrics.length === c.lr.length, "ReduceLROnPlateau case lists one metric per step");
  const schedule = reduceOnPlateau({
    lr: c.baseLr,
    mode: optional(o.mode, str<"min" | "max">),
    factor: optional(o.factor, num),
    patience: optional(o.patience, num),
    threshold: optional(o.threshold, num),
    thresholdMode: optional(o.threshold_mode, str<"rel" | "abs">),
    cooldown: optional(o.cooldown, num),
    minLr: optional(o.min_lr, num),
    eps: optional(o.eps, num),
  });
  return c.metrics.map((metric, i) => {
    const lr = schedule(i);
    schedule.report(metric);
    return lr;
  });
}

let cases: readonly GoldenCase[] = [];
let loadError: Error | undefined;
try {
  cases = loadGolden().schedules as GoldenCase[];
} catch (error) {
  loadError = error as Error;
}

test("the PyTorch golden file is found and lists schedules", () => {
  if (loadError) assert.fail(loadError.message);
  assert.ok(cases.length > 0);
});

test("every golden schedule case has a stepwise mapping", () => {
  const unmapped = cases.map((c) => c.schedule).filter((name) => name !== "ReduceLROnPlateau" && !(name in mappings));
  assert.deepEqual(unmapped, [], "PyTorch schedulers in the golden file without a stepwise mapping");
});

describe("PyTorch parity (golden file)", () => {
  for (const c of cases) {
    test(`${c.schedule} ${JSON.stringify(c.options)}`, () => {
      assert.ok(c.lr.length > 0, "case lists learning rates");
      if (c.schedule === "ReduceLROnPlateau") {
        assertAllClose(replayPlateau(c), c.lr, "reduceOnPlateau lr");
        return;
      }
      const map = mappings[c.schedule];
      if (map === undefined) assert.fail(`no stepwise mapping for PyTorch ${c.schedule}`);
      for (const mapped of map(c)) {
        assertAllClose(sample(mapped.lr, c.lr.length), c.lr, `${mapped.name} lr`);
        if (c.momentum !== undefined) {
          if (mapped.momentum === undefined) assert.fail(`${mapped.name}: golden lists momentum, mapping has none`);
          assertAllClose(sample(mapped.momentum, c.momentum.length), c.momentum, `${mapped.name} momentum`);
        }
      }
    });
  }
});
