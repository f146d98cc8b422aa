/**
 * Gradient noise scale from scratch (McCandlish et al. 2018, Appendix A.1): the squared norms of gradients
 * taken at a small and a big batch size, at the current weights (no update), give unbiased estimates of
 * |G|² and tr(Σ), and B_simple = tr(Σ)/|G|² — the batch size beyond which larger batches stop paying off.
 */
import * as tf from "@tensorflow/tfjs";
import { NoiseScaleEstimate, NoiseScaleTracker } from "../accumulate";
import { squaredNormValue } from "../optim";
import { LossFunction, LossName, resolveLoss } from "../train/loss";
import { DataInput, toBatchSource } from "../train/sources";
import { TrainTarget, trainableOf } from "../train/target";
import { fail, requireInteger } from "../util/validate";

export interface NoiseScaleOptions {
  target: TrainTarget;
  data: DataInput;
  loss?: LossName | LossFunction;
  smallBatch: number;
  bigBatch: number;
  /** Big batches to average over (each gives bigBatch/smallBatch small ones); default 10. */
  repeats?: number;
  seed?: number;
}

export async function gradientNoiseScale(options: NoiseScaleOptions): Promise<NoiseScaleEstimate> {
  const { smallBatch, bigBatch } = options;
  requireInteger("gradientNoiseScale", "smallBatch", smallBatch, 1);
  if (!Number.isSafeInteger(bigBatch) || bigBatch <= smallBatch || bigBatch % smallBatch !== 0) {
    fail("gradientNoiseScale", "bigBatch", `a multiple of smallBatch (${smallBatch}) larger than it`, bigBatch);
  }
  const trainable = trainableOf(options.target, options.loss === undefined ? undefined : resolveLoss(options.loss));
  const source = toBatchSource(options.data, { shuffle: true, seed: options.seed ?? 0, what: "data" });
  if (source.size < bigBatch) throw new Error(`gradientNoiseScale: bigBatch ${bigBatch} is larger than the data set (${source.size})`);
  // the estimators are linear in the squared norms, so averaging the norms over repeats averages the estimates
  let smallMean = 0;
  let bigMean = 0;
  const repeats = options.repeats ?? 10;
  let done = 0;
  for (let epoch = 0; done < repeats; epoch++) {
    let small: number[] = [];
    let sums: tf.NamedTensorMap | undefined;
    for (const batch of source.batches(epoch, smallBatch)) {
      if (batch.size < smallBatch) {
        tf.dispose([batch.x, batch.y]);
        continue;
      }
      const { grads, value } = tf.variableGrads(() => trainable.evaluate(batch, false).loss, trainable.variables);
      tf.dispose([batch.x, batch.y, value]);
      small.push(squaredNormValue(Object.values(grads)));
      const previous = sums;
      sums = previous ? tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, previous[k].add(g)]))) : grads;
      if (previous) tf.dispose([...Object.values(previous), ...Object.values(grads)]);
      if (small.length === bigBatch / smallBatch) {
        // the big batch's gradient is the mean of the small ones: ‖Σg / k‖² = ‖Σg‖² / k²
        const big = squaredNormValue(Object.values(sums!)) / small.length ** 2;
        smallMean += small.reduce((a, b) => a + b, 0) / small.length / repeats;
        bigMean += big / repeats;
        tf.dispose(Object.values(sums!));
        sums = undefined;
        small = [];
        if (++done >= repeats) break;
      }
    }
    if (sums) tf.dispose(Object.values(sums));
  }
  const tracker = new NoiseScaleTracker(0);
  tracker.add({ smallSquaredNorm: smallMean, bigSquaredNorm: bigMean, smallBatch, bigBatch });
  return { ...tracker.estimate()!, windows: repeats };
}
