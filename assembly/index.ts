/**
 * stepwise's SIMD kernels for tfjs's wasm backend, in AssemblyScript (compiled by `npm run build`, through
 * scripts/build-wasm.mjs).
 *
 * The module imports the wasm backend's own memory: every pointer is a tensor's offset in that heap, so
 * kernels read their inputs and write their outputs in place, without copies. It therefore must own no
 * memory itself: no data segments, no globals, no allocation, no shadow stack (scripts/build-wasm.mjs
 * refuses a binary with data, global or start sections). Scratch space, where a kernel needs it, is passed
 * in by the caller.
 *
 * Arrays are float32 unless a kernel says otherwise, row-major (NHWC for images).
 *
 * The products (matMul, conv2d, conv2dFilterGrad) multiply and add through `madd`. scripts/build-wasm.mjs
 * builds this file twice: with relaxed SIMD, where `madd` is one fused multiply-add
 * (`f32x4.relaxed_madd`, an FMA instruction where the CPU has one: one rounding instead of two), and
 * without, where it is a multiply then an add. src/backend/kernels/simd.ts picks the build the engine runs.
 *
 * Every kernel is given, after its other arguments, the size in bytes of each buffer it takes (in argument
 * order), and checks before it writes anything that what its geometry reaches lies inside each buffer and
 * inside the memory. It returns OK when it ran, k when buffer k (1-based) is too small, or BAD_GEOMETRY
 * when its arguments contradict each other; it writes nothing then. A wrong shape is an error, never a
 * write into a neighbouring tensor.
 */

import { BAD_GEOMETRY, blockSquares, bytes4, EPILOGUE_BIAS, EPILOGUE_BIAS_RELU, EPILOGUE_RELU, finish, fits, highLanes, laneTotal, lowLanes, madd, OK, pixel } from "./common";

// ---------------------------------------------------------------------------------------------------------
// Max pool
// ---------------------------------------------------------------------------------------------------------

/** The pools' checks: a positive geometry, x [batch, height, width, channels] and y [batch, outHeight, outWidth, channels] in their buffers. */
// @ts-ignore: decorator
@inline
function poolBuffers(
  x: usize, y: usize, batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  sh: i32, sw: i32, fh: i32, fw: i32, xBytes: usize, yBytes: usize,
): i32 {
  if (batch < 0 || height < 0 || width < 0 || channels < 0 || outHeight < 0 || outWidth < 0 || sh < 1 || sw < 1 || fh < 1 || fw < 1) {
    return BAD_GEOMETRY;
  }
  if (!fits(x, bytes4(<u64>batch * height * width * channels), xBytes)) return 1;
  if (!fits(y, bytes4(<u64>batch * outHeight * outWidth * channels), yBytes)) return 2;
  return OK;
}

/**
 * y for a max pool over NHWC x: windows fh × fw at strides sh × sw, with `top` rows and `left` columns of
 * padding before the image, which is not read. Each output is its window's first maximum in row-major
 * order, starting from −∞ with strictly greater winning, as tfjs's cpu backend computes it: NaN never
 * wins (XNNPACK, behind the wasm backend's own MaxPool, gave 2 for the window {2, 3, NaN, NaN}), and the
 * value is the one maxPoolGrad sends the gradient to. Four channels at a time.
 */
export function maxPool(
  x: usize, y: usize, batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  sh: i32, sw: i32, fh: i32, fw: i32, top: i32, left: i32, xBytes: usize, yBytes: usize,
): i32 {
  const status = poolBuffers(x, y, batch, height, width, channels, outHeight, outWidth, sh, sw, fh, fw, xBytes, yBytes);
  if (status != OK) return status;
  const colStride = <usize>channels * 4;
  const rowStride = <usize>width * colStride;
  const c4 = channels & ~3;
  const minusInf = f32x4.splat(-Infinity);
  let out = y;
  for (let n = 0; n < batch; n++) {
    const xn = x + <usize>n * height * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const row = oh * sh - top;
      const hMin = max(0, row), hMax = min(height, row + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const col = ow * sw - left;
        const wMin = max(0, col), wMax = min(width, col + fw);
        const corner = xn + <usize>hMin * rowStride + <usize>wMin * colStride;
        let c = 0;
        if (hMax - hMin == 2 && wMax - wMin == 2) {
          // a whole 2 × 2 window (the usual pool), unrolled: the same four comparisons in the same order
          for (; c < c4; c += 4) {
            const at = corner + (<usize>c << 2);
            let best = minusInf;
            let v = v128.load(at);
            best = v128.bitselect(v, best, f32x4.gt(v, best));
            v = v128.load(at + colStride);
            best = v128.bitselect(v, best, f32x4.gt(v, best));
            v = v128.load(at + rowStride);
            best = v128.bitselect(v, best, f32x4.gt(v, best));
            v = v128.load(at + rowStride + colStride);
            best = v128.bitselect(v, best, f32x4.gt(v, best));
            v128.store(out + (<usize>c << 2), best);
          }
        }
        for (; c < c4; c += 4) {
          let best = minusInf;
          let rowAt = corner + (<usize>c << 2);
          for (let h = hMin; h < hMax; h++, rowAt += rowStride) {
            let at = rowAt;
            for (let w = wMin; w < wMax; w++, at += colStride) {
              const v = v128.load(at);
              best = v128.bitselect(v, best, f32x4.gt(v, best));
            }
          }
          v128.store(out + (<usize>c << 2), best);
        }
        for (; c < channels; c++) {
          let best: f32 = -Infinity;
          let rowAt = corner + (<usize>c << 2);
          for (let h = hMin; h < hMax; h++, rowAt += rowStride) {
            let at = rowAt;
            for (let w = wMin; w < wMax; w++, at += colStride) {
              const v = load<f32>(at);
              if (v > best) best = v;
            }
          }
          store<f32>(out + (<usize>c << 2), best);
        }
        out += colStride;
      }
    }
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Average pool
// ---------------------------------------------------------------------------------------------------------

/**
 * y for an average pool over NHWC x, in maxPool's geometry: each output is the mean of its window's
 * positions inside x (padding is neither read nor counted), summed in row-major window order in f64 and
 * divided in f64, then rounded to f32: tfjs's cpu backend's arithmetic, so its bits. NaN and ±∞ propagate
 * (XNNPACK's pool, behind the wasm backend's own AvgPool, clamped its output and gave −∞ for a window
 * holding NaN). Four channels at a time, in two f64 pairs.
 */
export function avgPool(
  x: usize, y: usize, batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  sh: i32, sw: i32, fh: i32, fw: i32, top: i32, left: i32, xBytes: usize, yBytes: usize,
): i32 {
  const status = poolBuffers(x, y, batch, height, width, channels, outHeight, outWidth, sh, sw, fh, fw, xBytes, yBytes);
  if (status != OK) return status;
  const colStride = <usize>channels * 4;
  const rowStride = <usize>width * colStride;
  const c4 = channels & ~3;
  let out = y;
  for (let n = 0; n < batch; n++) {
    const xn = x + <usize>n * height * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const row = oh * sh - top;
      const hMin = max(0, row), hMax = min(height, row + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const col = ow * sw - left;
        const wMin = max(0, col), wMax = min(width, col + fw);
        const count = <f64>(max(0, hMax - hMin) * max(0, wMax - wMin));
        const divisor = f64x2.splat(count);
        const corner = xn + <usize>hMin * rowStride + <usize>wMin * colStride;
        let c = 0;
        for (; c < c4; c += 4) {
          let low = f64x2.splat(0);
          let high = f64x2.splat(0);
          let rowAt = corner + (<usize>c << 2);
          for (let h = hMin; h < hMax; h++, rowAt += rowStride) {
            let at = rowAt;
            for (let w = wMin; w < wMax; w++, at += colStride) {
              const v = v128.load(at);
              low = f64x2.add(low, f64x2.promote_low_f32x4(v));
              high = f64x2.add(high, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
            }
          }
          const lowMean = f32x4.demote_f64x2_zero(f64x2.div(low, divisor));
          const highMean = f32x4.demote_f64x2_zero(f64x2.div(high, divisor));
          v128.store(out + (<usize>c << 2), v128.shuffle<f32>(lowMean, highMean, 0, 1, 4, 5));
        }
        for (; c < channels; c++) {
          let sum: f64 = 0;
          let rowAt = corner + (<usize>c << 2);
          for (let h = hMin; h < hMax; h++, rowAt += rowStride) {
            let at = rowAt;
            for (let w = wMin; w < wMax; w++, at += colStride) sum += <f64>load<f32>(at);
          }
          store<f32>(out + (<usize>c << 2), <f32>(sum / count));
        }
        out += colStride;
      }
    }
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Max-pool gradient
// ---------------------------------------------------------------------------------------------------------

/**
 * dx for any max pool (windows may overlap, padding is −∞): each window's gradient is added at its first
 * maximum, as in maxPoolGrad2x2.
 */
export function maxPoolGrad(
  x: usize, dy: usize, dx: usize,
  batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32,
  strideHeight: i32, strideWidth: i32, filterHeight: i32, filterWidth: i32, padTop: i32, padLeft: i32,
  xBytes: usize, dyBytes: usize, dxBytes: usize,
): i32 {
  if (batch < 0 || height < 0 || width < 0 || channels < 0 || outHeight < 0 || outWidth < 0) return BAD_GEOMETRY;
  const image = bytes4(<u64>batch * height * width * channels);
  if (!fits(x, image, xBytes)) return 1;
  if (!fits(dy, bytes4(<u64>batch * outHeight * outWidth * channels), dyBytes)) return 2;
  if (!fits(dx, image, dxBytes)) return 3;
  memory.fill(dx, 0, <usize>batch * height * width * channels * 4);
  let g = dy;
  for (let n = 0; n < batch; n++) {
    const image = <usize>n * height * width * channels;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - padTop;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - padLeft;
        for (let c = 0; c < channels; c++) {
          let best: f32 = -Infinity;
          let at: isize = -1;
          for (let i = 0; i < filterHeight; i++) {
            const h = h0 + i;
            if (h < 0 || h >= height) continue;
            for (let j = 0; j < filterWidth; j++) {
              const w = w0 + j;
              if (w < 0 || w >= width) continue;
              const index = image + (<usize>h * width + w) * channels + c;
              const v = load<f32>(x + index * 4);
              if (v > best) { best = v; at = <isize>index; }
            }
          }
          if (at >= 0) {
            const target = dx + <usize>at * 4;
            store<f32>(target, load<f32>(target) + load<f32>(g + <usize>c * 4));
          }
        }
        g += <usize>channels * 4;
      }
    }
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Sums over leading axes (bias gradients)
// ---------------------------------------------------------------------------------------------------------

/** out[c] = Σ_r x[r, c] for x of shape [rows, cols], summed in row order. */
export function sumRows(x: usize, out: usize, rows: i32, cols: i32, xBytes: usize, outBytes: usize): i32 {
  if (rows < 0 || cols < 0) return BAD_GEOMETRY;
  if (!fits(x, bytes4(<u64>rows * cols), xBytes)) return 1;
  if (!fits(out, bytes4(<u64>cols), outBytes)) return 2;
  const rowBytes = <usize>cols * 4;
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let p = x + <usize>c * 4;
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
      p += rowBytes;
    }
    const o = out + <usize>c * 4;
    v128.store(o, a0);
    v128.store(o, a1, 16);
    v128.store(o, a2, 32);
    v128.store(o, a3, 48);
  }
  for (; c + 4 <= cols; c += 4) {
    let a = f32x4.splat(0);
    let p = x + <usize>c * 4;
    for (let r = 0; r < rows; r++) {
      a = f32x4.add(a, v128.load(p));
      p += rowBytes;
    }
    v128.store(out + <usize>c * 4, a);
  }
  for (; c < cols; c++) {
    let a: f32 = 0;
    let p = x + <usize>c * 4;
    for (let r = 0; r < rows; r++) {
      a += load<f32>(p);
      p += rowBytes;
    }
    store<f32>(out + <usize>c * 4, a);
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Convolution filter gradient
// ---------------------------------------------------------------------------------------------------------

/**
 * dW[i, j, c, o] = Σ_{n, p, q} x[n, p·sh + i·dh − top, q·sw + j·dw − left, c] · dy[n, p, q, o]
 * for NHWC x [n, h, w, c], dy [n, oh, ow, o] and dW [kh, kw, c, o]; positions outside x read zero.
 *
 * Image by image (its x and dy stay in cache), tap by tap, in register tiles of 4 input × 8 output
 * channels accumulated over the image's output positions and added into dW. The input channels past the
 * last multiple of 4 (a first layer's single channel) are taken as rows of dW, four (tap, channel) pairs
 * at a time, in the same tiles (filterRows4): the 16-wide tile that took one channel tap by tap spent
 * 0.91 ms on the reference CNN's first layer at batch 64, the 4×8 tiles 0.42 (five loads per four
 * products there, six per eight here).
 */
export function conv2dFilterGrad(
  x: usize, dy: usize, dW: usize,
  batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, top: i32, left: i32,
  xBytes: usize, dyBytes: usize, dWBytes: usize,
): i32 {
  if (batch < 0 || height < 0 || width < 0 || channels < 0 || outHeight < 0 || outWidth < 0 || outChannels < 0 || kh < 0 || kw < 0 || sh < 1 || sw < 1 || dh < 1 || dw < 1) {
    return BAD_GEOMETRY;
  }
  if (!fits(x, bytes4(<u64>batch * height * width * channels), xBytes)) return 1;
  if (!fits(dy, bytes4(<u64>batch * outHeight * outWidth * outChannels), dyBytes)) return 2;
  if (!fits(dW, bytes4(<u64>kh * kw * channels * outChannels), dWBytes)) return 3;
  memory.fill(dW, 0, <usize>kh * kw * channels * outChannels * 4);
  const xRow = <usize>width * channels * 4;
  const dyRow = <usize>outWidth * outChannels * 4;
  const xImage = <usize>height * xRow;
  const dyImage = <usize>outHeight * dyRow;
  const c4 = channels & ~3;
  const o8 = outChannels & ~7;
  for (let n = 0; n < batch; n++) {
    const xn = x + <usize>n * xImage;
    const dyn = dy + <usize>n * dyImage;
    for (let i = 0; i < kh; i++) {
      // output rows p whose input row p·sh + i·dh − top lies inside the image
      const offH = i * dh - top;
      const pBegin = offH >= 0 ? 0 : (-offH + sh - 1) / sh;
      const pEnd = min(outHeight, offH >= height ? 0 : (height - 1 - offH) / sh + 1);
      if (pBegin >= pEnd) continue;
      for (let j = 0; j < kw; j++) {
        const offW = j * dw - left;
        const qBegin = offW >= 0 ? 0 : (-offW + sw - 1) / sw;
        const qEnd = min(outWidth, offW >= width ? 0 : (width - 1 - offW) / sw + 1);
        if (qBegin >= qEnd) continue;
        const tap = dW + <usize>(i * kw + j) * channels * outChannels * 4;
        let c = 0;
        for (; c < c4; c += 4) {
          let o = 0;
          for (; o < o8; o += 8) {
            tile4x8(xn, dyn, tap, c, o, pBegin, pEnd, qBegin, qEnd, offH, offW, sh, sw, xRow, dyRow, channels, outChannels);
          }
          for (; o < outChannels; o++) {
            for (let k = 0; k < 4; k++) scalarTap(xn, dyn, tap, c + k, o, pBegin, pEnd, qBegin, qEnd, offH, offW, sh, sw, xRow, dyRow, channels, outChannels);
          }
        }
      }
    }
    // the input channels past the last multiple of 4, of every tap, as rows of dW taken four at a time
    const rest = channels - c4;
    const rows = kh * kw * rest;
    let t = 0;
    for (; t + 4 <= rows; t += 4) {
      filterRows4(xn, dyn, dW, t, rest, c4, height, width, channels, outHeight, outWidth, outChannels, kw, sh, sw, dh, dw, top, left, xRow, dyRow);
    }
    for (; t < rows; t++) {
      const tap = t / rest;
      const offH = (tap / kw) * dh - top;
      const offW = (tap % kw) * dw - left;
      rowSpan(
        xn, dyn, dW + (<usize>tap * channels + c4 + t % rest) * outChannels * 4, rowOffset(offH, offW, c4 + t % rest, xRow, channels),
        firstInside(offH, sh), endInside(offH, height, sh, outHeight), firstInside(offW, sw), endInside(offW, width, sw, outWidth),
        0, sh, sw, xRow, dyRow, channels, outChannels,
      );
    }
  }
  return OK;
}

// @ts-ignore: decorator
@inline
function tile4x8(
  xn: usize, dyn: usize, tap: usize, c: i32, o: i32,
  pBegin: i32, pEnd: i32, qBegin: i32, qEnd: i32, offH: i32, offW: i32, sh: i32, sw: i32,
  xRow: usize, dyRow: usize, channels: i32, outChannels: i32,
): void {
  const w0 = tap + (<usize>c * outChannels + o) * 4;
  const oStride = <usize>outChannels * 4;
  let a00 = v128.load(w0), a01 = v128.load(w0, 16);
  let a10 = v128.load(w0 + oStride), a11 = v128.load(w0 + oStride, 16);
  let a20 = v128.load(w0 + 2 * oStride), a21 = v128.load(w0 + 2 * oStride, 16);
  let a30 = v128.load(w0 + 3 * oStride), a31 = v128.load(w0 + 3 * oStride, 16);
  const xStep = <usize>sw * channels * 4;
  const dyStep = <usize>outChannels * 4;
  for (let p = pBegin; p < pEnd; p++) {
    let xp = xn + <usize>(p * sh + offH) * xRow + <usize>(qBegin * sw + offW) * channels * 4 + <usize>c * 4;
    let dp = dyn + <usize>p * dyRow + <usize>qBegin * dyStep + <usize>o * 4;
    for (let q = qBegin; q < qEnd; q++) {
      const g0 = v128.load(dp);
      const g1 = v128.load(dp, 16);
      const x0 = v128.load32_splat(xp);
      const x1 = v128.load32_splat(xp, 4);
      const x2 = v128.load32_splat(xp, 8);
      const x3 = v128.load32_splat(xp, 12);
      a00 = madd(x0, g0, a00);
      a01 = madd(x0, g1, a01);
      a10 = madd(x1, g0, a10);
      a11 = madd(x1, g1, a11);
      a20 = madd(x2, g0, a20);
      a21 = madd(x2, g1, a21);
      a30 = madd(x3, g0, a30);
      a31 = madd(x3, g1, a31);
      xp += xStep;
      dp += dyStep;
    }
  }
  v128.store(w0, a00); v128.store(w0, a01, 16);
  v128.store(w0 + oStride, a10); v128.store(w0 + oStride, a11, 16);
  v128.store(w0 + 2 * oStride, a20); v128.store(w0 + 2 * oStride, a21, 16);
  v128.store(w0 + 3 * oStride, a30); v128.store(w0 + 3 * oStride, a31, 16);
}

/** The first output index p with p·stride + offset ≥ 0 (its input index inside the image). */
// @ts-ignore: decorator
@inline
function firstInside(offset: i32, stride: i32): i32 {
  return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
}

/** One past the last output index p < outExtent with p·stride + offset < extent. */
// @ts-ignore: decorator
@inline
function endInside(offset: i32, extent: i32, stride: i32, outExtent: i32): i32 {
  return min(outExtent, offset >= extent ? 0 : (extent - 1 - offset) / stride + 1);
}

/**
 * Where, relative to the pixel at (p·sh, q·sw), a row of dW reads x: its tap is offset by (offH, offW)
 * pixels and it reads input channel c. Negative where the tap reaches into the padding; only added to
 * positions that land inside x.
 */
// @ts-ignore: decorator
@inline
function rowOffset(offH: i32, offW: i32, c: i32, xRow: usize, channels: i32): usize {
  return <usize>(offH * <i32>xRow + (offW * channels + c) * 4);
}

/**
 * Four rows of dW (four (tap, input channel) pairs past the last multiple of 4 input channels, from row
 * index `t` of those) at once: over the output positions that all four read inside x, in register tiles of
 * 4 rows × 8 output channels, as tile4x8 does for four channels of one tap; each row's other positions, and
 * its output channels past the last multiple of 8, by rowSpan. A first layer's single input channel thus
 * gets the 4×8 tile through its taps.
 */
function filterRows4(
  xn: usize, dyn: usize, dW: usize, t: i32, rest: i32, c4: i32,
  height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32,
  kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, top: i32, left: i32, xRow: usize, dyRow: usize,
): void {
  const rowBytes = <usize>outChannels * 4;
  const tap0 = t / rest, tap1 = (t + 1) / rest, tap2 = (t + 2) / rest, tap3 = (t + 3) / rest;
  const c0 = c4 + t % rest, c1 = c4 + (t + 1) % rest, c2 = c4 + (t + 2) % rest, c3 = c4 + (t + 3) % rest;
  const h0 = (tap0 / kw) * dh - top, h1 = (tap1 / kw) * dh - top, h2 = (tap2 / kw) * dh - top, h3 = (tap3 / kw) * dh - top;
  const w0 = (tap0 % kw) * dw - left, w1 = (tap1 % kw) * dw - left, w2 = (tap2 % kw) * dw - left, w3 = (tap3 % kw) * dw - left;
  const r0 = dW + (<usize>tap0 * channels + c0) * rowBytes, r1 = dW + (<usize>tap1 * channels + c1) * rowBytes;
  const r2 = dW + (<usize>tap2 * channels + c2) * rowBytes, r3 = dW + (<usize>tap3 * channels + c3) * rowBytes;
  const x0 = rowOffset(h0, w0, c0, xRow, channels), x1 = rowOffset(h1, w1, c1, xRow, channels);
  const x2 = rowOffset(h2, w2, c2, xRow, channels), x3 = rowOffset(h3, w3, c3, xRow, channels);
  // the positions each row reads inside x, and those all four do
  const pb0 = firstInside(h0, sh), pb1 = firstInside(h1, sh), pb2 = firstInside(h2, sh), pb3 = firstInside(h3, sh);
  const pe0 = endInside(h0, height, sh, outHeight), pe1 = endInside(h1, height, sh, outHeight);
  const pe2 = endInside(h2, height, sh, outHeight), pe3 = endInside(h3, height, sh, outHeight);
  const qb0 = firstInside(w0, sw), qb1 = firstInside(w1, sw), qb2 = firstInside(w2, sw), qb3 = firstInside(w3, sw);
  const qe0 = endInside(w0, width, sw, outWidth), qe1 = endInside(w1, width, sw, outWidth);
  const qe2 = endInside(w2, width, sw, outWidth), qe3 = endInside(w3, width, sw, outWidth);
  const pFrom = max(max(pb0, pb1), max(pb2, pb3)), pTo = min(min(pe0, pe1), min(pe2, pe3));
  const qFrom = max(max(qb0, qb1), max(qb2, qb3)), qTo = min(min(qe0, qe1), min(qe2, qe3));
  if (pFrom >= pTo || qFrom >= qTo) {
    // no position that all four read: each row on its own
    rowSpan(xn, dyn, r0, x0, pb0, pe0, qb0, qe0, 0, sh, sw, xRow, dyRow, channels, outChannels);
    rowSpan(xn, dyn, r1, x1, pb1, pe1, qb1, qe1, 0, sh, sw, xRow, dyRow, channels, outChannels);
    rowSpan(xn, dyn, r2, x2, pb2, pe2, qb2, qe2, 0, sh, sw, xRow, dyRow, channels, outChannels);
    rowSpan(xn, dyn, r3, x3, pb3, pe3, qb3, qe3, 0, sh, sw, xRow, dyRow, channels, outChannels);
    return;
  }
  const o8 = outChannels & ~7;
  const xStep = <usize>sw * channels * 4;
  const dyStep = <usize>outChannels * 4;
  for (let o = 0; o < o8; o += 8) {
    const oBytes = <usize>o * 4;
    let a00 = v128.load(r0 + oBytes), a01 = v128.load(r0 + oBytes, 16);
    let a10 = v128.load(r1 + oBytes), a11 = v128.load(r1 + oBytes, 16);
    let a20 = v128.load(r2 + oBytes), a21 = v128.load(r2 + oBytes, 16);
    let a30 = v128.load(r3 + oBytes), a31 = v128.load(r3 + oBytes, 16);
    for (let p = pFrom; p < pTo; p++) {
      let xp = xn + <usize>(p * sh) * xRow + <usize>qFrom * xStep;
      let dp = dyn + <usize>p * dyRow + <usize>qFrom * dyStep + oBytes;
      for (let q = qFrom; q < qTo; q++) {
        const g0 = v128.load(dp);
        const g1 = v128.load(dp, 16);
        const s0 = v128.load32_splat(xp + x0);
        const s1 = v128.load32_splat(xp + x1);
        const s2 = v128.load32_splat(xp + x2);
        const s3 = v128.load32_splat(xp + x3);
        a00 = madd(s0, g0, a00);
        a01 = madd(s0, g1, a01);
        a10 = madd(s1, g0, a10);
        a11 = madd(s1, g1, a11);
        a20 = madd(s2, g0, a20);
        a21 = madd(s2, g1, a21);
        a30 = madd(s3, g0, a30);
        a31 = madd(s3, g1, a31);
        xp += xStep;
        dp += dyStep;
      }
    }
    v128.store(r0 + oBytes, a00); v128.store(r0 + oBytes, a01, 16);
    v128.store(r1 + oBytes, a10); v128.store(r1 + oBytes, a11, 16);
    v128.store(r2 + oBytes, a20); v128.store(r2 + oBytes, a21, 16);
    v128.store(r3 + oBytes, a30); v128.store(r3 + oBytes, a31, 16);
  }
  frame(xn, dyn, r0, x0, pb0, pe0, qb0, qe0, pFrom, pTo, qFrom, qTo, o8, sh, sw, xRow, dyRow, channels, outChannels);
  frame(xn, dyn, r1, x1, pb1, pe1, qb1, qe1, pFrom, pTo, qFrom, qTo, o8, sh, sw, xRow, dyRow, channels, outChannels);
  frame(xn, dyn, r2, x2, pb2, pe2, qb2, qe2, pFrom, pTo, qFrom, qTo, o8, sh, sw, xRow, dyRow, channels, outChannels);
  frame(xn, dyn, r3, x3, pb3, pe3, qb3, qe3, pFrom, pTo, qFrom, qTo, o8, sh, sw, xRow, dyRow, channels, outChannels);
}

/**
 * What filterRows4's tiles left of one row: its output channels from o8 over all its positions, and all
 * its output channels over its positions outside [pFrom, pTo) × [qFrom, qTo) (the rectangles above,
 * below, left and right of it).
 */
function frame(
  xn: usize, dyn: usize, row: usize, xOff: usize, pb: i32, pe: i32, qb: i32, qe: i32,
  pFrom: i32, pTo: i32, qFrom: i32, qTo: i32, o8: i32,
  sh: i32, sw: i32, xRow: usize, dyRow: usize, channels: i32, outChannels: i32,
): void {
  if (o8 < outChannels) {
    for (let o = o8; o < outChannels; o++) scalarSpan(xn, dyn, row, xOff, pFrom, pTo, qFrom, qTo, o, sh, sw, xRow, dyRow, channels, outChannels);
  }
  rowSpan(xn, dyn, row, xOff, pb, pFrom, qb, qe, 0, sh, sw, xRow, dyRow, channels, outChannels);
  rowSpan(xn, dyn, row, xOff, pTo, pe, qb, qe, 0, sh, sw, xRow, dyRow, channels, outChannels);
  rowSpan(xn, dyn, row, xOff, pFrom, pTo, qb, qFrom, 0, sh, sw, xRow, dyRow, channels, outChannels);
  rowSpan(xn, dyn, row, xOff, pFrom, pTo, qTo, qe, 0, sh, sw, xRow, dyRow, channels, outChannels);
}

/**
 * One row of dW (one tap and input channel; x read at `xOff` from each position's pixel), output channels
 * from `oFrom`, summed over the positions [pFrom, pTo) × [qFrom, qTo): 16 and 8 at a time, then one by one.
 */
function rowSpan(
  xn: usize, dyn: usize, row: usize, xOff: usize, pFrom: i32, pTo: i32, qFrom: i32, qTo: i32, oFrom: i32,
  sh: i32, sw: i32, xRow: usize, dyRow: usize, channels: i32, outChannels: i32,
): void {
  if (pFrom >= pTo || qFrom >= qTo) return;
  const xStep = <usize>sw * channels * 4;
  const dyStep = <usize>outChannels * 4;
  let o = oFrom;
  for (; o + 16 <= outChannels; o += 16) {
    const w = row + (<usize>o << 2);
    let a0 = v128.load(w), a1 = v128.load(w, 16), a2 = v128.load(w, 32), a3 = v128.load(w, 48);
    for (let p = pFrom; p < pTo; p++) {
      let xp = xn + <usize>(p * sh) * xRow + <usize>qFrom * xStep + xOff;
      let dp = dyn + <usize>p * dyRow + <usize>qFrom * dyStep + (<usize>o << 2);
      for (let q = qFrom; q < qTo; q++) {
        const s = v128.load32_splat(xp);
        a0 = madd(s, v128.load(dp), a0);
        a1 = madd(s, v128.load(dp, 16), a1);
        a2 = madd(s, v128.load(dp, 32), a2);
        a3 = madd(s, v128.load(dp, 48), a3);
        xp += xStep;
        dp += dyStep;
      }
    }
    v128.store(w, a0); v128.store(w, a1, 16); v128.store(w, a2, 32); v128.store(w, a3, 48);
  }
  for (; o + 8 <= outChannels; o += 8) {
    const w = row + (<usize>o << 2);
    let a0 = v128.load(w), a1 = v128.load(w, 16);
    for (let p = pFrom; p < pTo; p++) {
      let xp = xn + <usize>(p * sh) * xRow + <usize>qFrom * xStep + xOff;
      let dp = dyn + <usize>p * dyRow + <usize>qFrom * dyStep + (<usize>o << 2);
      for (let q = qFrom; q < qTo; q++) {
        const s = v128.load32_splat(xp);
        a0 = madd(s, v128.load(dp), a0);
        a1 = madd(s, v128.load(dp, 16), a1);
        xp += xStep;
        dp += dyStep;
      }
    }
    v128.store(w, a0); v128.store(w, a1, 16);
  }
  for (; o < outChannels; o++) scalarSpan(xn, dyn, row, xOff, pFrom, pTo, qFrom, qTo, o, sh, sw, xRow, dyRow, channels, outChannels);
}

/** One value of a row of dW, output channel o, summed over [pFrom, pTo) × [qFrom, qTo) in scalar arithmetic. */
function scalarSpan(
  xn: usize, dyn: usize, row: usize, xOff: usize, pFrom: i32, pTo: i32, qFrom: i32, qTo: i32, o: i32,
  sh: i32, sw: i32, xRow: usize, dyRow: usize, channels: i32, outChannels: i32,
): void {
  const w = row + (<usize>o << 2);
  let a = load<f32>(w);
  for (let p = pFrom; p < pTo; p++) {
    for (let q = qFrom; q < qTo; q++) {
      a += load<f32>(xn + <usize>(p * sh) * xRow + <usize>(q * sw * channels) * 4 + xOff) * load<f32>(dyn + <usize>p * dyRow + (<usize>q * outChannels + o) * 4);
    }
  }
  store<f32>(w, a);
}

function scalarTap(
  xn: usize, dyn: usize, tap: usize, c: i32, o: i32,
  pBegin: i32, pEnd: i32, qBegin: i32, qEnd: i32, offH: i32, offW: i32, sh: i32, sw: i32,
  xRow: usize, dyRow: usize, channels: i32, outChannels: i32,
): void {
  const w0 = tap + (<usize>c * outChannels + o) * 4;
  let a = load<f32>(w0);
  for (let p = pBegin; p < pEnd; p++) {
    for (let q = qBegin; q < qEnd; q++) {
      const xv = load<f32>(xn + <usize>(p * sh + offH) * xRow + (<usize>(q * sw + offW) * channels + c) * 4);
      a += xv * load<f32>(dyn + <usize>p * dyRow + (<usize>q * outChannels + o) * 4);
    }
  }
  store<f32>(w0, a);
}

// ---------------------------------------------------------------------------------------------------------
// Optimizer arithmetic
// ---------------------------------------------------------------------------------------------------------

/** Σ x² over n floats in the order of common.ts `blockSquares`; −1 when x is too small. */
export function sumSquares(x: usize, n: i32, xBytes: usize): f64 {
  if (n < 0 || !fits(x, bytes4(<u64>n), xBytes)) return -1;
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  const blockEnd = x + (<usize>(n & ~15) << 2);
  const vectorEnd = x + (<usize>(n & ~3) << 2);
  let p = x;
  for (; p < blockEnd; p += 64) {
    const block = blockSquares(v128.load(p), v128.load(p, 16), v128.load(p, 32), v128.load(p, 48));
    lo = f64x2.add(lo, lowLanes(block));
    hi = f64x2.add(hi, highLanes(block));
  }
  for (; p < vectorEnd; p += 16) {
    const v = v128.load(p);
    const squares = f32x4.mul(v, v);
    lo = f64x2.add(lo, lowLanes(squares));
    hi = f64x2.add(hi, highLanes(squares));
  }
  let total = laneTotal(lo, hi);
  const end = x + (<usize>n << 2);
  for (; p < end; p += 4) {
    const v = load<f32>(p);
    total += <f64>(v * v);
  }
  return total;
}

/**
 * One Adam (or AMSGrad) step over n parameters, in the order of operations of stepwise's composed rule
 * (src/optim/rules/adam.ts), each in f32:
 *
 *   m' = m·β₁ + g·(1 − β₁);  v' = v·β₂ + g²·(1 − β₂);  s = amsgrad ? max(v̂, v') : v'
 *   θ' = θ − (m' / (√s / √(1 − β₂ᵗ) + ε)) · stepSize
 *
 * Outputs go to new buffers (tfjs tensors are immutable); vMax/outVMax are ignored unless amsgrad.
 */
export function adamStep(
  param: usize, grad: usize, m: usize, v: usize, vMax: usize,
  outParam: usize, outM: usize, outV: usize, outVMax: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, correction2: f32, eps: f32, stepSize: f32, amsgrad: i32,
  paramBytes: usize, gradBytes: usize, mBytes: usize, vBytes: usize, vMaxBytes: usize,
  outParamBytes: usize, outMBytes: usize, outVBytes: usize, outVMaxBytes: usize,
): i32 {
  if (n < 0) return BAD_GEOMETRY;
  const need = bytes4(<u64>n);
  if (!fits(param, need, paramBytes)) return 1;
  if (!fits(grad, need, gradBytes)) return 2;
  if (!fits(m, need, mBytes)) return 3;
  if (!fits(v, need, vBytes)) return 4;
  if (amsgrad && !fits(vMax, need, vMaxBytes)) return 5;
  if (!fits(outParam, need, outParamBytes)) return 6;
  if (!fits(outM, need, outMBytes)) return 7;
  if (!fits(outV, need, outVBytes)) return 8;
  if (amsgrad && !fits(outVMax, need, outVMaxBytes)) return 9;
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2);
  const k2 = f32x4.splat(correction2), e = f32x4.splat(eps), lr = f32x4.splat(stepSize);
  const vectorBytes = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorBytes; i += 16) {
    const g = v128.load(grad + i);
    const m1 = f32x4.add(f32x4.mul(v128.load(m + i), b1), f32x4.mul(g, c1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + i), b2), f32x4.mul(f32x4.mul(g, g), c2));
    v128.store(outM + i, m1);
    v128.store(outV + i, v1);
    let second = v1;
    if (amsgrad) {
      second = f32x4.max(v128.load(vMax + i), v1);
      v128.store(outVMax + i, second);
    }
    const denominator = f32x4.add(f32x4.div(f32x4.sqrt(second), k2), e);
    v128.store(outParam + i, f32x4.sub(v128.load(param + i), f32x4.mul(f32x4.div(m1, denominator), lr)));
  }
  const bytes = <usize>n << 2;
  for (; i < bytes; i += 4) {
    const g = load<f32>(grad + i);
    const m1 = load<f32>(m + i) * beta1 + g * oneMinusBeta1;
    const v1 = load<f32>(v + i) * beta2 + g * g * oneMinusBeta2;
    store<f32>(outM + i, m1);
    store<f32>(outV + i, v1);
    let second = v1;
    if (amsgrad) {
      second = max(load<f32>(vMax + i), v1);
      store<f32>(outVMax + i, second);
    }
    store<f32>(outParam + i, load<f32>(param + i) - (m1 / (sqrt<f32>(second) / correction2 + eps)) * stepSize);
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------------------

/**
 * out[b, o, i, :] = x[b, o, indices[b, i], :] for x [batch, outer, dim, slice] and int32 indices
 * [batch, perBatch], slices of `sliceBytes` bytes copied whole. An index outside [0, dim) is BAD_GEOMETRY.
 */
export function gather(
  x: usize, indices: usize, out: usize, batch: i32, outer: i32, dim: i32, perBatch: i32, sliceBytes: i32,
  xBytes: usize, indicesBytes: usize, outBytes: usize,
): i32 {
  if (batch < 0 || outer < 0 || dim < 0 || perBatch < 0 || sliceBytes < 0) return BAD_GEOMETRY;
  if (!fits(x, <u64>batch * outer * dim * sliceBytes, xBytes)) return 1;
  if (!fits(indices, bytes4(<u64>batch * perBatch), indicesBytes)) return 2;
  if (!fits(out, <u64>batch * outer * perBatch * sliceBytes, outBytes)) return 3;
  const count = <usize>batch * perBatch;
  for (let i: usize = 0; i < count; i++) {
    const index = load<i32>(indices + (i << 2));
    if (index < 0 || index >= dim) return BAD_GEOMETRY;
  }
  const slice = <usize>sliceBytes;
  let target = out;
  for (let b = 0; b < batch; b++) {
    const row = indices + (<usize>b * perBatch << 2);
    for (let o = 0; o < outer; o++) {
      const source = x + (<usize>b * outer + o) * dim * slice;
      for (let i = 0; i < perBatch; i++) {
        memory.copy(target, source + <usize>load<i32>(row + (<usize>i << 2)) * slice, slice);
        target += slice;
      }
    }
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Bias addition
// ---------------------------------------------------------------------------------------------------------

/** out[r, c] = x[r, c] + bias[c] for x of shape [rows, cols]. */
export function addRowVector(x: usize, bias: usize, out: usize, rows: i32, cols: i32, xBytes: usize, biasBytes: usize, outBytes: usize): i32 {
  if (rows < 0 || cols < 0) return BAD_GEOMETRY;
  const all = bytes4(<u64>rows * cols);
  if (!fits(x, all, xBytes)) return 1;
  if (!fits(bias, bytes4(<u64>cols), biasBytes)) return 2;
  if (!fits(out, all, outBytes)) return 3;
  const rowBytes = <usize>cols << 2;
  const vectorBytes = <usize>(cols & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const offset = <usize>r * rowBytes;
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) v128.store(out + offset + c, f32x4.add(v128.load(x + offset + c), v128.load(bias + c)));
    for (; c < rowBytes; c += 4) store<f32>(out + offset + c, load<f32>(x + offset + c) + load<f32>(bias + c));
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Transpose
// ---------------------------------------------------------------------------------------------------------

/**
 * out[b, c, r] = x[b, r, c] for `batch` matrices x [rows, cols] of 4-byte elements (their bits moved, NaN
 * payloads kept): 4 × 4 blocks through registers (four loads, eight shuffles, four stores), taken in tiles
 * of 32 × 32 so that the strided stores of a tile stay in cache; the edges one element at a time. The wasm
 * backend's own Transpose computes every element's index in a generic loop (~2 GB/s here).
 */
export function transposeMatrices(x: usize, out: usize, batch: i32, rows: i32, cols: i32, xBytes: usize, outBytes: usize): i32 {
  if (batch < 0 || rows < 0 || cols < 0) return BAD_GEOMETRY;
  const all = bytes4(<u64>batch * rows * cols);
  if (!fits(x, all, xBytes)) return 1;
  if (!fits(out, all, outBytes)) return 2;
  const rowBytes = <usize>cols << 2;
  const outRowBytes = <usize>rows << 2;
  const matrix = <usize>rows * rowBytes;
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * matrix;
    const ob = out + <usize>b * matrix;
    for (let r0 = 0; r0 < r4; r0 += 32) {
      const r1 = min(r0 + 32, r4);
      for (let c0 = 0; c0 < c4; c0 += 32) {
        const c1 = min(c0 + 32, c4);
        for (let r = r0; r < r1; r += 4) {
          const from = xb + <usize>r * rowBytes;
          const to = ob + (<usize>r << 2);
          for (let c = c0; c < c1; c += 4) {
            const p = from + (<usize>c << 2);
            const a = v128.load(p);
            const bv = v128.load(p + rowBytes);
            const cv = v128.load(p + 2 * rowBytes);
            const d = v128.load(p + 3 * rowBytes);
            const t0 = v128.shuffle<f32>(a, bv, 0, 4, 1, 5);
            const t1 = v128.shuffle<f32>(a, bv, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(cv, d, 0, 4, 1, 5);
            const t3 = v128.shuffle<f32>(cv, d, 2, 6, 3, 7);
            const q = to + <usize>c * outRowBytes;
            v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
            v128.store(q + outRowBytes, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
            v128.store(q + 2 * outRowBytes, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
            v128.store(q + 3 * outRowBytes, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
          }
        }
      }
    }
    // the last cols % 4 columns of the first r4 rows, then the last rows % 4 rows whole
    for (let r = 0; r < r4; r++) {
      for (let c = c4; c < cols; c++) store<u32>(ob + (<usize>c * rows + r) * 4, load<u32>(xb + (<usize>r * cols + c) * 4));
    }
    for (let r = r4; r < rows; r++) {
      for (let c = 0; c < cols; c++) store<u32>(ob + (<usize>c * rows + r) * 4, load<u32>(xb + (<usize>r * cols + c) * 4));
    }
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Bias and activation epilogue
// ---------------------------------------------------------------------------------------------------------

/**
 * y[r, c] = max(0, y[r, c] + bias[c]) in place, or either half alone, as `mode` says: the f32 sum of an
 * Add of a row vector (addRowVector), then Relu as the wasm backend computes it, max(+0, v), which keeps
 * NaN and turns −0 into +0. So a product followed by this gives the bits of the product, Add and Relu
 * run one after another.
 */
function biasActivationRows(y: usize, bias: usize, rows: i32, cols: i32, mode: i32): void {
  const addBias = (mode & EPILOGUE_BIAS) != 0;
  const relu = (mode & EPILOGUE_RELU) != 0;
  const zero = f32x4.splat(0);
  const rowBytes = <usize>cols << 2;
  const vectorBytes = <usize>(cols & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const row = y + <usize>r * rowBytes;
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) {
      let v = v128.load(row + c);
      if (addBias) v = f32x4.add(v, v128.load(bias + c));
      if (relu) v = f32x4.max(zero, v);
      v128.store(row + c, v);
    }
    for (; c < rowBytes; c += 4) {
      let v = load<f32>(row + c);
      if (addBias) v += load<f32>(bias + c);
      if (relu) v = Mathf.max(0, v);
      store<f32>(row + c, v);
    }
  }
}

/** biasActivationRows over y [rows, cols], checked: a fused product's bias and activation after the product. */
export function biasActivation(y: usize, bias: usize, rows: i32, cols: i32, mode: i32, yBytes: usize, biasBytes: usize): i32 {
  if (rows < 0 || cols < 0 || mode < 0 || mode > EPILOGUE_BIAS_RELU) return BAD_GEOMETRY;
  if (!fits(y, bytes4(<u64>rows * cols), yBytes)) return 1;
  if ((mode & EPILOGUE_BIAS) != 0 && !fits(bias, bytes4(<u64>cols), biasBytes)) return 2;
  biasActivationRows(y, bias, rows, cols, mode);
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Matrix product
// ---------------------------------------------------------------------------------------------------------

/**
 * C = A·B for A [m, k], row-major B [k, n] and C [m, n], reading B in place (XNNPACK first packs B into its
 * own layout, which costs more than the product when B is new, as the weights are after every update).
 * Register tiles of 4 rows × 8 columns accumulate over k; a column block of B (k × 8) stays in cache while
 * every row tile passes over it. A[r, i] is read at a + (r·aRowStride + i·aStep) floats: (k, 1) for a
 * row-major A, (1, m) for the transpose of a row-major [k, m] (a dense layer's weight gradient xᵀ·dy, which
 * the wasm backend's Transpose took longer to lay out than the product takes).
 */
export function matMul(
  a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, aRowStride: i32, aStep: i32, aBytes: usize, bBytes: usize, cBytes: usize,
): i32 {
  if (m < 0 || k < 0 || n < 0 || aRowStride < 1 || aStep < 1) return BAD_GEOMETRY;
  // A's last element read is at (m − 1)·aRowStride + (k − 1)·aStep
  const aNeed: u64 = m == 0 || k == 0 ? 0 : bytes4(<u64>(m - 1) * aRowStride + <u64>(k - 1) * aStep + 1);
  if (!fits(a, aNeed, aBytes)) return 1;
  if (!fits(b, bytes4(<u64>k * n), bBytes)) return 2;
  if (!fits(c, bytes4(<u64>m * n), cBytes)) return 3;
  const aRow = <usize>aRowStride << 2;
  const aNext = <usize>aStep << 2;
  const bRow = <usize>n << 2;
  const m4 = m & ~3;
  const n8 = n & ~7;
  for (let col = 0; col < n8; col += 8) {
    const bColumn = b + (<usize>col << 2);
    let row = 0;
    for (; row < m4; row += 4) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let pa = a + <usize>row * aRow;
      let pb = bColumn;
      for (let i = 0; i < k; i++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const a0 = v128.load32_splat(pa);
        const a1 = v128.load32_splat(pa + aRow);
        const a2 = v128.load32_splat(pa + 2 * aRow);
        const a3 = v128.load32_splat(pa + 3 * aRow);
        c00 = madd(a0, b0, c00);
        c01 = madd(a0, b1, c01);
        c10 = madd(a1, b0, c10);
        c11 = madd(a1, b1, c11);
        c20 = madd(a2, b0, c20);
        c21 = madd(a2, b1, c21);
        c30 = madd(a3, b0, c30);
        c31 = madd(a3, b1, c31);
        pa += aNext;
        pb += bRow;
      }
      const pc = c + (<usize>row * n + col) * 4;
      v128.store(pc, c00); v128.store(pc, c01, 16);
      v128.store(pc + bRow, c10); v128.store(pc + bRow, c11, 16);
      v128.store(pc + 2 * bRow, c20); v128.store(pc + 2 * bRow, c21, 16);
      v128.store(pc + 3 * bRow, c30); v128.store(pc + 3 * bRow, c31, 16);
    }
    for (; row < m; row++) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
      let pa = a + <usize>row * aRow;
      let pb = bColumn;
      for (let i = 0; i < k; i++) {
        const a0 = v128.load32_splat(pa);
        c0 = madd(a0, v128.load(pb), c0);
        c1 = madd(a0, v128.load(pb, 16), c1);
        pa += aNext;
        pb += bRow;
      }
      const pc = c + (<usize>row * n + col) * 4;
      v128.store(pc, c0);
      v128.store(pc, c1, 16);
    }
  }
  let col = n8;
  if (n - col >= 4) {
    // a block of 4 columns: tiles of 4 rows × 4 columns, then single rows
    const bColumn = b + (<usize>col << 2);
    let row = 0;
    for (; row < m4; row += 4) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let pa = a + <usize>row * aRow;
      let pb = bColumn;
      for (let i = 0; i < k; i++) {
        const b0 = v128.load(pb);
        c0 = madd(v128.load32_splat(pa), b0, c0);
        c1 = madd(v128.load32_splat(pa + aRow), b0, c1);
        c2 = madd(v128.load32_splat(pa + 2 * aRow), b0, c2);
        c3 = madd(v128.load32_splat(pa + 3 * aRow), b0, c3);
        pa += aNext;
        pb += bRow;
      }
      const pc = c + (<usize>row * n + col) * 4;
      v128.store(pc, c0);
      v128.store(pc + bRow, c1);
      v128.store(pc + 2 * bRow, c2);
      v128.store(pc + 3 * bRow, c3);
    }
    for (; row < m; row++) {
      let c0 = f32x4.splat(0);
      let pa = a + <usize>row * aRow;
      let pb = bColumn;
      for (let i = 0; i < k; i++) {
        c0 = madd(v128.load32_splat(pa), v128.load(pb), c0);
        pa += aNext;
        pb += bRow;
      }
      v128.store(c + (<usize>row * n + col) * 4, c0);
    }
    col += 4;
  }
  // the last 1–3 columns, in scalar arithmetic: 4 rows at a time, whose sums do not wait for each other
  // (one sum at a time waited out every add's latency: the 2 leftover columns of a 10-class output layer
  // took longer than its other 8)
  for (; col < n; col++) {
    const bColumn = b + (<usize>col << 2);
    let row = 0;
    for (; row < m4; row += 4) {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      let pa = a + <usize>row * aRow;
      let pb = bColumn;
      for (let i = 0; i < k; i++) {
        const v = load<f32>(pb);
        s0 += load<f32>(pa) * v;
        s1 += load<f32>(pa + aRow) * v;
        s2 += load<f32>(pa + 2 * aRow) * v;
        s3 += load<f32>(pa + 3 * aRow) * v;
        pa += aNext;
        pb += bRow;
      }
      const pc = c + (<usize>row * n + col) * 4;
      store<f32>(pc, s0);
      store<f32>(pc + bRow, s1);
      store<f32>(pc + 2 * bRow, s2);
      store<f32>(pc + 3 * bRow, s3);
    }
    for (; row < m; row++) {
      let sum: f32 = 0;
      let pa = a + <usize>row * aRow;
      let pb = bColumn;
      for (let i = 0; i < k; i++) {
        sum += load<f32>(pa) * load<f32>(pb);
        pa += aNext;
        pb += bRow;
      }
      store<f32>(c + (<usize>row * n + col) * 4, sum);
    }
  }
  return OK;
}

/** out = sum + grad·scale (or grad·scale without a sum), in f32: one micro-batch into an accumulation buffer. */
export function scaledAdd(sum: usize, grad: usize, out: usize, n: i32, scale: f32, hasSum: i32, sumBytes: usize, gradBytes: usize, outBytes: usize): i32 {
  if (n < 0) return BAD_GEOMETRY;
  const need = bytes4(<u64>n);
  if (hasSum && !fits(sum, need, sumBytes)) return 1;
  if (!fits(grad, need, gradBytes)) return 2;
  if (!fits(out, need, outBytes)) return 3;
  const s = f32x4.splat(scale);
  const vectorBytes = <usize>(n & ~3) << 2;
  const bytes = <usize>n << 2;
  let i: usize = 0;
  if (hasSum) {
    for (; i < vectorBytes; i += 16) v128.store(out + i, f32x4.add(v128.load(sum + i), f32x4.mul(v128.load(grad + i), s)));
    for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(sum + i) + load<f32>(grad + i) * scale);
  } else {
    for (; i < vectorBytes; i += 16) v128.store(out + i, f32x4.mul(v128.load(grad + i), s));
    for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(grad + i) * scale);
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Convolution
// ---------------------------------------------------------------------------------------------------------

/**
 * y[n, p, q, o] = Σ_{i, j, c} x[n, p·sh + i·dh − top, q·sw + j·dw − left, c] · W[i, j, c, o]
 * for NHWC x [n, h, w, c], W [kh, kw, c, o] and y [n, oh, ow, o]; positions outside x read zero, from
 * `zeros`, a caller's buffer of at least c zero floats.
 *
 * Direct, reading W in place (XNNPACK packs the filter into its own layout whenever it is new, which in
 * training is every step). The output positions of an image are taken 4 at a time, flattened (a tile may
 * span two output rows), in register tiles of 4 positions × 8 output channels that accumulate over the
 * taps and input channels as matMul does over k. Each tap reads, for each of the 4 positions, either its
 * pixel or, where the tap falls in the padding, `zeros`; the check is skipped for tiles that read inside x
 * for every tap, and a tap that falls in the padding for all 4 positions is skipped (the padded convolution
 * that Conv2DBackpropInput runs would otherwise spend about a quarter of its products on zeros).
 *
 * `epilogue` (EPILOGUE_*) adds `bias` [o] and/or applies ReLU to each output as its register tile is
 * stored, once its sum is complete (FusedConv2D: no pass over y for the Add and Relu); `bias` is read
 * only when the epilogue adds it.
 */
export function conv2d(
  x: usize, filter: usize, y: usize, zeros: usize, bias: usize,
  batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, top: i32, left: i32, epilogue: i32,
  xBytes: usize, filterBytes: usize, yBytes: usize, zerosBytes: usize, biasBytes: usize,
): i32 {
  if (batch < 0 || height < 0 || width < 0 || channels < 0 || outHeight < 0 || outWidth < 0 || outChannels < 0 || kh < 0 || kw < 0 || sh < 1 || sw < 1 || dh < 1 || dw < 1) {
    return BAD_GEOMETRY;
  }
  if (epilogue < 0 || epilogue > EPILOGUE_BIAS_RELU) return BAD_GEOMETRY;
  if (!fits(x, bytes4(<u64>batch * height * width * channels), xBytes)) return 1;
  if (!fits(filter, bytes4(<u64>kh * kw * channels * outChannels), filterBytes)) return 2;
  if (!fits(y, bytes4(<u64>batch * outHeight * outWidth * outChannels), yBytes)) return 3;
  if (!fits(zeros, bytes4(<u64>channels), zerosBytes)) return 4;
  if ((epilogue & EPILOGUE_BIAS) != 0 && !fits(bias, bytes4(<u64>outChannels), biasBytes)) return 5;
  for (let c = 0; c < channels; c++) if (load<u32>(zeros + (<usize>c << 2)) != 0) return BAD_GEOMETRY; // not zeros: +0.0 only
  const positions = outHeight * outWidth;
  if (
    channels == 1 && (outChannels & 15) == 0 && top == 0 && left == 0 && outWidth >= 2 &&
    (outHeight - 1) * sh + (kh - 1) * dh < height && (outWidth - 1) * sw + (kw - 1) * dw < width
  ) {
    conv2dOneChannelInside(x, filter, y, bias, batch, height, width, outHeight, outWidth, outChannels, kh, kw, sh, sw, dh, dw, epilogue);
    return OK;
  }
  const xImage = <usize>height * width * channels * 4;
  const yImage = <usize>positions * outChannels * 4;
  const o8 = outChannels & ~7;
  const channelBytes = <usize>channels * 4;
  const oBytes = <usize>outChannels * 4;
  const rowStep = <usize>dh * width * channelBytes;
  const colStep = <usize>dw * channelBytes;
  for (let n = 0; n < batch; n++) {
    const xn = x + <usize>n * xImage;
    const yn = y + <usize>n * yImage;
    let at = 0;
    // the output row and column of position `at`, stepped along (no division per tile)
    let row = 0, col = 0;
    for (; at + 4 <= positions; at += 4) {
      const r0 = row * sh - top, q0 = col * sw - left;
      if (++col == outWidth) { col = 0; row++; }
      const r1 = row * sh - top, q1 = col * sw - left;
      if (++col == outWidth) { col = 0; row++; }
      const r2 = row * sh - top, q2 = col * sw - left;
      if (++col == outWidth) { col = 0; row++; }
      const r3 = row * sh - top, q3 = col * sw - left;
      if (++col == outWidth) { col = 0; row++; }
      const inside =
        reachesInside(r0, q0, height, width, kh, kw, dh, dw) && reachesInside(r1, q1, height, width, kh, kw, dh, dw) &&
        reachesInside(r2, q2, height, width, kh, kw, dh, dw) && reachesInside(r3, q3, height, width, kh, kw, dh, dw);
      const yt = yn + <usize>at * outChannels * 4;
      let o = 0;
      if (inside && channels < 4) {
        const p0 = xn + (<usize>r0 * width + q0) * channelBytes;
        const d1 = (<usize>(r1 - r0) * width + (q1 - q0)) * channelBytes;
        const d2 = (<usize>(r2 - r0) * width + (q2 - q0)) * channelBytes;
        const d3 = (<usize>(r3 - r0) * width + (q3 - q0)) * channelBytes;
        convBlock4Inside(p0, d1, d2, d3, filter, yt, o8, channelBytes, oBytes, kh, kw, rowStep, colStep, bias, epilogue);
        o = o8;
      } else {
        for (; o < o8; o += 8) {
          convTile4x8(xn, zeros, filter, yt, o, r0, q0, r1, q1, r2, q2, r3, q3, inside, height, width, channels, outChannels, kh, kw, dh, dw, bias, epilogue);
        }
      }
      for (; o < outChannels; o++) {
        convPoint(xn, zeros, filter, yt, o, r0, q0, height, width, channels, outChannels, kh, kw, dh, dw, bias, epilogue);
        convPoint(xn, zeros, filter, yt + <usize>outChannels * 4, o, r1, q1, height, width, channels, outChannels, kh, kw, dh, dw, bias, epilogue);
        convPoint(xn, zeros, filter, yt + <usize>outChannels * 8, o, r2, q2, height, width, channels, outChannels, kh, kw, dh, dw, bias, epilogue);
        convPoint(xn, zeros, filter, yt + <usize>outChannels * 12, o, r3, q3, height, width, channels, outChannels, kh, kw, dh, dw, bias, epilogue);
      }
    }
    for (; at < positions; at++) {
      const r = (at / outWidth) * sh - top, q = (at % outWidth) * sw - left;
      const yt = yn + <usize>at * outChannels * 4;
      let o = 0;
      for (; o < o8; o += 8) convTile1x8(xn, zeros, filter, yt, o, r, q, height, width, channels, outChannels, kh, kw, dh, dw, bias, epilogue);
      for (; o < outChannels; o++) convPoint(xn, zeros, filter, yt, o, r, q, height, width, channels, outChannels, kh, kw, dh, dw, bias, epilogue);
    }
  }
  return OK;
}

/**
 * conv2d of a one-channel input (a grayscale first layer) whose windows all lie inside it (no padding),
 * into output channels in multiples of 16: each output row's positions two at a time × 16 channels
 * (convTile2x16OneChannel); an odd last position is computed with the one before it, which is written
 * again with the same values. Each output is the same sum, in the same order, as conv2d's 4 × 8 tiles make
 * it. Those tiles keep four pixel pointers, a channel counter and the tests of every window beside eight
 * accumulators; on the reference CNN's first layer at batch 64 (bias and ReLU) this took 0.39 ms against
 * their 0.55 (the kernel alone on one heap, the builds timed in turns, 2026-12-03).
 */
function conv2dOneChannelInside(
  x: usize, filter: usize, y: usize, bias: usize, batch: i32, height: i32, width: i32, outHeight: i32, outWidth: i32, outChannels: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, epilogue: i32,
): void {
  const xImage = <usize>height * width * 4;
  const oBytes = <usize>outChannels * 4;
  const rowStep = <usize>dh * width * 4;
  const colStep = <usize>dw * 4;
  const next = <usize>sw * 4; // from one output position's pixel to the next one's along the row
  const outRow = <usize>outWidth * oBytes;
  const lastPair = outWidth - 2;
  let yRow = y;
  for (let n = 0; n < batch; n++) {
    for (let row = 0; row < outHeight; row++) {
      const xRow = x + <usize>n * xImage + <usize>(row * sh) * width * 4;
      for (let col = 0; col < outWidth; col += 2) {
        const c = min(col, lastPair);
        const p = xRow + <usize>c * next;
        const yt = yRow + <usize>c * oBytes;
        for (let o = 0; o < outChannels; o += 16) convTile2x16OneChannel(p, next, filter, yt, o, oBytes, kh, kw, rowStep, colStep, bias, epilogue);
      }
      yRow += outRow;
    }
  }
}

/**
 * Two output positions (pixels at `p` and `p + d`) × 16 output channels of a one-channel convolution whose
 * taps all read inside x: each tap is two pixel splats and the filter's four vectors for those channels,
 * eight multiply-adds, over the taps in filter order.
 */
// @ts-ignore: decorator
@inline
function convTile2x16OneChannel(
  p: usize, d: usize, filter: usize, yt: usize, o: i32,
  oBytes: usize, kh: i32, kw: i32, rowStep: usize, colStep: usize, bias: usize, epilogue: i32,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0), e3 = f32x4.splat(0);
  let pw = filter + (<usize>o << 2);
  let rowStart = p;
  for (let i = 0; i < kh; i++) {
    let px = rowStart;
    for (let j = 0; j < kw; j++) {
      const a = v128.load32_splat(px);
      const b = v128.load32_splat(px + d);
      const w0 = v128.load(pw), w1 = v128.load(pw, 16), w2 = v128.load(pw, 32), w3 = v128.load(pw, 48);
      c0 = madd(a, w0, c0); c1 = madd(a, w1, c1); c2 = madd(a, w2, c2); c3 = madd(a, w3, c3);
      e0 = madd(b, w0, e0); e1 = madd(b, w1, e1); e2 = madd(b, w2, e2); e3 = madd(b, w3, e3);
      px += colStep;
      pw += oBytes;
    }
    rowStart += rowStep;
  }
  const pc = yt + (<usize>o << 2);
  const pb = bias + (<usize>o << 2);
  v128.store(pc, finish(c0, pb, epilogue)); v128.store(pc, finish(c1, pb + 16, epilogue), 16);
  v128.store(pc, finish(c2, pb + 32, epilogue), 32); v128.store(pc, finish(c3, pb + 48, epilogue), 48);
  v128.store(pc + oBytes, finish(e0, pb, epilogue)); v128.store(pc + oBytes, finish(e1, pb + 16, epilogue), 16);
  v128.store(pc + oBytes, finish(e2, pb + 32, epilogue), 32); v128.store(pc + oBytes, finish(e3, pb + 48, epilogue), 48);
}

/** Whether the window whose tap (0, 0) is at (row, col) lies inside the image for every tap. */
// @ts-ignore: decorator
@inline
function reachesInside(row: i32, col: i32, height: i32, width: i32, kh: i32, kw: i32, dh: i32, dw: i32): bool {
  return row >= 0 && row + (kh - 1) * dh < height && col >= 0 && col + (kw - 1) * dw < width;
}

// @ts-ignore: decorator
@inline
function convTile4x8(
  xn: usize, zeros: usize, filter: usize, yt: usize, o: i32,
  r0: i32, q0: i32, r1: i32, q1: i32, r2: i32, q2: i32, r3: i32, q3: i32, inside: bool,
  height: i32, width: i32, channels: i32, outChannels: i32, kh: i32, kw: i32, dh: i32, dw: i32, bias: usize, epilogue: i32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const oBytes = <usize>outChannels * 4;
  const channelBytes = <usize>channels * 4;
  let pw = filter + (<usize>o << 2);
  for (let i = 0; i < kh; i++) {
    const di = i * dh;
    for (let j = 0; j < kw; j++) {
      const dj = j * dw;
      let p0: usize, p1: usize, p2: usize, p3: usize;
      if (inside) {
        p0 = xn + (<usize>(r0 + di) * width + (q0 + dj)) * channelBytes;
        p1 = xn + (<usize>(r1 + di) * width + (q1 + dj)) * channelBytes;
        p2 = xn + (<usize>(r2 + di) * width + (q2 + dj)) * channelBytes;
        p3 = xn + (<usize>(r3 + di) * width + (q3 + dj)) * channelBytes;
      } else {
        p0 = pixel(xn, zeros, r0 + di, q0 + dj, height, width, channels);
        p1 = pixel(xn, zeros, r1 + di, q1 + dj, height, width, channels);
        p2 = pixel(xn, zeros, r2 + di, q2 + dj, height, width, channels);
        p3 = pixel(xn, zeros, r3 + di, q3 + dj, height, width, channels);
        if (p0 == zeros && p1 == zeros && p2 == zeros && p3 == zeros) {
          // the tap reads only padding for all four positions: it adds nothing (as cpu, which skips it)
          pw += <usize>channels * oBytes;
          continue;
        }
      }
      for (let c: usize = 0; c < channelBytes; c += 4) {
        const b0 = v128.load(pw);
        const b1 = v128.load(pw, 16);
        const a0 = v128.load32_splat(p0 + c);
        const a1 = v128.load32_splat(p1 + c);
        const a2 = v128.load32_splat(p2 + c);
        const a3 = v128.load32_splat(p3 + c);
        c00 = madd(a0, b0, c00);
        c01 = madd(a0, b1, c01);
        c10 = madd(a1, b0, c10);
        c11 = madd(a1, b1, c11);
        c20 = madd(a2, b0, c20);
        c21 = madd(a2, b1, c21);
        c30 = madd(a3, b0, c30);
        c31 = madd(a3, b1, c31);
        pw += oBytes;
      }
    }
  }
  const pc = yt + (<usize>o << 2);
  const pb = bias + (<usize>o << 2);
  v128.store(pc, finish(c00, pb, epilogue)); v128.store(pc, finish(c01, pb + 16, epilogue), 16);
  v128.store(pc + oBytes, finish(c10, pb, epilogue)); v128.store(pc + oBytes, finish(c11, pb + 16, epilogue), 16);
  v128.store(pc + 2 * oBytes, finish(c20, pb, epilogue)); v128.store(pc + 2 * oBytes, finish(c21, pb + 16, epilogue), 16);
  v128.store(pc + 3 * oBytes, finish(c30, pb, epilogue)); v128.store(pc + 3 * oBytes, finish(c31, pb + 16, epilogue), 16);
}

/**
 * Every 8-channel tile of four positions (convTile4x8Inside) in one call: a call per tile had cost a tenth
 * of the reference CNN's first forward convolution (631 → 581 µs at batch 64, both binaries in turns).
 */
function convBlock4Inside(
  p0: usize, d1: usize, d2: usize, d3: usize, filter: usize, yt: usize, o8: i32,
  channelBytes: usize, oBytes: usize, kh: i32, kw: i32, rowStep: usize, colStep: usize, bias: usize, epilogue: i32,
): void {
  for (let o = 0; o < o8; o += 8) convTile4x8Inside(p0, d1, d2, d3, filter, yt, o, channelBytes, oBytes, kh, kw, rowStep, colStep, bias, epilogue);
}

/**
 * convTile4x8 for inputs of fewer than 4 channels (a first layer's one), where every tap of the four
 * positions reads inside x: their pixels lie at fixed distances (d1, d2, d3 bytes) from the first
 * position's, and the (tap, channel) pairs run as one loop. conv2d's own tile, with a pointer per position
 * and nested loops around a channel loop of one pass, took 0.98 ms where this takes 0.57 on the reference
 * CNN's first layer at batch 64 (both builds timed in turns in one process, on the same tensors); from 4
 * channels on the two are as fast, and the general tile is kept there.
 */
// @ts-ignore: decorator
@inline
function convTile4x8Inside(
  p0: usize, d1: usize, d2: usize, d3: usize, filter: usize, yt: usize, o: i32,
  channelBytes: usize, oBytes: usize, kh: i32, kw: i32, rowStep: usize, colStep: usize, bias: usize, epilogue: i32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pw = filter + (<usize>o << 2);
  // the (tap, channel) pairs in filter order, as one loop: the pixel pointer steps to the next channel,
  // then to the next tap of the row, then to the next row of taps
  const channels = <i32>(channelBytes >> 2);
  const nextTap = colStep - channelBytes;
  const nextRow = rowStep - <usize>kw * colStep;
  let px = p0;
  let channelsLeft = channels, tapsLeft = kw;
  for (let k = kh * kw * channels; k > 0; k--) {
    const b0 = v128.load(pw);
    const b1 = v128.load(pw, 16);
    const a0 = v128.load32_splat(px);
    const a1 = v128.load32_splat(px + d1);
    const a2 = v128.load32_splat(px + d2);
    const a3 = v128.load32_splat(px + d3);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pw += oBytes;
    px += 4;
    if (--channelsLeft == 0) {
      channelsLeft = channels;
      px += nextTap;
      if (--tapsLeft == 0) {
        tapsLeft = kw;
        px += nextRow;
      }
    }
  }
  const pc = yt + (<usize>o << 2);
  const pb = bias + (<usize>o << 2);
  v128.store(pc, finish(c00, pb, epilogue)); v128.store(pc, finish(c01, pb + 16, epilogue), 16);
  v128.store(pc + oBytes, finish(c10, pb, epilogue)); v128.store(pc + oBytes, finish(c11, pb + 16, epilogue), 16);
  v128.store(pc + 2 * oBytes, finish(c20, pb, epilogue)); v128.store(pc + 2 * oBytes, finish(c21, pb + 16, epilogue), 16);
  v128.store(pc + 3 * oBytes, finish(c30, pb, epilogue)); v128.store(pc + 3 * oBytes, finish(c31, pb + 16, epilogue), 16);
}

/** One output position × 8 output channels. */
function convTile1x8(
  xn: usize, zeros: usize, filter: usize, yt: usize, o: i32, r: i32, q: i32,
  height: i32, width: i32, channels: i32, outChannels: i32, kh: i32, kw: i32, dh: i32, dw: i32, bias: usize, epilogue: i32,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  const oBytes = <usize>outChannels * 4;
  const channelBytes = <usize>channels * 4;
  let pw = filter + (<usize>o << 2);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const px = pixel(xn, zeros, r + i * dh, q + j * dw, height, width, channels);
      if (px == zeros) {
        pw += <usize>channels * oBytes;
        continue;
      }
      for (let c: usize = 0; c < channelBytes; c += 4) {
        const a = v128.load32_splat(px + c);
        c0 = madd(a, v128.load(pw), c0);
        c1 = madd(a, v128.load(pw, 16), c1);
        pw += oBytes;
      }
    }
  }
  const pc = yt + (<usize>o << 2);
  const pb = bias + (<usize>o << 2);
  v128.store(pc, finish(c0, pb, epilogue));
  v128.store(pc, finish(c1, pb + 16, epilogue), 16);
}

/** One output value, in scalar arithmetic. */
function convPoint(
  xn: usize, zeros: usize, filter: usize, yt: usize, o: i32, r: i32, q: i32,
  height: i32, width: i32, channels: i32, outChannels: i32, kh: i32, kw: i32, dh: i32, dw: i32, bias: usize, epilogue: i32,
): void {
  const oBytes = <usize>outChannels * 4;
  let pw = filter + (<usize>o << 2);
  let sum: f32 = 0;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const px = pixel(xn, zeros, r + i * dh, q + j * dw, height, width, channels);
      if (px == zeros) {
        pw += <usize>channels * oBytes;
        continue;
      }
      for (let c = 0; c < channels; c++) {
        sum += load<f32>(px + (<usize>c << 2)) * load<f32>(pw);
        pw += oBytes;
      }
    }
  }
  if ((epilogue & EPILOGUE_BIAS) != 0) sum += load<f32>(bias + (<usize>o << 2));
  if ((epilogue & EPILOGUE_RELU) != 0) sum = Mathf.max(0, sum);
  store<f32>(yt + (<usize>o << 2), sum);
}

// ---------------------------------------------------------------------------------------------------------
// ReLU gradient
// ---------------------------------------------------------------------------------------------------------

/**
 * dx = dy · step(x) over n floats, in one pass: step(x) is 1 where x > 0, 0 where x ≤ 0 and NaN where x is
 * NaN, and the product is taken, so a NaN or infinite dy meets a zero as tfjs's mul(dy, step(x)) does.
 */
export function reluGrad(dy: usize, x: usize, dx: usize, n: i32, dyBytes: usize, xBytes: usize, dxBytes: usize): i32 {
  if (n < 0) return BAD_GEOMETRY;
  const need = bytes4(<u64>n);
  if (!fits(dy, need, dyBytes)) return 1;
  if (!fits(x, need, xBytes)) return 2;
  if (!fits(dx, need, dxBytes)) return 3;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const vectorBytes = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorBytes; i += 16) {
    const v = v128.load(x + i);
    // x itself where it is NaN, else 1 or 0
    const step = v128.bitselect(v, v128.bitselect(one, zero, f32x4.gt(v, zero)), f32x4.ne(v, v));
    v128.store(dx + i, f32x4.mul(v128.load(dy + i), step));
  }
  const bytes = <usize>n << 2;
  for (; i < bytes; i += 4) {
    const v = load<f32>(x + i);
    const step: f32 = v != v ? v : v > 0 ? 1 : 0;
    store<f32>(dx + i, load<f32>(dy + i) * step);
  }
  return OK;
}

/**
 * reluGrad over dy and x [rows, cols], and the column sums of dx, in one pass: db[c] = Σ_r dx[r, c], each
 * summed from 0 in row order, as sumRows sums (so db has the bits of Sum over the leading axes of dx).
 * The gradient of a layer's relu and of its bias, where the Sum would pass over dx again.
 */
export function reluGradColumnSums(
  dy: usize, x: usize, dx: usize, db: usize, rows: i32, cols: i32, dyBytes: usize, xBytes: usize, dxBytes: usize, dbBytes: usize,
): i32 {
  if (rows < 0 || cols < 0) return BAD_GEOMETRY;
  const need = bytes4(<u64>rows * cols);
  if (!fits(dy, need, dyBytes)) return 1;
  if (!fits(x, need, xBytes)) return 2;
  if (!fits(dx, need, dxBytes)) return 3;
  if (!fits(db, bytes4(<u64>cols), dbBytes)) return 4;
  const rowBytes = <usize>cols << 2;
  const vectorBytes = <usize>(cols & ~3) << 2;
  memory.fill(db, 0, rowBytes);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let r = 0; r < rows; r++) {
    const offset = <usize>r * rowBytes;
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) {
      const v = v128.load(x + offset + c);
      const step = v128.bitselect(v, v128.bitselect(one, zero, f32x4.gt(v, zero)), f32x4.ne(v, v));
      const g = f32x4.mul(v128.load(dy + offset + c), step);
      v128.store(dx + offset + c, g);
      v128.store(db + c, f32x4.add(v128.load(db + c), g));
    }
    for (; c < rowBytes; c += 4) {
      const v = load<f32>(x + offset + c);
      const step: f32 = v != v ? v : v > 0 ? 1 : 0;
      const g = load<f32>(dy + offset + c) * step;
      store<f32>(dx + offset + c, g);
      store<f32>(db + c, load<f32>(db + c) + g);
    }
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Clip by value
// ---------------------------------------------------------------------------------------------------------

/**
 * out = x > hi ? hi : x < lo ? lo : x over n floats, as tfjs's cpu backend clips: NaN and −0 pass through
 * unchanged (XNNPACK's clamp, behind the wasm backend's own ClipByValue, gave lo for NaN and +0 for −0).
 */
export function clipByValue(x: usize, out: usize, n: i32, lo: f32, hi: f32, xBytes: usize, outBytes: usize): i32 {
  if (n < 0) return BAD_GEOMETRY;
  const need = bytes4(<u64>n);
  if (!fits(x, need, xBytes)) return 1;
  if (!fits(out, need, outBytes)) return 2;
  const low = f32x4.splat(lo);
  const high = f32x4.splat(hi);
  const vectorBytes = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorBytes; i += 16) {
    const v = v128.load(x + i);
    v128.store(out + i, v128.bitselect(high, v128.bitselect(low, v, f32x4.lt(v, low)), f32x4.gt(v, high)));
  }
  const bytes = <usize>n << 2;
  for (; i < bytes; i += 4) {
    const v = load<f32>(x + i);
    store<f32>(out + i, v > hi ? hi : v < lo ? lo : v);
  }
  return OK;
}

/**
 * dx = lo <= x <= hi ? dy : 0 over n floats: the gradient of clipByValue as tfjs-core writes it,
 * where(logicalAnd(x >= lo, x <= hi), dy, zerosLike(dy)), in one pass. A NaN x fails both comparisons and
 * gets +0, as there; dy passes through bit for bit (NaN and −0 included) where x is in range.
 */
export function clipByValueGrad(dy: usize, x: usize, dx: usize, n: i32, lo: f32, hi: f32, dyBytes: usize, xBytes: usize, dxBytes: usize): i32 {
  if (n < 0) return BAD_GEOMETRY;
  const need = bytes4(<u64>n);
  if (!fits(dy, need, dyBytes)) return 1;
  if (!fits(x, need, xBytes)) return 2;
  if (!fits(dx, need, dxBytes)) return 3;
  const low = f32x4.splat(lo);
  const high = f32x4.splat(hi);
  const vectorBytes = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorBytes; i += 16) {
    const v = v128.load(x + i);
    v128.store(dx + i, v128.and(v128.load(dy + i), v128.and(f32x4.ge(v, low), f32x4.le(v, high))));
  }
  const bytes = <usize>n << 2;
  for (; i < bytes; i += 4) {
    const v = load<f32>(x + i);
    store<f32>(dx + i, v >= lo && v <= hi ? load<f32>(dy + i) : 0);
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// ReLU and ReLU6
// ---------------------------------------------------------------------------------------------------------

/**
 * out = max(0, x), or min(max(0, x), 6) when `six`, over n floats, with JavaScript's Math.max and Math.min
 * (tfjs's cpu backend): NaN passes through and −0 becomes +0 (wasm's f32x4.max and min are those). `out`
 * may be `x`. XNNPACK applies these as an output clamp, which turned NaN into 0.
 */
export function reluClamp(x: usize, out: usize, n: i32, six: i32, xBytes: usize, outBytes: usize): i32 {
  if (n < 0) return BAD_GEOMETRY;
  const need = bytes4(<u64>n);
  if (!fits(x, need, xBytes)) return 1;
  if (!fits(out, need, outBytes)) return 2;
  const zero = f32x4.splat(0);
  const top = f32x4.splat(six ? 6 : Infinity);
  const vectorBytes = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorBytes; i += 16) v128.store(out + i, f32x4.min(f32x4.max(zero, v128.load(x + i)), top));
  const bytes = <usize>n << 2;
  const high: f32 = six ? 6 : Infinity;
  for (; i < bytes; i += 4) store<f32>(out + i, Mathf.min(Mathf.max(0, load<f32>(x + i)), high));
  return OK;
}

// ---------------------------------------------------------------------------------------------------------
// Maximum and minimum
// ---------------------------------------------------------------------------------------------------------

/**
 * out = max(a, b), or min(a, b) when `min`, over n floats, with JavaScript's Math.max and Math.min (tfjs's
 * cpu backend): NaN in either operand gives NaN, and +0 is above −0 (wasm's f32x4.max and min are those).
 * An operand whose step is 0 is one value broadcast over all n. XNNPACK's, behind the wasm backend's own
 * kernels, dropped a NaN in the second operand: max(1, NaN) was 1.
 */
export function maxMin(a: usize, b: usize, out: usize, n: i32, aStep: i32, bStep: i32, min: i32, aBytes: usize, bBytes: usize, outBytes: usize): i32 {
  if (n < 0 || aStep < 0 || aStep > 1 || bStep < 0 || bStep > 1) return BAD_GEOMETRY;
  const need = bytes4(<u64>n);
  if (!fits(a, aStep ? need : 4, aBytes)) return 1;
  if (!fits(b, bStep ? need : 4, bBytes)) return 2;
  if (!fits(out, need, outBytes)) return 3;
  const aStride: usize = aStep ? 16 : 0;
  const bStride: usize = bStep ? 16 : 0;
  const vectorBytes = <usize>(n & ~3) << 2;
  let i: usize = 0;
  let pa = a, pb = b;
  for (; i < vectorBytes; i += 16, pa += aStride, pb += bStride) {
    const va = aStep ? v128.load(pa) : v128.load32_splat(pa);
    const vb = bStep ? v128.load(pb) : v128.load32_splat(pb);
    v128.store(out + i, min ? f32x4.min(va, vb) : f32x4.max(va, vb));
  }
  const bytes = <usize>n << 2;
  for (; i < bytes; i += 4) {
    const x = load<f32>(aStep ? a + i : a);
    const y = load<f32>(bStep ? b + i : b);
    store<f32>(out + i, min ? Mathf.min(x, y) : Mathf.max(x, y));
  }
  return OK;
}

export * from "./step";
export * from "./losses";
export * from "./winograd";
export * from "./max-pool-grad";
