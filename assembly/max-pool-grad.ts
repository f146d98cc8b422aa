/**
 * The gradient of a 2 × 2, stride-2, unpadded max pool, alone (maxPoolGrad2x2) and through the ReLU whose
 * output it pooled, with that layer's bias gradient (maxPoolGrad2x2Relu).
 *
 * Each window's gradient goes to its first maximum in row-major window order (strictly greater wins; −∞
 * and NaN never win), as tfjs's cpu backend does. Windows do not overlap, so every position gets at most
 * one window's gradient; uncovered trailing rows and columns (odd sizes) get zero.
 */

import { BAD_GEOMETRY, bytes4, fits, OK } from "./common";

/** dx [batch, height, width, channels] of the pool of x, for the pool's gradient dy. */
export function maxPoolGrad2x2(
  x: usize, dy: usize, dx: usize, batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  xBytes: usize, dyBytes: usize, dxBytes: usize,
): i32 {
  if (batch < 0 || channels < 0 || outHeight < 0 || outWidth < 0 || 2 * <i64>outHeight > <i64>height || 2 * <i64>outWidth > <i64>width) return BAD_GEOMETRY;
  const image = bytes4(<u64>batch * height * width * channels);
  if (!fits(x, image, xBytes)) return 1;
  if (!fits(dy, bytes4(<u64>batch * outHeight * outWidth * channels), dyBytes)) return 2;
  if (!fits(dx, image, dxBytes)) return 3;
  // every position of an even-sized image belongs to exactly one window and is written below
  if (height != 2 * outHeight || width != 2 * outWidth) memory.fill(dx, 0, <usize>batch * height * width * channels * 4);
  const rowStride = <usize>width * channels * 4;
  let g = dy;
  for (let n = 0; n < batch; n++) {
    const image = <usize>n * height * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      windowRow(x, g, dx, image + <usize>(2 * oh) * rowStride, outWidth, channels, rowStride, false);
      g += <usize>outWidth * channels * 4;
    }
  }
  return OK;
}

/**
 * dz = maxPoolGrad2x2(x, dy) · step(x) and db[c] = Σ dz[·, c], where x is a ReLU's output: the gradient
 * that reaches the ReLU's input through the pool and the ReLU, and the gradient of the layer's bias, with
 * the bits of maxPoolGrad2x2 followed by reluGradColumnSums (step(v) is v for NaN, else 1 for v > 0 and 0;
 * db is summed from +0 in row-major order). One pass where those two took three over the activation:
 * a window row's two image rows are written, then summed while they are in cache.
 */
export function maxPoolGrad2x2Relu(
  x: usize, dy: usize, dz: usize, db: usize, batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  xBytes: usize, dyBytes: usize, dzBytes: usize, dbBytes: usize,
): i32 {
  if (batch < 0 || channels < 0 || outHeight < 0 || outWidth < 0 || 2 * <i64>outHeight > <i64>height || 2 * <i64>outWidth > <i64>width) return BAD_GEOMETRY;
  const image = bytes4(<u64>batch * height * width * channels);
  if (!fits(x, image, xBytes)) return 1;
  if (!fits(dy, bytes4(<u64>batch * outHeight * outWidth * channels), dyBytes)) return 2;
  if (!fits(dz, image, dzBytes)) return 3;
  if (!fits(db, bytes4(<u64>channels), dbBytes)) return 4;
  memory.fill(db, 0, <usize>channels * 4);
  const rowStride = <usize>width * channels * 4;
  const colStride = <usize>channels * 4;
  const covered = <usize>(2 * outWidth) * colStride; // the bytes of a row that windows cover
  let g = dy;
  for (let n = 0; n < batch; n++) {
    const image = <usize>n * height * rowStride;
    for (let row = 0; row < height; row++) {
      const at = image + <usize>row * rowStride;
      if (row < 2 * outHeight) {
        if ((row & 1) == 0) {
          windowRow(x, g, dz, at, outWidth, channels, rowStride, true);
          g += <usize>outWidth * colStride;
        }
        uncovered(x + at + covered, dz + at + covered, rowStride - covered);
      } else {
        uncovered(x + at, dz + at, rowStride);
      }
      addRow(dz + at, db, width, channels);
    }
  }
  return OK;
}

/** step(v) for 4 lanes: v where it is NaN, else 1 where v > 0 and 0 (reluGradColumnSums's formula). */
// @ts-ignore: decorator
@inline
function step4(v: v128): v128 {
  return v128.bitselect(v, v128.bitselect(f32x4.splat(1), f32x4.splat(0), f32x4.gt(v, f32x4.splat(0))), f32x4.ne(v, v));
}

// @ts-ignore: decorator
@inline
function step1(v: f32): f32 {
  return v != v ? v : v > 0 ? 1 : 0;
}

/**
 * The windows of one window row (image rows `at` and the next): each window's gradient from g at its first
 * maximum and 0 elsewhere, times step(x) there where `relu` (a constant at every call, so each kernel
 * compiles without the other's branch).
 */
// @ts-ignore: decorator
@inline
function windowRow(x: usize, g: usize, out: usize, at: usize, outWidth: i32, channels: i32, rowStride: usize, relu: bool): void {
  const colStride = <usize>channels * 4;
  const vectorChannels = channels & ~3;
  const minusInf = f32x4.splat(-Infinity);
  for (let ow = 0; ow < outWidth; ow++) {
    const p0 = at + <usize>(2 * ow) * colStride;
    let c = 0;
    for (; c < vectorChannels; c += 4) {
      const o = <usize>c * 4;
      const v0 = v128.load(x + p0 + o);
      const v1 = v128.load(x + p0 + colStride + o);
      const v2 = v128.load(x + p0 + rowStride + o);
      const v3 = v128.load(x + p0 + rowStride + colStride + o);
      const m0 = f32x4.gt(v0, minusInf);
      let best = v128.bitselect(v0, minusInf, m0);
      const m1 = f32x4.gt(v1, best);
      best = v128.bitselect(v1, best, m1);
      const m2 = f32x4.gt(v2, best);
      best = v128.bitselect(v2, best, m2);
      const m3 = f32x4.gt(v3, best);
      // the last position that won a comparison is the first maximum
      const w3 = m3;
      const w2 = v128.andnot(m2, m3);
      const w1 = v128.andnot(v128.andnot(m1, m2), m3);
      const w0 = v128.andnot(v128.andnot(v128.andnot(m0, m1), m2), m3);
      const grad = v128.load(g + o);
      let g0 = v128.and(grad, w0), g1 = v128.and(grad, w1), g2 = v128.and(grad, w2), g3 = v128.and(grad, w3);
      if (relu) {
        const nan = v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3)));
        if (v128.any_true(nan)) {
          g0 = f32x4.mul(g0, step4(v0));
          g1 = f32x4.mul(g1, step4(v1));
          g2 = f32x4.mul(g2, step4(v2));
          g3 = f32x4.mul(g3, step4(v3));
        } else {
          // no NaN in the window: step is 1 or 0, so every product is +0 but the maximum's, grad · step(maximum)
          const maximum = v128.bitselect(v3, best, m3);
          const masked = f32x4.mul(grad, v128.and(f32x4.gt(maximum, f32x4.splat(0)), f32x4.splat(1)));
          g0 = v128.and(masked, w0);
          g1 = v128.and(masked, w1);
          g2 = v128.and(masked, w2);
          g3 = v128.and(masked, w3);
        }
      }
      v128.store(out + p0 + o, g0);
      v128.store(out + p0 + colStride + o, g1);
      v128.store(out + p0 + rowStride + o, g2);
      v128.store(out + p0 + rowStride + colStride + o, g3);
    }
    for (; c < channels; c++) {
      const o = <usize>c * 4;
      const at0 = p0 + o;
      const at1 = at0 + colStride;
      const at2 = at0 + rowStride;
      const at3 = at2 + colStride;
      let win: isize = -1;
      let best: f32 = -Infinity;
      let v = load<f32>(x + at0);
      if (v > best) { best = v; win = <isize>at0; }
      v = load<f32>(x + at1);
      if (v > best) { best = v; win = <isize>at1; }
      v = load<f32>(x + at2);
      if (v > best) { best = v; win = <isize>at2; }
      v = load<f32>(x + at3);
      if (v > best) win = <isize>at3;
      // every position of the window is written (the output is not cleared first where the windows tile it)
      const grad = load<f32>(g + o);
      let g0: f32 = win == <isize>at0 ? grad : 0, g1: f32 = win == <isize>at1 ? grad : 0;
      let g2: f32 = win == <isize>at2 ? grad : 0, g3: f32 = win == <isize>at3 ? grad : 0;
      if (relu) {
        g0 *= step1(load<f32>(x + at0));
        g1 *= step1(load<f32>(x + at1));
        g2 *= step1(load<f32>(x + at2));
        g3 *= step1(load<f32>(x + at3));
      }
      store<f32>(out + at0, g0);
      store<f32>(out + at1, g1);
      store<f32>(out + at2, g2);
      store<f32>(out + at3, g3);
    }
    g += colStride;
  }
}

/** dz = 0 · step(x) over `bytes` that no window covers (0, or NaN where x is NaN), as reluGradColumnSums makes of maxPoolGrad2x2's zeros. */
// @ts-ignore: decorator
@inline
function uncovered(x: usize, dz: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dz + i, f32x4.mul(f32x4.splat(0), step4(v128.load(x + i))));
  for (; i < bytes; i += 4) store<f32>(dz + i, <f32>0 * step1(load<f32>(x + i)));
}

/**
 * db[c] += row[p, c] for the row's positions p in order: the order reluGradColumnSums adds in, each
 * channel's sum carried in a register along the row (four vectors at a time).
 */
// @ts-ignore: decorator
@inline
function addRow(row: usize, db: usize, width: i32, channels: i32): void {
  const colStride = <usize>channels * 4;
  const vectorBytes = <usize>(channels & ~3) * 4;
  let c: usize = 0;
  for (; c + 64 <= vectorBytes; c += 64) {
    let s0 = v128.load(db + c), s1 = v128.load(db + c, 16), s2 = v128.load(db + c, 32), s3 = v128.load(db + c, 48);
    let p = row + c;
    for (let q = 0; q < width; q++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += colStride;
    }
    v128.store(db + c, s0); v128.store(db + c, s1, 16); v128.store(db + c, s2, 32); v128.store(db + c, s3, 48);
  }
  for (; c < vectorBytes; c += 16) {
    let s = v128.load(db + c);
    let p = row + c;
    for (let q = 0; q < width; q++) {
      s = f32x4.add(s, v128.load(p));
      p += colStride;
    }
    v128.store(db + c, s);
  }
  for (; c < colStride; c += 4) {
    let s = load<f32>(db + c);
    let p = row + c;
    for (let q = 0; q < width; q++) {
      s += load<f32>(p);
      p += colStride;
    }
    store<f32>(db + c, s);
  }
}
