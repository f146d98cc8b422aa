/**
 * An optimizer is a chain of stages (optax's `chain` of gradient transformations). Each stage is a small,
 * saveable step applied once per optimizer update to every parameter being updated: it may rewrite the
 * gradient (clipping, L2 decay), rewrite the parameter's next value (decoupled decay, the update rule), or
 * read them (the weight average), and may keep per-variable state. Stages are registered by kind and
 * rebuilt from their JSON spec, as schedules are (`scheduleFromSpec`):
 *
 *   gradients ─▶ nonFinite ─▶ clip ─▶ l2Decay ─▶ decoupledDecay ─▶ rule ─▶ ema ─▶ assigned to the variables
 */
import * as tf from "@tensorflow/tfjs";
import type { HyperValues, HyperparameterSpec } from "./rule";

/** A stage as JSON: its kind and its options (numbers, strings, booleans, and objects of them). */
export interface StageSpec {
  readonly kind: string;
  readonly [option: string]: StageOption;
}
export type StageOption = string | number | boolean | { readonly [key: string]: string | number | boolean };

/** One stage's state of one variable: tensors (kept), JavaScript doubles, and its update count. */
export interface VariableState {
  /** Updates of this variable this stage has applied. */
  step: number;
  slots: Record<string, tf.Tensor>;
  counters: Record<string, number>;
}

/** One parameter on its way through the chain. Stages replace `grad` and `param` with new tensors. */
export interface StageEntry {
  readonly name: string;
  readonly variable: tf.Variable;
  /** The hyperparameters of the parameter's group in force for this update. */
  readonly hyper: HyperValues;
  grad: tf.Tensor;
  /** The value the variable will take; the variable itself until a stage changes it. */
  param: tf.Tensor;
  /** This stage's state of the variable: `init`'s, then what the stage leaves in it (see `replaceSlots`). */
  readonly state: VariableState;
}

export interface UpdateContext {
  /** The optimizer's name, for errors. */
  readonly optimizer: string;
  /** The joint L2 norm of the gradients entering the chain. */
  readonly gradientNorm: number;
  /** 1-based number of the optimizer update being applied. */
  readonly update: number;
}

export interface Stage {
  readonly kind: string;
  /** The frozen JSON form, from which `stageFromSpec` rebuilds the stage. */
  readonly spec: StageSpec;
  /** Hyperparameters this stage reads from a group, besides lr and weightDecay (which every group has). */
  readonly hyperparameters: Readonly<Record<string, HyperparameterSpec>>;
  /** Per-variable state created at a variable's first update; stateless stages have none. */
  init?(variable: tf.Variable): VariableState;
  /** Runs inside the update's tidy. "skip" abandons the whole update before any later stage runs. */
  apply(entries: readonly StageEntry[], context: UpdateContext): void | "skip";
  /** The value to evaluate a variable with, where it differs from the trained one (a weight average). */
  evaluationParam?(param: tf.Tensor, state: VariableState, hyper: HyperValues): tf.Tensor;
}

/** A fresh state with `slots` kept: they outlive the update's tidy. */
export function newVariableState(slots: Record<string, tf.Tensor> = {}, counters: Record<string, number> = {}): VariableState {
  for (const slot of Object.values(slots)) tf.keep(slot);
  return { step: 0, slots, counters };
}

/** Inside the update's tidy: make `next` the state's slots, keeping them and disposing the ones they replace. */
export function replaceSlots(state: VariableState, next: Record<string, tf.Tensor>): void {
  const kept = new Set(Object.values(next));
  for (const slot of Object.values(state.slots)) if (!kept.has(slot)) slot.dispose();
  for (const slot of kept) tf.keep(slot);
  state.slots = next;
}

// ---------- the registry ----------

const REGISTRY = new Map<string, (spec: StageSpec) => Stage>();

/** Make `kind` rebuildable from its spec (each stage module registers itself). */
export function registerStage(kind: string, fromSpec: (spec: StageSpec) => Stage): void {
  REGISTRY.set(kind, fromSpec);
}

/** The stage a spec describes (as saved with a model or a checkpoint). */
export function stageFromSpec(spec: StageSpec): Stage {
  if (spec === null || typeof spec !== "object" || typeof spec.kind !== "string") {
    throw new Error(`stageFromSpec: expected { kind, ...options }, got ${JSON.stringify(spec)}`);
  }
  const fromSpec = REGISTRY.get(spec.kind);
  if (!fromSpec) throw new Error(`stageFromSpec: unknown kind "${spec.kind}" (known: ${[...REGISTRY.keys()].join(", ")})`);
  return fromSpec(spec);
}

/** Unique keys for a chain's stages, under which their state is saved: the kind, numbered when repeated. */
export function stageKeys(stages: readonly Stage[]): string[] {
  const seen = new Map<string, number>();
  return stages.map((stage) => {
    const count = (seen.get(stage.kind) ?? 0) + 1;
    seen.set(stage.kind, count);
    return count === 1 ? stage.kind : `${stage.kind}${count}`;
  });
}
