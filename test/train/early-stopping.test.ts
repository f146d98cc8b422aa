/**
 * Early stopping's choice of the best epoch and of when to stop, over random runs of epoch records (a fixed
 * seed), against a reference written from the definition: the best epoch is the first to beat every earlier
 * best by more than minDelta or, with a tie-break, to equal it exactly and be better on the tie-break
 * quantity; the run stops after `patience` epochs in a row that are not the new best. At the end the model
 * holds the best epoch's weights, or the last epoch's where it is the best, is within `restoreMargin` of it,
 * or nothing is restored; a run that ended inside an epoch always gets the best epoch's weights back. A run
 * continued from the state a checkpoint keeps decides exactly as an uninterrupted one.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { EarlyStopping, type Monitor } from "../../src/train/early-stopping";
import type { Trainable } from "../../src/train/target";
import type { EpochRecord } from "../../src/train";
import { rng } from "../../src/data";

/** A trainable whose weights are one number: the epoch whose snapshot it holds. */
function fakeTrainable(): Trainable & { epoch: number } {
  const target = {
    epoch: -1,
    variables: [],
    evaluate: () => {
      throw new Error("not used");
    },
    snapshot: () => [tf.scalar(target.epoch)],
    restore: (weights: tf.Tensor[]) => {
      target.epoch = weights[0].dataSync()[0];
    },
    namedWeights: () => [],
  };
  return target;
}

const higher = (m: Monitor) => m.endsWith("ccuracy");

/** The reference: [best epoch after each record, whether it stops there]. */
function reference(records: EpochRecord[], monitor: Monitor, patience: number, minDelta: number, tieBreak: Monitor | undefined): Array<[number, boolean]> {
  let best = -1;
  let wait = 0;
  return records.map((r, i) => {
    const v = r[monitor]!;
    const b = best < 0 ? undefined : records[best];
    let isBest = b === undefined;
    if (b !== undefined) {
      const gain = higher(monitor) ? v - b[monitor]! : b[monitor]! - v;
      isBest = gain > minDelta;
      if (!isBest && tieBreak !== undefined && v === b[monitor]) {
        isBest = higher(tieBreak) ? r[tieBreak]! > b[tieBreak]! : r[tieBreak]! < b[tieBreak]!;
      }
    }
    if (isBest) {
      best = i;
      wait = 0;
    } else wait += 1;
    return [best, !isBest && wait >= patience];
  });
}

describe("early stopping", () => {
  test("the best epoch, the stop and the weights kept over 600 random runs, with and without a tie-break and a restore margin", () => {
    const random = rng(61, 7);
    for (let run = 0; run < 600; run++) {
      const monitor: Monitor = random.int(2) === 0 ? "valAccuracy" : "valLoss";
      const tieBreak: Monitor | undefined = [undefined, monitor === "valAccuracy" ? "valLoss" : "valAccuracy", "loss"][random.int(3)] as Monitor | undefined;
      const patience = random.int(4);
      const minDelta = random.int(3) === 0 ? 0.002 : 0;
      const restoreBestWeights = random.int(5) > 0;
      const restoreMargin = restoreBestWeights ? [undefined, 0, 0.002, 0.004, 0.02][random.int(5)] : undefined;
      // the run ends at an epoch's end, or inside the next one (a divergence, a callback's stop), weights moved on
      const atEpochEnd = random.int(4) > 0;
      // accuracies on a coarse grid (ties are common), losses too on some runs
      const records: EpochRecord[] = Array.from({ length: 3 + random.int(10) }, (_, epoch) => ({
        epoch,
        loss: random.int(3) / 10,
        valLoss: random.int(4) / 100 + (random.int(2) === 0 ? 0 : random.next() / 1000),
        valAccuracy: 0.98 + random.int(4) / 500,
        seconds: 1,
        steps: epoch + 1,
      }));
      const expected = reference(records, monitor, patience, minDelta, tieBreak);
      const options = { monitor, patience, minDelta, restoreBestWeights, ...(tieBreak ? { tieBreak } : {}), ...(restoreMargin !== undefined ? { restoreMargin } : {}) };
      let stopping = new EarlyStopping(options, true);
      // half the runs are interrupted after a random epoch and continue from the state a checkpoint keeps (as JSON)
      const resumeAfter = random.int(2) === 0 ? random.int(records.length) : -1;
      const model = fakeTrainable();
      const what = `run ${run}: ${JSON.stringify(options)}, at an epoch's end ${atEpochEnd}, resumed after epoch ${resumeAfter}`;
      let stoppedAt = -1;
      for (const [i, record] of records.entries()) {
        model.epoch = record.epoch;
        const decision = stopping.update(record, model);
        assert.equal(decision.bestEpoch, expected[i][0], `${what}: best after epoch ${i}`);
        assert.equal(decision.stop, expected[i][1], `${what}: stop at epoch ${i}`);
        if (decision.stop) {
          stoppedAt = i;
          break;
        }
        if (i === resumeAfter) {
          const saved = JSON.parse(JSON.stringify(stopping.state()));
          stopping.dispose();
          stopping = new EarlyStopping(options, true);
          stopping.loadState(saved, "checkpoint");
        }
      }
      const last = stoppedAt < 0 ? records.length - 1 : stoppedAt;
      const best = expected[last][0];
      const shortfall = higher(monitor) ? records[best][monitor]! - records[last][monitor]! : records[last][monitor]! - records[best][monitor]!;
      const inside = -2; // weights that are no recorded epoch's
      if (!atEpochEnd) model.epoch = inside;
      let kept: number;
      if (!restoreBestWeights) kept = atEpochEnd ? last : inside;
      else if (atEpochEnd && (last === best || (restoreMargin !== undefined && shortfall <= restoreMargin))) kept = last;
      else kept = best;
      const answer = stopping.finish(model, atEpochEnd);
      assert.equal(model.epoch, kept, `${what}: the weights kept`);
      assert.equal(answer, kept === inside ? undefined : kept, `${what}: the epoch finish reports`);
      stopping.dispose();
    }
  });

  test("a tie-break that is the monitored quantity, unknown, or validation without validation data is refused by name", () => {
    assert.throws(() => new EarlyStopping({ monitor: "valAccuracy", tieBreak: "valAccuracy" }, true), /tieBreak must be another quantity than monitor \("valAccuracy"\)/);
    assert.throws(() => new EarlyStopping({ monitor: "valAccuracy", tieBreak: "valLos" as Monitor }, true), /tieBreak/);
    assert.throws(() => new EarlyStopping({ monitor: "accuracy", tieBreak: "valLoss" }, false), /tieBreak "valLoss" needs validation data/);
  });

  test("a checkpoint's state keeps a NaN monitored value, and a state for another monitor is refused by name", () => {
    const stopping = new EarlyStopping({ monitor: "valLoss", patience: 1 }, true);
    const model = fakeTrainable();
    model.epoch = 0;
    stopping.update({ epoch: 0, loss: 1, valLoss: Number.NaN, seconds: 1, steps: 1 }, model);
    const saved = JSON.parse(JSON.stringify(stopping.state()));
    assert.equal(saved.best, "NaN");
    const resumed = new EarlyStopping({ monitor: "valLoss", patience: 1 }, true);
    resumed.loadState(saved, "checkpoint c.json");
    model.epoch = 1;
    // NaN compares false: the next epoch is no improvement, and patience 1 stops there (as uninterrupted)
    assert.deepEqual(resumed.update({ epoch: 1, loss: 1, valLoss: 0.5, seconds: 1, steps: 2 }, model), { stop: true, bestEpoch: 0, best: Number.NaN });
    const other = new EarlyStopping({ monitor: "valAccuracy" }, true);
    assert.throws(() => other.loadState(saved, "checkpoint c.json"), /checkpoint c\.json: its early stopping watched valLoss, this run's watches valAccuracy/);
    [stopping, resumed, other].forEach((s) => s.dispose());
  });

  test("a restore margin that is negative, or without restoreBestWeights, is refused by name", () => {
    assert.throws(() => new EarlyStopping({ monitor: "valAccuracy", restoreMargin: -0.001 }, true), /restoreMargin/);
    assert.throws(() => new EarlyStopping({ monitor: "valAccuracy", restoreMargin: 0.001, restoreBestWeights: false }, true), /restoreMargin needs restoreBestWeights: true/);
  });
});
