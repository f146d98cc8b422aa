/**
 * The stepwise optimizer: one update rule (SGD, Adam, Lion, …) composed with everything that must act
 * once per optimizer update, in this order:
 *
 *   gradients ─▶ accumulate (exact item-weighted mean over a window) ─▶ non-finite check
 *             ─▶ clip (value, norm, global norm) ─▶ L2 weight decay (g ← g + λθ)
 *             ─▶ decoupled weight decay (θ ← θ − lr·λθ) ─▶ rule ─▶ EMA of the weights
 *
 * It is a `tf.Optimizer`, so `model.compile({ optimizer })` and `model.fit` use it as they are, and it
 * saves with the model. Unlike tfjs's optimizers, state is keyed by variable name (updating a subset of
 * variables is safe), every hyperparameter can change live or follow a schedule, and every optimizer's
 * state can be saved and restored exactly.
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedTensor } from "@tensorflow/tfjs-core/dist/tensor_types";
import {
  AccumulatorState,
  CompletedWindow,
  GradientAccumulator,
  LAST_WINDOW_POLICIES,
  LastWindowPolicy,
  NoiseScaleEstimate,
} from "../accumulate";
import { ClipOptions, checkClipOptions, clipGradients } from "./clip";
import { squaredNormValue } from "./fused";
import { WeightAverage, EmaOptions } from "./ema";
import {
  GroupOptions,
  ParamGroup,
  baseVariableName,
  ParamSelector,
  SerializedSelector,
  deserializeSelector,
  selects,
  serializeSelector,
} from "./groups";
import {
  Hyperparameter,
  SerializedHyperparameter,
  checkHyperparameter,
  deserializeHyperparameter,
  serializeHyperparameter,
  valueAt,
} from "./hyper";
import { Counters, HyperValues, Slots, UpdateRule } from "./rule";
import { ruleFromConfig } from "./rules";
import { EncodedTensor, decodeTensor, encodeTensor } from "./tensor-codec";
import { describe, requireInteger, requireOneOf } from "./validate";

export type WeightDecayMode = "l2" | "decoupled";
export type NonFinitePolicy = "error" | "skip";

export interface AccumulateOptions {
  /** Micro-batches per optimizer update (the default window of every group). */
  steps: number;
  /** What happens to an incomplete window at `endEpoch()`; default "rescale". */
  lastWindow?: LastWindowPolicy;
  /** Estimate the gradient noise scale from the windows; default true. */
  noiseScale?: boolean;
}

/** Everything an optimizer is made of; the factories (`adam()`, `sgd()`, …) fill it in. */
export interface OptimizerConfig {
  rule: UpdateRule;
  /** lr, weightDecay and the rule's hyperparameters of the default group. */
  hyper: Record<string, Hyperparameter>;
  weightDecayMode: WeightDecayMode;
  groups: GroupOptions[];
  clip?: ClipOptions;
  accumulate?: AccumulateOptions;
  ema?: EmaOptions;
  nonFinite: NonFinitePolicy;
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
}

interface ParamState {
  step: number;
  slots: Slots;
  counters: Counters;
}

/** The JSON form of an optimizer's full state, for checkpoints. */
export interface OptimizerState {
  format: "stepwise.optimizer-state/1";
  rule: string;
  iterations: number;
  skippedUpdates: number;
  groups: { name: string; updates: number; hyper: Record<string, SerializedHyperparameter> }[];
  params: Record<string, { step: number; counters: Counters; slots: Record<string, EncodedTensor> }>;
  ema?: Record<string, EncodedTensor>;
  accumulator?: AccumulatorState;
}

/** The JSON form of an optimizer's configuration (no tensors), saved with a model. */
export interface SerializedOptimizerConfig {
  format: "stepwise.optimizer/1";
  rule: { name: string; flags: Record<string, boolean | number> };
  weightDecayMode: WeightDecayMode;
  groups: {
    name: string;
    params?: SerializedSelector;
    frozen: boolean;
    accumulateSteps?: number;
    hyper: Record<string, SerializedHyperparameter>;
  }[];
  clip?: ClipOptions;
  accumulate?: AccumulateOptions;
  ema?: EmaOptions;
  nonFinite: NonFinitePolicy;
}

const DEFAULT_GROUP = "default";
const BRAND = Symbol.for("stepwise.Optimizer");

/** A gradient with NaN or ±Infinity: names the parameter and the update. */
export class NonFiniteGradientError extends Error {
  override readonly name = "NonFiniteGradientError";

  constructor(
    optimizer: string,
    readonly parameter: string,
    readonly update: number,
  ) {
    super(`${optimizer}: non-finite gradient for parameter "${parameter}" at update ${update}; pass nonFinite: "skip" to skip such updates`);
  }
}
const GROUP_KEYS = new Set(["name", "params", "frozen", "accumulateSteps"]);

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

  readonly rule: UpdateRule;
  readonly weightDecayMode: WeightDecayMode;
  readonly clip: ClipOptions | undefined;
  readonly nonFinite: NonFinitePolicy;
  private readonly groupList: ParamGroup[];
  private readonly groupByVariable = new Map<string, ParamGroup>();
  private readonly params = new Map<string, ParamState>();
  private readonly accumulator: GradientAccumulator | undefined;
  private readonly accumulateOptions: AccumulateOptions | undefined;
  private readonly average: WeightAverage | undefined;
  private skipped = 0;
  private report: UpdateReport | undefined;
  /** The size of the batch `model.fit` is about to apply, reported by `fitCallback()`. */
  private fitBatchSize: number | undefined;
  /** Variable names with loaded state that no gradient has claimed yet (see `claimLoadedState`). */
  private readonly unclaimed = new Set<string>();

  constructor(config: OptimizerConfig) {
    super();
    const where = config.rule.name;
    this.rule = config.rule;
    this.weightDecayMode = requireOneOf(where, "weightDecayMode", config.weightDecayMode, ["l2", "decoupled"]);
    this.nonFinite = requireOneOf(where, "nonFinite", config.nonFinite, ["error", "skip"]);
    this.clip = checkClipOptions(where, config.clip);
    this.groupList = buildGroups(config.rule, config.hyper, config.groups);
    if (config.accumulate !== undefined || this.groupList.some((g) => g.accumulateSteps !== undefined)) {
      this.accumulateOptions = checkAccumulateOptions(where, config.accumulate ?? { steps: 1 });
      const defaultSteps = this.accumulateOptions.steps;
      this.accumulator = new GradientAccumulator({
        groupOf: (name) => {
          const group = this.groupOf(name);
          return group.frozen ? undefined : group.name;
        },
        windowOf: (name) => this.group(name).accumulateSteps ?? defaultSteps,
        lastWindow: this.accumulateOptions.lastWindow ?? "rescale",
        trackNoiseScale: this.accumulateOptions.noiseScale ?? true,
      });
    }
    this.average = config.ema === undefined ? undefined : new WeightAverage(config.ema);
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
    if (!(typeof items === "number" && Number.isFinite(items) && items > 0)) {
      throw new Error(`${this.rule.name}: itemCount must be a finite number > 0, got ${describe(items)}`);
    }
    if (!this.accumulator) this.update(grads, items);
    else this.applyWindows(this.accumulator.add(grads, items));
  }

  /**
   * End of an epoch: the incomplete accumulation windows are dropped, rescaled (averaged over the items they
   * hold) or carried on, per `accumulate.lastWindow` (or `policy`). Without accumulation, nothing to do.
   */
  endEpoch(policy?: LastWindowPolicy): void {
    if (!this.accumulator) return;
    if (policy !== undefined) requireOneOf(this.rule.name, "lastWindow", policy, LAST_WINDOW_POLICIES);
    this.applyWindows(this.accumulator.flush(policy));
    this.accumulator.noiseScale(); // reads the window norms kept on the device: memory stays flat across epochs
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

  /** Micro-batches waiting in each group's open accumulation window. */
  pendingMicroBatches(): { group: string; microBatches: number; items: number }[] {
    return this.accumulator?.pending() ?? [];
  }

  /** The gradient noise scale B_simple per group, estimated from the accumulation windows. */
  noiseScale(): Record<string, NoiseScaleEstimate | undefined> {
    return this.accumulator?.noiseScale() ?? {};
  }

  /** What the last update did (gradient norm, hyperparameters used), or undefined before the first. */
  get lastUpdate(): UpdateReport | undefined {
    return this.report;
  }

  /** Updates skipped for non-finite gradients (with `nonFinite: "skip"`). */
  get skippedUpdates(): number {
    return this.skipped;
  }

  private applyWindows(windows: CompletedWindow[]): void {
    if (windows.length === 0) return;
    // groups completing together update together, so global-norm clipping sees all their gradients
    const grads = Object.assign({}, ...windows.map((w) => w.grads)) as Record<string, tf.Tensor>;
    const squares = windows.every((w) => w.squares) ? (Object.assign({}, ...windows.map((w) => w.squares)) as Record<string, number>) : undefined;
    try {
      this.update(grads, Math.max(...windows.map((w) => w.items)), squares);
    } finally {
      tf.dispose(Object.values(grads));
    }
  }

  /** `squares`: Σ g² of each gradient by name, where already known (an accumulation window's mean on wasm). */
  private update(grads: Record<string, tf.Tensor>, items: number, squares?: Readonly<Record<string, number>>): void {
    const entries: { name: string; variable: tf.Variable; group: ParamGroup; grad: tf.Tensor }[] = [];
    for (const [name, grad] of Object.entries(grads)) {
      const group = this.groupOf(name);
      if (!group.frozen) entries.push({ name, variable: variableNamed(name), group, grad });
    }
    if (entries.length === 0) return;
    const gradientNorm = Math.sqrt(knownSquaredNorm(entries, squares) ?? squaredNormValue(entries.map((e) => e.grad)));
    if (!Number.isFinite(gradientNorm)) {
      if (this.nonFinite === "skip") {
        this.skipped += 1;
        this.report = { gradientNorm, hyper: {}, items, skipped: true };
        return;
      }
      const culprit = entries.find((e) => tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(e.grad))).dataSync()[0] === 1));
      throw new NonFiniteGradientError(this.rule.name, culprit?.name ?? entries[0].name, this.iterations + 1);
    }
    const hyper = new Map<ParamGroup, HyperValues>();
    for (const { group } of entries) if (!hyper.has(group)) hyper.set(group, this.resolve(group));
    tf.tidy(() => {
      const clipped = this.clip ? clipGradients(entries.map((e) => e.grad), this.clip, gradientNorm) : entries.map((e) => e.grad);
      entries.forEach((entry, i) => this.updateParameter(entry.name, entry.variable, clipped[i], hyper.get(entry.group)!));
    });
    for (const group of hyper.keys()) group.updates += 1;
    this.incrementIterations();
    this.report = {
      gradientNorm,
      hyper: Object.fromEntries([...hyper].map(([group, values]) => [group.name, values])),
      items,
      skipped: false,
    };
  }

  /** Runs inside the update's tidy: new slots are kept, replaced ones disposed. */
  private updateParameter(name: string, variable: tf.Variable, rawGrad: tf.Tensor, hyper: HyperValues): void {
    const state = this.paramState(name, variable);
    let grad = rawGrad;
    let param: tf.Tensor = variable;
    const decay = hyper.weightDecay;
    if (decay > 0) {
      if (this.weightDecayMode === "l2") grad = grad.add(variable.mul(decay));
      else param = variable.mul(1 - hyper.lr * decay);
    }
    const out = this.rule.update({
      param,
      grad,
      slots: state.slots,
      counters: state.counters,
      hyper,
      step: state.step + 1,
    });
    variable.assign(out.param);
    const kept = new Set(Object.values(out.slots));
    for (const slot of Object.values(state.slots)) if (!kept.has(slot)) slot.dispose();
    for (const slot of kept) tf.keep(slot);
    state.slots = out.slots;
    if (out.counters) state.counters = out.counters;
    state.step += 1;
    this.average?.update(name, variable);
  }

  private paramState(name: string, variable: tf.Variable): ParamState {
    let state = this.params.get(name) ?? this.claimLoadedState(name);
    this.unclaimed.delete(name);
    if (!state) {
      const slots = this.rule.initSlots(variable);
      for (const slot of Object.values(slots)) tf.keep(slot);
      state = { step: 0, slots, counters: this.rule.initCounters?.() ?? {} };
      this.params.set(name, state);
    }
    return state;
  }

  /**
   * State loaded under a saved name serves a variable whose name is that name with tfjs's uniquifying
   * suffix (a model reloaded in the process that saved it), when exactly one unclaimed saved name fits.
   */
  private claimLoadedState(name: string): ParamState | undefined {
    const base = baseVariableName(name);
    const candidates = [...this.unclaimed].filter((saved) => baseVariableName(saved) === base);
    if (candidates.length !== 1) return undefined;
    const [saved] = candidates;
    const state = this.params.get(saved);
    this.unclaimed.delete(saved);
    this.params.delete(saved);
    if (!state) return undefined;
    this.params.set(name, state);
    this.average?.rename(saved, name);
    return state;
  }

  /** The group's hyperparameters at its current update count, checked (schedules can produce bad values). */
  private resolve(group: ParamGroup): HyperValues {
    const values: Record<string, number> = {};
    for (const [key, value] of Object.entries(group.hyper)) {
      const resolved = valueAt(value, group.updates);
      const problem = checkValue(this.rule, key, resolved, true);
      if (problem) {
        const source = typeof value === "number" ? "" : ` (from its ${value.spec.kind} schedule at update ${group.updates})`;
        throw new Error(`${this.rule.name}: ${key} of group "${group.name}" must be ${problem}, got ${resolved}${source}`);
      }
      values[key] = resolved;
    }
    return values;
  }

  // ---------- groups and live hyperparameters ----------

  /** The parameter groups, in matching order (the default group, holding everything else, last). */
  get groups(): readonly ParamGroup[] {
    return this.groupList;
  }

  group(name: string): ParamGroup {
    const group = this.groupList.find((g) => g.name === name);
    if (!group) throw new Error(`unknown parameter group "${name}" (groups: ${this.groupList.map((g) => g.name).join(", ")})`);
    return group;
  }

  /** The group a variable belongs to: the first whose selector matches, else the default group. */
  groupOf(variableName: string): ParamGroup {
    let group = this.groupByVariable.get(variableName);
    if (!group) {
      group = this.groupList.find((g) => g.selector !== undefined && selects(g.selector, variableName)) ?? this.group(DEFAULT_GROUP);
      this.groupByVariable.set(variableName, group);
    }
    return group;
  }

  /**
   * Change hyperparameters now, in one group or all: numbers or schedules, e.g.
   * `opt.setHyperparameters({ lr: 0.01, momentum: 0.8 })`. Takes effect at the next update.
   */
  setHyperparameters(values: Record<string, Hyperparameter>, groupName?: string): void {
    const targets = groupName === undefined ? this.groupList : [this.group(groupName)];
    const checked: Record<string, Hyperparameter> = {};
    for (const [key, value] of Object.entries(values)) checked[key] = checkHyperparameterOf(this.rule, key, value);
    for (const group of targets) Object.assign(group.hyper, checked);
  }

  /** tfjs-style shorthand for `setHyperparameters({ lr })` on every group. */
  setLearningRate(lr: Hyperparameter): void {
    this.setHyperparameters({ lr });
  }

  /** The values that the next update of a group will use (default group when omitted). */
  currentHyperparameters(groupName: string = DEFAULT_GROUP): HyperValues {
    return this.resolve(this.group(groupName));
  }

  // ---------- weight averaging ----------

  /** True when the optimizer keeps an exponential moving average of the weights. */
  get hasAverage(): boolean {
    return this.average !== undefined;
  }

  /** Swap the averaged weights into the model (call again to swap back). */
  swapAveragedWeights(): void {
    if (!this.average) throw new Error(`${this.rule.name}: no weight average; create the optimizer with ema: { decay }`);
    this.average.swap(variableNamed);
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

  /** The full state as JSON (exact float32 values), so training resumes exactly. */
  state(): OptimizerState {
    if (this.average?.isSwapped) throw new Error(`${this.rule.name}: swap the averaged weights back before saving state`);
    const params: OptimizerState["params"] = {};
    for (const [name, state] of this.params) {
      params[name] = {
        step: state.step,
        counters: { ...state.counters },
        slots: Object.fromEntries(Object.entries(state.slots).map(([slot, t]) => [slot, encodeTensor(t)])),
      };
    }
    return {
      format: "stepwise.optimizer-state/1",
      rule: this.rule.name,
      iterations: this.iterations,
      skippedUpdates: this.skipped,
      groups: this.groupList.map((g) => ({ name: g.name, updates: g.updates, hyper: serializeHyper(g.hyper) })),
      params,
      ...(this.average ? { ema: Object.fromEntries([...this.average.entries()].map(([n, t]) => [n, encodeTensor(t)])) } : {}),
      ...(this.accumulator ? { accumulator: this.accumulator.state() } : {}),
    };
  }

  /** Restore a state saved by `state()` from an optimizer built the same way. */
  loadState(state: OptimizerState): void {
    if (state === null || typeof state !== "object" || state.format !== "stepwise.optimizer-state/1") {
      throw new Error(`${this.rule.name}: not a stepwise optimizer state (format ${describe((state as { format?: unknown })?.format)})`);
    }
    if (state.rule !== this.rule.name) throw new Error(`${this.rule.name}: cannot load the state of a ${state.rule} optimizer`);
    for (const saved of state.groups) {
      const group = this.group(saved.name);
      group.updates = saved.updates;
      Object.assign(group.hyper, deserializeHyper(saved.hyper));
    }
    this.disposeState();
    for (const [name, saved] of Object.entries(state.params)) {
      const slots: Slots = {};
      for (const [slot, encoded] of Object.entries(saved.slots)) slots[slot] = decodeTensor(encoded, `optimizer slot ${name}/${slot}`);
      this.params.set(name, { step: saved.step, counters: { ...saved.counters }, slots });
      this.unclaimed.add(name);
    }
    if (state.ema) {
      if (!this.average) throw new Error(`${this.rule.name}: the state has a weight average but this optimizer has no ema option`);
      for (const [name, encoded] of Object.entries(state.ema)) this.average.set(name, decodeTensor(encoded, `weight average ${name}`));
    }
    if (state.accumulator) {
      if (!this.accumulator) throw new Error(`${this.rule.name}: the state has accumulation buffers but this optimizer does not accumulate`);
      this.accumulator.loadState(state.accumulator);
    }
    this.iterations_ = state.iterations;
    this.skipped = state.skippedUpdates;
  }

  // ---------- tf.Optimizer: weights saved with a model ----------

  /** Named tensors for `model.save(..., { includeOptimizer: true })`: slots, steps, counters and averages by variable name. */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [await this.saveIterations()];
    for (const group of this.groupList) weights.push({ name: `#group#${group.name}#updates`, tensor: tf.scalar(group.updates, "int32") });
    for (const [name, state] of this.params) {
      weights.push({ name: `${name}#step`, tensor: tf.scalar(state.step, "int32") });
      for (const [slot, tensor] of Object.entries(state.slots)) weights.push({ name: `${name}#slot#${slot}`, tensor });
      for (const [counter, value] of Object.entries(state.counters)) {
        weights.push({ name: `${name}#counter#${counter}`, tensor: tf.scalar(value, "float32") });
      }
    }
    if (this.average) for (const [name, tensor] of this.average.entries()) weights.push({ name: `${name}#ema`, tensor });
    return weights;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.disposeState();
    for (const { name, tensor } of rest) {
      const groupMatch = /^#group#(.*)#updates$/.exec(name);
      if (groupMatch) {
        this.group(groupMatch[1]).updates = tensor.dataSync()[0];
        continue;
      }
      const match = /^(.*)#(step|slot#(.+)|counter#(.+)|ema)$/.exec(name);
      if (!match) throw new Error(`${this.rule.name}: unexpected optimizer weight "${name}"`);
      const [, variable, kind, slot, counter] = match;
      if (kind === "ema") {
        if (!this.average) throw new Error(`${this.rule.name}: saved weights hold a weight average but this optimizer has no ema option`);
        this.average.set(variable, tensor.clone());
        continue;
      }
      let state = this.params.get(variable);
      if (!state) {
        state = { step: 0, slots: {}, counters: {} };
        this.params.set(variable, state);
        this.unclaimed.add(variable);
      }
      if (kind === "step") state.step = tensor.dataSync()[0];
      else if (slot !== undefined) state.slots[slot] = tensor.clone();
      else state.counters[counter] = tensor.dataSync()[0];
    }
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
    return new cls(optimizerConfigFromJSON(JSON.parse(config.name) as SerializedOptimizerConfig));
  }

  /** The configuration as JSON (rule, groups, schedules as specs, clipping, accumulation, EMA). */
  toJSONConfig(): SerializedOptimizerConfig {
    return {
      format: "stepwise.optimizer/1",
      rule: { name: this.rule.name, flags: { ...this.rule.flags } },
      weightDecayMode: this.weightDecayMode,
      groups: this.groupList.map((g) => ({
        name: g.name,
        ...(g.selector === undefined ? {} : { params: serializeSelector(g.selector, g.name) }),
        frozen: g.frozen,
        ...(g.accumulateSteps === undefined ? {} : { accumulateSteps: g.accumulateSteps }),
        hyper: serializeHyper(g.hyper),
      })),
      ...(this.clip ? { clip: this.clip } : {}),
      ...(this.accumulateOptions ? { accumulate: this.accumulateOptions } : {}),
      ...(this.average ? { ema: { decay: this.average.decay } } : {}),
      nonFinite: this.nonFinite,
    };
  }

  override dispose(): void {
    this.disposeState();
    this.accumulator?.dispose();
  }

  private disposeState(): void {
    for (const state of this.params.values()) tf.dispose(Object.values(state.slots));
    this.params.clear();
    this.unclaimed.clear();
    this.average?.dispose();
  }
}

tf.serialization.registerClass(Optimizer);

/**
 * Tells the optimizer each batch's size during model.fit: `fitDataset` puts it in the batch logs before
 * `onBatchBegin`; `fit` on tensors sets it only afterwards, so it is derived from the fit's parameters
 * (batch i of `samples` in batches of `batchSize`).
 */
class AccumulationCallback extends tf.Callback {
  constructor(private readonly optimizer: Optimizer) {
    super();
  }

  override async onBatchBegin(batch: number, logs?: tf.Logs): Promise<void> {
    const { samples, batchSize } = this.params as { samples?: unknown; batchSize?: unknown };
    if (typeof logs?.size === "number") this.optimizer.nextBatchSize = logs.size;
    else if (typeof samples === "number" && typeof batchSize === "number") {
      this.optimizer.nextBatchSize = Math.min(batchSize, samples - batch * batchSize);
    } else this.optimizer.nextBatchSize = undefined;
  }

  override async onEpochEnd(): Promise<void> {
    this.optimizer.endEpoch();
  }
}

/** Rebuild an optimizer configuration saved by `toJSONConfig()`. */
export function optimizerConfigFromJSON(saved: SerializedOptimizerConfig): OptimizerConfig {
  if (saved === null || typeof saved !== "object" || saved.format !== "stepwise.optimizer/1") {
    throw new Error(`not a stepwise optimizer config (format ${describe((saved as { format?: unknown })?.format)})`);
  }
  const defaultGroup = saved.groups.find((g) => g.name === DEFAULT_GROUP);
  if (!defaultGroup) throw new Error(`stepwise optimizer config has no "${DEFAULT_GROUP}" group`);
  const groups: GroupOptions[] = saved.groups
    .filter((g) => g !== defaultGroup)
    .map((g) => ({
      name: g.name,
      params: deserializeSelector(g.params ?? { names: [] }),
      frozen: g.frozen,
      ...(g.accumulateSteps === undefined ? {} : { accumulateSteps: g.accumulateSteps }),
      ...deserializeHyper(g.hyper),
    }));
  return {
    rule: ruleFromConfig(saved.rule.name, saved.rule.flags),
    hyper: deserializeHyper(defaultGroup.hyper),
    weightDecayMode: saved.weightDecayMode,
    groups,
    ...(saved.clip ? { clip: saved.clip } : {}),
    ...(saved.accumulate ? { accumulate: saved.accumulate } : {}),
    ...(saved.ema ? { ema: saved.ema } : {}),
    nonFinite: saved.nonFinite,
  };
}

// ---------- helpers ----------

function buildGroups(rule: UpdateRule, defaults: Record<string, Hyperparameter>, options: GroupOptions[]): ParamGroup[] {
  const where = rule.name;
  const base: Record<string, Hyperparameter> = {};
  for (const [key, value] of Object.entries(defaults)) {
    if (value !== undefined) base[key] = checkHyperparameterOf(rule, key, value);
  }
  for (const key of ["lr", "weightDecay", ...Object.keys(rule.hyperparameters)]) {
    if (base[key] === undefined) {
      const fallback = key === "weightDecay" ? 0 : rule.hyperparameters[key]?.default;
      if (fallback === undefined) throw new Error(`${where}: ${key} is required`);
      base[key] = fallback;
    }
  }
  if (!Array.isArray(options)) throw new Error(`${where}: groups must be an array of { params, ... }`);
  const groups: ParamGroup[] = options.map((group, i) => {
    if (group === null || typeof group !== "object") throw new Error(`${where}: groups[${i}] must be an object`);
    const name = group.name ?? `group${i + 1}`;
    if (typeof name !== "string" || name === "" || name === DEFAULT_GROUP) {
      throw new Error(`${where}: groups[${i}].name must be a non-empty string other than "${DEFAULT_GROUP}", got ${describe(name)}`);
    }
    if (!isSelector(group.params)) {
      throw new Error(`${where}: groups[${i}].params must be a list of variables or names, a RegExp, or a predicate`);
    }
    if (group.frozen !== undefined && typeof group.frozen !== "boolean") {
      throw new Error(`${where}: groups[${i}].frozen must be a boolean, got ${describe(group.frozen)}`);
    }
    if (group.accumulateSteps !== undefined) requireInteger(where, `groups[${i}].accumulateSteps`, group.accumulateSteps, 1);
    const hyper = { ...base };
    for (const [key, value] of Object.entries(group)) {
      if (GROUP_KEYS.has(key) || value === undefined) continue;
      hyper[key] = checkHyperparameterOf(rule, key, value, `groups[${i}].`);
    }
    return { name, selector: group.params, frozen: group.frozen ?? false, accumulateSteps: group.accumulateSteps, hyper, updates: 0 };
  });
  const names = new Set<string>();
  for (const group of groups) {
    if (names.has(group.name)) throw new Error(`${where}: two parameter groups are named "${group.name}"`);
    names.add(group.name);
  }
  groups.push({ name: DEFAULT_GROUP, selector: undefined, frozen: false, accumulateSteps: undefined, hyper: base, updates: 0 });
  return groups;
}

function isSelector(value: unknown): value is ParamSelector {
  return value instanceof RegExp || typeof value === "function" || Array.isArray(value);
}

function checkHyperparameterOf(rule: UpdateRule, key: string, value: unknown, prefix = ""): Hyperparameter {
  const known = ["lr", "weightDecay", ...Object.keys(rule.hyperparameters)];
  if (!known.includes(key)) {
    throw new Error(`${rule.name}: unknown option "${prefix}${key}" (hyperparameters: ${known.join(", ")})`);
  }
  const checked = checkHyperparameter(rule.name, prefix + key, value);
  if (typeof checked === "number") {
    const problem = checkValue(rule, key, checked, false);
    if (problem) throw new Error(`${rule.name}: ${prefix}${key} must be ${problem}, got ${checked}`);
  }
  return checked;
}

/** lr must be > 0 when given as a number; a schedule may reach 0 (e.g. the end of a cosine). */
function checkValue(rule: UpdateRule, key: string, value: number, scheduled: boolean): string | undefined {
  if (!Number.isFinite(value)) return "finite";
  if (key === "lr") return scheduled ? (value >= 0 ? undefined : ">= 0") : value > 0 ? undefined : "> 0";
  if (key === "weightDecay") return value >= 0 ? undefined : ">= 0";
  return rule.hyperparameters[key]?.check(value);
}

function checkAccumulateOptions(where: string, options: AccumulateOptions): AccumulateOptions {
  if (options === null || typeof options !== "object") throw new Error(`${where}: accumulate must be an object like { steps: 4 }`);
  for (const key of Object.keys(options)) {
    if (!["steps", "lastWindow", "noiseScale"].includes(key)) {
      throw new Error(`${where}: unknown accumulate option "${key}" (allowed: steps, lastWindow, noiseScale)`);
    }
  }
  requireInteger(where, "accumulate.steps", options.steps, 1);
  if (options.lastWindow !== undefined) requireOneOf(where, "accumulate.lastWindow", options.lastWindow, LAST_WINDOW_POLICIES);
  if (options.noiseScale !== undefined && typeof options.noiseScale !== "boolean") {
    throw new Error(`${where}: accumulate.noiseScale must be a boolean, got ${describe(options.noiseScale)}`);
  }
  return { ...options };
}

function serializeHyper(hyper: Record<string, Hyperparameter>): Record<string, SerializedHyperparameter> {
  return Object.fromEntries(Object.entries(hyper).map(([k, v]) => [k, serializeHyperparameter(v)]));
}

function deserializeHyper(hyper: Record<string, SerializedHyperparameter>): Record<string, Hyperparameter> {
  return Object.fromEntries(Object.entries(hyper).map(([k, v]) => [k, deserializeHyperparameter(v)]));
}

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
  if (!(grad instanceof tf.Tensor)) throw new Error(`gradient for "${name}" must be a tensor, got ${describe(grad)}`);
  const variable = variableNamed(name);
  if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
    throw new Error(`gradient for "${name}" has shape [${grad.shape}] but the parameter has shape [${variable.shape}]`);
  }
  if (grad.dtype !== "float32") throw new Error(`gradient for "${name}" must be float32, got ${grad.dtype}`);
}

/**
 * The same state with its variables renamed (`renames[old] = new`): for restoring a checkpoint into a model
 * whose variables got other names (tfjs numbers layers per process), matched by position by the caller.
 */
export function renameStateVariables(state: OptimizerState, renames: Readonly<Record<string, string>>): OptimizerState {
  const rename = (name: string) => renames[name] ?? name;
  const renameKeys = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [rename(k), v]));
  return {
    ...state,
    params: renameKeys(state.params),
    ...(state.ema ? { ema: renameKeys(state.ema) } : {}),
    ...(state.accumulator
      ? { accumulator: { ...state.accumulator, windows: state.accumulator.windows.map((w) => ({ ...w, sums: renameKeys(w.sums) })) } }
      : {}),
  };
}
