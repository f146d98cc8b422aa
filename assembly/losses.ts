/**
 * The arithmetic of sw.fit's cross-entropies against class indices (src/train/cross-entropy.ts), of its
 * count of correct predictions and of the softmax gradient, each a pass or two over a [rows, cols] matrix
 * that tfjs composes from a handful to a dozen small kernels, with one-hot rows, broadcasts and reshapes.
 *
 * Each kernel is the exact f32 arithmetic of the composition it replaces, operation by operation and sum by
 * sum in the same order (tfjs-backend-wasm's Max, Sum and Mean reduce a row from its first element on,
 * sequentially; its binary ops are single IEEE operations), so results equal the composed ones bit for bit.
 * The transcendental steps (exp, log) are not here: the callers run tfjs's own Exp and Log kernels between
 * these, so they too are tfjs's bits.
 *
 * A class index outside [0, cols) gives an all-zero one-hot row, as tfjs's OneHot does. `classes` is int32.
 *
 * Like every kernel of the module (see index.ts), each checks its buffers before it writes: it returns
 * k when buffer k (1-based, in argument order) is too small or lies outside the memory, −1 when the
 * geometry is negative, and writes nothing then.
 */

const OK: i32 = 0;
const BAD_GEOMETRY: i32 = -1;

// @ts-ignore: decorator
@inline
function fits(ptr: usize, count: u64, capacity: usize): bool {
  return (count << 2) <= <u64>capacity && <u64>ptr + <u64>capacity <= (<u64>memory.size() << 16);
}

/** 1 where column k is row i's class, else 0 (the one-hot entry, as a float). */
// @ts-ignore: decorator
@inline
function hot(classes: usize, i: i32, k: i32): f32 {
  return load<i32>(classes + (<usize>i << 2)) == k ? 1 : 0;
}

/**
 * m[i] = max_k z[i, k] (from z[i, 0], strictly greater winning: tfjs's Max) and shifted[i, k] = z[i, k] − m[i]:
 * the first half of tfjs's logSumExp.
 */
export function rowMaxShift(z: usize, m: usize, shifted: usize, rows: i32, cols: i32, zBytes: usize, mBytes: usize, shiftedBytes: usize): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(z, size, zBytes)) return 1;
  if (!fits(m, <u64>rows, mBytes)) return 2;
  if (!fits(shifted, size, shiftedBytes)) return 3;
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const row = z + <usize>i * rowBytes;
    let max = load<f32>(row);
    for (let k = 1; k < cols; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      if (v > max) max = v;
    }
    store<f32>(m + (<usize>i << 2), max);
    const out = shifted + <usize>i * rowBytes;
    for (let k = 0; k < cols; k++) store<f32>(out + (<usize>k << 2), load<f32>(row + (<usize>k << 2)) - max);
  }
  return OK;
}

/**
 * The rest of the mean cross-entropy from logits, given each row's maximum m[i] and l[i] = log Σ_k exp(z[i, k] − m[i]):
 * r[i, k] = z[i, k] − (m[i] + l[i]) (the log-softmax, kept for the gradient) and
 * value[0] = (Σ_i Σ_k r[i, k]·t[i, k]) / −rows, each sum in order from zero (a product by a zero is taken,
 * so a row with an infinite or NaN log-probability gives NaN, as the composition does).
 */
export function logSoftmaxPick(
  z: usize, m: usize, l: usize, classes: usize, r: usize, value: usize, rows: i32, cols: i32,
  zBytes: usize, mBytes: usize, lBytes: usize, classesBytes: usize, rBytes: usize, valueBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(z, size, zBytes)) return 1;
  if (!fits(m, <u64>rows, mBytes)) return 2;
  if (!fits(l, <u64>rows, lBytes)) return 3;
  if (!fits(classes, <u64>rows, classesBytes)) return 4;
  if (!fits(r, size, rBytes)) return 5;
  if (!fits(value, 1, valueBytes)) return 6;
  const rowBytes = <usize>cols << 2;
  let total: f32 = 0;
  for (let i = 0; i < rows; i++) {
    const logSumExp: f32 = load<f32>(m + (<usize>i << 2)) + load<f32>(l + (<usize>i << 2));
    const row = z + <usize>i * rowBytes;
    const out = r + <usize>i * rowBytes;
    let picked: f32 = 0;
    for (let k = 0; k < cols; k++) {
      const v: f32 = load<f32>(row + (<usize>k << 2)) - logSumExp;
      store<f32>(out + (<usize>k << 2), v);
      picked += v * hot(classes, i, k);
    }
    total += picked;
  }
  store<f32>(value, total / <f32>(-rows));
  return OK;
}

/** The gradient of the mean cross-entropy from logits: g[i, k] = (e[i, k] − t[i, k]) · (dy / rows), e = exp(r). */
export function crossEntropyOfLogitsGrad(
  e: usize, classes: usize, dy: usize, g: usize, rows: i32, cols: i32,
  eBytes: usize, classesBytes: usize, dyBytes: usize, gBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(e, size, eBytes)) return 1;
  if (!fits(classes, <u64>rows, classesBytes)) return 2;
  if (!fits(dy, 1, dyBytes)) return 3;
  if (!fits(g, size, gBytes)) return 4;
  const scale: f32 = load<f32>(dy) / <f32>rows;
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const from = e + <usize>i * rowBytes;
    const out = g + <usize>i * rowBytes;
    for (let k = 0; k < cols; k++) store<f32>(out + (<usize>k << 2), (load<f32>(from + (<usize>k << 2)) - hot(classes, i, k)) * scale);
  }
  return OK;
}

/**
 * Row by row of probabilities p (rows not necessarily normalised): s[i] = Σ_k p[i, k],
 * q[i] = (Σ_k p[i, k]·t[i, k]) / s[i], and c[i] = q[i] clipped to [lo, hi] as ClipByValue clips (NaN stays
 * NaN, as on tfjs's cpu backend and stepwise's ClipByValue on wasm, index.ts `clipByValue`).
 */
export function probabilityPick(
  p: usize, classes: usize, q: usize, s: usize, c: usize, rows: i32, cols: i32, lo: f32, hi: f32,
  pBytes: usize, classesBytes: usize, qBytes: usize, sBytes: usize, cBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  if (!fits(p, <u64>rows * cols, pBytes)) return 1;
  if (!fits(classes, <u64>rows, classesBytes)) return 2;
  if (!fits(q, <u64>rows, qBytes)) return 3;
  if (!fits(s, <u64>rows, sBytes)) return 4;
  if (!fits(c, <u64>rows, cBytes)) return 5;
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const row = p + <usize>i * rowBytes;
    let sum: f32 = 0;
    let picked: f32 = 0;
    for (let k = 0; k < cols; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      sum += v;
      picked += v * hot(classes, i, k);
    }
    const share: f32 = picked / sum;
    const at = <usize>i << 2;
    store<f32>(s + at, sum);
    store<f32>(q + at, share);
    store<f32>(c + at, share > hi ? hi : share < lo ? lo : share);
  }
  return OK;
}

/**
 * The forward pass of tfjs-layers' sparseCategoricalCrossentropy after its first clip, row by row of the
 * clipped probabilities u: s[i] = Σ_k u[i, k] (the row sum its categoricalCrossentropy divides by) and
 * x[i] = u[i, y] / s[i] clipped to [lo, hi], the number whose −log is the row's loss (the caller runs tfjs's
 * Log and Neg on it). tfjs sums t[i, k] · log(w[i, k]) over the row, whose terms off the class are −0, so the
 * sum is log(w[i, y]) exactly. A row without a class in [0, cols) (an all-zero one-hot row) has loss 0:
 * x[i] = 1 there, or NaN where the row sum is NaN, as tfjs's sum of 0 · log(NaN) is.
 */
export function sparseProbabilityPick(
  u: usize, classes: usize, s: usize, x: usize, rows: i32, cols: i32, lo: f32, hi: f32,
  uBytes: usize, classesBytes: usize, sBytes: usize, xBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  if (!fits(u, <u64>rows * cols, uBytes)) return 1;
  if (!fits(classes, <u64>rows, classesBytes)) return 2;
  if (!fits(s, <u64>rows, sBytes)) return 3;
  if (!fits(x, <u64>rows, xBytes)) return 4;
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const row = u + <usize>i * rowBytes;
    let sum: f32 = 0;
    for (let k = 0; k < cols; k++) sum += load<f32>(row + (<usize>k << 2));
    const at = <usize>i << 2;
    const y = load<i32>(classes + at);
    let picked: f32 = sum != sum ? sum : 1;
    if (y >= 0 && y < cols) {
      const share = load<f32>(row + (<usize>y << 2)) / sum;
      picked = share > hi ? hi : share < lo ? lo : share;
    }
    store<f32>(s + at, sum);
    store<f32>(x + at, picked);
  }
  return OK;
}

/**
 * The gradient of sparseProbabilityPick's loss −log(x) with respect to the clipped probabilities u, given
 * dy[i] for each row's loss: tfjs-core's gradients of Neg, Sum, Mul (by the one-hot row), Log, ClipByValue,
 * RealDiv (by the row sum) and Sum (the row sum), and the tape's Add of the last two, operation by operation:
 *   n = −dy[i];  v = u[i, k] / s[i];  w = v clipped;  dv = [lo ≤ v ≤ hi] · ((n · t[i, k]) / w)
 *   du[i, k] = dv / s[i] + −((Σ_k dv · u[i, k]) / (s[i] · s[i]))
 * (the Σ from 0, in column order: divideByRowGrad's).
 */
export function sparseCrossEntropyGrad(
  u: usize, s: usize, classes: usize, dy: usize, du: usize, rows: i32, cols: i32, lo: f32, hi: f32,
  uBytes: usize, sBytes: usize, classesBytes: usize, dyBytes: usize, duBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(u, size, uBytes)) return 1;
  if (!fits(s, <u64>rows, sBytes)) return 2;
  if (!fits(classes, <u64>rows, classesBytes)) return 3;
  if (!fits(dy, <u64>rows, dyBytes)) return 4;
  if (!fits(du, size, duBytes)) return 5;
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const at = <usize>i << 2;
    const sum = load<f32>(s + at);
    const n: f32 = -load<f32>(dy + at);
    const row = u + <usize>i * rowBytes;
    const out = du + <usize>i * rowBytes;
    let dot: f32 = 0;
    for (let k = 0; k < cols; k++) {
      const o = <usize>k << 2;
      const value = load<f32>(row + o);
      const v: f32 = value / sum;
      const w: f32 = v > hi ? hi : v < lo ? lo : v;
      const dw: f32 = (n * hot(classes, i, k)) / w;
      const dv: f32 = v >= lo && v <= hi ? dw : 0;
      store<f32>(out + o, dv / sum);
      dot += dv * value;
    }
    const ds: f32 = -(dot / (sum * sum));
    for (let k = 0; k < cols; k++) {
      const o = <usize>k << 2;
      store<f32>(out + o, load<f32>(out + o) + ds);
    }
  }
  return OK;
}

/**
 * The gradient of the mean cross-entropy from probabilities, from probabilityPick's q, s and c:
 * g[i, k] = (t[i, k] − q[i]) · ((dy · [lo ≤ q[i] ≤ hi]) / ((c[i] · s[i]) · −rows)), in that order of operations.
 */
export function crossEntropyOfProbabilitiesGrad(
  classes: usize, q: usize, s: usize, c: usize, dy: usize, g: usize, rows: i32, cols: i32, lo: f32, hi: f32,
  classesBytes: usize, qBytes: usize, sBytes: usize, cBytes: usize, dyBytes: usize, gBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  if (!fits(classes, <u64>rows, classesBytes)) return 1;
  if (!fits(q, <u64>rows, qBytes)) return 2;
  if (!fits(s, <u64>rows, sBytes)) return 3;
  if (!fits(c, <u64>rows, cBytes)) return 4;
  if (!fits(dy, 1, dyBytes)) return 5;
  if (!fits(g, <u64>rows * cols, gBytes)) return 6;
  const upstream = load<f32>(dy);
  const count = <f32>(-rows);
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const at = <usize>i << 2;
    const share = load<f32>(q + at);
    const inRange: f32 = share >= lo && share <= hi ? 1 : 0;
    const scale: f32 = (upstream * inRange) / ((load<f32>(c + at) * load<f32>(s + at)) * count);
    const out = g + <usize>i * rowBytes;
    for (let k = 0; k < cols; k++) store<f32>(out + (<usize>k << 2), (hot(classes, i, k) - share) * scale);
  }
  return OK;
}

/**
 * out[0] (int32) = the number of rows whose first maximum (from x[i, 0], strictly greater winning: tfjs's
 * ArgMax) lies in the column of the row's class.
 */
export function countCorrect(x: usize, classes: usize, out: usize, rows: i32, cols: i32, xBytes: usize, classesBytes: usize, outBytes: usize): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  if (!fits(x, <u64>rows * cols, xBytes)) return 1;
  if (!fits(classes, <u64>rows, classesBytes)) return 2;
  if (!fits(out, 1, outBytes)) return 3;
  const rowBytes = <usize>cols << 2;
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const row = x + <usize>i * rowBytes;
    let max = load<f32>(row);
    let best = 0;
    for (let k = 1; k < cols; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      if (v > max) {
        max = v;
        best = k;
      }
    }
    if (load<i32>(classes + (<usize>i << 2)) == best) correct++;
  }
  store<i32>(out, correct);
  return OK;
}

/**
 * The gradient of a softmax over the last axis, y = softmax(x), as tfjs-core writes it:
 * dx[i, k] = dy[i, k]·y[i, k] − (Σ_j dy[i, j]·y[i, j]) · y[i, k], each product rounded to f32 and the row
 * sum taken in order from zero (its Mul, Sum and Sub kernels).
 */
export function softmaxGrad(dy: usize, y: usize, dx: usize, rows: i32, cols: i32, dyBytes: usize, yBytes: usize, dxBytes: usize): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(dy, size, dyBytes)) return 1;
  if (!fits(y, size, yBytes)) return 2;
  if (!fits(dx, size, dxBytes)) return 3;
  softmaxGradRows(dy, y, dx, 0, rows, cols, false);
  return OK;
}

/**
 * softmaxGrad's rows, checked by the caller; with `columnSums`, also db[k] = Σ_i dx[i, k], from 0, row after row,
 * as tfjs-backend-wasm's Sum over a leading axis adds (the order of assembly/index.ts `reluGradColumnSums`).
 */
// @ts-ignore: decorator
@inline
function softmaxGradRows(dy: usize, y: usize, dx: usize, db: usize, rows: i32, cols: i32, columnSums: bool): void {
  const rowBytes = <usize>cols << 2;
  if (columnSums) memory.fill(db, 0, rowBytes);
  for (let i = 0; i < rows; i++) {
    const at = <usize>i * rowBytes;
    let sum: f32 = 0;
    for (let k = 0; k < cols; k++) {
      const o = at + (<usize>k << 2);
      sum += load<f32>(dy + o) * load<f32>(y + o);
    }
    for (let k = 0; k < cols; k++) {
      const o = at + (<usize>k << 2);
      const p = load<f32>(y + o);
      const g: f32 = load<f32>(dy + o) * p - sum * p;
      store<f32>(dx + o, g);
      if (columnSums) {
        const column = db + (<usize>k << 2);
        store<f32>(column, load<f32>(column) + g);
      }
    }
  }
}

/**
 * softmaxGrad's dx, and db[k] = Σ_i dx[i, k], the gradient of a bias added before the softmax (tfjs-core's Add
 * gradient: Sum over the leading axis), in one pass (softmaxGradRows).
 */
export function softmaxGradColumnSums(
  dy: usize, y: usize, dx: usize, db: usize, rows: i32, cols: i32, dyBytes: usize, yBytes: usize, dxBytes: usize, dbBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(dy, size, dyBytes)) return 1;
  if (!fits(y, size, yBytes)) return 2;
  if (!fits(dx, size, dxBytes)) return 3;
  if (!fits(db, <u64>cols, dbBytes)) return 4;
  softmaxGradRows(dy, y, dx, db, rows, cols, true);
  return OK;
}

/**
 * crossEntropyOfProbabilitiesGrad's g fed to softmaxGradColumnSums as its dy, in one pass without g in memory:
 * dx[i, k] = g[i, k]·y[i, k] − (Σ_j g[i, j]·y[i, j])·y[i, k] and db[k] = Σ_i dx[i, k], each g[i, k] the same f32
 * (t[i, k] − q[i]) · scale[i] as crossEntropyOfProbabilitiesGrad's, so the bits of the two kernels run one
 * after the other: the gradients of a softmax head's logits and bias under sw.fit's cross-entropy.
 */
export function crossEntropyOfProbabilitiesSoftmaxGrad(
  classes: usize, q: usize, s: usize, c: usize, dy: usize, y: usize, dx: usize, db: usize, rows: i32, cols: i32, lo: f32, hi: f32,
  classesBytes: usize, qBytes: usize, sBytes: usize, cBytes: usize, dyBytes: usize, yBytes: usize, dxBytes: usize, dbBytes: usize,
): i32 {
  if (rows < 0 || cols < 1) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(classes, <u64>rows, classesBytes)) return 1;
  if (!fits(q, <u64>rows, qBytes)) return 2;
  if (!fits(s, <u64>rows, sBytes)) return 3;
  if (!fits(c, <u64>rows, cBytes)) return 4;
  if (!fits(dy, 1, dyBytes)) return 5;
  if (!fits(y, size, yBytes)) return 6;
  if (!fits(dx, size, dxBytes)) return 7;
  if (!fits(db, <u64>cols, dbBytes)) return 8;
  const upstream = load<f32>(dy);
  const count = <f32>(-rows);
  const rowBytes = <usize>cols << 2;
  memory.fill(db, 0, rowBytes);
  for (let i = 0; i < rows; i++) {
    const at = <usize>i << 2;
    const share = load<f32>(q + at);
    const inRange: f32 = share >= lo && share <= hi ? 1 : 0;
    const scale: f32 = (upstream * inRange) / ((load<f32>(c + at) * load<f32>(s + at)) * count);
    const row = <usize>i * rowBytes;
    let sum: f32 = 0;
    for (let k = 0; k < cols; k++) {
      const g: f32 = (hot(classes, i, k) - share) * scale;
      sum += g * load<f32>(y + row + (<usize>k << 2));
    }
    for (let k = 0; k < cols; k++) {
      const o = row + (<usize>k << 2);
      const g: f32 = (hot(classes, i, k) - share) * scale;
      const p = load<f32>(y + o);
      const d: f32 = g * p - sum * p;
      store<f32>(dx + o, d);
      const column = db + (<usize>k << 2);
      store<f32>(column, load<f32>(column) + d);
    }
  }
  return OK;
}

/**
 * out[0] = (Σ_i −x[i]) / n, the sum in order from zero: tfjs's Neg then Mean over every axis (tfjs-backend-wasm's
 * Mean adds from the first element on and divides the f32 sum by the count), the mean of per-row losses
 * given their logarithms' values.
 */
export function negMean(x: usize, out: usize, n: i32, xBytes: usize, outBytes: usize): i32 {
  if (n < 0) return BAD_GEOMETRY;
  if (!fits(x, <u64>n, xBytes)) return 1;
  if (!fits(out, 1, outBytes)) return 2;
  let sum: f32 = 0;
  for (let i = 0; i < n; i++) sum += -load<f32>(x + (<usize>i << 2));
  store<f32>(out, sum / <f32>n);
  return OK;
}

/**
 * The gradients of q = a / b, for a [rows, cols] and b [rows, 1] (a row divided by its own scalar, as
 * tfjs-layers divides probabilities by their row sums), as tfjs-core's RealDiv gradient composes them:
 *   da[i, k] = dy[i, k] / b[i];   db[i] = −((Σ_k dy[i, k] · a[i, k]) / (b[i] · b[i]))
 * the row sum from 0, in column order, as tfjs-backend-wasm's Sum over the last axis adds.
 */
export function divideByRowGrad(
  dy: usize, a: usize, b: usize, da: usize, db: usize, rows: i32, cols: i32,
  dyBytes: usize, aBytes: usize, bBytes: usize, daBytes: usize, dbBytes: usize,
): i32 {
  if (rows < 0 || cols < 0) return BAD_GEOMETRY;
  const size = <u64>rows * cols;
  if (!fits(dy, size, dyBytes)) return 1;
  if (!fits(a, size, aBytes)) return 2;
  if (!fits(b, <u64>rows, bBytes)) return 3;
  if (!fits(da, size, daBytes)) return 4;
  if (!fits(db, <u64>rows, dbBytes)) return 5;
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const at = <usize>i * rowBytes;
    const divisor = load<f32>(b + (<usize>i << 2));
    let sum: f32 = 0;
    for (let k = 0; k < cols; k++) {
      const o = at + (<usize>k << 2);
      const g = load<f32>(dy + o);
      store<f32>(da + o, g / divisor);
      sum += g * load<f32>(a + o);
    }
    store<f32>(db + (<usize>i << 2), -(sum / (divisor * divisor)));
  }
  return OK;
}
