import * as tf from "@tensorflow/tfjs";

/** One batch: features, targets and the number of items (rows) it holds. Owned by the loop, disposed after use. */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
  size: number;
}

/** Where batches come from: the same `(epoch, batchSize)` always yields the same batches (seeded shuffling). */
export interface BatchSource {
  readonly size: number;
  batches(epoch: number, batchSize: number): Iterable<Batch>;
}

/** A record per optimizer update. */
export interface StepRecord {
  /** Optimizer updates so far, this one included (1-based). */
  step: number;
  epoch: number;
  /** Mean training loss over the items behind this update. */
  loss: number;
  /** Learning rate used by the update (the default group's). */
  lr: number;
  /** Joint L2 norm of the gradients before clipping. */
  gradientNorm: number;
  /** Items behind this update (a batch, or a whole accumulation window). */
  items: number;
  /** Items per second of wall time since the previous update. */
  samplesPerSecond: number;
  /** Bytes held by tfjs tensors after the update. */
  tensorBytes: number;
}

/** A record per epoch. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Wall time of the epoch in seconds, validation included. */
  seconds: number;
  /** Optimizer updates at the end of the epoch. */
  steps: number;
}

export interface Divergence {
  /** The micro-batch (1-based, counted over the run) whose loss was not finite. */
  microBatch: number;
  /** Optimizer updates applied before it. */
  step: number;
  epoch: number;
  lastFiniteLoss: number | undefined;
}

export interface History {
  steps: StepRecord[];
  epochs: EpochRecord[];
  /** Set when the run stopped on a non-finite loss with `onDivergence: "stop"`. */
  diverged?: Divergence;
  /** Set when early stopping ended the run before its last planned epoch. */
  stoppedEarly?: { epoch: number; bestEpoch: number; best: number };
  /** With early stopping: the epoch whose weights the model ends with (the best, or the last where kept). */
  weightsEpoch?: number;
  /** Set when a callback's onStep returned "stop". */
  stoppedByCallback?: { step: number; epoch: number };
  /** How fit's steps ran: replayed without tfjs's engine (`fit`'s `replay`), or why not. */
  replay?: ReplayReport;
}

/** Micro-batches whose step was replayed without tfjs's engine, and why none were where none were. */
export interface ReplayReport {
  microBatches: number;
  refused?: string;
}

/** Hooks into the loop; each may be async (the loop awaits it). */
export interface TrainCallbacks {
  onTrainBegin?(info: TrainInfo): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** Return "stop" to end the run after this update (e.g. a target loss was reached). */
  onStep?(record: StepRecord): void | "stop" | Promise<void | "stop">;
  onEpochEnd?(record: EpochRecord): void | Promise<void>;
  onTrainEnd?(history: History): void | Promise<void>;
}

export interface TrainInfo {
  epochs: number;
  initialEpoch: number;
  /** Micro-batches per epoch. */
  batchesPerEpoch: number;
  batchSize: number;
  samples: number;
}
