import { rng } from "./rng";
import { fail, requireInteger, requireKnownKeys, requireNumber } from "../util/validate";

/**
 * An in-memory data set: `size` items stored row-major in flat typed arrays. Item i's features are
 * `x[i * prod(xShape) .. (i + 1) * prod(xShape))`, its target likewise in `y`. No tensors are held,
 * so a Dataset never leaks GPU or WASM memory; tensors are made per batch by `batches`.
 *
 * Class labels are `y: Int32Array` with `yShape: []` and `numClasses` set; regression targets are
 * `y: Float32Array`. Datasets are treated as immutable: `sliceDataset` returns views that share
 * memory with their source.
 */
export interface Dataset {
  readonly x: Float32Array;
  /** Shape of one item's features, e.g. [28, 28, 1] for MNIST (NHWC without N). */
  readonly xShape: readonly number[];
  readonly y: Float32Array | Int32Array;
  /** Shape of one item's target: [] for a class index, [k] for k regression outputs. */
  readonly yShape: readonly number[];
  readonly size: number;
  /** Number of classes when `y` holds class indices in [0, numClasses). */
  readonly numClasses?: number;
}

/** The parts of a Dataset; `size` is derived from `x.length / prod(xShape)`. */
export interface DatasetParts {
  x: Float32Array;
  xShape: readonly number[];
  y: Float32Array | Int32Array;
  yShape: readonly number[];
  numClasses?: number;
}

/** Number of elements in one item of the given shape ([] is a scalar: 1). */
export function itemLength(shape: readonly number[]): number {
  let length = 1;
  for (const dim of shape) length *= dim;
  return length;
}

function checkShape(where: string, option: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 1)) {
    fail(where, option, "an array of integers >= 1", shape);
  }
  return shape;
}

/**
 * Checks the parts and returns a Dataset: `x.length` and `y.length` must be whole numbers of items
 * and agree on the item count; class labels (Int32Array with `numClasses`) must lie in [0, numClasses).
 */
export function dataset(parts: DatasetParts): Dataset {
  const where = "dataset";
  const { x, y, numClasses } = parts;
  if (!(x instanceof Float32Array)) fail(where, "x", "a Float32Array", x);
  if (!(y instanceof Float32Array) && !(y instanceof Int32Array)) fail(where, "y", "a Float32Array or an Int32Array", y);
  const xShape = checkShape(where, "xShape", parts.xShape);
  const yShape = checkShape(where, "yShape", parts.yShape);
  const xLength = itemLength(xShape);
  const yLength = itemLength(yShape);
  if (x.length % xLength !== 0) {
    throw new Error(`${where}: x has ${x.length} values, not a whole number of items of shape [${xShape.join(", ")}]`);
  }
  const size = x.length / xLength;
  if (y.length !== size * yLength) {
    throw new Error(`${where}: x holds ${size} items but y has ${y.length} values (${size} items of shape [${yShape.join(", ")}] need ${size * yLength})`);
  }
  if (numClasses !== undefined) {
    requireInteger(where, "numClasses", numClasses, 1);
    if (!(y instanceof Int32Array)) fail(where, "y", "an Int32Array of class indices when numClasses is given", y);
    for (let i = 0; i < y.length; i++) {
      if (y[i] < 0 || y[i] >= numClasses) {
        throw new Error(`${where}: label ${y[i]} at item ${Math.floor(i / yLength)} is outside [0, ${numClasses})`);
      }
    }
  }
  const result: Dataset = { x, xShape: [...xShape], y, yShape: [...yShape], size };
  return numClasses === undefined ? result : { ...result, numClasses };
}

function withRows(ds: Dataset, x: Float32Array, y: Float32Array | Int32Array, size: number): Dataset {
  const result: Dataset = { x, xShape: ds.xShape, y, yShape: ds.yShape, size };
  return ds.numClasses === undefined ? result : { ...result, numClasses: ds.numClasses };
}

/** Items [start, end) as views sharing memory with `ds` (no copy). `end` defaults to `ds.size`. */
export function sliceDataset(ds: Dataset, start: number, end: number = ds.size): Dataset {
  const where = "sliceDataset";
  requireInteger(where, "start", start, 0, ds.size);
  requireInteger(where, "end", end, start, ds.size);
  const xLength = itemLength(ds.xShape);
  const yLength = itemLength(ds.yShape);
  return withRows(ds, ds.x.subarray(start * xLength, end * xLength), ds.y.subarray(start * yLength, end * yLength), end - start);
}

/**
 * Copies `rows.length` values of `itemLength` elements from `source` rows `rows[k]` into `target`
 * rows k. Long rows go through `TypedArray.set` (a memcpy); short rows (2-D points) are copied
 * element by element, which is faster than creating a subarray per row.
 */
export function gatherRows<T extends Float32Array | Int32Array>(
  source: T,
  target: T,
  rows: ArrayLike<number>,
  length: number,
  rowLength: number,
  rowOffset = 0,
): void {
  if (rowLength >= 16) {
    for (let k = 0; k < length; k++) {
      const from = rows[rowOffset + k] * rowLength;
      target.set(source.subarray(from, from + rowLength), k * rowLength);
    }
    return;
  }
  for (let k = 0, to = 0; k < length; k++) {
    const from = rows[rowOffset + k] * rowLength;
    for (let j = 0; j < rowLength; j++) target[to++] = source[from + j];
  }
}

/** The items at `indices` (in that order, repeats allowed), copied into new arrays. */
export function subsetDataset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (!Number.isInteger(index) || index < 0 || index >= ds.size) fail("subsetDataset", `indices[${k}]`, `an integer in [0, ${ds.size - 1}]`, index);
  }
  const xLength = itemLength(ds.xShape);
  const yLength = itemLength(ds.yShape);
  const x = new Float32Array(indices.length * xLength);
  const y = ds.y instanceof Int32Array ? new Int32Array(indices.length * yLength) : new Float32Array(indices.length * yLength);
  gatherRows(ds.x, x, indices, indices.length, xLength);
  gatherRows<Float32Array | Int32Array>(ds.y, y, indices, indices.length, yLength);
  return withRows(ds, x, y, indices.length);
}

export interface SplitOptions {
  /** Share of items in the first part, in (0, 1); rounded to the nearest count. Give this or `count`. */
  fraction?: number;
  /** Items in the first part, an integer in [1, size - 1]. Give this or `fraction`. */
  count?: number;
  /**
   * Shuffle before splitting with this seed (a random split, copies the data). Without it the
   * split is contiguous: the first items, then the rest, as views without copying.
   */
  seed?: number;
}

/**
 * Splits `ds` in two: the first part has `count` (or round(fraction * size)) items, the second the
 * rest. Both parts are non-empty. With `seed`, items are assigned by the permutation
 * `rng(seed).shuffle([0..size))`; otherwise the split keeps the original order.
 */
export function splitDataset(ds: Dataset, options: SplitOptions): [Dataset, Dataset] {
  const where = "splitDataset";
  requireKnownKeys(where, options, ["fraction", "count", "seed"]);
  if (ds.size < 2) throw new Error(`${where}: needs a dataset of at least 2 items to make two non-empty parts, got ${ds.size}`);
  const { fraction, count } = options;
  if ((fraction === undefined) === (count === undefined)) {
    throw new Error(`${where}: give exactly one of fraction (in (0, 1)) or count (an integer in [1, ${ds.size - 1}])`);
  }
  let first: number;
  if (fraction !== undefined) {
    requireNumber(where, "fraction", fraction, { min: 0, max: 1, minOpen: true, maxOpen: true });
    first = Math.round(fraction * ds.size);
    if (first < 1 || first > ds.size - 1) {
      throw new Error(`${where}: fraction ${fraction} of ${ds.size} items gives an empty part; use count in [1, ${ds.size - 1}]`);
    }
  } else {
    first = requireInteger(where, "count", count, 1, ds.size - 1);
  }
  if (options.seed === undefined) return [sliceDataset(ds, 0, first), sliceDataset(ds, first)];
  requireInteger(where, "seed", options.seed, 0);
  const order = rng(options.seed).shuffle(identity(ds.size));
  return [subsetDataset(ds, order.subarray(0, first)), subsetDataset(ds, order.subarray(first))];
}

/** [0, 1, ..., n - 1] as an Int32Array. */
export function identity(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
