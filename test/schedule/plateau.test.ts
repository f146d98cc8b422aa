/**
 * reduceOnPlateau beyond the golden case (min / rel, no cooldown): cooldown, "abs" and "max" modes, minLr and
 * eps against sequences worked out by hand from PyTorch's rules, and exact resumption from saved state.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { reduceOnPlateau, scheduleFromSpec, type ReduceOnPlateauSchedule } from "../../src/schedule";

/** The value in force before each report, then the value after the last one. */
function replay(schedule: ReduceOnPlateauSchedule, metrics: readonly number[]): number[] {
  const values = metrics.map((metric, i) => {
    const value = schedule(i);
    schedule.report(metric);
    return value;
  });
  return [...values, schedule(metrics.length)];
}

describe("reduceOnPlateau", () => {
  test("min / abs with cooldown and minLr", () => {
    const schedule = reduceOnPlateau({
      lr: 0.1,
      factor: 0.5,
      patience: 1,
      cooldown: 2,
      threshold: 0.01,
      thresholdMode: "abs",
      minLr: 0.02,
    });
    const metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6];
    // By hand ("improves" means metric < best - 0.01):
    //   #0 1.0 first -> best 1.0 | #1 0.9 improves -> best 0.9 | #2 0.95 bad 1 | #3 0.96 bad 2 > 1 -> lr 0.05, cooldown 2
    //   #4 bad, cooldown 2 -> 1, bad reset | #5 bad, cooldown 1 -> 0, bad reset | #6 0.97 bad 1 | #7 0.5 improves
    //   #8 0.6 bad 1 | #9 bad 2 -> lr 0.025, cooldown 2 | #10, #11 cooldown | #12 bad 1
    //   #13 bad 2 -> max(0.0125, minLr 0.02) = 0.02 | #14, #15 cooldown | #16 bad 1
    //   #17 bad 2 -> max(0.01, 0.02) = 0.02: no change
    const expected = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02];
    assert.deepEqual(replay(schedule, metrics), expected);
  });

  test("max / abs: improvement must exceed best + threshold strictly", () => {
    const schedule = reduceOnPlateau({ lr: 1, mode: "max", thresholdMode: "abs", threshold: 0.25, factor: 0.5, patience: 0, cooldown: 1 });
    // By hand: #0 1 first -> best 1 | #1 1.125 <= 1.25, bad 1 > 0 -> lr 0.5, cooldown 1
    //   #2 1.5 > 1.25 -> best 1.5, cooldown 1 -> 0 | #3 1.625 <= 1.75, bad -> lr 0.25, cooldown 1
    //   #4 2 > 1.75 -> best 2, cooldown 1 -> 0 | #5 2.25 = 2 + 0.25 is no improvement -> lr 0.125, cooldown 1
    //   #6 2.5 > 2.25 -> best 2.5
    assert.deepEqual(replay(schedule, [1, 1.125, 1.5, 1.625, 2, 2.25, 2.5]), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
  });

  test("min / rel: improvement must beat best * (1 - threshold) strictly", () => {
    const schedule = reduceOnPlateau({ lr: 1, threshold: 0.5, factor: 0.5, patience: 1 });
    // By hand: #0 4 first | #1 2 is not < 4 * 0.5, bad 1 | #2 1.9 < 2 -> best 1.9 | #3 1.0 is not < 0.95, bad 1
    //   #4 bad 2 -> 0.5 | #5 bad 1 | #6 bad 2 -> 0.25 | #7 bad 1 | #8 bad 2 -> 0.125
    assert.deepEqual(replay(schedule, [4, 2, 1.9, 1, 1.5, 1.5, 1.5, 1.5, 1.5]), [1, 1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  });

  test("max / rel: improvement must beat best * (1 + threshold)", () => {
    const schedule = reduceOnPlateau({ lr: 1, mode: "max", threshold: 0.5, factor: 0.25, patience: 0 });
    // By hand: #0 2 first | #1 3 = 2 * 1.5 is no improvement -> 0.25 | #2 3.5 > 3 -> best 3.5
    //   #3 5 is not > 5.25 -> 0.0625
    assert.deepEqual(replay(schedule, [2, 3, 3.5, 5]), [1, 1, 0.25, 0.25, 0.0625]);
  });

  test("min / abs: improvement must be below best - threshold strictly", () => {
    const schedule = reduceOnPlateau({ lr: 1, thresholdMode: "abs", threshold: 0.25, factor: 0.5, patience: 0 });
    // By hand: #0 1 first | #1 0.75 = 1 - 0.25 is no improvement -> 0.5 | #2 0.5 < 0.75 -> best 0.5
    assert.deepEqual(replay(schedule, [1, 0.75, 0.5]), [1, 1, 0.5, 0.5]);
  });

  test("a reduction not larger than eps is skipped", () => {
    // 2e-8 * 0.5 = 1e-8 exactly: the reduction equals eps, so it is skipped.
    const schedule = reduceOnPlateau({ lr: 2e-8, factor: 0.5, patience: 0, eps: 1e-8 });
    assert.deepEqual(replay(schedule, [1, 1, 1]), [2e-8, 2e-8, 2e-8, 2e-8]);
    const sensitive = reduceOnPlateau({ lr: 1e-8, factor: 0.5, patience: 0, eps: 0 });
    assert.deepEqual(replay(sensitive, [1, 1]), [1e-8, 1e-8, 5e-9]);
  });

  test("its value is the current lr at any step; the step is still checked", () => {
    const schedule = reduceOnPlateau({ lr: 0.3 });
    assert.deepEqual([schedule(0), schedule(7), schedule(1e6)], [0.3, 0.3, 0.3]);
    assert.throws(() => schedule(-1), /reduceOnPlateau: step must be an integer >= 0, got -1/);
  });

  test("a non-finite metric is refused and leaves the state unchanged", () => {
    const schedule = reduceOnPlateau({ lr: 1, patience: 0 });
    schedule.report(1);
    const before = schedule.state();
    for (const bad of [NaN, Infinity, -Infinity]) {
      assert.throws(() => schedule.report(bad), new RegExp(`reduceOnPlateau: metric must be a finite number, got ${bad}`));
    }
    assert.throws(() => schedule.report("0.5" as unknown as number), /metric must be a finite number, got "0.5"/);
    assert.deepEqual(schedule.state(), before);
  });
});

describe("reduceOnPlateau state", () => {
  const options = { lr: 0.1, factor: 0.5, patience: 2, cooldown: 1, threshold: 0.01 } as const;
  const metrics = [1, 0.9, 0.9, 0.9, 0.9, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7, 0.7, 0.7];

  test("state() / loadState() through JSON resumes exactly, at every split point", () => {
    const straight = replay(reduceOnPlateau(options), metrics);
    for (let split = 0; split <= metrics.length; split++) {
      const first = reduceOnPlateau(options);
      const head = replay(first, metrics.slice(0, split)).slice(0, split);
      const resumed = reduceOnPlateau(options);
      resumed.loadState(JSON.parse(JSON.stringify(first.state())));
      assert.deepEqual(resumed.state(), first.state());
      const tail = replay(resumed, metrics.slice(split));
      assert.deepEqual([...head, ...tail], straight, `split at ${split}`);
    }
  });

  test("the spec carries the state: scheduleFromSpec(JSON of spec) resumes where it stood", () => {
    const first = reduceOnPlateau(options);
    replay(first, metrics.slice(0, 7));
    const rebuilt = scheduleFromSpec(JSON.parse(JSON.stringify(first.spec))) as ReduceOnPlateauSchedule;
    assert.deepEqual(rebuilt.state(), first.state());
    assert.deepEqual(replay(rebuilt, metrics.slice(7)), replay(first, metrics.slice(7)));
  });

  test("a fresh state has no best yet (null, as JSON has no Infinity)", () => {
    assert.deepEqual(reduceOnPlateau({ lr: 2 }).state(), { lr: 2, best: null, badReports: 0, cooldownLeft: 0 });
  });

  test("loadState checks what it is given", () => {
    const schedule = reduceOnPlateau({ lr: 1 });
    const good = { lr: 0.5, best: 0.25, badReports: 1, cooldownLeft: 0 };
    assert.throws(() => schedule.loadState({ ...good, lr: -1 }), /reduceOnPlateau state: lr must be a finite number >= 0, got -1/);
    assert.throws(() => schedule.loadState({ ...good, best: NaN }), /best \(a number or null\) must be a finite number, got NaN/);
    assert.throws(() => schedule.loadState({ ...good, badReports: 0.5 }), /badReports must be an integer >= 0, got 0.5/);
    assert.throws(() => schedule.loadState({ ...good, cooldownLeft: -2 }), /cooldownLeft must be an integer >= 0, got -2/);
    assert.throws(() => schedule.loadState({ ...good, patience: 3 } as never), /reduceOnPlateau state: unknown field "patience"/);
    assert.deepEqual(schedule.state(), { lr: 1, best: null, badReports: 0, cooldownLeft: 0 });
    schedule.loadState(good);
    assert.deepEqual(schedule.state(), good);
    assert.equal(schedule(0), 0.5);
  });
});
