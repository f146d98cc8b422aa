/**
 * Checkpoints: one JSON file with the model's weights (exact float32, base64), the optimizer's full state,
 * the history, early stopping's state and where the run stands, written atomically so a crash never leaves
 * half a checkpoint.
 * Resuming restores all of it; the next epoch's batches come from the same seed, so a resumed run
 * continues exactly as an uninterrupted one.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Optimizer, OptimizerState, renameStateVariables } from "../optim";
import { EncodedTensor, decodeTensor, encodeTensor } from "../tensor";
import { writeFileAtomic } from "../util/files";
import { EarlyStoppingState } from "./early-stopping";
import { Trainable } from "./target";
import { History } from "./types";

interface CheckpointFile {
  format: "stepwise.checkpoint/1";
  /** The last completed epoch. */
  epoch: number;
  microBatches: number;
  /** Loss sum and items of an accumulation window carried over the epoch boundary. */
  window: { loss: number; items: number };
  history: History;
  /** The trainable variables' names, in order: optimizer state is keyed by them. */
  variables: string[];
  weights: { name: string; value: EncodedTensor }[];
  optimizer: OptimizerState;
  /** Early stopping's best epoch, its weights and its patience count, where the run stops early. */
  earlyStopping?: EarlyStoppingState;
}

export async function saveCheckpoint(
  file: string,
  run: {
    epoch: number;
    microBatches: number;
    window: { loss: number; items: number };
    history: History;
    trainable: Trainable;
    optimizer: Optimizer;
    earlyStopping: EarlyStoppingState | undefined;
  },
): Promise<void> {
  const checkpoint: CheckpointFile = {
    format: "stepwise.checkpoint/1",
    epoch: run.epoch,
    microBatches: run.microBatches,
    window: { loss: run.window.loss, items: run.window.items },
    history: run.history,
    variables: run.trainable.variables.map((v) => v.name),
    weights: run.trainable.namedWeights().map(({ name, tensor }) => ({ name, value: encodeTensor(tensor) })),
    optimizer: run.optimizer.state(),
    ...(run.earlyStopping ? { earlyStopping: run.earlyStopping } : {}),
  };
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(checkpoint));
}

export async function loadCheckpoint(
  file: string,
  trainable: Trainable,
  optimizer: Optimizer,
): Promise<{ epoch: number; microBatches: number; window: { loss: number; items: number }; history: History; earlyStopping: EarlyStoppingState | undefined }> {
  let checkpoint: CheckpointFile;
  try {
    checkpoint = JSON.parse(await fs.readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`checkpoint ${file}: ${(error as Error).message}`);
  }
  if (checkpoint?.format !== "stepwise.checkpoint/1") throw new Error(`checkpoint ${file}: not a stepwise checkpoint`);
  const current = trainable.namedWeights();
  if (current.length !== checkpoint.weights.length) {
    throw new Error(`checkpoint ${file}: holds ${checkpoint.weights.length} weights, the model has ${current.length}`);
  }
  const values = checkpoint.weights.map(({ name, value }, i) => {
    const tensor = decodeTensor(value, `checkpoint ${file}, weight ${name}`);
    if (!tf.util.arraysEqual(tensor.shape, current[i].tensor.shape)) {
      tensor.dispose();
      throw new Error(`checkpoint ${file}: weight ${name} has shape [${value.shape}], the model's ${current[i].name} has [${current[i].tensor.shape}]`);
    }
    return tensor;
  });
  try {
    trainable.restore(values);
  } finally {
    tf.dispose(values);
  }
  // the same model built in another process (or later in this one) may name its variables differently
  const names = trainable.variables.map((v) => v.name);
  if (names.length !== checkpoint.variables.length) {
    throw new Error(`checkpoint ${file}: holds ${checkpoint.variables.length} trainable variables, the model has ${names.length}`);
  }
  const renames = Object.fromEntries(checkpoint.variables.map((saved, i) => [saved, names[i]]));
  optimizer.loadState(renameStateVariables(checkpoint.optimizer, renames));
  return {
    epoch: checkpoint.epoch,
    microBatches: checkpoint.microBatches,
    window: checkpoint.window,
    history: checkpoint.history,
    earlyStopping: checkpoint.earlyStopping,
  };
}
