/**
 * What the golden file lacks, checked against closed forms written independently of the implementation
 * (the papers' formulas, knot interpolation) and against values worked out by hand.
 */
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
  oneCycle,
  piecewiseConstant,
  polynomial,
  sample,
  sequence,
  step,
} from "../../src/schedule";

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

const range = (n: number): number[] => Array.from({ length: n }, (_, t) => t);

describe("cosineWarmRestarts (SGDR) with tMult > 1", () => {
  /**
   * Loshchilov & Hutter (2017), eq. 5 with T_i = t0 * tMult^i. Cycle i starts at S_i = t0 (tMult^i - 1) / (tMult - 1),
   * so the cycle of step t is i = floor(log_tMult(1 + t (tMult - 1) / t0)), corrected for rounding in the logarithm.
   */
  function sgdr(lr: number, t0: number, tMult: number, etaMin: number, t: number): number {
    const start = (i: number): number => (t0 * (tMult ** i - 1)) / (tMult - 1);
    let i = Math.floor(Math.log(1 + (t * (tMult - 1)) / t0) / Math.log(tMult));
    while (start(i + 1) <= t) i++;
    while (start(i) > t) i--;
    const tCur = t - start(i);
    const tI = t0 * tMult ** i;
    return etaMin + 0.5 * (lr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI));
  }

  for (const [t0, tMult, etaMin] of [
    [3, 2, 0.001],
    [1, 2, 0],
    [2, 3, 0.01],
  ]) {
    test(`t0=${t0}, tMult=${tMult}, etaMin=${etaMin} follows the SGDR formula`, () => {
      const n = 200;
      const expected = range(n).map((t) => sgdr(0.1, t0, tMult, etaMin, t));
      assertAllClose(sample(cosineWarmRestarts({ lr: 0.1, t0, tMult, etaMin }), n), expected, "cosineWarmRestarts");
    });
  }

  test("restarts to lr exactly at 0, t0, t0 + 2 t0, ... for tMult = 2", () => {
    const s = cosineWarmRestarts({ lr: 0.1, t0: 3, tMult: 2, etaMin: 0.001 });
    for (const restart of [0, 3, 9, 21, 45, 93, 189]) {
      assert.ok(Math.abs(s(restart) - 0.1) < 1e-15, `restart at ${restart}`);
    }
    // One step before a restart the value is near etaMin: the cycle of length 48 starting at 45, last step 92.
    assert.ok(Math.abs(s(92) - (0.001 + 0.0495 * (1 + Math.cos((Math.PI * 47) / 48)))) < 1e-15);
  });
});

describe("cyclic", () => {
  /** Smith (2017), the triangular policy for a symmetric cycle of 2 * stepSize steps. */
  function triangle(stepSize: number, t: number): { cycle: number; height: number } {
    const cycle = Math.floor(1 + t / (2 * stepSize));
    const x = Math.abs(t / stepSize - 2 * cycle + 1);
    return { cycle, height: Math.max(0, 1 - x) };
  }

  test("triangular2 halves the amplitude every cycle (Smith 2017)", () => {
    const s = cyclic({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 4, mode: "triangular2", baseMomentum: 0.8, maxMomentum: 0.9 });
    const n = 60;
    const lr = range(n).map((t) => {
      const { cycle, height } = triangle(4, t);
      return 0.01 + (0.1 - 0.01) * height * 2 ** -(cycle - 1);
    });
    const momentum = range(n).map((t) => {
      const { cycle, height } = triangle(4, t);
      return 0.9 - (0.9 - 0.8) * height * 2 ** -(cycle - 1);
    });
    assertAllClose(sample(s, n), lr, "triangular2 lr");
    assertAllClose(sample(s.momentum, n), momentum, "triangular2 momentum");
    assert.ok(Math.abs(s(4) - 0.1) < 1e-15 && Math.abs(s(12) - 0.055) < 1e-15 && Math.abs(s(20) - 0.0325) < 1e-15);
  });

  test("exp_range scales the amplitude by gamma^t (Smith 2017)", () => {
    const gamma = 0.97;
    const s = cyclic({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 5, mode: "exp_range", gamma });
    const n = 60;
    const lr = range(n).map((t) => 0.01 + (0.1 - 0.01) * triangle(5, t).height * gamma ** t);
    const momentum = range(n).map((t) => 0.9 - (0.9 - 0.8) * triangle(5, t).height * gamma ** t);
    assertAllClose(sample(s, n), lr, "exp_range lr");
    assertAllClose(sample(s.momentum, n), momentum, "exp_range momentum (defaults 0.8 / 0.9)");
  });

  test("an asymmetric cycle rises over stepSizeUp steps and falls over stepSizeDown", () => {
    const s = cyclic({ baseLr: 1, maxLr: 3, stepSizeUp: 2, stepSizeDown: 6 });
    // Knots: 1 at 0, 3 at 2, back to 1 at 8; linear in between; period 8.
    const oneCycleValues = [1, 2, 3, 3 - 2 / 6, 3 - 4 / 6, 2, 3 - 8 / 6, 3 - 10 / 6];
    assertAllClose(sample(s, 24), [...oneCycleValues, ...oneCycleValues, ...oneCycleValues], "asymmetric cycle");
  });
});

describe("oneCycle", () => {
  /** Interpolates between knots (step, value), by a half cosine or a straight line, holding the last value. */
  function throughKnots(knots: readonly (readonly [number, number])[], shape: "cos" | "linear", t: number): number {
    for (let k = 1; k < knots.length; k++) {
      const [s0, v0] = knots[k - 1];
      const [s1, v1] = knots[k];
      if (t <= s1 || k === knots.length - 1) {
        const u = Math.min(1, (t - s0) / (s1 - s0));
        const w = shape === "cos" ? (1 - Math.cos(Math.PI * u)) / 2 : u;
        return v0 + (v1 - v0) * w;
      }
    }
    throw new Error("no knots");
  }

  for (const shape of ["cos", "linear"] as const) {
    test(`three phases (${shape}) pass through initialLr, maxLr, initialLr, minLr and hold after`, () => {
      const maxLr = 0.2;
      const totalSteps = 50;
      const pctStart = 0.25;
      const s = oneCycle({
        maxLr,
        totalSteps,
        pctStart,
        annealStrategy: shape,
        threePhase: true,
        divFactor: 10,
        finalDivFactor: 100,
        baseMomentum: 0.8,
        maxMomentum: 0.95,
      });
      const initialLr = maxLr / 10;
      const minLr = initialLr / 100;
      const peak = pctStart * totalSteps - 1; // 11.5: knots need not be integers
      const back = 2 * pctStart * totalSteps - 2; // 23
      const lrKnots = [[0, initialLr], [peak, maxLr], [back, initialLr], [totalSteps - 1, minLr]] as const;
      const momentumKnots = [[0, 0.95], [peak, 0.8], [back, 0.95], [totalSteps - 1, 0.95]] as const;
      const n = totalSteps + 10;
      assertAllClose(sample(s, n), range(n).map((t) => throughKnots(lrKnots, shape, t)), "lr");
      assertAllClose(sample(s.momentum, n), range(n).map((t) => throughKnots(momentumKnots, shape, t)), "momentum");
      assert.ok(Math.abs(s(23) - initialLr) < 1e-15 && Math.abs(s(49) - minLr) < 1e-15 && s(1000) === s(49));
    });
  }

  test("two linear phases with defaults: 0.3 of the steps up, the rest down to maxLr / 25 / 1e4", () => {
    const s = oneCycle({ maxLr: 1, totalSteps: 21, annealStrategy: "linear" });
    const peak = 0.3 * 21 - 1; // 5.3
    const knots = [[0, 1 / 25], [peak, 1], [20, 1 / 25 / 1e4]] as const;
    assertAllClose(sample(s, 25), range(25).map((t) => throughKnots(knots, "linear", t)), "lr");
    assertAllClose(sample(s.momentum, 25), range(25).map((t) => throughKnots([[0, 0.95], [peak, 0.85], [20, 0.95]], "linear", t)), "momentum");
  });
});

describe("decays", () => {
  test("inverseTime: lr / (1 + decayRate * t / decaySteps), whole units with staircase", () => {
    const smooth = inverseTime({ lr: 1, decayRate: 0.5, decaySteps: 10 });
    const stairs = inverseTime({ lr: 1, decayRate: 0.5, decaySteps: 10, staircase: true });
    // By hand: 1 / 1.5 after one unit, 1 / 2 after two, 1 / 2.5 after three.
    assert.ok(Math.abs(smooth(10) - 1 / 1.5) < 1e-15 && Math.abs(smooth(20) - 0.5) < 1e-15 && Math.abs(smooth(30) - 0.4) < 1e-15);
    assert.ok(Math.abs(smooth(5) - 0.8) < 1e-15);
    assert.deepEqual([stairs(0), stairs(9), stairs(10), stairs(19), stairs(20)], [1, 1, 1 / 1.5, 1 / 1.5, 0.5]);
    assertAllClose(sample(smooth, 100), range(100).map((t) => 1 / (1 + (0.5 * t) / 10)), "inverseTime");
  });

  test("polynomial power 2 with endLr: (lr - endLr)(1 - t/T)^2 + endLr, then endLr", () => {
    const s = polynomial({ lr: 1, totalSteps: 10, power: 2, endLr: 0.1 });
    // By hand: at t = 5, 0.9 * 0.25 + 0.1 = 0.325; from t = 10 on, 0.1.
    assert.ok(Math.abs(s(5) - 0.325) < 1e-15);
    assert.deepEqual([s(10), s(11), s(1000)], [0.1, 0.1, 0.1]);
    assertAllClose(sample(s, 10), range(10).map((t) => 0.9 * (1 - t / 10) ** 2 + 0.1), "polynomial");
  });

  test("linear holds endFactor after totalSteps and may start at 0", () => {
    const s = linear({ lr: 2, startFactor: 0, totalSteps: 4 });
    assert.deepEqual(sample(s, 7), [0, 0.5, 1, 1.5, 2, 2, 2]);
  });

  test("step and exponential are gamma^floor(t / stepSize) and gamma^t", () => {
    assert.deepEqual(sample(step({ lr: 1, stepSize: 3, gamma: 0.5 }), 7), [1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
    assert.deepEqual(sample(step({ lr: 1, stepSize: 2 }), 5).map((v) => +v.toPrecision(12)), [1, 1, 0.1, 0.1, 0.01]);
    assert.deepEqual(sample(exponential({ lr: 1, gamma: 0.5 }), 4), [1, 0.5, 0.25, 0.125]);
  });

  test("cosine goes on past tMax as PyTorch does: etaMin at tMax, back to lr at 2 tMax, period 2 tMax", () => {
    const s = cosine({ lr: 0.1, tMax: 7, etaMin: 0.01 });
    assert.ok(Math.abs(s(7) - 0.01) < 1e-15 && Math.abs(s(14) - 0.1) < 1e-15);
    assertAllClose(range(30).map((t) => s(t + 14)), sample(s, 30), "periodic");
    // Holding etaMin instead is a composition.
    const held = sequence([s, constant({ value: 0.01 })], [7]);
    assert.deepEqual(range(10).map((t) => held(t + 7)), Array(10).fill(0.01));
  });
});

describe("composition", () => {
  test("linearWarmup ramps to after(0) then runs after from its step 0", () => {
    const after = step({ lr: 1, stepSize: 2, gamma: 0.5 });
    const s = linearWarmup({ steps: 4, startFactor: 0.2 }, after);
    assertAllClose(sample(s, 9), [0.2, 0.4, 0.6, 0.8, 1, 1, 0.5, 0.5, 0.25], "warm-up then step");
    assert.deepEqual(sample(linearWarmup({ steps: 2 }, constant({ value: 3 })), 3), [0, 1.5, 3]);
    assert.deepEqual(sample(linearWarmup({ steps: 0 }, after), 5), sample(after, 5));
  });

  test("sequence restarts each schedule's step count at its milestone", () => {
    const s = sequence(
      [constant({ value: 5 }), exponential({ lr: 1, gamma: 0.5 }), step({ lr: 8, stepSize: 1, gamma: 0.5 })],
      [2, 5],
    );
    assert.deepEqual(sample(s, 8), [5, 5, 1, 0.5, 0.25, 8, 4, 2]);
  });

  test("piecewiseConstant switches at each boundary, like multiStep milestones", () => {
    const s = piecewiseConstant({ boundaries: [2, 5], values: [3, 2, 1] });
    assert.deepEqual(sample(s, 7), [3, 3, 2, 2, 2, 1, 1]);
    assert.deepEqual(sample(piecewiseConstant({ boundaries: [], values: [7] }), 2), [7, 7]);
  });
});
