/**
 * Gradient accumulation with exact averaging.
 *
 * Each micro-batch brings the gradient g_i of its *mean* loss over n_i items (samples, or unmasked
 * tokens when the loss is masked). The window's update uses the mean over all items,
 *
 *   ḡ = Σᵢ nᵢ·gᵢ / Σᵢ nᵢ,
 *
 * which is exactly the gradient of one large batch — so micro-batches of unequal size are weighted by
 * what they contain. (Averaging the per-micro-batch means instead over-weights small micro-batches: the
 * gradient-accumulation bug found in transformers in October 2024.)
 *
 * Windows are per parameter group, so each group can have its own length (layer-wise accumulation:
 * e.g. a backbone updated every 8 micro-batches, a head every one). The last, incomplete window of an
 * epoch is dropped, rescaled (averaged over the items it really holds) or carried into the next epoch.
 */
import * as tf from "@tensorflow/tfjs";
import {
  EncodedTensor,
  MatrixProduct,
  SquaredNorm,
  addSquaredNorms,
  decodeTensor,
  deferredSquaredNorm,
  disposeSquaredNorm,
  encodeTensor,
  readSquaredNorms,
} from "../tensor";
import { requirePositive } from "../util/validate";
import { NoiseScaleEstimate, NoiseScaleState, NoiseScaleTracker } from "./noise-scale";
import { addProductToWindowSum, addToWindowMean, addToWindowSum, windowMean } from "./window-sum";

export type LastWindowPolicy = "drop" | "rescale" | "carry";
export const LAST_WINDOW_POLICIES: readonly LastWindowPolicy[] = ["drop", "rescale", "carry"];

export interface CompletedWindow {
  group: string;
  /** The mean gradient per item over the window, by variable name; the receiver disposes them. */
  grads: Record<string, tf.Tensor>;
  /** Σ x² of each mean gradient, by variable name, where it came with the mean (on wasm); else undefined. */
  squares: Record<string, number> | undefined;
  items: number;
  microBatches: number;
}

export interface AccumulatorOptions {
  /** The group of a variable, or undefined when the variable takes no updates (frozen). */
  groupOf: (name: string) => string | undefined;
  /** The window length, in micro-batches, of a group. */
  windowOf: (group: string) => number;
  lastWindow: LastWindowPolicy;
  /** Estimate the gradient noise scale from the windows (a few reductions per micro-batch). */
  trackNoiseScale: boolean;
}

interface Window {
  sums: Map<string, tf.Tensor>;
  items: number;
  microBatches: number;
  /** Σᵢ |gᵢ|² over the window's micro-batches (on the device until read, or a number on wasm). */
  smallSquaredNorms: SquaredNorm | undefined;
}

interface PendingNorms {
  group: string;
  small: SquaredNorm;
  big: SquaredNorm;
  microBatches: number;
  items: number;
}

export interface AccumulatorState {
  windows: { group: string; items: number; microBatches: number; sums: Record<string, EncodedTensor> }[];
  noise: Record<string, NoiseScaleState>;
}

/**
 * Gradients handed over as products while a step runs, before `add` (GradientAccumulator.sink): a replayed
 * step gives it each Dense weight gradient xᵀ·dy it is about to compute, and where the backend can (wasm
 * with a host BLAS) the product is computed straight into its window's sum, in one pass instead of three
 * (the product, its addition, the zeroing of a new product), and the step returns the other gradients.
 */
export interface GradientSink {
  /**
   * Takes variable `name`'s gradient, `product`, into its window; false where it cannot: the step then
   * computes it as usual. `position`: where that gradient stands among all the step's gradients, whose
   * order the others keep (the window sums and updates them in that order, as without a sink).
   */
  take(name: string, product: MatrixProduct, position: number): boolean;
  /** Whether it took variable `name`'s gradient. */
  took(name: string): boolean;
  /** Undoes what add() did not count: a sum started here is dropped, and a window added into in place is discarded (the step failed). */
  abandon(): void;
}

interface Taken {
  group: string;
  position: number;
  sum: tf.Tensor;
  /** The window held no sum for it: this one was started by the product. */
  started: boolean;
  gradSquares: number | undefined;
}

class ProductSink implements GradientSink {
  readonly taken = new Map<string, Taken>();
  counted = false;

  constructor(
    readonly items: number,
    readonly accumulator: GradientAccumulator,
  ) {}

  take(name: string, product: MatrixProduct, position: number): boolean {
    if (this.counted || this.taken.has(name)) return false;
    const taken = this.accumulator.takeProduct(name, product, this.items, position);
    if (taken) this.taken.set(name, taken);
    return taken !== undefined;
  }

  took(name: string): boolean {
    return this.taken.has(name);
  }

  abandon(): void {
    if (this.counted) return;
    this.counted = true;
    this.accumulator.abandon(this.taken);
  }
}

/** The step's gradients in its own order: those taken at their positions, the others, in their order, around them. */
function stepOrder(returned: readonly string[], taken: ReadonlyMap<string, Taken>): string[] {
  const at = new Map<number, string>();
  for (const [name, { position }] of taken) at.set(position, name);
  const order: string[] = [];
  let next = 0;
  for (let i = 0; i < returned.length + taken.size; i++) {
    const name = at.get(i) ?? returned[next++];
    if (name !== undefined) order.push(name);
  }
  // positions beyond the step's gradients (a caller's own numbering): those go last
  for (const name of taken.keys()) if (!order.includes(name)) order.push(name);
  return order;
}

/** Device norms are read in batches, so tracking the noise scale adds no per-step synchronisation. */
const MAX_PENDING_NORMS = 32;

export class GradientAccumulator {
  private readonly windows = new Map<string, Window>();
  private readonly pendingNorms: PendingNorms[] = [];
  private readonly noise = new Map<string, NoiseScaleTracker>();

  constructor(private readonly options: AccumulatorOptions) {}

  /**
   * A sink for the gradients of the next micro-batch, of `items` items, that its step computes as products
   * (see GradientSink); pass it to `add` with the gradients the step returned.
   */
  sink(items: number): GradientSink {
    requirePositive("accumulate", "itemCount", items);
    return new ProductSink(items, this);
  }

  /**
   * Add one micro-batch: `grads` are gradients of the mean loss over `items` items (not disposed here), and
   * those `sink` took while the step ran. Returns the windows this micro-batch completed.
   */
  add(grads: Record<string, tf.Tensor>, items: number, sink?: GradientSink): CompletedWindow[] {
    requirePositive("accumulate", "itemCount", items);
    const taken = this.count(sink, items);
    for (const name of taken.keys()) {
      if (name in grads) throw new Error(`accumulate: the gradient of "${name}" came both as a tensor and through the sink`);
    }
    const touched = new Map<string, string[]>();
    for (const name of stepOrder(Object.keys(grads), taken)) {
      const group = this.options.groupOf(name);
      if (group === undefined) continue;
      const names = touched.get(group) ?? [];
      names.push(name);
      touched.set(group, names);
    }
    const completed: CompletedWindow[] = [];
    for (const [group, names] of touched) {
      const window = this.windowFor(group);
      // the micro-batch that completes a window is added and the mean taken in one pass
      const completes = window.microBatches + 1 >= this.options.windowOf(group);
      const windowItems = window.items + items;
      const means = new Map<string, number | undefined>(); // the sums turned into means here, and their Σ x²
      // Σ|gᵢ|² of this micro-batch over the group, summed in the order squaredNorm sums it
      let gradSquares: number | undefined = 0;
      for (const name of names) {
        const sum = window.sums.get(name);
        let added: { sum: tf.Tensor; gradSquares: number | undefined };
        const product = taken.get(name);
        if (product) {
          // added into the sum already, while the step ran
          added = { sum: product.sum, gradSquares: product.gradSquares };
          if (completes) {
            const { mean, squares } = windowMean(product.sum, windowItems);
            added.sum = mean;
            means.set(name, squares);
          }
        } else if (completes) {
          const { mean, gradSquares: squaresOfGrad, squares } = addToWindowMean(sum, grads[name], items, windowItems); // Σ nᵢ·gᵢ / Σ nᵢ
          added = { sum: mean, gradSquares: squaresOfGrad };
          means.set(name, squares);
        } else {
          added = addToWindowSum(sum, grads[name], items); // Σ nᵢ·gᵢ
        }
        window.sums.set(name, added.sum);
        gradSquares = gradSquares === undefined || added.gradSquares === undefined ? undefined : gradSquares + added.gradSquares;
      }
      if (this.options.trackNoiseScale) {
        window.smallSquaredNorms = addSquaredNorms(window.smallSquaredNorms, gradSquares ?? this.squaresOf(names, grads, taken));
      }
      window.items = windowItems;
      window.microBatches += 1;
      if (completes) completed.push(this.complete(group, window, means));
    }
    return completed;
  }

  /** Σ|g|² of a micro-batch's gradients `names`, where the in-place passes did not give it: those taken as products brought theirs. */
  private squaresOf(names: readonly string[], grads: Record<string, tf.Tensor>, taken: ReadonlyMap<string, Taken>): SquaredNorm {
    const tensors = names.filter((name) => !taken.has(name)).map((name) => grads[name]);
    const products = names.reduce((total, name) => total + (taken.get(name)?.gradSquares ?? 0), 0);
    return tensors.length === 0 ? products : addSquaredNorms(products, deferredSquaredNorm(tensors));
  }

  /** For ProductSink.take: `product` added into the window of variable `name`, or undefined where it cannot be. */
  takeProduct(name: string, product: MatrixProduct, items: number, position: number): Taken | undefined {
    const group = this.options.groupOf(name);
    if (group === undefined) return undefined;
    const sum = this.windows.get(group)?.sums.get(name);
    const added = addProductToWindowSum(sum, product, items, this.options.trackNoiseScale);
    if (!added) return undefined;
    return { group, position, sum: added.sum, started: sum === undefined, gradSquares: added.gradSquares };
  }

  /** The products `sink` took, for `add` to count (once). */
  private count(sink: GradientSink | undefined, items: number): ReadonlyMap<string, Taken> {
    if (sink === undefined) return new Map();
    if (!(sink instanceof ProductSink) || sink.accumulator !== this) throw new Error("accumulate: the sink must come from this accumulator's sink() (the optimizer's gradientSink)");
    if (sink.counted) throw new Error("accumulate: this sink was counted or abandoned already; each micro-batch takes a sink of its own");
    if (sink.items !== items) throw new Error(`accumulate: the sink was made for ${sink.items} items, but the micro-batch has ${items}`);
    sink.counted = true;
    return sink.taken;
  }

  /** For ProductSink.abandon: sums a failed step's sink started are dropped, windows it added into are discarded. */
  abandon(taken: ReadonlyMap<string, Taken>): void {
    for (const { group, sum, started } of taken.values()) {
      if (started) sum.dispose();
      else {
        const window = this.windows.get(group);
        if (window) this.discard(group, window);
      }
    }
  }

  /** End of an epoch: apply the last-window policy to every incomplete window. */
  flush(policy: LastWindowPolicy = this.options.lastWindow): CompletedWindow[] {
    const completed: CompletedWindow[] = [];
    for (const [group, window] of [...this.windows]) {
      if (window.microBatches === 0) continue;
      if (policy === "carry") continue;
      if (policy === "rescale") completed.push(this.complete(group, window));
      else this.discard(group, window);
    }
    return completed;
  }

  /** Micro-batches and items waiting in each group's open window. */
  pending(): { group: string; microBatches: number; items: number }[] {
    return [...this.windows].map(([group, w]) => ({ group, microBatches: w.microBatches, items: w.items }));
  }

  /** The smoothed noise-scale estimate per group (undefined until a window of ≥ 2 micro-batches completed). */
  noiseScale(): Record<string, NoiseScaleEstimate | undefined> {
    this.readPendingNorms();
    const result: Record<string, NoiseScaleEstimate | undefined> = {};
    for (const [group, tracker] of this.noise) result[group] = tracker.estimate();
    return result;
  }

  state(): AccumulatorState {
    this.readPendingNorms();
    const windows = [...this.windows]
      .filter(([, w]) => w.microBatches > 0)
      .map(([group, w]) => ({
        group,
        items: w.items,
        microBatches: w.microBatches,
        sums: Object.fromEntries([...w.sums].map(([name, t]) => [name, encodeTensor(t)])),
      }));
    const noise = Object.fromEntries([...this.noise].map(([group, tracker]) => [group, tracker.state()]));
    return { windows, noise };
  }

  loadState(state: AccumulatorState): void {
    this.dispose();
    for (const saved of state.windows) {
      const sums = new Map<string, tf.Tensor>();
      for (const [name, encoded] of Object.entries(saved.sums)) sums.set(name, decodeTensor(encoded, `accumulator buffer ${name}`));
      // the per-micro-batch norms of a window in flight are not saved: that window does not feed the noise scale
      this.windows.set(saved.group, { sums, items: saved.items, microBatches: saved.microBatches, smallSquaredNorms: undefined });
    }
    for (const [group, noise] of Object.entries(state.noise)) this.trackerFor(group).loadState(noise);
  }

  dispose(): void {
    for (const [group, window] of [...this.windows]) this.discard(group, window);
    for (const pending of this.pendingNorms.splice(0)) [pending.small, pending.big].forEach(disposeSquaredNorm);
  }

  private windowFor(group: string): Window {
    let window = this.windows.get(group);
    if (!window) {
      window = { sums: new Map(), items: 0, microBatches: 0, smallSquaredNorms: undefined };
      this.windows.set(group, window);
    }
    return window;
  }

  /** The window's mean gradients: its sums divided by its items, except those in `means`, which already are (with their Σ x²). */
  private complete(group: string, window: Window, means: ReadonlyMap<string, number | undefined> = new Map()): CompletedWindow {
    const items = window.items;
    const grads: Record<string, tf.Tensor> = {};
    let squares: Record<string, number> | undefined = {};
    for (const [name, sum] of window.sums) {
      const { mean, squares: meanSquares } = means.has(name) ? { mean: sum, squares: means.get(name) } : windowMean(sum, items);
      grads[name] = mean;
      if (squares && meanSquares !== undefined) squares[name] = meanSquares;
      else squares = undefined;
    }
    window.sums.clear(); // the sums became the means, which the receiver now owns
    if (window.smallSquaredNorms && window.microBatches > 1) {
      // kept: this may run inside a caller's tidy (model.fit), and the norm is read later
      const big = squares ? Object.values(squares).reduce((total, x) => total + x, 0) : deferredSquaredNorm(Object.values(grads));
      this.pendingNorms.push({ group, small: window.smallSquaredNorms, big, microBatches: window.microBatches, items });
      window.smallSquaredNorms = undefined;
      if (this.pendingNorms.length >= MAX_PENDING_NORMS) this.readPendingNorms();
    }
    const completed = { group, grads, squares, items, microBatches: window.microBatches };
    this.discard(group, window);
    return completed;
  }

  private discard(group: string, window: Window): void {
    for (const sum of window.sums.values()) sum.dispose();
    disposeSquaredNorm(window.smallSquaredNorms);
    this.windows.delete(group);
  }

  private readPendingNorms(): void {
    if (this.pendingNorms.length === 0) return;
    const pending = this.pendingNorms.splice(0);
    const values = readSquaredNorms(pending.flatMap((p) => [p.small, p.big]));
    pending.forEach((p, i) => {
      this.trackerFor(p.group).add({
        smallSquaredNorm: values[2 * i] / p.microBatches,
        bigSquaredNorm: values[2 * i + 1],
        smallBatch: p.items / p.microBatches,
        bigBatch: p.items,
      });
    });
  }

  private trackerFor(group: string): NoiseScaleTracker {
    let tracker = this.noise.get(group);
    if (!tracker) {
      tracker = new NoiseScaleTracker();
      this.noise.set(group, tracker);
    }
    return tracker;
  }
}
