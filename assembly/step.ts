/**
 * The bookkeeping of a training step with gradient accumulation, in place on buffers that the caller owns
 * alone (an accumulation window's sums, src/accumulate/window-sum.ts): adding a micro-batch's gradient into
 * its window and turning the window's sum into its mean each take one pass that also returns Σ x² of what
 * it passed over, so the gradient noise scale and the gradient norm cost no pass (and no kernel) of their own.
 *
 * Σ x² is accumulated exactly as index.ts `sumSquares` does (common.ts `blockSquares`), so it equals
 * `sumSquares` of the same values bit for bit. The arithmetic is that of the kernels it replaces:
 * `sum + grad·scale` (index.ts `scaledAdd`, a multiply then an add in both builds) and `sum / divisor`
 * (tfjs's RealDiv). A window's last micro-batch can do both in one pass (`accumulateMeanInPlace`): each
 * float is rounded where the two passes round it, so the mean has the bits of the two passes.
 *
 * Like every kernel of the module (see index.ts), each checks its buffers before it writes, and writes
 * nothing when one is smaller than n floats or lies outside the memory: accumulateInPlace and divideInPlace
 * return −1 then (their result is a sum of squares), accumulateMeanInPlace the buffer's 1-based position.
 */
import { BAD_GEOMETRY, blockSquares, bytes4, fits, highLanes, laneTotal, lowLanes, OK } from "./common";

const BAD_BUFFER: f64 = -1;

// @ts-ignore: decorator
@inline
function fitsFloats(ptr: usize, n: i32, capacity: usize): bool {
  return n >= 0 && fits(ptr, bytes4(<u64>n), capacity);
}

/** The window's sum after one micro-batch: grad·scale for its first, else sum + grad·scale. */
// @ts-ignore: decorator
@inline
function added(sum: usize, g: v128, s: v128, first: i32): v128 {
  return first ? f32x4.mul(g, s) : f32x4.add(v128.load(sum), f32x4.mul(g, s));
}

// @ts-ignore: decorator
@inline
function addedScalar(sum: usize, g: f32, scale: f32, first: i32): f32 {
  return first ? g * scale : load<f32>(sum) + g * scale;
}

/**
 * Whether x / d equals x · (1 / d) for every x: d a power of two whose reciprocal is a normal float, so
 * that 1 / d is exact and both are the correctly rounded value of the same number. A division took about
 * three times a multiplication's throughput, and bounded the passes that take a window's mean.
 */
// @ts-ignore: decorator
@inline
function reciprocalIsExact(d: f32): bool {
  const bits = reinterpret<u32>(d);
  const exponent = (bits >> 23) & 0xff;
  return (bits & 0x807fffff) == 0 && exponent >= 1 && exponent <= 253;
}

/** v / d, lane-wise, as a multiplication by r = 1 / d where that is exact (reciprocalIsExact). */
// @ts-ignore: decorator
@inline
function quotient(v: v128, d: v128, r: v128, exact: bool): v128 {
  return exact ? f32x4.mul(v, r) : f32x4.div(v, d);
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
  const blockBytes = <usize>(n & ~15) << 2;
  const vectorBytes = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let i: usize = 0;
  for (; i < blockBytes; i += 64) {
    const g0 = v128.load(grad + i);
    const g1 = v128.load(grad + i, 16);
    const g2 = v128.load(grad + i, 32);
    const g3 = v128.load(grad + i, 48);
    const block = blockSquares(g0, g1, g2, g3);
    lo = f64x2.add(lo, lowLanes(block));
    hi = f64x2.add(hi, highLanes(block));
    v128.store(sum + i, added(sum + i, g0, s, first));
    v128.store(sum + i, added(sum + i + 16, g1, s, first), 16);
    v128.store(sum + i, added(sum + i + 32, g2, s, first), 32);
    v128.store(sum + i, added(sum + i + 48, g3, s, first), 48);
  }
  for (; i < vectorBytes; i += 16) {
    const g = v128.load(grad + i);
    const squares = f32x4.mul(g, g);
    lo = f64x2.add(lo, lowLanes(squares));
    hi = f64x2.add(hi, highLanes(squares));
    v128.store(sum + i, added(sum + i, g, s, first));
  }
  let total = laneTotal(lo, hi);
  for (; i < bytes; i += 4) {
    const g = load<f32>(grad + i);
    total += <f64>(g * g);
    store<f32>(sum + i, addedScalar(sum + i, g, scale, first));
  }
  return total;
}

/** x ← x / divisor, in place over n floats; returns Σ x² of the quotients. */
export function divideInPlace(x: usize, n: i32, divisor: f32, xBytes: usize): f64 {
  if (!fitsFloats(x, n, xBytes)) return BAD_BUFFER;
  const d = f32x4.splat(divisor);
  const exact = reciprocalIsExact(divisor);
  const r = f32x4.splat(1 / divisor);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  const blockBytes = <usize>(n & ~15) << 2;
  const vectorBytes = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let i: usize = 0;
  for (; i < blockBytes; i += 64) {
    const q0 = quotient(v128.load(x + i), d, r, exact);
    const q1 = quotient(v128.load(x + i, 16), d, r, exact);
    const q2 = quotient(v128.load(x + i, 32), d, r, exact);
    const q3 = quotient(v128.load(x + i, 48), d, r, exact);
    v128.store(x + i, q0);
    v128.store(x + i, q1, 16);
    v128.store(x + i, q2, 32);
    v128.store(x + i, q3, 48);
    const block = blockSquares(q0, q1, q2, q3);
    lo = f64x2.add(lo, lowLanes(block));
    hi = f64x2.add(hi, highLanes(block));
  }
  for (; i < vectorBytes; i += 16) {
    const q = quotient(v128.load(x + i), d, r, exact);
    v128.store(x + i, q);
    const squares = f32x4.mul(q, q);
    lo = f64x2.add(lo, lowLanes(squares));
    hi = f64x2.add(hi, highLanes(squares));
  }
  let total = laneTotal(lo, hi);
  for (; i < bytes; i += 4) {
    const q = load<f32>(x + i) / divisor;
    store<f32>(x + i, q);
    total += <f64>(q * q);
  }
  return total;
}

/**
 * A window's last micro-batch: sum ← (sum + grad·scale) / divisor (grad·scale / divisor when it is also the
 * first, first ≠ 0), in place over n floats, with the bits of accumulateInPlace then divideInPlace. Writes
 * Σ grad² and Σ of the squared quotients, as two f64, to `squares` (16 bytes). Returns 0, or the 1-based
 * position of a buffer too small (sum, grad, squares; nothing written), or −1 for a negative n.
 */
export function accumulateMeanInPlace(
  sum: usize, grad: usize, squares: usize, n: i32, scale: f32, first: i32, divisor: f32,
  sumBytes: usize, gradBytes: usize, squaresBytes: usize,
): i32 {
  if (n < 0) return BAD_GEOMETRY;
  if (!fitsFloats(sum, n, sumBytes)) return 1;
  if (!fitsFloats(grad, n, gradBytes)) return 2;
  if (!fits(squares, 16, squaresBytes)) return 3;
  const s = f32x4.splat(scale);
  const d = f32x4.splat(divisor);
  const exact = reciprocalIsExact(divisor);
  const r = f32x4.splat(1 / divisor);
  let gradLo = f64x2.splat(0);
  let gradHi = f64x2.splat(0);
  let meanLo = f64x2.splat(0);
  let meanHi = f64x2.splat(0);
  const blockBytes = <usize>(n & ~15) << 2;
  const vectorBytes = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let i: usize = 0;
  for (; i < blockBytes; i += 64) {
    const g0 = v128.load(grad + i);
    const g1 = v128.load(grad + i, 16);
    const g2 = v128.load(grad + i, 32);
    const g3 = v128.load(grad + i, 48);
    const gradBlock = blockSquares(g0, g1, g2, g3);
    gradLo = f64x2.add(gradLo, lowLanes(gradBlock));
    gradHi = f64x2.add(gradHi, highLanes(gradBlock));
    const q0 = quotient(added(sum + i, g0, s, first), d, r, exact);
    const q1 = quotient(added(sum + i + 16, g1, s, first), d, r, exact);
    const q2 = quotient(added(sum + i + 32, g2, s, first), d, r, exact);
    const q3 = quotient(added(sum + i + 48, g3, s, first), d, r, exact);
    v128.store(sum + i, q0);
    v128.store(sum + i, q1, 16);
    v128.store(sum + i, q2, 32);
    v128.store(sum + i, q3, 48);
    const meanBlock = blockSquares(q0, q1, q2, q3);
    meanLo = f64x2.add(meanLo, lowLanes(meanBlock));
    meanHi = f64x2.add(meanHi, highLanes(meanBlock));
  }
  for (; i < vectorBytes; i += 16) {
    const g = v128.load(grad + i);
    const gradSquares = f32x4.mul(g, g);
    gradLo = f64x2.add(gradLo, lowLanes(gradSquares));
    gradHi = f64x2.add(gradHi, highLanes(gradSquares));
    const q = quotient(added(sum + i, g, s, first), d, r, exact);
    v128.store(sum + i, q);
    const meanSquares = f32x4.mul(q, q);
    meanLo = f64x2.add(meanLo, lowLanes(meanSquares));
    meanHi = f64x2.add(meanHi, highLanes(meanSquares));
  }
  let gradTotal = laneTotal(gradLo, gradHi);
  let meanTotal = laneTotal(meanLo, meanHi);
  for (; i < bytes; i += 4) {
    const g = load<f32>(grad + i);
    gradTotal += <f64>(g * g);
    const q = addedScalar(sum + i, g, scale, first) / divisor;
    store<f32>(sum + i, q);
    meanTotal += <f64>(q * q);
  }
  store<f64>(squares, gradTotal);
  store<f64>(squares, meanTotal, 8);
  return OK;
}
