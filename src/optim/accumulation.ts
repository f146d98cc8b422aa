/**
 * Gradient accumulation as a wrapper around an optimizer's update, in the spirit of optax's `MultiSteps`:
 * micro-batch gradients go into per-group windows (src/accumulate), and each completed window's exact,
 * item-weighted mean gradient is handed to the wrapped update. Windows are per parameter group
 * (layer-wise accumulation), the last window of an epoch follows a policy, and the windows also yield the
 * gradient noise scale.
 */
import * as tf from "@tensorflow/tfjs";
import {
  AccumulatorState,
  CompletedWindow,
  GradientAccumulator,
  GradientSink,
  LAST_WINDOW_POLICIES,
  LastWindowPolicy,
  NoiseScaleEstimate,
} from "../accumulate";
import { requireBoolean, requireInteger, requireKnownKeys, requireOneOf } from "../util/validate";
import { ParamGroups } from "./groups";

export interface AccumulateOptions {
  /** Micro-batches per optimizer update (the default window of every group). */
  steps: number;
  /** What happens to an incomplete window at `endEpoch()`; default "rescale". */
  lastWindow?: LastWindowPolicy;
  /** Estimate the gradient noise scale from the windows; default true. */
  noiseScale?: boolean;
}

/** The wrapped update: mean gradients by variable name, the items behind them, and Σg² by name where known. */
export type ApplyUpdate = (grads: Record<string, tf.Tensor>, items: number, squares?: Readonly<Record<string, number>>) => void;

export function checkAccumulateOptions(where: string, options: AccumulateOptions): AccumulateOptions {
  requireKnownKeys(where, options, ["steps", "lastWindow", "noiseScale"], "accumulate option");
  requireInteger(where, "accumulate.steps", options.steps, 1);
  if (options.lastWindow !== undefined) requireOneOf(where, "accumulate.lastWindow", options.lastWindow, LAST_WINDOW_POLICIES);
  if (options.noiseScale !== undefined) requireBoolean(where, "accumulate.noiseScale", options.noiseScale);
  return { ...options };
}

export class Accumulation {
  readonly options: AccumulateOptions;
  private readonly accumulator: GradientAccumulator;

  constructor(
    private readonly where: string,
    options: AccumulateOptions,
    groups: ParamGroups,
    private readonly apply: ApplyUpdate,
  ) {
    this.options = checkAccumulateOptions(where, options);
    const defaultSteps = this.options.steps;
    this.accumulator = new GradientAccumulator({
      groupOf: (name) => {
        const group = groups.of(name);
        return group.frozen ? undefined : group.name;
      },
      windowOf: (name) => groups.get(name).accumulateSteps ?? defaultSteps,
      lastWindow: this.options.lastWindow ?? "rescale",
      trackNoiseScale: this.options.noiseScale ?? true,
    });
  }

  /** A sink for the next micro-batch's gradients computed as products (GradientSink). */
  sink(items: number): GradientSink {
    return this.accumulator.sink(items);
  }

  /** One micro-batch of `items` items (and the gradients `sink` took); applies the windows it completes. */
  add(grads: Record<string, tf.Tensor>, items: number, sink?: GradientSink): void {
    this.applyWindows(this.accumulator.add(grads, items, sink));
  }

  /** End of an epoch: incomplete windows are dropped, rescaled or carried, per `lastWindow` (or `policy`). */
  endEpoch(policy?: LastWindowPolicy): void {
    if (policy !== undefined) requireOneOf(this.where, "lastWindow", policy, LAST_WINDOW_POLICIES);
    this.applyWindows(this.accumulator.flush(policy));
    this.accumulator.noiseScale(); // reads the window norms kept on the device: memory stays flat across epochs
  }

  pending(): { group: string; microBatches: number; items: number }[] {
    return this.accumulator.pending();
  }

  noiseScale(): Record<string, NoiseScaleEstimate | undefined> {
    return this.accumulator.noiseScale();
  }

  state(): AccumulatorState {
    return this.accumulator.state();
  }

  loadState(state: AccumulatorState): void {
    this.accumulator.loadState(state);
  }

  dispose(): void {
    this.accumulator.dispose();
  }

  private applyWindows(windows: CompletedWindow[]): void {
    if (windows.length === 0) return;
    // groups completing together update together, so global-norm clipping sees all their gradients
    const grads = Object.assign({}, ...windows.map((w) => w.grads)) as Record<string, tf.Tensor>;
    const squares = windows.every((w) => w.squares) ? (Object.assign({}, ...windows.map((w) => w.squares)) as Record<string, number>) : undefined;
    try {
      this.apply(grads, Math.max(...windows.map((w) => w.items)), squares);
    } finally {
      tf.dispose(Object.values(grads));
    }
  }
}
