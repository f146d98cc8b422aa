/**
 * The training loop. Full-batch gradient descent, SGD (batch 1) and mini-batch training are this one loop
 * with different batch sizes; gradient accumulation is the optimizer's, so a record is made per optimizer
 * update (one per window) while batches are micro-batches.
 *
 *   for each epoch:
 *     for each (seeded, shuffled) batch:  loss, grads ← ∇ mean loss;  optimizer.applyGradients(grads, items)
 *       → a StepRecord when the optimizer updated
 *     optimizer.endEpoch()                 (the last accumulation window: drop / rescale / carry)
 *     validation → an EpochRecord → early stopping → checkpoint
 *
 * A non-finite loss stops the run (an error naming the micro-batch and the last finite loss, or a
 * `diverged` entry in the history). The loop yields to the event loop regularly, so a kernel can interrupt
 * it and live displays update.
 */
import * as tf from "@tensorflow/tfjs";
import { NonFiniteGradientError, Optimizer } from "../optim";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { DivergenceError, InterruptedError } from "./divergence";
import { EarlyStopping, EarlyStoppingOptions, EarlyStoppingState } from "./early-stopping";
import { LossFunction, LossName, resolveLoss } from "./loss";
import { ProgressMode, progressCallbacks } from "./progress";
import { DataInput, toBatchSource } from "./sources";
import { StepReplay, StepResult } from "./step-replay";
import { TrainTarget, Trainable, replayRefusal, trainableOf } from "./target";
import { Batch, BatchSource, EpochRecord, History, StepRecord, TrainCallbacks } from "./types";
import { currentAbortSignal } from "../host";
import { fail, requireBoolean, requireInteger, requireOneOf } from "../util/validate";

export interface FitOptions {
  optimizer: Optimizer;
  /** Training data: `{ x, y }` tensors, a stepwise Dataset, or any BatchSource. */
  data: DataInput;
  /** Required for a LayersModel; a function target computes its own loss. */
  loss?: LossName | LossFunction;
  epochs: number;
  /** Items per (micro-)batch, or "full" for full-batch gradient descent; default 32. */
  batchSize?: number | "full";
  /** Shuffle each epoch (reproducibly from `seed` and the epoch); default true. */
  shuffle?: boolean;
  seed?: number;
  validation?: DataInput;
  validationBatchSize?: number;
  callbacks?: TrainCallbacks | TrainCallbacks[];
  earlyStopping?: EarlyStoppingOptions;
  /** Save model weights, optimizer state and history to `path` after every `every` epochs (default 1). */
  checkpoint?: { path: string; every?: number };
  /** Continue a run from a checkpoint file written by `checkpoint`. */
  resumeFrom?: string;
  /** "error" (default) throws DivergenceError on a non-finite loss; "stop" ends the run and records it. */
  onDivergence?: "error" | "stop";
  /** Live progress: a display in the kernel, a bar on a terminal; default "auto". */
  progress?: ProgressMode;
  /** Stops the run at the next batch with an InterruptedError. */
  signal?: AbortSignal;
  /**
   * Replay each step's recorded kernels without tfjs's engine once a recording is confirmed (the same results,
   * bit for bit: step-replay.ts); default true. `history.replay` says how many micro-batches were replayed,
   * or why none could be.
   */
  replay?: boolean;
}

const YIELD_EVERY_MS = 40;

export async function fit(target: TrainTarget, options: FitOptions): Promise<History> {
  const settings = checkFitOptions(options);
  const trainable = trainableOf(target, options.loss === undefined ? undefined : resolveLoss(options.loss));
  const source = toBatchSource(options.data, { shuffle: settings.shuffle, seed: settings.seed, what: "data" });
  const validation = options.validation === undefined ? undefined : toBatchSource(options.validation, { shuffle: false, seed: 0, what: "validation" });
  const batchSize = settings.batchSize === "full" ? source.size : settings.batchSize;
  const optimizer = options.optimizer;
  const signal = options.signal ?? currentAbortSignal();
  const steps = new StepReplay<Batch>(
    (batch) => tapeStep(trainable, batch),
    (batch) => [batch.x, batch.y],
    settings.replay ? replayRefusal(target, options.loss) : "turned off (replay: false)",
  );

  const history: History = { steps: [], epochs: [] };
  let initialEpoch = 0;
  let microBatch = 0;
  const window = { loss: 0, items: 0, started: performance.now() };
  let resumedStopping: EarlyStoppingState | undefined;
  if (options.resumeFrom !== undefined) {
    const resumed = await loadCheckpoint(options.resumeFrom, trainable, optimizer);
    resumedStopping = resumed.earlyStopping;
    history.steps.push(...resumed.history.steps);
    history.epochs.push(...resumed.history.epochs);
    initialEpoch = resumed.epoch + 1;
    microBatch = resumed.microBatches;
    Object.assign(window, resumed.window);
  }

  const callbacks = [
    ...(Array.isArray(options.callbacks) ? options.callbacks : options.callbacks ? [options.callbacks] : []),
    ...progressCallbacks(settings.progress),
  ];
  /** Calls a hook on every callback in order; true when one asked to stop. */
  const emit = async <K extends keyof TrainCallbacks>(hook: K, ...args: Parameters<NonNullable<TrainCallbacks[K]>>) => {
    let stop = false;
    for (const callback of callbacks) {
      const answer = await (callback[hook] as ((...a: typeof args) => unknown) | undefined)?.apply(callback, args);
      if (answer === "stop") stop = true;
    }
    return stop;
  };
  const stopping = options.earlyStopping ? new EarlyStopping(options.earlyStopping, validation !== undefined) : undefined;

  await emit("onTrainBegin", {
    epochs: settings.epochs,
    initialEpoch,
    batchesPerEpoch: Math.ceil(source.size / batchSize),
    batchSize,
    samples: source.size,
  });

  let lastFiniteLoss = history.steps.at(-1)?.loss;
  let lastYield = performance.now();
  try {
    // inside the try, so that the best weights it loads are disposed whatever happens next; a checkpoint
    // without early stopping's state (written by a run without it) starts it afresh
    if (stopping && resumedStopping) stopping.loadState(resumedStopping, `checkpoint ${options.resumeFrom}`);
    for (let epoch = initialEpoch; epoch < settings.epochs; epoch++) {
      await emit("onEpochBegin", epoch);
      const epochStart = performance.now();
      const epochTotals = { loss: 0, items: 0, correct: 0, counted: 0 };
      for (const batch of source.batches(epoch, batchSize)) {
        microBatch += 1;
        const outcome = trainBatch(steps, optimizer, batch);
        const loss = outcome.loss;
        if (!Number.isFinite(loss)) {
          const divergence = { microBatch, step: optimizer.iterations, epoch, lastFiniteLoss };
          if (settings.onDivergence === "error") throw new DivergenceError(divergence);
          history.diverged = divergence;
          break;
        }
        lastFiniteLoss = loss;
        epochTotals.loss += loss * batch.size;
        epochTotals.items += batch.size;
        if (outcome.correct !== undefined) {
          epochTotals.correct += outcome.correct;
          epochTotals.counted += batch.size;
        }
        window.loss += loss * batch.size;
        window.items += batch.size;
        if (outcome.updated) {
          const record = stepRecord(optimizer, epoch, window);
          history.steps.push(record);
          if (await emit("onStep", record)) history.stoppedByCallback = { step: record.step, epoch };
        }
        if (history.stoppedByCallback) break;
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        if (signal?.aborted) throw new InterruptedError(`training interrupted in epoch ${epoch}, after ${optimizer.iterations} updates`);
      }
      if (history.diverged || history.stoppedByCallback) break;

      const before = optimizer.iterations;
      optimizer.endEpoch();
      if (optimizer.iterations > before) {
        const record = stepRecord(optimizer, epoch, window);
        history.steps.push(record);
        await emit("onStep", record);
      } else if (optimizer.pendingMicroBatches().length === 0) {
        Object.assign(window, { loss: 0, items: 0, started: performance.now() }); // dropped
      }

      const record: EpochRecord = {
        epoch,
        loss: epochTotals.loss / epochTotals.items,
        ...(epochTotals.counted > 0 ? { accuracy: epochTotals.correct / epochTotals.counted } : {}),
        ...(validation ? evaluate(trainable, validation, options.validationBatchSize ?? Math.max(batchSize, 256)) : {}),
        seconds: (performance.now() - epochStart) / 1000,
        steps: optimizer.iterations,
      };
      history.epochs.push(record);
      await emit("onEpochEnd", record);

      const decision = stopping?.update(record, trainable);
      if (options.checkpoint && (epoch + 1 - initialEpoch) % (options.checkpoint.every ?? 1) === 0) {
        await saveCheckpoint(options.checkpoint.path, { epoch, microBatches: microBatch, window, history, trainable, optimizer, earlyStopping: stopping?.state() });
      }
      // patience running out at the last planned epoch ends nothing early: the run ends there anyway
      if (decision?.stop && epoch + 1 < settings.epochs) {
        history.stoppedEarly = { epoch, bestEpoch: decision.bestEpoch, best: decision.best };
        break;
      }
    }
    const weightsEpoch = stopping?.finish(trainable, !history.diverged && !history.stoppedByCallback);
    if (weightsEpoch !== undefined) history.weightsEpoch = weightsEpoch;
  } finally {
    stopping?.dispose();
    history.replay = steps.report();
    steps.dispose();
  }
  await emit("onTrainEnd", history);
  return history;
}

/** The loss of a batch (with its correct count as the one metric, where there is one) and its gradients, through tfjs's gradient tape. */
function tapeStep(trainable: Trainable, batch: Batch): StepResult {
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const result = trainable.evaluate(batch, true);
    if (result.correct) correct = tf.keep(result.correct);
    return result.loss;
  }, trainable.variables);
  return { value, metrics: correct ? [correct] : [], grads };
}

/**
 * One micro-batch: gradients of the mean loss, applied with the batch's item count. With accumulation, a
 * replayed step adds the gradients it computes as products straight into the windows (the optimizer's sink).
 */
function trainBatch(steps: StepReplay<Batch>, optimizer: Optimizer, batch: Batch): { loss: number; correct: number | undefined; updated: boolean } {
  const sink = optimizer.gradientSink(batch.size);
  try {
    const { value, metrics, grads } = steps.run(batch, sink);
    const correct = metrics[0] as tf.Scalar | undefined;
    try {
      const [loss, correctCount] = readScalars(value, correct);
      if (!Number.isFinite(loss)) return { loss, correct: undefined, updated: false };
      const before = optimizer.iterations;
      optimizer.applyGradients(grads, { itemCount: batch.size, sink });
      return { loss, correct: correctCount, updated: optimizer.iterations > before };
    } finally {
      tf.dispose([value, correct, ...Object.values(grads)]);
    }
  } catch (error) {
    if (error instanceof NonFiniteGradientError) return { loss: Number.NaN, correct: undefined, updated: false };
    throw error;
  } finally {
    // a step that failed or was skipped before its gradients were counted: what its sink took is undone
    sink?.abandon();
    tf.dispose([batch.x, batch.y]);
  }
}

/** Backends whose reads are copies in memory, no device round trip: each scalar is read by itself there. */
const HOST_MEMORY_BACKENDS = new Set(["cpu", "wasm", "tensorflow"]);

/** Reads the loss (and correct count): in one transfer from a device, without the stacking kernels from memory. */
function readScalars(loss: tf.Scalar, correct: tf.Scalar | undefined): [number, number | undefined] {
  if (!correct) return [loss.dataSync()[0], undefined];
  if (HOST_MEMORY_BACKENDS.has(tf.getBackend())) return [loss.dataSync()[0], correct.dataSync()[0]];
  const values = tf.tidy(() => tf.stack([loss, correct.toFloat()]).dataSync());
  return [values[0], values[1]];
}

function stepRecord(optimizer: Optimizer, epoch: number, window: { loss: number; items: number; started: number }): StepRecord {
  const report = optimizer.lastUpdate;
  const now = performance.now();
  const hyper = report?.hyper.default ?? Object.values(report?.hyper ?? {})[0];
  const record: StepRecord = {
    step: optimizer.iterations,
    epoch,
    loss: window.loss / window.items,
    lr: hyper?.lr ?? Number.NaN,
    gradientNorm: report?.gradientNorm ?? Number.NaN,
    items: window.items,
    samplesPerSecond: window.items / Math.max((now - window.started) / 1000, 1e-9),
    tensorBytes: tf.memory().numBytes,
  };
  Object.assign(window, { loss: 0, items: 0, started: now });
  return record;
}

/** Mean loss and accuracy over a data source, weighted by batch sizes, without gradients. */
function evaluate(trainable: Trainable, source: BatchSource, batchSize: number): { valLoss: number; valAccuracy?: number } {
  let loss = 0;
  let items = 0;
  let correct = 0;
  let counted = 0;
  for (const batch of source.batches(0, batchSize)) {
    try {
      const [batchLoss, batchCorrect] = tf.tidy(() => {
        const result = trainable.evaluate(batch, false);
        return readScalars(result.loss, result.correct);
      });
      loss += batchLoss * batch.size;
      items += batch.size;
      if (batchCorrect !== undefined) {
        correct += batchCorrect;
        counted += batch.size;
      }
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
  }
  return { valLoss: loss / items, ...(counted > 0 ? { valAccuracy: correct / counted } : {}) };
}

interface FitSettings {
  epochs: number;
  batchSize: number | "full";
  shuffle: boolean;
  seed: number;
  onDivergence: "error" | "stop";
  progress: ProgressMode;
  replay: boolean;
}

function checkFitOptions(options: FitOptions): FitSettings {
  if (options === null || typeof options !== "object") fail("fit", "options", "an object", options);
  if (!(options.optimizer instanceof Optimizer)) {
    throw new Error("fit: optimizer must be a stepwise optimizer (adam(), sgd({ lr }), …)");
  }
  const { epochs } = options;
  requireInteger("fit", "epochs", epochs, 1);
  const batchSize = options.batchSize ?? 32;
  if (batchSize !== "full" && !(typeof batchSize === "number" && Number.isSafeInteger(batchSize) && batchSize >= 1)) {
    fail("fit", "batchSize", 'an integer >= 1 or "full"', batchSize);
  }
  const seed = requireInteger("fit", "seed", options.seed ?? 0, 0);
  const onDivergence = requireOneOf("fit", "onDivergence", options.onDivergence ?? "error", ["error", "stop"]);
  const progress = requireOneOf("fit", "progress", options.progress ?? "auto", ["auto", "none", "bar", "display"]);
  const shuffle = requireBoolean("fit", "shuffle", options.shuffle ?? true);
  const replay = requireBoolean("fit", "replay", options.replay ?? true);
  return { epochs, batchSize, shuffle, seed, onDivergence, progress, replay };
}
