/**
 * An optimizer's state, in one format: the stages' per-variable state keyed by stage then variable, the
 * groups' update counts and hyperparameters, the counters, and the accumulation windows in flight. The
 * same tree serves `state()` (JSON, tensors as exact base64) and tfjs's `getWeights`/`setWeights` (tensors
 * as named weights, the rest as one JSON string weight), so both restore training exactly.
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedTensor } from "@tensorflow/tfjs-core/dist/tensor_types";
import type { AccumulatorState } from "../accumulate";
import { EncodedTensor, decodeTensor, encodeTensor } from "../tensor";
import { describeValue } from "../util/validate";
import { baseVariableName } from "./groups";
import { SerializedHyperparameter } from "./hyper";
import { VariableState } from "./stage";

export const STATE_FORMAT = "stepwise.optimizer-state/2";

/** The state tree with its tensors as `T`: tf.Tensor in memory, EncodedTensor in JSON. */
export interface StateTree<T> {
  format: typeof STATE_FORMAT;
  /** The optimizer's name (its rule's), checked on load. */
  name: string;
  iterations: number;
  skippedUpdates: number;
  groups: { name: string; updates: number; hyper: Record<string, SerializedHyperparameter> }[];
  /** Stage key → variable name → that stage's state of the variable. */
  stages: Record<string, Record<string, { step: number; counters: Record<string, number>; slots: Record<string, T> }>>;
  accumulation?: AccumulatorState;
}

/** The JSON form of an optimizer's full state, for checkpoints. */
export type OptimizerState = StateTree<EncodedTensor>;

/** Every stage's per-variable state, with the rules for variables loaded under another name. */
export class StateStore {
  private readonly byStage: Map<string, Map<string, VariableState>>;
  /** Variable names with loaded state that no update has claimed yet (see `claim`). */
  private readonly unclaimed = new Set<string>();

  constructor(readonly stageKeys: readonly string[]) {
    this.byStage = new Map(stageKeys.map((key) => [key, new Map()]));
  }

  /** The state of `variable` in stage `key`, created by `init` at the variable's first update. */
  of(key: string, variable: tf.Variable, init: (variable: tf.Variable) => VariableState): VariableState {
    const states = this.stage(key);
    let state = states.get(variable.name);
    if (!state) {
      state = init(variable);
      states.set(variable.name, state);
    }
    return state;
  }

  /** Variables with state in stage `key`. */
  entries(key: string): IterableIterator<[string, VariableState]> {
    return this.stage(key).entries();
  }

  /**
   * Before a variable's update: state loaded under a saved name serves a variable whose name is that name
   * with tfjs's uniquifying suffix (a model reloaded in the process that saved it), when exactly one
   * unclaimed saved name fits.
   */
  claim(name: string): void {
    if (this.unclaimed.delete(name)) return;
    if ([...this.byStage.values()].some((states) => states.has(name))) return;
    const base = baseVariableName(name);
    const candidates = [...this.unclaimed].filter((saved) => baseVariableName(saved) === base);
    if (candidates.length !== 1) return;
    const [saved] = candidates;
    this.unclaimed.delete(saved);
    for (const states of this.byStage.values()) {
      const state = states.get(saved);
      if (!state) continue;
      states.delete(saved);
      states.set(name, state);
    }
  }

  /** The stages' part of the tree (stages holding state only), tensors as they are (not copied). */
  snapshot(): StateTree<tf.Tensor>["stages"] {
    const stages: StateTree<tf.Tensor>["stages"] = {};
    for (const [key, states] of this.byStage) {
      if (states.size === 0) continue;
      stages[key] = {};
      for (const [name, s] of states) stages[key][name] = { step: s.step, counters: { ...s.counters }, slots: { ...s.slots } };
    }
    return stages;
  }

  /** Replace everything with `stages`, whose keys the caller checked (tensors taken over, not copied); every variable is unclaimed until updated. */
  load(stages: StateTree<tf.Tensor>["stages"]): void {
    this.clear();
    for (const [key, states] of Object.entries(stages)) {
      for (const [name, s] of Object.entries(states)) {
        this.stage(key).set(name, { step: s.step, counters: { ...s.counters }, slots: { ...s.slots } });
        this.unclaimed.add(name);
      }
    }
  }

  clear(): void {
    for (const states of this.byStage.values()) {
      for (const s of states.values()) tf.dispose(Object.values(s.slots));
      states.clear();
    }
    this.unclaimed.clear();
  }

  private stage(key: string): Map<string, VariableState> {
    const states = this.byStage.get(key);
    if (!states) throw new Error(`no stage "${key}" (stages: ${this.stageKeys.join(", ")})`);
    return states;
  }
}

/** The tree with each tensor mapped by `f` (stages and accumulation windows). */
export function mapStateTensors<A, B>(tree: StateTree<A>, f: (tensor: A, path: string) => B): StateTree<B> {
  const stages: StateTree<B>["stages"] = {};
  for (const [key, states] of Object.entries(tree.stages)) {
    stages[key] = {};
    for (const [name, s] of Object.entries(states)) {
      const slots: Record<string, B> = {};
      for (const [slot, tensor] of Object.entries(s.slots)) slots[slot] = f(tensor, `${key}/${name}/${slot}`);
      stages[key][name] = { step: s.step, counters: { ...s.counters }, slots };
    }
  }
  return { ...tree, stages };
}

export function encodeState(tree: StateTree<tf.Tensor>): OptimizerState {
  return mapStateTensors(tree, (tensor) => encodeTensor(tensor));
}

export function decodeState(state: OptimizerState): StateTree<tf.Tensor> {
  return mapStateTensors(state, (encoded, path) => decodeTensor(encoded, `optimizer state ${path}`));
}

const META_WEIGHT = "stepwise#state";

/**
 * tfjs's optimizer weights: the tree's tensors as named weights ("stage/variable/slot"), and the rest of the
 * tree (with each tensor's name in its place) as one string weight. The caller puts tfjs's `iter` first.
 */
export function stateToWeights(tree: StateTree<tf.Tensor>): NamedTensor[] {
  const weights: NamedTensor[] = [];
  const meta = mapStateTensors(tree, (tensor, path) => {
    weights.push({ name: path, tensor });
    return path;
  });
  return [{ name: META_WEIGHT, tensor: tf.scalar(JSON.stringify(meta), "string") }, ...weights];
}

/** The tree saved by `stateToWeights` (tensors cloned), from the weights after tfjs's `iter`. */
export function stateFromWeights(weights: readonly NamedTensor[], where: string): StateTree<tf.Tensor> {
  const metaWeight = weights.find((w) => w.name === META_WEIGHT);
  if (!metaWeight) throw new Error(`${where}: the optimizer weights have no "${META_WEIGHT}" entry (saved by another optimizer?)`);
  const meta = JSON.parse(String(metaWeight.tensor.dataSync()[0])) as StateTree<string>;
  const byName = new Map(weights.map((w) => [w.name, w.tensor]));
  return mapStateTensors(meta, (path) => {
    const tensor = byName.get(path);
    if (!tensor) throw new Error(`${where}: optimizer weight "${path}" is missing`);
    return tensor.clone();
  });
}

/** Checks the envelope of a JSON state. */
export function checkStateFormat(state: unknown, where: string): OptimizerState {
  const format = (state as { format?: unknown } | null)?.format;
  if (state === null || typeof state !== "object" || format !== STATE_FORMAT) {
    throw new Error(`${where}: not a stepwise optimizer state (format ${describeValue(format)}; this version reads "${STATE_FORMAT}")`);
  }
  return state as OptimizerState;
}

/**
 * The same state with its variables renamed (`renames[old] = new`): for restoring a checkpoint into a model
 * whose variables got other names (tfjs numbers layers per process), matched by position by the caller.
 */
export function renameStateVariables(state: OptimizerState, renames: Readonly<Record<string, string>>): OptimizerState {
  const rename = (name: string) => renames[name] ?? name;
  const renameKeys = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [rename(k), v]));
  const current = checkStateFormat(state, "renameStateVariables");
  return {
    ...current,
    stages: Object.fromEntries(Object.entries(current.stages).map(([key, states]) => [key, renameKeys(states)])),
    ...(current.accumulation
      ? { accumulation: { ...current.accumulation, windows: current.accumulation.windows.map((w) => ({ ...w, sums: renameKeys(w.sums) })) } }
      : {}),
  };
}
