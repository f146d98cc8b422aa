/**
 * What the kernels of index.ts and winograd.ts share: their status codes, the buffer check, the product's
 * multiply-add, and the epilogue a fused product applies as it stores its outputs.
 */

/** Status codes: ran, or arguments that contradict each other (a positive k names a buffer too small). */
export const OK: i32 = 0;
export const BAD_GEOMETRY: i32 = -1;

/** Whether `need` bytes fit in the buffer at `ptr` of `capacity` bytes, and that buffer in the memory. */
// @ts-ignore: decorator
@inline
export function fits(ptr: usize, need: u64, capacity: usize): bool {
  return need <= <u64>capacity && <u64>ptr + <u64>capacity <= (<u64>memory.size() << 16);
}

/** a·b + c, lane-wise: fused where the build has relaxed SIMD. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** The byte size of `count` float32 or int32 elements, in 64 bits (no wrap-around). */
// @ts-ignore: decorator
@inline
export function bytes4(count: u64): u64 {
  return count << 2;
}

/** What an epilogue does to a product's rows, as bits: + bias, max(0, ·), both (bias first); 0 is nothing. */
export const EPILOGUE_BIAS: i32 = 1;
export const EPILOGUE_RELU: i32 = 2;
export const EPILOGUE_BIAS_RELU: i32 = 3;

/** A tile's 4 output channels at `bias` as the epilogue leaves them: + bias, then max(+0, ·), as asked. */
// @ts-ignore: decorator
@inline
export function finish(v: v128, bias: usize, epilogue: i32): v128 {
  if ((epilogue & EPILOGUE_BIAS) != 0) v = f32x4.add(v, v128.load(bias));
  if ((epilogue & EPILOGUE_RELU) != 0) v = f32x4.max(f32x4.splat(0), v);
  return v;
}

/** The address of pixel (row, col)'s channels, or `zeros` when it lies outside the image. */
// @ts-ignore: decorator
@inline
export function pixel(xn: usize, zeros: usize, row: i32, col: i32, height: i32, width: i32, channels: i32): usize {
  const outside = <u32>row >= <u32>height || <u32>col >= <u32>width;
  return outside ? zeros : xn + (<usize>row * width + col) * channels * 4;
}

/**
 * Σ x² as stepwise's norms take it (sumSquares, and the in-place kernels of step.ts, which must agree bit for
 * bit): each square rounded to f32 as tfjs's Square does; within a block of four vectors (16 floats) the
 * squares summed pairwise in f32, (a² + b²) + (c² + d²), each lane's block sum then added in f64; a last
 * partial block vector by vector; then the tail, one float at a time, after the lanes' four f64 sums. The
 * f32 block sums cost at most two roundings of a sum of positive terms (a relative 2⁻²³), and they cut the
 * f64 additions, whose chain of dependent adds bounded the pass, fourfold: adding a micro-batch's gradient
 * into its window (200,704 floats) took 23.6 µs instead of 41.0 with one promotion per vector.
 */
// @ts-ignore: decorator
@inline
export function blockSquares(a: v128, b: v128, c: v128, d: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.mul(a, a), f32x4.mul(b, b)), f32x4.add(f32x4.mul(c, c), f32x4.mul(d, d)));
}

/** Lanes 0–1 of f32 values, promoted to f64. */
// @ts-ignore: decorator
@inline
export function lowLanes(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** Lanes 2–3 of f32 values, promoted to f64. */
// @ts-ignore: decorator
@inline
export function highLanes(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/** The four lanes' f64 sums added: lanes 0, 1, 2, 3 in that order. */
// @ts-ignore: decorator
@inline
export function laneTotal(lo: v128, hi: v128): f64 {
  return f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
}
