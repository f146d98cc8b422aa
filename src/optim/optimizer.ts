/**
 * The stepwise optimizer: a chain of stages (src/optim/stage.ts) applied once per update, over parameter
 * groups with live hyperparameters, optionally behind gradient accumulation — wrapped as a `tf.Optimizer`,
 * so `model.compile({ optimizer })` and `model.fit` use it as they are, and it saves with the model.
 *
 *   applyGradients ─▶ [accumulation windows] ─▶ update: nonFinite ─▶ clip ─▶ decay ─▶ rule ─▶ ema ─▶ variables
 *
 * Unlike tfjs's optimizers, state is keyed by stage and variable name (updating a subset of variables is
 * safe), every hyperparameter can change live or follow a schedule, and the whole state — accumulation
 * windows and skipped updates included — saves and restores exactly, as JSON or with the model.
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedTensor } from "@tensorflow/tfjs-core/dist/tensor_types";
import { GradientSink, LastWindowPolicy, NoiseScaleEstimate } from "../accumulate";
import { squaredNormValue } from "../tensor";
import { describeValue, requirePositive } from "../util/validate";
import { Accumulation, AccumulateOptions } from "./accumulation";
import { AccumulationCallback } from "./fit-callback";
import { GroupOptions, ParamGroup, ParamGroups, serializeSelector } from "./groups";
import { Hyperparameter, deserializeHyperparameter, serializeHyperparameter } from "./hyper";
import type { HyperValues, HyperparameterSpec } from "./rule";
import { SerializedOptimizerConfig, configFromSpec } from "./spec";
import { runChain } from "./run-chain";
import { Stage, stageKeys } from "./stage";
import "./stages"; // registers every stage kind for stageFromSpec
import {
  OptimizerState,
  STATE_FORMAT,
  StateStore,
  StateTree,
  checkStateFormat,
  decodeState,
  encodeState,
  stateFromWeights,
  stateToWeights,
} from "./state";

/** Everything an optimizer is made of; the factories (`adam()`, `sgd()`, …) fill it in. */
export interface OptimizerConfig {
  /** The chain, applied in order at every update. */
  stages: readonly Stage[];
  /** lr, weightDecay and the stages' hyperparameters of the default group. */
  hyper: Record<string, Hyperparameter>;
  groups?: readonly GroupOptions[];
  accumulate?: AccumulateOptions;
  /** Shown in errors and saved in the state; default: the rule stage's rule name. */
  name?: string;
}

/** What the last update did, for training histories. */
export interface UpdateReport {
  /** The joint L2 norm of the gradients before clipping. */
  gradientNorm: number;
  /** The hyperparameter values used, per updated group. */
  hyper: Record<string, HyperValues>;
  /** Items (samples/tokens) averaged into the update: the window's, or 1 per call without accumulation. */
  items: number;
  skipped: boolean;
}

export interface ApplyOptions {
  /** Items behind these gradients (samples, or unmasked tokens): weights the micro-batch in accumulation. */
  itemCount?: number;
  /** The sink from `gradientSink(itemCount)`: the gradients it took during the step count with these. */
  sink?: GradientSink;
}

const BRAND = Symbol.for("stepwise.Optimizer");

export class Optimizer extends tf.Optimizer {
  /** The name under which tfjs saves and finds this class in model.json. */
  static get className(): string {
    return "StepwiseOptimizer";
  }

  /**
   * tf.Optimizer answers `instanceof` for anything with minimize/applyGradients (to tolerate duplicate tfjs
   * copies), which subclasses inherit; a stepwise optimizer is recognised by its brand instead.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  readonly [BRAND] = true;

  /** The algorithm's name (its rule's), used in errors and checked when state is loaded. */
  readonly name: string;
  readonly stages: readonly Stage[];
  private readonly paramGroups: ParamGroups;
  private readonly store: StateStore;
  private readonly accumulation: Accumulation | undefined;
  private skipped = 0;
  private report: UpdateReport | undefined;
  /** The size of the batch `model.fit` is about to apply, reported by `fitCallback()`. */
  private fitBatchSize: number | undefined;
  /** The trained values of the variables while the evaluation weights are swapped in. */
  private swappedOut: Map<string, tf.Tensor> | undefined;

  constructor(config: OptimizerConfig) {
    super();
    if (config === null || typeof config !== "object" || !Array.isArray(config.stages) || config.stages.length === 0) {
      throw new Error("Optimizer: config.stages must be a non-empty list of stages");
    }
    this.stages = [...config.stages];
    const rule = this.stages.find((s) => s.kind === "rule");
    this.name = config.name ?? (rule ? String(rule.spec.rule) : "optimizer");
    const known: Record<string, HyperparameterSpec> = Object.assign({}, ...this.stages.map((s) => s.hyperparameters));
    this.paramGroups = new ParamGroups(this.name, known, config.hyper, config.groups ?? []);
    this.store = new StateStore(stageKeys(this.stages));
    const needsAccumulation = config.accumulate !== undefined || this.paramGroups.list.some((g) => g.accumulateSteps !== undefined);
    this.accumulation = needsAccumulation
      ? new Accumulation(this.name, config.accumulate ?? { steps: 1 }, this.paramGroups, (grads, items, squares) => this.update(grads, items, squares))
      : undefined;
  }

  // ---------- applying gradients ----------

  /**
   * Apply gradients (of the mean loss over the batch) by variable name. With accumulation, this adds one
   * micro-batch of `itemCount` items and updates the groups whose window it completes.
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[], options: ApplyOptions = {}): void {
    const grads = toGradientMap(variableGradients);
    for (const [name, grad] of Object.entries(grads)) checkGradient(name, grad);
    const items = options.itemCount ?? this.fitBatchSize ?? 1;
    this.fitBatchSize = undefined;
    requirePositive(this.name, "itemCount", items);
    if (this.accumulation) this.accumulation.add(grads, items, options.sink);
    else if (options.sink) throw new Error(`${this.name}: a gradient sink is only for an optimizer that accumulates (gradientSink gives none otherwise)`);
    else this.update(grads, items);
  }

  /**
   * For a training loop that runs its own steps (fit's replayed step): where this optimizer accumulates, a
   * sink that takes the gradients the step computes as matrix products (a Dense layer's xᵀ·dy) straight
   * into the accumulation windows where the backend can (wasm with a host BLAS: src/accumulate); pass it
   * to `applyGradients` with the gradients the step returned, or call its `abandon()` when the step
   * fails. Undefined without accumulation.
   */
  gradientSink(itemCount: number): GradientSink | undefined {
    return this.accumulation?.sink(itemCount);
  }

  /**
   * End of an epoch: the incomplete accumulation windows are dropped, rescaled (averaged over the items they
   * hold) or carried on, per `accumulate.lastWindow` (or `policy`). Without accumulation, nothing to do.
   */
  endEpoch(policy?: LastWindowPolicy): void {
    this.accumulation?.endEpoch(policy);
  }

  /**
   * A callback for `model.fit(x, y, { callbacks: [optimizer.fitCallback()] })`: each batch is weighted by its
   * size (the last batch of an epoch is often smaller) and each epoch ends with the `lastWindow` policy.
   * Without it, model.fit weighs every batch equally and windows run across epochs.
   */
  fitCallback(): tf.Callback {
    return new AccumulationCallback(this);
  }

  /** Set by the fit callback: the item count of the next `applyGradients` call that gives none. */
  set nextBatchSize(size: number | undefined) {
    this.fitBatchSize = size;
  }

  get nextBatchSize(): number | undefined {
    return this.fitBatchSize;
  }

  /** Micro-batches waiting in each group's open accumulation window. */
  pendingMicroBatches(): { group: string; microBatches: number; items: number }[] {
    return this.accumulation?.pending() ?? [];
  }

  /** The gradient noise scale B_simple per group, estimated from the accumulation windows. */
  noiseScale(): Record<string, NoiseScaleEstimate | undefined> {
    return this.accumulation?.noiseScale() ?? {};
  }

  /** What the last update did (gradient norm, hyperparameters used), or undefined before the first. */
  get lastUpdate(): UpdateReport | undefined {
    return this.report;
  }

  /** Updates skipped for non-finite gradients (with `nonFinite: "skip"`). */
  get skippedUpdates(): number {
    return this.skipped;
  }

  /** One update through the chain. `squares`: Σ g² by name where already known (a window's mean on wasm). */
  private update(grads: Record<string, tf.Tensor>, items: number, squares?: Readonly<Record<string, number>>): void {
    if (this.swappedOut) throw new Error(`${this.name}: the averaged weights are swapped in; swap them back before training`);
    const updated: { name: string; variable: tf.Variable; group: ParamGroup; grad: tf.Tensor }[] = [];
    for (const [name, grad] of Object.entries(grads)) {
      const group = this.paramGroups.of(name);
      if (!group.frozen) updated.push({ name, variable: variableNamed(name), group, grad });
    }
    if (updated.length === 0) return;
    const gradientNorm = Math.sqrt(knownSquaredNorm(updated, squares) ?? squaredNormValue(updated.map((e) => e.grad)));
    const hyper = new Map<ParamGroup, HyperValues>();
    for (const { group } of updated) if (!hyper.has(group)) hyper.set(group, this.paramGroups.resolve(group));
    for (const { name } of updated) this.store.claim(name);
    const context = { optimizer: this.name, gradientNorm, update: this.iterations + 1 };
    const applied = runChain(this.stages, this.store, updated.map((e) => ({ variable: e.variable, grad: e.grad, hyper: hyper.get(e.group)! })), context);
    if (!applied) {
      this.skipped += 1;
      this.report = { gradientNorm, hyper: {}, items, skipped: true };
      return;
    }
    for (const group of hyper.keys()) group.updates += 1;
    this.incrementIterations();
    this.report = { gradientNorm, hyper: Object.fromEntries([...hyper].map(([group, values]) => [group.name, values])), items, skipped: false };
  }

  // ---------- groups and live hyperparameters ----------

  /** The parameter groups, in matching order (the default group, holding everything else, last). */
  get groups(): readonly ParamGroup[] {
    return this.paramGroups.list;
  }

  group(name: string): ParamGroup {
    return this.paramGroups.get(name);
  }

  /** The group a variable belongs to: the first whose selector matches, else the default group. */
  groupOf(variableName: string): ParamGroup {
    return this.paramGroups.of(variableName);
  }

  /**
   * Change hyperparameters now, in one group or all: numbers or schedules, e.g.
   * `opt.setHyperparameters({ lr: 0.01, momentum: 0.8 })`. Takes effect at the next update.
   */
  setHyperparameters(values: Record<string, Hyperparameter>, groupName?: string): void {
    this.paramGroups.set(values, groupName);
  }

  /** tfjs-style shorthand for `setHyperparameters({ lr })` on every group. */
  setLearningRate(lr: Hyperparameter): void {
    this.setHyperparameters({ lr });
  }

  /** The values that the next update of a group will use (default group when omitted). */
  currentHyperparameters(groupName = "default"): HyperValues {
    return this.paramGroups.resolve(this.paramGroups.get(groupName));
  }

  // ---------- evaluation weights ----------

  /** The last stage that evaluates with other weights than it trains (the weight average), if any. */
  private evaluator(): { stage: Stage; key: string } | undefined {
    for (let i = this.stages.length - 1; i >= 0; i--) if (this.stages[i].evaluationParam) return { stage: this.stages[i], key: this.store.stageKeys[i] };
    return undefined;
  }

  /** True when the optimizer keeps evaluation weights: an exponential moving average, or Schedule-Free's x. */
  get hasAverage(): boolean {
    return this.evaluator() !== undefined;
  }

  /** Swap the averaged (evaluation) weights into the model; call again to swap the trained ones back. */
  swapAveragedWeights(): void {
    const evaluator = this.evaluator();
    if (!evaluator) throw new Error(`${this.name}: no weight average; create the optimizer with ema: { decay }`);
    if (this.swappedOut) {
      for (const [name, trained] of this.swappedOut) {
        variableNamed(name).assign(trained);
        trained.dispose();
      }
      this.swappedOut = undefined;
      return;
    }
    const swappedOut = new Map<string, tf.Tensor>();
    for (const [name, state] of this.store.entries(evaluator.key)) {
      const variable = variableNamed(name);
      const hyper = this.paramGroups.resolve(this.paramGroups.of(name));
      swappedOut.set(name, variable.clone());
      tf.tidy(() => variable.assign(evaluator.stage.evaluationParam!(variable, state, hyper)));
    }
    this.swappedOut = swappedOut;
  }

  /** Run `evaluate` with the averaged weights swapped in, then swap back, even if it throws. */
  async withAveragedWeights<T>(evaluate: () => T | Promise<T>): Promise<T> {
    this.swapAveragedWeights();
    try {
      return await evaluate();
    } finally {
      this.swapAveragedWeights();
    }
  }

  // ---------- state ----------

  private tree(): StateTree<tf.Tensor> {
    if (this.swappedOut) throw new Error(`${this.name}: swap the averaged weights back before saving state`);
    return {
      format: STATE_FORMAT,
      name: this.name,
      iterations: this.iterations,
      skippedUpdates: this.skipped,
      groups: this.paramGroups.list.map((g) => ({
        name: g.name,
        updates: g.updates,
        hyper: Object.fromEntries(Object.entries(g.hyper).map(([k, v]) => [k, serializeHyperparameter(v)])),
      })),
      stages: this.store.snapshot(),
      ...(this.accumulation ? { accumulation: this.accumulation.state() } : {}),
    };
  }

  /** Takes over `tree`'s tensors; a tree that does not fit this optimizer is refused, and its tensors disposed, before anything changes. */
  private loadTree(tree: StateTree<tf.Tensor>): void {
    try {
      if (tree.name !== this.name) throw new Error(`${this.name}: cannot load the state of a ${tree.name} optimizer`);
      if (tree.accumulation && !this.accumulation) throw new Error(`${this.name}: the state has accumulation buffers but this optimizer does not accumulate`);
      for (const saved of tree.groups) this.paramGroups.get(saved.name);
      for (const key of Object.keys(tree.stages)) {
        if (!this.store.stageKeys.includes(key)) throw new Error(`${this.name}: the state has stage "${key}", which this optimizer does not have (stages: ${this.store.stageKeys.join(", ")})`);
      }
    } catch (error) {
      tf.dispose(Object.values(tree.stages).flatMap((states) => Object.values(states).flatMap((s) => Object.values(s.slots))));
      throw error;
    }
    for (const saved of tree.groups) {
      const group = this.paramGroups.get(saved.name);
      group.updates = saved.updates;
      this.paramGroups.set(Object.fromEntries(Object.entries(saved.hyper).map(([k, v]) => [k, deserializeHyperparameter(v)])), saved.name);
    }
    this.store.load(tree.stages);
    if (tree.accumulation) this.accumulation!.loadState(tree.accumulation);
    this.iterations_ = tree.iterations;
    this.skipped = tree.skippedUpdates;
  }

  /** The full state as JSON (exact float32 values), so training resumes exactly. */
  state(): OptimizerState {
    return encodeState(this.tree());
  }

  /** Restore a state saved by `state()` from an optimizer built the same way. */
  loadState(state: OptimizerState): void {
    this.loadTree(decodeState(checkStateFormat(state, this.name)));
  }

  // ---------- tf.Optimizer: weights saved with a model ----------

  /** Named tensors for `model.save(..., { includeOptimizer: true })`: the same state as `state()`. */
  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...stateToWeights(this.tree())];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.loadTree(stateFromWeights(rest, this.name));
  }

  /**
   * tfjs's config. tfjs-layers camel-cases every string in a saved optimizer config except values under a
   * `name` key (so "exp_range" or a variable name like "dense_Dense1/kernel" would be mangled): the JSON
   * config therefore travels as the string value of `name`.
   */
  override getConfig(): tf.serialization.ConfigDict {
    return { name: JSON.stringify(this.toJSONConfig()) };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    if (typeof config.name !== "string") throw new Error("StepwiseOptimizer: config.name must hold the JSON config");
    return new cls(configFromSpec(JSON.parse(config.name) as SerializedOptimizerConfig));
  }

  /** The configuration as JSON: the stages' specs, the groups (schedules as specs), accumulation. */
  toJSONConfig(): SerializedOptimizerConfig {
    return {
      format: "stepwise.optimizer/2",
      name: this.name,
      stages: this.stages.map((s) => s.spec),
      groups: this.paramGroups.list.map((g) => ({
        name: g.name,
        ...(g.selector === undefined ? {} : { params: serializeSelector(g.selector, g.name) }),
        frozen: g.frozen,
        ...(g.accumulateSteps === undefined ? {} : { accumulateSteps: g.accumulateSteps }),
        hyper: Object.fromEntries(Object.entries(g.hyper).map(([k, v]) => [k, serializeHyperparameter(v)])),
      })),
      ...(this.accumulation ? { accumulate: this.accumulation.options } : {}),
    };
  }

  override dispose(): void {
    if (this.swappedOut) this.swapAveragedWeights();
    this.store.clear();
    this.accumulation?.dispose();
  }
}

tf.serialization.registerClass(Optimizer);

function toGradientMap(gradients: tf.NamedTensorMap | NamedTensor[]): Record<string, tf.Tensor> {
  if (Array.isArray(gradients)) return Object.fromEntries(gradients.map(({ name, tensor }) => [name, tensor]));
  if (gradients === null || typeof gradients !== "object") throw new Error("applyGradients: expected gradients by variable name");
  return gradients;
}

/** Σ of the known squares of `entries`, in their order (as squaredNormValue sums), or undefined if one is unknown. */
function knownSquaredNorm(entries: readonly { name: string }[], squares: Readonly<Record<string, number>> | undefined): number | undefined {
  if (!squares) return undefined;
  let total = 0;
  for (const { name } of entries) {
    const value = squares[name];
    if (value === undefined) return undefined;
    total += value;
  }
  return total;
}

function variableNamed(name: string): tf.Variable {
  const variable = tf.engine().registeredVariables[name];
  if (!variable) throw new Error(`no variable named "${name}" is registered (was it disposed?)`);
  return variable;
}

function checkGradient(name: string, grad: tf.Tensor): void {
  if (!(grad instanceof tf.Tensor)) throw new Error(`gradient for "${name}" must be a tensor, got ${describeValue(grad)}`);
  const variable = variableNamed(name);
  if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
    throw new Error(`gradient for "${name}" has shape [${grad.shape}] but the parameter has shape [${variable.shape}]`);
  }
  if (grad.dtype !== "float32") throw new Error(`gradient for "${name}" must be float32, got ${grad.dtype}`);
}
