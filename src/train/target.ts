/**
 * What `fit` trains: a tfjs LayersModel, or plain variables with a loss function of a batch. Both are seen
 * through one small interface: the trainable variables, a batch's loss (and correct count), and weight
 * snapshots for early stopping and checkpoints.
 */
import * as tf from "@tensorflow/tfjs";
import { LossFunction, LossName, correctCount } from "./loss";
import { Batch } from "./types";

/** Plain variables and a loss: e.g. linear regression, or a network written with tf ops. */
export interface FunctionTarget {
  variables: tf.Variable[];
  /** The mean loss over the batch's items. */
  loss: (batch: Batch) => tf.Scalar;
  /** Scores per class, for accuracy (optional). */
  predict?: (x: tf.Tensor) => tf.Tensor;
}

export type TrainTarget = tf.LayersModel | FunctionTarget;

export interface BatchResult {
  loss: tf.Scalar;
  correct: tf.Scalar | undefined;
}

export interface Trainable {
  readonly variables: tf.Variable[];
  /** Loss (and correct count) of a batch; `training` enables dropout and BatchNorm updates. Call inside tidy. */
  evaluate(batch: Batch, training: boolean): BatchResult;
  /** Copies of every weight (trainable or not), for restoring later. */
  snapshot(): tf.Tensor[];
  restore(weights: tf.Tensor[]): void;
  /** Named values of every weight, for checkpoints. */
  namedWeights(): { name: string; tensor: tf.Tensor }[];
}

export function isLayersModel(target: TrainTarget): target is tf.LayersModel {
  return target instanceof tf.LayersModel;
}

export function trainableOf(target: TrainTarget, loss: LossFunction | undefined): Trainable {
  if (isLayersModel(target)) {
    if (!loss) throw new Error("fit: a LayersModel needs a loss option (a name like \"softmaxCrossEntropy\" or a function)");
    return layersTrainable(target, loss);
  }
  if (!target || !Array.isArray(target.variables) || typeof target.loss !== "function") {
    throw new Error("fit: the target must be a tf.LayersModel or { variables: tf.Variable[], loss: (batch) => tf.Scalar }");
  }
  return functionTrainable(target);
}

/**
 * tfjs-layers' layers whose output is a function of their inputs, their weights and the training flag alone,
 * so that fit's step through them can be recorded and replayed (step-replay.ts). Those that draw random
 * numbers (Dropout) or write variables in training (BatchNormalization) are listed too: the recording sees
 * that and refuses. A layer of another class (a custom layer's call may read JS state) keeps the engine.
 */
const REPLAYABLE_LAYERS = new Set([
  "InputLayer", "Dense", "Flatten", "Reshape", "Permute", "RepeatVector", "Activation", "ReLU", "LeakyReLU", "ELU",
  "ThresholdedReLU", "Softmax", "Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
  "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
  "GlobalMaxPooling1D", "GlobalMaxPooling2D", "ZeroPadding2D", "Cropping2D", "UpSampling2D", "Concatenate", "Add", "Multiply",
  "Average", "Maximum", "Minimum", "Embedding", "Dropout", "BatchNormalization", "LayerNormalization",
]);

/**
 * Why fit's step for `target` with `loss` cannot be replayed, or undefined where it may be (a LayersModel
 * of known layers, nested models included, and a loss that fit names; the recording checks the rest).
 */
export function replayRefusal(target: TrainTarget, loss: LossName | LossFunction | undefined): string | undefined {
  if (!isLayersModel(target)) return "the target is a loss of variables, which may read JS state";
  if (typeof loss !== "string") return "the loss is a function, which may read JS state";
  return layersRefusal(target);
}

/** Why a model's layers may not be replayed (a layer or model class not of tfjs-layers'), or undefined. */
export function layersRefusal(model: tf.LayersModel): string | undefined {
  const unknown = layersOf(model).find((layer) => !REPLAYABLE_LAYERS.has(layer.getClassName()));
  return unknown && `layer ${unknown.name} is a ${unknown.getClassName()}, not one of tfjs-layers' layers known to replay`;
}

/** tfjs-layers' own models, which call their layers and nothing else (a subclass may override call). */
const REPLAYABLE_MODELS = new Set(["Sequential", "Model", "Functional"]);

/** A model's layers, those of nested models included, and any model that is not one of tfjs-layers' own. */
export function layersOf(model: tf.LayersModel): tf.layers.Layer[] {
  if (!REPLAYABLE_MODELS.has(model.getClassName())) return [model];
  return model.layers.flatMap((layer) => (layer instanceof tf.LayersModel ? layersOf(layer) : [layer]));
}

function layersTrainable(model: tf.LayersModel, loss: LossFunction): Trainable {
  // LayerVariable.read() is the underlying tf.Variable, which gradients and optimizers name
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    variables,
    evaluate(batch, training) {
      const predictions = model.apply(batch.x, { training }) as tf.Tensor;
      return { loss: loss(batch.y, predictions), correct: correctCount(batch.y, predictions) };
    },
    snapshot: () => model.getWeights().map((w) => w.clone()),
    restore: (weights) => model.setWeights(weights),
    namedWeights: () => model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })),
  };
}

function functionTrainable(target: FunctionTarget): Trainable {
  return {
    variables: target.variables,
    evaluate(batch) {
      const loss = target.loss(batch);
      return { loss, correct: target.predict ? correctCount(batch.y, target.predict(batch.x)) : undefined };
    },
    snapshot: () => target.variables.map((v) => v.clone()),
    restore: (weights) => target.variables.forEach((v, i) => v.assign(weights[i])),
    namedWeights: () => target.variables.map((v) => ({ name: v.name, tensor: v })),
  };
}
