/**
 * The bookkeeping of a training step with gradient accumulation, in place on buffers that the caller owns
 * alone (an accumulation window's sums, src/accumulate/window-sum.ts): adding a micro-batch's gradient into
 * its window and turning the window's sum into its mean each take one pass that also returns Σ x² of what
 * it passed over, so the gradient noise scale and the gradient norm cost no pass (and no kernel) of their own.
 *
 * Σ x² is accumulated exactly as index.ts `sumSquares` does (each square rounded to f32 as tfjs's Square
 * does, lanes 0–1 and 2–3 summed in f64, those four sums added, then the tail), so it equals `sumSquares`
 * of the same values bit for bit. The arithmetic is that of the kernels it replaces: `sum + grad·scale`
 * (index.ts `scaledAdd`, a multiply then an add in both builds) and `sum / divisor` (tfjs's RealDiv).
 *
 * Like every kernel of the module (see index.ts), each checks its buffers before it writes: it returns −1
 * when a buffer is smaller than n floats or lies outside the memory, and writes nothing then.
 */

const BAD_BUFFER: f64 = -1;

// @ts-ignore: decorator
@inline
function fitsFloats(ptr: usize, n: i32, capacity: usize): bool {
  return n >= 0 && (<u64>n << 2) <= <u64>capacity && <u64>ptr + <u64>capacity <= (<u64>memory.size() << 16);
}

/** Lanes 0–1 of f32 squares, promoted to f64. */
// @ts-ignore: decorator
@inline
function lowSquares(squares: v128): v128 {
  return f64x2.promote_low_f32x4(squares);
}

/** Lanes 2–3 of f32 squares, promoted to f64. */
// @ts-ignore: decorator
@inline
function highSquares(squares: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(squares, squares, 2, 3, 0, 1));
}

// @ts-ignore: decorator
@inline
function laneTotal(lo: v128, hi: v128): f64 {
  return f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
}

/**
 * sum ← grad·scale (first ≠ 0: a window's first micro-batch) or sum ← sum + grad·scale, in place over n
 * floats; returns Σ grad².
 */
export function accumulateInPlace(sum: usize, grad: usize, n: i32, scale: f32, first: i32, sumBytes: usize, gradBytes: usize): f64 {
  if (!fitsFloats(sum, n, sumBytes) || !fitsFloats(grad, n, gradBytes)) return BAD_BUFFER;
  const s = f32x4.splat(scale);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  const vectorBytes = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let i: usize = 0;
  if (first) {
    for (; i < vectorBytes; i += 16) {
      const g = v128.load(grad + i);
      const squares = f32x4.mul(g, g);
      lo = f64x2.add(lo, lowSquares(squares));
      hi = f64x2.add(hi, highSquares(squares));
      v128.store(sum + i, f32x4.mul(g, s));
    }
  } else {
    for (; i < vectorBytes; i += 16) {
      const g = v128.load(grad + i);
      const squares = f32x4.mul(g, g);
      lo = f64x2.add(lo, lowSquares(squares));
      hi = f64x2.add(hi, highSquares(squares));
      v128.store(sum + i, f32x4.add(v128.load(sum + i), f32x4.mul(g, s)));
    }
  }
  let total = laneTotal(lo, hi);
  for (; i < bytes; i += 4) {
    const g = load<f32>(grad + i);
    total += <f64>(g * g);
    store<f32>(sum + i, first ? g * scale : load<f32>(sum + i) + g * scale);
  }
  return total;
}

/** x ← x / divisor, in place over n floats; returns Σ x² of the quotients. */
export function divideInPlace(x: usize, n: i32, divisor: f32, xBytes: usize): f64 {
  if (!fitsFloats(x, n, xBytes)) return BAD_BUFFER;
  const d = f32x4.splat(divisor);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  const vectorBytes = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let i: usize = 0;
  for (; i < vectorBytes; i += 16) {
    const q = f32x4.div(v128.load(x + i), d);
    v128.store(x + i, q);
    const squares = f32x4.mul(q, q);
    lo = f64x2.add(lo, lowSquares(squares));
    hi = f64x2.add(hi, highSquares(squares));
  }
  let total = laneTotal(lo, hi);
  for (; i < bytes; i += 4) {
    const q = load<f32>(x + i) / divisor;
    store<f32>(x + i, q);
    total += <f64>(q * q);
  }
  return total;
}
