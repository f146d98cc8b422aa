/**
 * Early stopping's choice of the best epoch and of when to stop, over random runs of epoch records (a fixed
 * seed), against a reference written from the definition: the best epoch is the first to beat every earlier
 * best by more than minDelta or, with a tie-break, to equal it exactly and be better on the tie-break
 * quantity; the run stops after `patience` epochs in a row that are not the new best.
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
  test("the best epoch, the stop and the restored weights over 300 random runs, with and without a tie-break", () => {
    const random = rng(61, 7);
    for (let run = 0; run < 300; run++) {
      const monitor: Monitor = random.int(2) === 0 ? "valAccuracy" : "valLoss";
      const tieBreak: Monitor | undefined = [undefined, monitor === "valAccuracy" ? "valLoss" : "valAccuracy", "loss"][random.int(3)] as Monitor | undefined;
      const patience = random.int(4);
      const minDelta = random.int(3) === 0 ? 0.002 : 0;
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
      const stopping = new EarlyStopping({ monitor, patience, minDelta, ...(tieBreak ? { tieBreak } : {}) }, true);
      const model = fakeTrainable();
      const what = `run ${run}: ${monitor}, tie-break ${tieBreak}, patience ${patience}, minDelta ${minDelta}`;
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
      }
      stopping.finish(model);
      const last = stoppedAt < 0 ? records.length - 1 : stoppedAt;
      assert.equal(model.epoch, expected[last][0], `${what}: restored weights`);
      stopping.dispose();
    }
  });

  test("a tie-break that is the monitored quantity, unknown, or validation without validation data is refused by name", () => {
    assert.throws(() => new EarlyStopping({ monitor: "valAccuracy", tieBreak: "valAccuracy" }, true), /tieBreak must be another quantity than monitor \("valAccuracy"\)/);
    assert.throws(() => new EarlyStopping({ monitor: "valAccuracy", tieBreak: "valLos" as Monitor }, true), /tieBreak/);
    assert.throws(() => new EarlyStopping({ monitor: "accuracy", tieBreak: "valLoss" }, false), /tieBreak "valLoss" needs validation data/);
  });
});
