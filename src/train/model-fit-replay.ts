/**
 * `model.fit` with a stepwise optimizer replays its steps as `fit` does (step-replay.ts).
 *
 * tfjs-layers' `fit`, `fitDataset` and `trainOnBatch` train through the function `makeTrainFunction()`
 * returns: given a batch's tensors (inputs, targets, sample weights), it calls `optimizer.minimize` on a
 * closure that runs the model, its losses, metrics and regularizers. The optimizer cannot replay that
 * step by itself, as it never sees the batch. So this module wraps `LayersModel.prototype.makeTrainFunction`:
 * for a model compiled with a stepwise optimizer, the train function computes the loss, the metrics and
 * the gradients through a `StepReplay` over the batch's tensors, and then applies the gradients as
 * `minimize` does. While a step is recorded (and whenever it is not replayed) it runs tfjs-layers' own
 * train function, with `minimize` stopped after the gradients, so the step's kernels are tfjs-layers'
 * own and the results are the same bit for bit. One exception, with the same bits: an output whose loss is
 * the named sparseCategoricalCrossentropy runs it as layers-cross-entropy.ts does, in one pass each way
 * instead of a dozen kernels.
 *
 * What may read JS state is never replayed: a loss, metric or regularizer given as a function or class of
 * the user's, a layer or model that is not one of tfjs-layers' own (target.ts). The recording refuses the
 * rest (dropout, BatchNormalization, reads). A model compiled with another optimizer keeps tfjs's function.
 * `modelFitReplay(model)` says how many steps were replayed since the model was compiled, or why none were;
 * `setModelFitReplay(false)` keeps every model on tfjs's path (a switch for the process, as tfjs's flags
 * are: a Sequential makes a new inner model at each compile, so a switch per model would not last).
 */
import * as tf from "@tensorflow/tfjs";
import { Optimizer } from "../optim";
import { StepReplay, StepResult } from "./step-replay";
import { fusedSparseCrossEntropy, type LayersLoss } from "./layers-cross-entropy";
import { layersOf, layersRefusal } from "./target";
import { ReplayReport } from "./types";

type TrainFunction = (data: tf.Tensor[]) => tf.Scalar[];
type LossOrMetric = string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

/** What this module reads of a LayersModel beyond its public API (tfjs-layers 4.x). */
interface ModelInternals {
  optimizer_: tf.Optimizer | undefined;
  lossFunctions: LayersLoss[] | undefined;
  metricsTensors: unknown[] | undefined;
  collectedTrainableWeights: Array<{ read(): tf.Variable }> | undefined;
  loss: LossOrMetric | LossOrMetric[] | Record<string, LossOrMetric> | undefined;
  metrics: LossOrMetric | LossOrMetric[] | Record<string, LossOrMetric | LossOrMetric[]> | undefined;
  makeTrainFunction(): TrainFunction;
}

/** A model's replay since its last compile (recognised by the arrays compile makes anew). */
interface ModelState {
  compiled: readonly unknown[];
  /** The train function tfjs-layers made for the latest fit (each fit makes its own, all alike). */
  train: TrainFunction;
  replay: StepReplay<tf.Tensor[]> | undefined;
  refusal: string | undefined;
}

const states = new WeakMap<object, ModelState>();
let enabled = true;

const internals = (model: tf.LayersModel): ModelInternals => model as unknown as ModelInternals;

/**
 * How `model.fit` (and `fitDataset`, `trainOnBatch`) ran this model's steps since it was compiled: how many
 * were replayed without tfjs's engine, or why none were.
 */
export function modelFitReplay(model: tf.LayersModel): ReplayReport {
  const state = states.get(trainedModel(model));
  if (!state) {
    const why = enabled ? "model.fit has not trained this model with a stepwise optimizer since it was compiled" : "turned off (setModelFitReplay(false))";
    return { microBatches: 0, refused: why };
  }
  if (state.refusal !== undefined) return { microBatches: 0, refused: state.refusal };
  return state.replay!.report();
}

/**
 * Turns the replay of `model.fit`'s steps off (or on again) for every model, from the next `fit`,
 * `fitDataset` or `trainOnBatch` call; on by default. A model trained while it was off records anew.
 */
export function setModelFitReplay(on: boolean): void {
  if (typeof on !== "boolean") throw new Error(`setModelFitReplay: expected true or false, got ${String(on)}`);
  enabled = on;
}

/** A Sequential trains the LayersModel it wraps. */
function trainedModel(model: tf.LayersModel): object {
  return model instanceof tf.Sequential ? ((model as unknown as { model: tf.LayersModel }).model ?? model) : model;
}

const INSTALLED = Symbol.for("stepwise.modelFitReplay");

/** Wraps LayersModel.prototype.makeTrainFunction once per tfjs copy. */
function install(): void {
  const prototype = tf.LayersModel.prototype as unknown as ModelInternals & { [INSTALLED]?: true };
  if (prototype[INSTALLED]) return;
  const makeTrainFunction = prototype.makeTrainFunction;
  prototype.makeTrainFunction = function (this: tf.LayersModel): TrainFunction {
    const own = makeTrainFunction.call(this);
    if (!(internals(this).optimizer_ instanceof Optimizer)) return own;
    if (!enabled) {
      states.delete(this);
      return own;
    }
    return replayingTrainFunction(this, own);
  };
  prototype[INSTALLED] = true;
}

install();

function replayingTrainFunction(model: tf.LayersModel, own: TrainFunction): TrainFunction {
  const state = stateOf(model, own);
  if (state.replay === undefined) return own;
  const replay = state.replay;
  return (data) => {
    const optimizer = internals(model).optimizer_ as Optimizer;
    // with accumulation, the weight gradients the step computes as products go straight into the windows
    const itemCount = optimizer.nextBatchSize ?? 1;
    const sink = optimizer.gradientSink(itemCount);
    try {
      const { value, metrics, grads } = replay.run(data, sink);
      try {
        // what tf.Optimizer.minimize does with the gradients of its variable list (those the sink took aside)
        const variables = (internals(model).collectedTrainableWeights ?? []).map((weight) => weight.read()).filter((variable) => !sink?.took(variable.name));
        optimizer.applyGradients(variables.map((variable) => ({ name: variable.name, tensor: grads[variable.name] })), { itemCount, sink });
      } finally {
        tf.dispose(Object.values(grads));
      }
      return [value, ...(metrics as tf.Scalar[])];
    } finally {
      // a step that failed before its gradients were counted: what its sink took is undone
      sink?.abandon();
    }
  };
}

/** The model's state for this compile: a new one (and a new replay) after each compile. */
function stateOf(model: tf.LayersModel, own: TrainFunction): ModelState {
  const m = internals(model);
  const compiled = [m.lossFunctions, m.metricsTensors, m.collectedTrainableWeights, m.optimizer_];
  const known = states.get(model);
  if (known && known.compiled.every((part, i) => part === compiled[i])) {
    known.train = own;
    return known;
  }
  const refusal = compileRefusal(model);
  const state: ModelState = { compiled, train: own, refusal, replay: undefined };
  // the batch's inputs, targets and sample weights; tfjs-layers passes null where no sample weights are given
  const tensorsOf = (data: tf.Tensor[]): Array<tf.Tensor | null> => data;
  if (refusal === undefined) state.replay = new StepReplay<tf.Tensor[]>((data) => gradientStep(model, state.train, data), tensorsOf);
  states.set(model, state);
  return state;
}

/**
 * tfjs-layers' own train function on `data`, stopped before the update: its call to `minimize` computes
 * the loss and the gradients and returns the loss, so the step records the forward pass, the losses, the
 * metrics, the regularizers and the backward pass, and nothing of the optimizer.
 */
function gradientStep(model: tf.LayersModel, train: TrainFunction, data: tf.Tensor[]): StepResult {
  const optimizer = internals(model).optimizer_ as tf.Optimizer;
  let gradients: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  const stoppable = optimizer as unknown as { minimize: tf.Optimizer["minimize"] };
  stoppable.minimize = (f, _returnCost, varList) => {
    gradients = optimizer.computeGradients(f, varList);
    return gradients.value;
  };
  const losses = internals(model).lossFunctions;
  const ownLosses = losses?.slice();
  if (losses) for (const i of sparseCrossEntropyOutputs(model)) losses[i] = fusedSparseCrossEntropy(losses[i]);
  let outputs: tf.Scalar[];
  try {
    outputs = train(data);
  } finally {
    delete (stoppable as Partial<typeof stoppable>).minimize;
    if (losses && ownLosses) losses.splice(0, losses.length, ...ownLosses);
  }
  if (!gradients) throw new Error("stepwise: tfjs-layers' train function did not call minimize; this version of tfjs-layers is not supported by model.fit's replay");
  return { value: gradients.value, metrics: outputs.slice(1), grads: gradients.grads };
}

/**
 * The outputs whose loss is tfjs-layers' named sparseCategoricalCrossentropy: their losses run as
 * layers-cross-entropy.ts computes them, in fewer kernels with the same bits.
 */
function sparseCrossEntropyOutputs(model: tf.LayersModel): number[] {
  const loss = internals(model).loss;
  const names = model.outputNames;
  const lossOf = (i: number): unknown =>
    typeof loss === "string" ? loss : Array.isArray(loss) ? loss[i] : loss && typeof loss === "object" ? (loss as Record<string, unknown>)[names[i]] : undefined;
  return names.map((_, i) => i).filter((i) => lossOf(i) === "sparseCategoricalCrossentropy");
}

/** Why this compiled model's steps may not be replayed, or undefined where they may. */
function compileRefusal(model: tf.LayersModel): string | undefined {
  const m = internals(model);
  if (Object.prototype.hasOwnProperty.call(m.optimizer_, "minimize")) return "the optimizer's minimize is replaced";
  const layers = layersRefusal(model);
  if (layers !== undefined) return layers;
  if (namedOnly(m.loss) === false) return "a loss is a function, which may read JS state";
  if (namedOnly(m.metrics) === false) return "a metric is a function, which may read JS state";
  for (const layer of layersOf(model)) {
    const unknown = regularizerRefusal(layer);
    if (unknown !== undefined) return unknown;
  }
  return undefined;
}

/** Whether losses or metrics (one, a list, or by output name) are all tfjs-layers' named ones. */
function namedOnly(given: unknown): boolean {
  if (given === undefined || given === null || typeof given === "string") return true;
  if (Array.isArray(given)) return given.every(namedOnly);
  if (typeof given === "object") return Object.values(given).every(namedOnly);
  return false;
}

/** A regularizer other than tfjs-layers' L1L2 (a class of the user's may read JS state). */
function regularizerRefusal(layer: tf.layers.Layer): string | undefined {
  for (const [key, value] of Object.entries(layer.getConfig())) {
    if (!key.endsWith("Regularizer") || value === null || value === undefined) continue;
    const className = (value as { className?: unknown }).className;
    if (className !== "L1L2") return `layer ${layer.name}'s ${key} is a ${String(className)}, not tfjs-layers' L1L2`;
  }
  return undefined;
}
