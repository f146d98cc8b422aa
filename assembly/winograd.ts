/**
 * The 3 × 3, stride-1 convolution by Winograd's minimal filtering F(m × m, 3 × 3), m = 2 or 4 (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each (m + 2) × (m + 2) input tile d
 * gives an m × m output tile
 *
 *   Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A,
 *
 * (m + 2)² multiplications per (tile, input channel, output channel) where the direct sum takes 9·m²:
 * 2.25 × fewer for m = 2, 4 × for m = 4, for the additions of the transforms. The products are (m + 2)²
 * small matrix products, one per position ξ of the transformed tile: M[ξ][tile][o] = Σ_c V[ξ][tile][c] ·
 * U[ξ][c][o], with V = Bᵀ d B the transformed input and U = G g Gᵀ the transformed filter (winogradFilter,
 * once per call).
 *
 * Four tiles at a time (consecutive in the batch's row-major tile order): their input is transformed into
 * scratch, then for each 8 output channels the products run in register tiles of 4 tiles × 8 channels (as
 * index.ts conv2d's 4 positions × 8 channels), and the output transform, bias and ReLU follow while the
 * block's sums are still in cache. Nothing is written but scratch and y.
 *
 * Non-finite values: a NaN or ±∞ in a transform reaches every output of its tile, where the direct sum
 * gives it only to the outputs whose window holds it (and ∞ − ∞ makes NaN of an ∞). So every output that
 * comes out non-finite is computed again directly (`directPoint`, index.ts convPoint's sum). An output
 * that the direct sum makes NaN or ±∞ is non-finite here too (a non-finite value in its window stays
 * non-finite through the transforms' sums and products), so the outputs that are not finite are exactly
 * the direct sum's, and the finite ones are within the rounding of the transforms.
 */

import { BAD_GEOMETRY, bytes4, EPILOGUE_BIAS, EPILOGUE_BIAS_RELU, EPILOGUE_RELU, finish, fits, madd, OK, pixel } from "./common";

/** Tiles transformed and multiplied together (the register tile's rows). */
const BLOCK: i32 = 4;

/** Whether `tile` (m) is one this file implements. */
// @ts-ignore: decorator
@inline
function knownTile(tile: i32): bool {
  return tile == 2 || tile == 4;
}

/**
 * Where tile `index` of the batch (in row-major tile order, `perImage` tiles an image, `tilesWide` a row)
 * has its first output: image, row and column, stored as 3 i32 at `corner` (the kernels place a tile's
 * input and output by it).
 */
// @ts-ignore: decorator
@inline
function placeTile(index: i32, perImage: i32, tilesWide: i32, tile: i32, corner: usize): void {
  const inImage = index % perImage;
  store<i32>(corner, index / perImage);
  store<i32>(corner, (inImage / tilesWide) * tile, 4);
  store<i32>(corner, (inImage % tilesWide) * tile, 8);
}

/**
 * u[ξ][c][o] = (G g Gᵀ)[ξ] for each (c, o) of a [3, 3, c, o] filter g, ξ = (m + 2)·row + column, four
 * output channels at a time (outChannels a multiple of 4). For m = 2, G = [[1, 0, 0], [½, ½, ½],
 * [½, −½, ½], [0, 0, 1]]; for m = 4, G = [[¼, 0, 0], [−⅙, −⅙, −⅙], [−⅙, ⅙, −⅙], [1/24, 1/12, ⅙],
 * [1/24, −1/12, ⅙], [0, 0, 1]].
 */
export function winogradFilter(filter: usize, u: usize, tile: i32, channels: i32, outChannels: i32, filterBytes: usize, uBytes: usize): i32 {
  if (!knownTile(tile) || channels < 0 || outChannels < 0 || (outChannels & 3) != 0) return BAD_GEOMETRY;
  const points = tile + 2;
  if (!fits(filter, bytes4(<u64>9 * channels * outChannels), filterBytes)) return 1;
  if (!fits(u, bytes4(<u64>points * points * channels * outChannels), uBytes)) return 2;
  const tap = <usize>channels * outChannels * 4; // from one (i, j) of g, or one ξ of u, to the next
  // Row by row of u, one cache line (16 output channels) at a time: each of u's lines is written whole
  // before the next. The (m + 2)² rows of u are `tap` bytes apart, often a multiple of 4 KiB, so they
  // share a few L1 sets: visited a vector at a time, each line was evicted before its next vector came.
  for (let c = 0; c < channels; c++) {
    for (let o = 0; o < outChannels; o += 16) {
      const vectors = min(4, (outChannels - o) >> 2);
      for (let r = 0; r < points; r++) {
        for (let k = 0; k < vectors; k++) {
          const at = (<usize>c * outChannels + o + 4 * k) << 2;
          const g = filter + at;
          // row r of G g, its three columns; then (G g)[r] Gᵀ into the row's (m + 2) points
          const a0 = expandedRow(r, v128.load(g), v128.load(g + 3 * tap), v128.load(g + 6 * tap), tile);
          const a1 = expandedRow(r, v128.load(g + tap), v128.load(g + 4 * tap), v128.load(g + 7 * tap), tile);
          const a2 = expandedRow(r, v128.load(g + 2 * tap), v128.load(g + 5 * tap), v128.load(g + 8 * tap), tile);
          expandThree(a0, a1, a2, u + at + <usize>(points * r) * tap, tap, tile);
        }
      }
    }
  }
  return OK;
}

/** Row r of G·[g0, g1, g2] for 4 lanes: the value expandThree stores r steps from its start, by the same operations. */
// @ts-ignore: decorator
@inline
function expandedRow(r: i32, g0: v128, g1: v128, g2: v128, tile: i32): v128 {
  if (tile == 2) {
    if (r == 0) return g0;
    if (r == 1) return f32x4.mul(f32x4.add(f32x4.add(g0, g1), g2), f32x4.splat(0.5));
    if (r == 2) return f32x4.mul(f32x4.add(f32x4.sub(g0, g1), g2), f32x4.splat(0.5));
    return g2;
  }
  if (r == 0) return f32x4.mul(g0, f32x4.splat(0.25));
  if (r == 1) return f32x4.mul(f32x4.add(f32x4.add(g0, g2), g1), f32x4.splat(-1.0 / 6));
  if (r == 2) return f32x4.mul(f32x4.sub(f32x4.add(g0, g2), g1), f32x4.splat(-1.0 / 6));
  if (r == 5) return g2;
  const far = f32x4.add(f32x4.mul(g0, f32x4.splat(1.0 / 24)), f32x4.mul(g2, f32x4.splat(1.0 / 6)));
  const near = f32x4.mul(g1, f32x4.splat(1.0 / 12));
  return r == 3 ? f32x4.add(far, near) : f32x4.sub(far, near);
}

/** G·[g0, g1, g2] for 4 lanes, stored `step` bytes apart from `out`. */
// @ts-ignore: decorator
@inline
function expandThree(g0: v128, g1: v128, g2: v128, out: usize, step: usize, tile: i32): void {
  if (tile == 2) {
    const half = f32x4.splat(0.5);
    v128.store(out, g0);
    v128.store(out + step, f32x4.mul(f32x4.add(f32x4.add(g0, g1), g2), half));
    v128.store(out + 2 * step, f32x4.mul(f32x4.add(f32x4.sub(g0, g1), g2), half));
    v128.store(out + 3 * step, g2);
    return;
  }
  const sum = f32x4.add(g0, g2);
  const sixth = f32x4.splat(-1.0 / 6);
  const far = f32x4.add(f32x4.mul(g0, f32x4.splat(1.0 / 24)), f32x4.mul(g2, f32x4.splat(1.0 / 6)));
  const near = f32x4.mul(g1, f32x4.splat(1.0 / 12));
  v128.store(out, f32x4.mul(g0, f32x4.splat(0.25)));
  v128.store(out + step, f32x4.mul(f32x4.add(sum, g1), sixth));
  v128.store(out + 2 * step, f32x4.mul(f32x4.sub(sum, g1), sixth));
  v128.store(out + 3 * step, f32x4.add(far, near));
  v128.store(out + 4 * step, f32x4.sub(far, near));
  v128.store(out + 5 * step, g2);
}

/** The floats of scratch conv2dWinograd needs for `channels` input channels (either tile). */
// @ts-ignore: decorator
@inline
function scratchFloats(channels: i32): u64 {
  // the column pass (36 × c), the block's transformed input (36 × (BLOCK × c + 16)), its sums for 8
  // channels (36 × BLOCK × 8), the output transform's passes (4 × 6 × 4 and 4 × 4 × 4), the block's tiles'
  // corners (3 × BLOCK), the Tile being stored (9 words, 16 reserved)
  return <u64>36 * channels + <u64>36 * (BLOCK * channels + 16) + 36 * BLOCK * 8 + 160 + 3 * BLOCK + 16;
}

/**
 * y[n, p, q, o] = Σ_{i, j, c} x[n, p + i − top, q + j − left, c] · filter[i, j, c, o] for a 3 × 3 filter,
 * stride 1, no dilation, by F(tile × tile, 3 × 3); positions outside x read zero (`zeros`: at least
 * `channels` zero floats). `u` is winogradFilter(filter, tile), `scratch` holds 180·channels + 1916 floats
 * of this call's own. `epilogue` as in index.ts conv2d. Input channels a multiple of 4, output channels
 * of 8; BAD_GEOMETRY otherwise.
 */
export function conv2dWinograd(
  x: usize, filter: usize, u: usize, y: usize, zeros: usize, bias: usize, scratch: usize, tile: i32,
  batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32, top: i32, left: i32, epilogue: i32,
  xBytes: usize, filterBytes: usize, uBytes: usize, yBytes: usize, zerosBytes: usize, biasBytes: usize, scratchBytes: usize,
): i32 {
  if (!knownTile(tile) || batch < 0 || height < 0 || width < 0 || outHeight < 0 || outWidth < 0) return BAD_GEOMETRY;
  if (channels < 4 || (channels & 3) != 0 || outChannels < 8 || (outChannels & 7) != 0) return BAD_GEOMETRY;
  if (epilogue < 0 || epilogue > EPILOGUE_BIAS_RELU) return BAD_GEOMETRY;
  const points = tile + 2;
  const positions = points * points;
  if (!fits(x, bytes4(<u64>batch * height * width * channels), xBytes)) return 1;
  if (!fits(filter, bytes4(<u64>9 * channels * outChannels), filterBytes)) return 2;
  if (!fits(u, bytes4(<u64>positions * channels * outChannels), uBytes)) return 3;
  if (!fits(y, bytes4(<u64>batch * outHeight * outWidth * outChannels), yBytes)) return 4;
  if (!fits(zeros, bytes4(<u64>channels), zerosBytes)) return 5;
  if ((epilogue & EPILOGUE_BIAS) != 0 && !fits(bias, bytes4(<u64>outChannels), biasBytes)) return 6;
  if (!fits(scratch, bytes4(scratchFloats(channels)), scratchBytes)) return 7;
  for (let c = 0; c < channels; c++) if (load<u32>(zeros + (<usize>c << 2)) != 0) return BAD_GEOMETRY; // +0.0 only
  const tilesWide = (outWidth + tile - 1) / tile;
  const perImage = <u64>((outHeight + tile - 1) / tile) * tilesWide;
  if (<u64>batch * perImage > <u64>i32.MAX_VALUE) return BAD_GEOMETRY;
  const tiles = batch * <i32>perImage;
  // the block's transformed input, [positions][BLOCK][channels], each ξ a cache line further than its
  // values (as conv2dFilterGradWinograd's, so that a tile's stores do not crowd one set of the L1 cache)
  const xiStep = <usize>(BLOCK * channels + 16) << 2; // from V[ξ] to V[ξ + 1]
  const columns = scratch; // [36][channels]
  const transformed = columns + (<usize>36 * channels << 2);
  const sums = transformed + 36 * xiStep; // [positions][BLOCK][8]
  const rows = sums + (<usize>36 * BLOCK * 8 << 2); // the output transform's passes: [4][6] vectors, then [4][4]
  const corners = rows + 160 * 4; // [BLOCK][image, row, column] of each tile's first output
  // the tile whose outputs are being stored, in scratch too (a view, not an allocation)
  const out = changetype<Tile>(corners + <usize>BLOCK * 12);
  out.zeros = zeros;
  out.filter = filter;
  out.y = y;
  out.bias = bias;
  const xImage = <usize>height * width * channels * 4;
  for (let first = 0; first < tiles; first += BLOCK) {
    const count = min(BLOCK, tiles - first);
    for (let k = 0; k < BLOCK; k++) {
      const at = transformed + (<usize>k * channels << 2);
      if (k < count) {
        const corner = corners + <usize>k * 12;
        placeTile(first + k, <i32>perImage, tilesWide, tile, corner);
        const xn = x + <usize>load<i32>(corner) * xImage;
        const row = load<i32>(corner, 4) - top, col = load<i32>(corner, 8) - left;
        if (tile == 2) transformInput2(xn, zeros, columns, at, xiStep, row, col, height, width, channels);
        else transformInput4(xn, zeros, columns, at, xiStep, row, col, height, width, channels);
      } else {
        clearTile(at, xiStep, positions, channels);
      }
    }
    for (let o = 0; o < outChannels; o += 8) {
      multiplyPositions(transformed, xiStep, u, o, channels, outChannels, positions, sums);
      for (let k = 0; k < count; k++) {
        const corner = corners + <usize>k * 12;
        const image = load<i32>(corner);
        for (let h = 0; h < 8; h += 4) {
          const m = sums + (<usize>(k * 8 + h) << 2);
          out.xn = x + <usize>image * xImage;
          out.n = image;
          out.p = load<i32>(corner, 4);
          out.q = load<i32>(corner, 8);
          out.o = o + h;
          if (tile == 2) transformOutput2(m, out, top, left, height, width, channels, outHeight, outWidth, outChannels, epilogue);
          else transformOutput4(m, rows, out, top, left, height, width, channels, outHeight, outWidth, outChannels, epilogue);
        }
      }
    }
  }
  return OK;
}

/**
 * Where a tile's outputs go and what computes one again: its image in x, zeros, the filter, y, the bias,
 * its image index and first output (n, p, q), and its first output channel o. Only ever a view of
 * scratch (changetype), never allocated.
 */
// @ts-ignore: decorator
@unmanaged
class Tile {
  xn: usize;
  zeros: usize;
  filter: usize;
  y: usize;
  bias: usize;
  n: i32;
  p: i32;
  q: i32;
  o: i32;
}

/**
 * V = Bᵀ d B of the 4 × 4 input tile whose corner is (row, col), for every channel, into out[ξ][c] (ξ
 * `xiStep` bytes apart); Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]. The column pass
 * (Bᵀ d) goes through `columns`.
 */
function transformInput2(xn: usize, zeros: usize, columns: usize, out: usize, xiStep: usize, row: i32, col: i32, height: i32, width: i32, channels: i32): void {
  const channelBytes = <usize>channels << 2;
  for (let s = 0; s < 4; s++) {
    const p0 = pixel(xn, zeros, row, col + s, height, width, channels);
    const p1 = pixel(xn, zeros, row + 1, col + s, height, width, channels);
    const p2 = pixel(xn, zeros, row + 2, col + s, height, width, channels);
    const p3 = pixel(xn, zeros, row + 3, col + s, height, width, channels);
    const t = columns + <usize>s * channelBytes;
    for (let c: usize = 0; c < channelBytes; c += 16) {
      const d0 = v128.load(p0 + c), d1 = v128.load(p1 + c), d2 = v128.load(p2 + c), d3 = v128.load(p3 + c);
      v128.store(t + c, f32x4.sub(d0, d2));
      v128.store(t + 4 * channelBytes + c, f32x4.add(d1, d2));
      v128.store(t + 8 * channelBytes + c, f32x4.sub(d2, d1));
      v128.store(t + 12 * channelBytes + c, f32x4.sub(d1, d3));
    }
  }
  for (let r = 0; r < 4; r++) {
    const t = columns + <usize>(4 * r) * channelBytes;
    const v = out + <usize>(4 * r) * xiStep;
    for (let c: usize = 0; c < channelBytes; c += 16) {
      const b0 = v128.load(t + c), b1 = v128.load(t + channelBytes + c), b2 = v128.load(t + 2 * channelBytes + c), b3 = v128.load(t + 3 * channelBytes + c);
      v128.store(v + c, f32x4.sub(b0, b2));
      v128.store(v + xiStep + c, f32x4.add(b1, b2));
      v128.store(v + 2 * xiStep + c, f32x4.sub(b2, b1));
      v128.store(v + 3 * xiStep + c, f32x4.sub(b1, b3));
    }
  }
}

/**
 * Bᵀ·[d0 … d5] for 4 lanes, stored `step` bytes apart from `out`, for m = 4: Bᵀ = [[4, 0, −5, 0, 1, 0],
 * [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0], [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0],
 * [0, 4, 0, −5, 0, 1]].
 */
// @ts-ignore: decorator
@inline
function combineSix(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, out: usize, step: usize): void {
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2);
  const a = f32x4.sub(d4, f32x4.mul(four, d2)); // d4 − 4 d2
  const b = f32x4.sub(d3, f32x4.mul(four, d1)); // d3 − 4 d1
  const c = f32x4.sub(d4, d2);
  const e = f32x4.mul(two, f32x4.sub(d3, d1));
  v128.store(out, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(out + step, f32x4.add(a, b));
  v128.store(out + 2 * step, f32x4.sub(a, b));
  v128.store(out + 3 * step, f32x4.add(c, e));
  v128.store(out + 4 * step, f32x4.sub(c, e));
  v128.store(out + 5 * step, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/** V = Bᵀ d B of the 6 × 6 input tile whose corner is (row, col), as transformInput2 for m = 4. */
function transformInput4(xn: usize, zeros: usize, columns: usize, out: usize, xiStep: usize, row: i32, col: i32, height: i32, width: i32, channels: i32): void {
  const channelBytes = <usize>channels << 2;
  for (let s = 0; s < 6; s++) {
    const p0 = pixel(xn, zeros, row, col + s, height, width, channels);
    const p1 = pixel(xn, zeros, row + 1, col + s, height, width, channels);
    const p2 = pixel(xn, zeros, row + 2, col + s, height, width, channels);
    const p3 = pixel(xn, zeros, row + 3, col + s, height, width, channels);
    const p4 = pixel(xn, zeros, row + 4, col + s, height, width, channels);
    const p5 = pixel(xn, zeros, row + 5, col + s, height, width, channels);
    const t = columns + <usize>s * channelBytes;
    for (let c: usize = 0; c < channelBytes; c += 16) {
      combineSix(v128.load(p0 + c), v128.load(p1 + c), v128.load(p2 + c), v128.load(p3 + c), v128.load(p4 + c), v128.load(p5 + c), t + c, 6 * channelBytes);
    }
  }
  for (let r = 0; r < 6; r++) {
    const t = columns + <usize>(6 * r) * channelBytes;
    const v = out + <usize>(6 * r) * xiStep;
    for (let c: usize = 0; c < channelBytes; c += 16) {
      combineSix(
        v128.load(t + c), v128.load(t + channelBytes + c), v128.load(t + 2 * channelBytes + c),
        v128.load(t + 3 * channelBytes + c), v128.load(t + 4 * channelBytes + c), v128.load(t + 5 * channelBytes + c),
        v + c, xiStep,
      );
    }
  }
}

/** Zeros for a block's missing tile (past the batch's last): its `count` values at each of the `positions` ξ. */
// @ts-ignore: decorator
@inline
function clearTile(at: usize, xiStep: usize, positions: i32, count: i32): void {
  for (let xi = 0; xi < positions; xi++) memory.fill(at + <usize>xi * xiStep, 0, <usize>count << 2);
}

/**
 * The block's products for 8 columns from `column`, at every ξ: sums[ξ][k][0..8] = Σ_d v[ξ][k][d] ·
 * u[ξ][d][column..column+8], v's rows `depth` long (ξ `xiStep` bytes apart), u [positions][depth][width].
 */
// @ts-ignore: decorator
@inline
function multiplyPositions(v: usize, xiStep: usize, u: usize, column: i32, depth: i32, width: i32, positions: i32, sums: usize): void {
  for (let xi = 0; xi < positions; xi++) {
    multiplyBlock(v + <usize>xi * xiStep, u + ((<usize>xi * depth * width + column) << 2), sums + (<usize>xi * BLOCK * 8 << 2), depth, width);
  }
}

/**
 * One register tile of 4 rows × 8 columns: sums[r][0..8] (+)= Σ_k a[r][k] · b[k][0..8] over `depth` k, a[r][k]
 * at a + r·aRow + k·aStep, b[k] at b + k·bStep, sums' rows sumsRow bytes apart, from zero or (accumulate)
 * from what sums holds.
 */
// @ts-ignore: decorator
@inline
function productTile(a: usize, aRow: usize, aStep: usize, b: usize, bStep: usize, depth: i32, sums: usize, sumsRow: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(sums); c01 = v128.load(sums, 16);
    c10 = v128.load(sums + sumsRow); c11 = v128.load(sums + sumsRow, 16);
    c20 = v128.load(sums + 2 * sumsRow); c21 = v128.load(sums + 2 * sumsRow, 16);
    c30 = v128.load(sums + 3 * sumsRow); c31 = v128.load(sums + 3 * sumsRow, 16);
  }
  let pa = a, pb = b;
  for (let k = 0; k < depth; k++) {
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
    pa += aStep;
    pb += bStep;
  }
  v128.store(sums, c00); v128.store(sums, c01, 16);
  v128.store(sums + sumsRow, c10); v128.store(sums + sumsRow, c11, 16);
  v128.store(sums + 2 * sumsRow, c20); v128.store(sums + 2 * sumsRow, c21, 16);
  v128.store(sums + 3 * sumsRow, c30); v128.store(sums + 3 * sumsRow, c31, 16);
}

/** sums[k][0..8] = Σ_c v[k][c] · u[c][0..8] for the block's 4 tiles k (v's rows `channels` long, u's `outChannels`). */
// @ts-ignore: decorator
@inline
function multiplyBlock(v: usize, u: usize, sums: usize, channels: i32, outChannels: i32): void {
  productTile(v, <usize>channels << 2, 4, u, <usize>outChannels << 2, channels, sums, 32, false);
}

/** Whether all 4 lanes are finite. */
// @ts-ignore: decorator
@inline
function finite(v: v128): v128 {
  return f32x4.lt(f32x4.abs(v), f32x4.splat(Infinity));
}

/**
 * Y = Aᵀ M A for 4 output channels of one 2 × 2 tile (M[ξ] at m + ξ·BLOCK·8·4), Aᵀ = [[1, 1, 1, 0],
 * [0, 1, −1, −1]]; then the epilogue, and each output that lies inside y is stored (or computed again).
 */
function transformOutput2(
  m: usize, tile: Tile, top: i32, left: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32, epilogue: i32,
): void {
  const step = <usize>BLOCK * 8 * 4;
  // Aᵀ M: two rows of four, a column at a time
  let a = v128.load(m), b = v128.load(m + 4 * step), c = v128.load(m + 8 * step), d = v128.load(m + 12 * step);
  const s0 = f32x4.add(f32x4.add(a, b), c), t0 = f32x4.sub(f32x4.sub(b, c), d);
  a = v128.load(m + step); b = v128.load(m + 5 * step); c = v128.load(m + 9 * step); d = v128.load(m + 13 * step);
  const s1 = f32x4.add(f32x4.add(a, b), c), t1 = f32x4.sub(f32x4.sub(b, c), d);
  a = v128.load(m + 2 * step); b = v128.load(m + 6 * step); c = v128.load(m + 10 * step); d = v128.load(m + 14 * step);
  const s2 = f32x4.add(f32x4.add(a, b), c), t2 = f32x4.sub(f32x4.sub(b, c), d);
  a = v128.load(m + 3 * step); b = v128.load(m + 7 * step); c = v128.load(m + 11 * step); d = v128.load(m + 15 * step);
  const s3 = f32x4.add(f32x4.add(a, b), c), t3 = f32x4.sub(f32x4.sub(b, c), d);
  // (Aᵀ M) A
  const y00 = f32x4.add(f32x4.add(s0, s1), s2), y01 = f32x4.sub(f32x4.sub(s1, s2), s3);
  const y10 = f32x4.add(f32x4.add(t0, t1), t2), y11 = f32x4.sub(f32x4.sub(t1, t2), t3);
  const oBytes = <usize>outChannels << 2;
  const rowBytes = <usize>outWidth * oBytes;
  const at = tile.y + ((<usize>tile.n * outHeight + tile.p) * outWidth + tile.q) * oBytes + (<usize>tile.o << 2);
  const pb = tile.bias + (<usize>tile.o << 2);
  const right = tile.q + 1 < outWidth;
  // Σ y·0 is 0 when every y is finite, NaN when one is not (∞·0 and NaN·0 are NaN)
  const zero = f32x4.splat(0);
  const poison = madd(y11, zero, madd(y10, zero, madd(y01, zero, f32x4.mul(y00, zero))));
  if (i32x4.all_true(f32x4.eq(poison, poison))) {
    // the common case: every value finite; the outputs inside y stored
    v128.store(at, finish(y00, pb, epilogue));
    if (right) v128.store(at + oBytes, finish(y01, pb, epilogue));
    if (tile.p + 1 < outHeight) {
      v128.store(at + rowBytes, finish(y10, pb, epilogue));
      if (right) v128.store(at + rowBytes + oBytes, finish(y11, pb, epilogue));
    }
    return;
  }
  store4(y00, at, tile, 0, 0, top, left, height, width, channels, outHeight, outWidth, outChannels, epilogue);
  store4(y01, at + oBytes, tile, 0, 1, top, left, height, width, channels, outHeight, outWidth, outChannels, epilogue);
  store4(y10, at + rowBytes, tile, 1, 0, top, left, height, width, channels, outHeight, outWidth, outChannels, epilogue);
  store4(y11, at + rowBytes + oBytes, tile, 1, 1, top, left, height, width, channels, outHeight, outWidth, outChannels, epilogue);
}

/**
 * Aᵀ·[m0 … m5] for 4 lanes, m = 4: Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0],
 * [0, 1, −1, 8, −8, 1]], stored `step` bytes apart from `out`.
 */
// @ts-ignore: decorator
@inline
function reduceSix(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize, step: usize): void {
  const plus = f32x4.add(m1, m2), minus = f32x4.sub(m1, m2);
  const plus2 = f32x4.add(m3, m4), minus2 = f32x4.sub(m3, m4);
  v128.store(out, f32x4.add(f32x4.add(m0, plus), plus2));
  v128.store(out + step, f32x4.add(minus, f32x4.mul(f32x4.splat(2), minus2)));
  v128.store(out + 2 * step, f32x4.add(plus, f32x4.mul(f32x4.splat(4), plus2)));
  v128.store(out + 3 * step, f32x4.add(f32x4.add(minus, f32x4.mul(f32x4.splat(8), minus2)), m5));
}

/**
 * Y = Aᵀ M A for 4 output channels of one 4 × 4 tile, as transformOutput2 for m = 4; the row pass (Aᵀ M,
 * 4 × 6) goes through `rows`, the column pass is stored into `rows` too, over the row pass's first 16.
 */
function transformOutput4(
  m: usize, rows: usize, tile: Tile, top: i32, left: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32, epilogue: i32,
): void {
  const step = <usize>BLOCK * 8 * 4;
  // Aᵀ M: for each of the 6 columns j, M[0..5][j] into rows[0..3][j]
  for (let j = 0; j < 6; j++) {
    const col = m + <usize>j * step;
    reduceSix(
      v128.load(col), v128.load(col + 6 * step), v128.load(col + 12 * step),
      v128.load(col + 18 * step), v128.load(col + 24 * step), v128.load(col + 30 * step),
      rows + (<usize>j << 4), 6 * 16,
    );
  }
  // (Aᵀ M) A: each of the 4 rows' 6 values into 4 outputs, those inside y stored as they come; where one
  // of them is not finite, all are stored again through `outputs`, each finite or computed directly
  const oBytes = <usize>outChannels << 2;
  const rowBytes = <usize>outWidth * oBytes;
  const at = tile.y + ((<usize>tile.n * outHeight + tile.p) * outWidth + tile.q) * oBytes + (<usize>tile.o << 2);
  const pb = tile.bias + (<usize>tile.o << 2);
  const outputs = rows + 24 * 16;
  // the tile's rows and columns inside y (a tile on y's last row or column has fewer)
  const rowsInside = min(4, outHeight - tile.p), columnsInside = min(4, outWidth - tile.q);
  // Σ y·0 is 0 when every y is finite, NaN when one is not (∞·0 and NaN·0 are NaN)
  const zero = f32x4.splat(0);
  let poison = zero;
  const two = f32x4.splat(2), four = f32x4.splat(4), eight = f32x4.splat(8);
  for (let r = 0; r < rowsInside; r++) {
    const row = rows + <usize>(6 * r) * 16;
    const m1 = v128.load(row, 16), m2 = v128.load(row, 32), m3 = v128.load(row, 48), m4 = v128.load(row, 64);
    const plus = f32x4.add(m1, m2), minus = f32x4.sub(m1, m2);
    const plus2 = f32x4.add(m3, m4), minus2 = f32x4.sub(m3, m4);
    const y0 = f32x4.add(f32x4.add(v128.load(row), plus), plus2);
    const y1 = f32x4.add(minus, f32x4.mul(two, minus2));
    const y2 = f32x4.add(plus, f32x4.mul(four, plus2));
    const y3 = f32x4.add(f32x4.add(minus, f32x4.mul(eight, minus2)), v128.load(row, 80));
    poison = madd(y3, zero, madd(y2, zero, madd(y1, zero, madd(y0, zero, poison))));
    const to = at + <usize>r * rowBytes;
    v128.store(to, finish(y0, pb, epilogue));
    if (columnsInside > 1) v128.store(to + oBytes, finish(y1, pb, epilogue));
    if (columnsInside > 2) v128.store(to + 2 * oBytes, finish(y2, pb, epilogue));
    if (columnsInside > 3) v128.store(to + 3 * oBytes, finish(y3, pb, epilogue));
  }
  if (i32x4.all_true(f32x4.eq(poison, poison))) return;
  for (let r = 0; r < 4; r++) {
    const row = rows + <usize>(6 * r) * 16;
    reduceSix(v128.load(row), v128.load(row, 16), v128.load(row, 32), v128.load(row, 48), v128.load(row, 64), v128.load(row, 80), outputs + (<usize>(4 * r) << 4), 16);
  }
  for (let r = 0; r < 4; r++) {
    for (let s = 0; s < 4; s++) {
      store4(v128.load(outputs + (<usize>(4 * r + s) << 4)), at + <usize>r * rowBytes + <usize>s * oBytes, tile, r, s, top, left, height, width, channels, outHeight, outWidth, outChannels, epilogue);
    }
  }
}

/**
 * Output (p + r, q + s) of a tile, 4 channels from its o, at `at` (nothing when it lies outside y): stored
 * with the epilogue when all 4 are finite, else computed directly.
 */
function store4(
  v: v128, at: usize, tile: Tile, r: i32, s: i32, top: i32, left: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32, epilogue: i32,
): void {
  const p = tile.p + r, q = tile.q + s;
  if (p >= outHeight || q >= outWidth) return;
  if (i32x4.all_true(finite(v))) {
    v128.store(at, finish(v, tile.bias + (<usize>tile.o << 2), epilogue));
    return;
  }
  for (let lane = 0; lane < 4; lane++) {
    const value = directPoint(tile.xn, tile.zeros, tile.filter, tile.bias, p - top, q - left, tile.o + lane, height, width, channels, outChannels, epilogue);
    store<f32>(at + (<usize>lane << 2), value);
  }
}

/**
 * One output channel at one position by the direct sum, in scalar arithmetic in (i, j, c) order, skipping
 * the taps that fall outside x (as index.ts convPoint), then the epilogue.
 */
function directPoint(
  xn: usize, zeros: usize, filter: usize, bias: usize, row: i32, col: i32, o: i32,
  height: i32, width: i32, channels: i32, outChannels: i32, epilogue: i32,
): f32 {
  const oBytes = <usize>outChannels << 2;
  let pw = filter + (<usize>o << 2);
  let sum: f32 = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const px = pixel(xn, zeros, row + i, col + j, height, width, channels);
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
  return sum;
}

// ---------------------------------------------------------------------------------------------------------
// The filter gradient
// ---------------------------------------------------------------------------------------------------------

/** Tiles whose transforms are held at once by the filter gradient (its products' depth per pass). */
const TILES_PER_PASS: i32 = 32;

/** The floats of scratch conv2dFilterGradWinograd needs. */
// @ts-ignore: decorator
@inline
function filterScratchFloats(channels: i32, outChannels: i32): u64 {
  // the sums M (36 × c × o), a pass's transformed x (36 × (TILES_PER_PASS × c + 16)) and dy (36 ×
  // (TILES_PER_PASS × o + 16)), the input transform's column pass (36 × c), dy's (6 × 4 × 4), zeros for
  // x's padding (c), the tile's corner (3, 4 reserved)
  return <u64>36 * channels * outChannels + <u64>36 * (TILES_PER_PASS * (channels + outChannels) + 32) + <u64>37 * channels + 100;
}

/**
 * dW[i, j, c, o] = Σ_{n, p, q} x[n, p + i − top, q + j − left, c] · dy[n, p, q, o] for a 3 × 3 filter,
 * stride 1, no dilation (positions outside x contribute nothing), by the transpose of F(tile × tile,
 * 3 × 3): for every forward tile, its input tile d and its dy tile D,
 *
 *   dW[·, ·, c, o] = Gᵀ [ Σ_tiles (Bᵀ d_c B) ⊙ (A D_o Aᵀ) ] G,
 *
 * the sum over tiles being (tile + 2)² matrix products [c × tiles]·[tiles × o], whose depth is the batch's
 * tile count. The tiles' transforms are made TILES_PER_PASS at a time into scratch; the sums M [ξ][c][o]
 * accumulate in scratch and are transformed into dW once at the end. An entry of dW that comes out
 * non-finite is computed again by the direct sum (`directFilterPoint`), as conv2dWinograd does its
 * outputs. `scratch` holds 36·c·o + 1152·(c + o + 1) + 37·c + 100 floats of this call's own. Input channels a
 * multiple of 4, output channels of 8; BAD_GEOMETRY otherwise.
 */
export function conv2dFilterGradWinograd(
  x: usize, dy: usize, dW: usize, scratch: usize, tile: i32,
  batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32, top: i32, left: i32,
  xBytes: usize, dyBytes: usize, dWBytes: usize, scratchBytes: usize,
): i32 {
  if (!knownTile(tile) || batch < 0 || height < 0 || width < 0 || outHeight < 0 || outWidth < 0) return BAD_GEOMETRY;
  if (channels < 4 || (channels & 3) != 0 || outChannels < 8 || (outChannels & 7) != 0) return BAD_GEOMETRY;
  const points = tile + 2;
  const positions = points * points;
  if (!fits(x, bytes4(<u64>batch * height * width * channels), xBytes)) return 1;
  if (!fits(dy, bytes4(<u64>batch * outHeight * outWidth * outChannels), dyBytes)) return 2;
  if (!fits(dW, bytes4(<u64>9 * channels * outChannels), dWBytes)) return 3;
  if (!fits(scratch, bytes4(filterScratchFloats(channels, outChannels)), scratchBytes)) return 4;
  const tilesWide = (outWidth + tile - 1) / tile;
  const perImage = <u64>((outHeight + tile - 1) / tile) * tilesWide;
  if (<u64>batch * perImage > <u64>i32.MAX_VALUE) return BAD_GEOMETRY;
  const tiles = batch * <i32>perImage;
  // a pass's transforms of x and dy, [positions][TILES_PER_PASS][c or o], each ξ a cache line (16 floats)
  // further than its values: with ξ a power of two apart (4 KiB for the reference CNN's dy), the 36
  // stores of a tile's transform would all fall into one set of the L1 cache and evict one another
  const xStep = <usize>(TILES_PER_PASS * channels + 16) << 2; // from xs[ξ] to xs[ξ + 1]
  const dyStep = <usize>(TILES_PER_PASS * outChannels + 16) << 2;
  const sums = scratch; // [positions][c][o]
  const xs = sums + (<usize>36 * channels * outChannels << 2);
  const dys = xs + 36 * xStep;
  const columns = dys + 36 * dyStep; // [36][c]
  const dyColumns = columns + (<usize>36 * channels << 2); // [6][4] vectors
  const zeros = dyColumns + 96 * 4; // [c]
  const corner = zeros + (<usize>channels << 2); // the tile being transformed: image, row, column
  memory.fill(zeros, 0, <usize>channels << 2);
  memory.fill(sums, 0, <usize>positions * channels * outChannels << 2);
  const xImage = <usize>height * width * channels * 4;
  const dyImage = <usize>outHeight * outWidth * outChannels * 4;
  for (let first = 0; first < tiles; first += TILES_PER_PASS) {
    const count = min(TILES_PER_PASS, tiles - first);
    for (let k = 0; k < count; k++) {
      placeTile(first + k, <i32>perImage, tilesWide, tile, corner);
      const n = load<i32>(corner), p = load<i32>(corner, 4), q = load<i32>(corner, 8);
      const xn = x + <usize>n * xImage;
      const dyn = dy + <usize>n * dyImage;
      const xAt = xs + (<usize>k * channels << 2);
      const dyAt = dys + (<usize>k * outChannels << 2);
      if (tile == 2) {
        transformInput2(xn, zeros, columns, xAt, xStep, p - top, q - left, height, width, channels);
        transformGradient2(dyn, dyAt, dyStep, p, q, outHeight, outWidth, outChannels);
      } else {
        transformInput4(xn, zeros, columns, xAt, xStep, p - top, q - left, height, width, channels);
        transformGradient4(dyn, dyColumns, dyAt, dyStep, p, q, outHeight, outWidth, outChannels);
      }
    }
    for (let xi = 0; xi < positions; xi++) {
      const v = xs + <usize>xi * xStep;
      const z = dys + <usize>xi * dyStep;
      const m = sums + (<usize>xi * channels * outChannels << 2);
      for (let c = 0; c < channels; c += 4) {
        for (let o = 0; o < outChannels; o += 8) accumulateBlock(v + (<usize>c << 2), z + (<usize>o << 2), m + ((<usize>c * outChannels + o) << 2), count, channels, outChannels);
      }
    }
  }
  for (let c = 0; c < channels; c++) {
    for (let o = 0; o < outChannels; o += 4) {
      contractFilter(sums + ((<usize>c * outChannels + o) << 2), <usize>channels * outChannels << 2, dW + ((<usize>c * outChannels + o) << 2), <usize>channels * outChannels << 2, tile);
      // an entry that is not finite: the direct sum's value
      for (let t = 0; t < 9; t++) {
        const at = dW + ((<usize>(t * channels + c) * outChannels + o) << 2);
        if (i32x4.all_true(finite(v128.load(at)))) continue;
        for (let lane = 0; lane < 4; lane++) {
          const value = directFilterPoint(x, dy, t / 3 - top, t % 3 - left, c, o + lane, batch, height, width, channels, outHeight, outWidth, outChannels);
          store<f32>(at + (<usize>lane << 2), value);
        }
      }
    }
  }
  return OK;
}

/** m[c..c+4][o..o+8] += Σ_k v[k][c..c+4] · z[k][o..o+8] over `count` tiles (v's rows `channels` long, z's and m's `outChannels`). */
// @ts-ignore: decorator
@inline
function accumulateBlock(v: usize, z: usize, m: usize, count: i32, channels: i32, outChannels: i32): void {
  productTile(v, 4, <usize>channels << 2, z, <usize>outChannels << 2, count, m, <usize>outChannels << 2, true);
}

/** dy[p + a, q + b]'s 4 channels at `at` + o, or zeros where (p + a, q + b) lies outside dy. */
// @ts-ignore: decorator
@inline
function gradientAt(dyn: usize, p: i32, q: i32, outHeight: i32, outWidth: i32, oBytes: usize, o: usize): v128 {
  return p < outHeight && q < outWidth ? v128.load(dyn + (<usize>p * outWidth + q) * oBytes + o) : f32x4.splat(0);
}

/**
 * Z = A D Aᵀ of the 2 × 2 dy tile at (p, q) for every output channel, into out[ξ][o] (ξ `xiStep` bytes
 * apart); A = [[1, 0], [1, 1], [1, −1], [0, −1]].
 */
function transformGradient2(dyn: usize, out: usize, xiStep: usize, p: i32, q: i32, outHeight: i32, outWidth: i32, outChannels: i32): void {
  const oBytes = <usize>outChannels << 2;
  for (let o: usize = 0; o < oBytes; o += 16) {
    const d00 = gradientAt(dyn, p, q, outHeight, outWidth, oBytes, o), d01 = gradientAt(dyn, p, q + 1, outHeight, outWidth, oBytes, o);
    const d10 = gradientAt(dyn, p + 1, q, outHeight, outWidth, oBytes, o), d11 = gradientAt(dyn, p + 1, q + 1, outHeight, outWidth, oBytes, o);
    // A D: four rows of two
    const r10 = f32x4.add(d00, d10), r11 = f32x4.add(d01, d11);
    const r20 = f32x4.sub(d00, d10), r21 = f32x4.sub(d01, d11);
    expandTwo(d00, d01, out + o, xiStep);
    expandTwo(r10, r11, out + o + 4 * xiStep, xiStep);
    expandTwo(r20, r21, out + o + 8 * xiStep, xiStep);
    expandTwo(f32x4.neg(d10), f32x4.neg(d11), out + o + 12 * xiStep, xiStep);
  }
}

/** A·[e0, e1] for 4 lanes, four values `step` bytes apart from `out`. */
// @ts-ignore: decorator
@inline
function expandTwo(e0: v128, e1: v128, out: usize, step: usize): void {
  v128.store(out, e0);
  v128.store(out + step, f32x4.add(e0, e1));
  v128.store(out + 2 * step, f32x4.sub(e0, e1));
  v128.store(out + 3 * step, f32x4.neg(e1));
}

/**
 * A·[e0 … e3] for 4 lanes, m = 4: A = Aᵀᵀ, Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0],
 * [0, 1, −1, 8, −8, 1]]; six values `step` bytes apart from `out`.
 */
// @ts-ignore: decorator
@inline
function expandFour(e0: v128, e1: v128, e2: v128, e3: v128, out: usize, step: usize): void {
  const even = f32x4.add(e0, e2), odd = f32x4.add(e1, e3);
  const even4 = f32x4.add(e0, f32x4.mul(f32x4.splat(4), e2)), odd8 = f32x4.add(f32x4.mul(f32x4.splat(2), e1), f32x4.mul(f32x4.splat(8), e3));
  v128.store(out, e0);
  v128.store(out + step, f32x4.add(even, odd));
  v128.store(out + 2 * step, f32x4.sub(even, odd));
  v128.store(out + 3 * step, f32x4.add(even4, odd8));
  v128.store(out + 4 * step, f32x4.sub(even4, odd8));
  v128.store(out + 5 * step, e3);
}

/** Z = A D Aᵀ of the 4 × 4 dy tile at (p, q), as transformGradient2 for m = 4; the column pass goes through `temp`. */
function transformGradient4(dyn: usize, temp: usize, out: usize, xiStep: usize, p: i32, q: i32, outHeight: i32, outWidth: i32, outChannels: i32): void {
  const oBytes = <usize>outChannels << 2;
  for (let o: usize = 0; o < oBytes; o += 16) {
    // A D: for each of the 4 columns b, 4 values into 6 rows of temp[·][b]
    for (let b = 0; b < 4; b++) {
      expandFour(
        gradientAt(dyn, p, q + b, outHeight, outWidth, oBytes, o), gradientAt(dyn, p + 1, q + b, outHeight, outWidth, oBytes, o),
        gradientAt(dyn, p + 2, q + b, outHeight, outWidth, oBytes, o), gradientAt(dyn, p + 3, q + b, outHeight, outWidth, oBytes, o),
        temp + (<usize>b << 4), 64,
      );
    }
    // (A D) Aᵀ: each of the 6 rows' 4 values into 6
    for (let r = 0; r < 6; r++) {
      const row = temp + (<usize>r << 6);
      expandFour(v128.load(row), v128.load(row, 16), v128.load(row, 32), v128.load(row, 48), out + o + <usize>(6 * r) * xiStep, xiStep);
    }
  }
}

/**
 * dW[·, ·, c, o..o+4] = Gᵀ M G from M[ξ][c][o..o+4] (ξ `mStep` bytes apart) into the 9 taps of dW (`tap`
 * bytes apart), a row of the result at a time: row r of Gᵀ M (`points` values), then its 3 values times G.
 */
function contractFilter(m: usize, mStep: usize, dW: usize, tap: usize, tile: i32): void {
  const points = tile + 2;
  for (let r = 0; r < 3; r++) {
    const step = <usize>points * mStep;
    const r0 = contractOne(m, step, r, tile), r1 = contractOne(m + mStep, step, r, tile);
    const r2 = contractOne(m + 2 * mStep, step, r, tile), r3 = contractOne(m + 3 * mStep, step, r, tile);
    const row = dW + <usize>(3 * r) * tap;
    if (tile == 2) {
      const half = f32x4.splat(0.5);
      const plus = f32x4.mul(f32x4.add(r1, r2), half);
      v128.store(row, f32x4.add(r0, plus));
      v128.store(row + tap, f32x4.mul(f32x4.sub(r1, r2), half));
      v128.store(row + 2 * tap, f32x4.add(plus, r3));
    } else {
      const r4 = contractOne(m + 4 * mStep, step, r, tile), r5 = contractOne(m + 5 * mStep, step, r, tile);
      const sixth = f32x4.splat(1.0 / 6);
      const plus = f32x4.mul(f32x4.add(r1, r2), sixth), minus = f32x4.mul(f32x4.sub(r2, r1), sixth);
      const plus2 = f32x4.add(r3, r4), minus2 = f32x4.sub(r3, r4);
      v128.store(row, f32x4.sub(f32x4.add(f32x4.mul(r0, f32x4.splat(0.25)), f32x4.mul(plus2, f32x4.splat(1.0 / 24))), plus));
      v128.store(row + tap, f32x4.add(minus, f32x4.mul(minus2, f32x4.splat(1.0 / 12))));
      v128.store(row + 2 * tap, f32x4.add(f32x4.sub(f32x4.mul(plus2, sixth), plus), r5));
    }
  }
}

/**
 * Row r of Gᵀ·[m0 … m(tile + 1)] for 4 lanes, m_k at column + k·step (G as in winogradFilter): for m = 2,
 * Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]]; for m = 4, [[¼, −⅙, −⅙, 1/24, 1/24, 0],
 * [0, −⅙, ⅙, 1/12, −1/12, 0], [0, −⅙, −⅙, ⅙, ⅙, 1]].
 */
// @ts-ignore: decorator
@inline
function contractOne(column: usize, step: usize, r: i32, tile: i32): v128 {
  if (tile == 2) {
    const m1 = v128.load(column + step), m2 = v128.load(column + 2 * step);
    const half = f32x4.splat(0.5);
    if (r == 0) return f32x4.add(v128.load(column), f32x4.mul(f32x4.add(m1, m2), half));
    if (r == 1) return f32x4.mul(f32x4.sub(m1, m2), half);
    return f32x4.add(f32x4.mul(f32x4.add(m1, m2), half), v128.load(column + 3 * step));
  }
  const m1 = v128.load(column + step), m2 = v128.load(column + 2 * step), m3 = v128.load(column + 3 * step), m4 = v128.load(column + 4 * step);
  const sixth = f32x4.splat(1.0 / 6);
  const plus = f32x4.mul(f32x4.add(m1, m2), sixth);
  const plus2 = f32x4.add(m3, m4);
  if (r == 0) return f32x4.sub(f32x4.add(f32x4.mul(v128.load(column), f32x4.splat(0.25)), f32x4.mul(plus2, f32x4.splat(1.0 / 24))), plus);
  if (r == 1) return f32x4.add(f32x4.mul(f32x4.sub(m2, m1), sixth), f32x4.mul(f32x4.sub(m3, m4), f32x4.splat(1.0 / 12)));
  return f32x4.add(f32x4.sub(f32x4.mul(plus2, sixth), plus), v128.load(column + 5 * step));
}

/**
 * One entry of dW by the direct sum over (n, p, q), in scalar arithmetic, over the outputs whose input
 * position (p + row, q + col) lies inside x (row = i − top, col = j − left).
 */
function directFilterPoint(
  x: usize, dy: usize, row: i32, col: i32, c: i32, o: i32,
  batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32,
): f32 {
  let sum: f32 = 0;
  for (let n = 0; n < batch; n++) {
    for (let p = max(0, -row); p < min(outHeight, height - row); p++) {
      for (let q = max(0, -col); q < min(outWidth, width - col); q++) {
        const xv = load<f32>(x + ((((<usize>n * height + p + row) * width + q + col) * channels + c) << 2));
        const dv = load<f32>(dy + ((((<usize>n * outHeight + p) * outWidth + q) * outChannels + o) << 2));
        sum += xv * dv;
      }
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------------------
// The input gradient
// ---------------------------------------------------------------------------------------------------------

/** The floats of scratch conv2dInputGradWinograd needs. */
// @ts-ignore: decorator
@inline
function inputScratchFloats(channels: i32, outChannels: i32): u64 {
  // a block's transformed dy (36 × (BLOCK × o + 16)), its products for 8 channels (36 × BLOCK × 8), dy's
  // column pass (6 × 4 × 4), the input-side transform's passes (2 × 36 × 4), the block's tiles' corners
  // (3 × BLOCK)
  return <u64>36 * (BLOCK * outChannels + 16) + 36 * BLOCK * 8 + 96 + 288 + 3 * BLOCK;
}

/**
 * dx[n, h, w, c] = Σ_{i, j, o} dy[n, h − i + top, w − j + left, o] · filter[i, j, c, o] for a 3 × 3 filter,
 * stride 1, no dilation: the gradient of conv2dWinograd's convolution with respect to its input, by the
 * transpose of F(tile × tile, 3 × 3). Each forward tile's dy tile D gives the (tile + 2)² input tile
 *
 *   dx_tile = B [ Σ_o (G g_o Gᵀ) ⊙ (A D_o Aᵀ) ] Bᵀ,
 *
 * added into dx where it lies inside x (neighbouring input tiles overlap by 2). So it takes the forward
 * convolution's tiles (9 for an 11 × 11 dy at m = 4) where the padded convolution of conv2dWinograd
 * takes those of x (16 for 13 × 13). `u` is winogradFilter of the filter with its channel axes swapped
 * ([3, 3, o, c]: U[ξ][o][c]). Entries of dx that come out non-finite are computed again directly
 * (`directInputPoint`), as conv2dWinograd does its outputs. `scratch` holds 144·o + 2124 floats of this
 * call's own. Input channels (c) a multiple of 8, output channels (o) of 4; BAD_GEOMETRY otherwise.
 */
export function conv2dInputGradWinograd(
  dy: usize, filter: usize, u: usize, dx: usize, scratch: usize, tile: i32,
  batch: i32, height: i32, width: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32, top: i32, left: i32,
  dyBytes: usize, filterBytes: usize, uBytes: usize, dxBytes: usize, scratchBytes: usize,
): i32 {
  if (!knownTile(tile) || batch < 0 || height < 0 || width < 0 || outHeight < 0 || outWidth < 0) return BAD_GEOMETRY;
  if (channels < 8 || (channels & 7) != 0 || outChannels < 4 || (outChannels & 3) != 0) return BAD_GEOMETRY;
  const points = tile + 2;
  const positions = points * points;
  if (!fits(dy, bytes4(<u64>batch * outHeight * outWidth * outChannels), dyBytes)) return 1;
  if (!fits(filter, bytes4(<u64>9 * channels * outChannels), filterBytes)) return 2;
  if (!fits(u, bytes4(<u64>positions * channels * outChannels), uBytes)) return 3;
  if (!fits(dx, bytes4(<u64>batch * height * width * channels), dxBytes)) return 4;
  if (!fits(scratch, bytes4(inputScratchFloats(channels, outChannels)), scratchBytes)) return 5;
  const tilesWide = (outWidth + tile - 1) / tile;
  const perImage = <u64>((outHeight + tile - 1) / tile) * tilesWide;
  if (<u64>batch * perImage > <u64>i32.MAX_VALUE) return BAD_GEOMETRY;
  const tiles = batch * <i32>perImage;
  const zStep = <usize>(BLOCK * outChannels + 16) << 2; // from Z[ξ] to Z[ξ + 1], a cache line apart (see conv2dFilterGradWinograd)
  const transformed = scratch; // [positions][BLOCK][o]
  const sums = transformed + 36 * zStep; // [positions][BLOCK][8]
  const dyColumns = sums + (<usize>36 * BLOCK * 8 << 2); // [6][4] vectors
  const passes = dyColumns + 96 * 4; // [2][36] vectors
  const corners = passes + 72 * 16; // [BLOCK][image, row, column] of each tile's first output
  const xImage = <usize>height * width * channels * 4;
  const dyImage = <usize>outHeight * outWidth * outChannels * 4;
  memory.fill(dx, 0, <usize>batch * xImage);
  for (let first = 0; first < tiles; first += BLOCK) {
    const count = min(BLOCK, tiles - first);
    for (let k = 0; k < BLOCK; k++) {
      const at = transformed + (<usize>k * outChannels << 2);
      if (k < count) {
        const corner = corners + <usize>k * 12;
        placeTile(first + k, <i32>perImage, tilesWide, tile, corner);
        const dyn = dy + <usize>load<i32>(corner) * dyImage;
        const p = load<i32>(corner, 4), q = load<i32>(corner, 8);
        if (tile == 2) transformGradient2(dyn, at, zStep, p, q, outHeight, outWidth, outChannels);
        else transformGradient4(dyn, dyColumns, at, zStep, p, q, outHeight, outWidth, outChannels);
      } else {
        clearTile(at, zStep, positions, outChannels);
      }
    }
    for (let c = 0; c < channels; c += 8) {
      multiplyPositions(transformed, zStep, u, c, outChannels, channels, positions, sums);
      for (let k = 0; k < count; k++) {
        const corner = corners + <usize>k * 12;
        const dxn = dx + <usize>load<i32>(corner) * xImage;
        const row = load<i32>(corner, 4) - top, col = load<i32>(corner, 8) - left;
        for (let h = 0; h < 8; h += 4) {
          scatterInput(sums + (<usize>(k * 8 + h) << 2), passes, dxn + (<usize>(c + h) << 2), row, col, height, width, channels, tile);
        }
      }
    }
  }
  // the entries that are not finite: the direct sum's values
  const total = <usize>batch * height * width * channels;
  for (let at: usize = 0; at < total; at += 4) {
    if (i32x4.all_true(finite(v128.load(dx + (at << 2))))) continue;
    for (let lane: usize = 0; lane < 4; lane++) {
      const index = <i32>(at + lane);
      const c = index % channels, pixel = index / channels;
      const w = pixel % width, rest = pixel / width;
      const value = directInputPoint(dy, filter, rest / height, rest % height, w, c, top, left, channels, outHeight, outWidth, outChannels);
      store<f32>(dx + ((at + lane) << 2), value);
    }
  }
  return OK;
}

/**
 * B·[p0 … p(tile + 1)] for 4 lanes, `tile + 2` values `step` bytes apart from `out` (B = (Bᵀ)ᵀ, Bᵀ as in
 * transformInput2 and combineSix): for m = 2, B = [[1, 0, 0, 0], [0, 1, −1, 1], [−1, 1, 1, 0],
 * [0, 0, 0, −1]]; for m = 4, B = [[4, 0, 0, 0, 0, 0], [0, −4, 4, −2, 2, 4], [−5, −4, −4, −1, −1, 0],
 * [0, 1, −1, 2, −2, −5], [1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 1]].
 */
// @ts-ignore: decorator
@inline
function spread(from: usize, fromStep: usize, out: usize, step: usize, tile: i32): void {
  if (tile == 2) {
    const p0 = v128.load(from), p1 = v128.load(from + fromStep), p2 = v128.load(from + 2 * fromStep), p3 = v128.load(from + 3 * fromStep);
    v128.store(out, p0);
    v128.store(out + step, f32x4.add(f32x4.sub(p1, p2), p3));
    v128.store(out + 2 * step, f32x4.sub(f32x4.add(p1, p2), p0));
    v128.store(out + 3 * step, f32x4.neg(p3));
    return;
  }
  const p0 = v128.load(from), p1 = v128.load(from + fromStep), p2 = v128.load(from + 2 * fromStep);
  const p3 = v128.load(from + 3 * fromStep), p4 = v128.load(from + 4 * fromStep), p5 = v128.load(from + 5 * fromStep);
  const four = f32x4.splat(4), two = f32x4.splat(2), five = f32x4.splat(5);
  const minus = f32x4.sub(p2, p1), minus2 = f32x4.sub(p4, p3);
  const plus = f32x4.add(p1, p2), plus2 = f32x4.add(p3, p4);
  v128.store(out, f32x4.mul(four, p0));
  v128.store(out + step, f32x4.add(f32x4.add(f32x4.mul(four, minus), f32x4.mul(two, minus2)), f32x4.mul(four, p5)));
  v128.store(out + 2 * step, f32x4.neg(f32x4.add(f32x4.add(f32x4.mul(five, p0), f32x4.mul(four, plus)), plus2)));
  v128.store(out + 3 * step, f32x4.sub(f32x4.sub(f32x4.neg(minus), f32x4.mul(two, minus2)), f32x4.mul(five, p5)));
  v128.store(out + 4 * step, f32x4.add(f32x4.add(p0, plus), plus2));
  v128.store(out + 5 * step, p5);
}

/**
 * X = B P Bᵀ for 4 input channels of one tile (P[ξ] at m + ξ·BLOCK·8·4), added into dx (the image's,
 * at its channel) where X's (row, col) + (r, s) lies inside x. The passes go through `passes`.
 */
function scatterInput(m: usize, passes: usize, dxn: usize, row: i32, col: i32, height: i32, width: i32, channels: i32, tile: i32): void {
  const points = tile + 2;
  const step = <usize>BLOCK * 8 * 4;
  const columns = passes; // [points][points] vectors: B P, row-major
  const result = passes + 36 * 16;
  // B P: for each column j, P[0..points][j] into rows 0..points of column j
  for (let j = 0; j < points; j++) spread(m + <usize>j * step, <usize>points * step, columns + (<usize>j << 4), <usize>points << 4, tile);
  // (B P) Bᵀ: each row's values into `points`
  for (let r = 0; r < points; r++) spread(columns + (<usize>(points * r) << 4), 16, result + (<usize>(points * r) << 4), 16, tile);
  const channelBytes = <usize>channels << 2;
  for (let r = 0; r < points; r++) {
    const h = row + r;
    if (<u32>h >= <u32>height) continue;
    for (let s = 0; s < points; s++) {
      const w = col + s;
      if (<u32>w >= <u32>width) continue;
      const at = dxn + (<usize>h * width + w) * channelBytes;
      v128.store(at, f32x4.add(v128.load(at), v128.load(result + (<usize>(points * r + s) << 4))));
    }
  }
}

/**
 * One entry of dx by the direct sum over (i, j, o), in scalar arithmetic, over the taps whose output
 * position (h − i + top, w − j + left) lies inside dy.
 */
function directInputPoint(
  dy: usize, filter: usize, n: i32, h: i32, w: i32, c: i32, top: i32, left: i32, channels: i32, outHeight: i32, outWidth: i32, outChannels: i32,
): f32 {
  let sum: f32 = 0;
  for (let i = 0; i < 3; i++) {
    const p = h - i + top;
    if (<u32>p >= <u32>outHeight) continue;
    for (let j = 0; j < 3; j++) {
      const q = w - j + left;
      if (<u32>q >= <u32>outWidth) continue;
      const g = dy + ((((<usize>n * outHeight + p) * outWidth + q) * outChannels) << 2);
      const f = filter + ((((<usize>(i * 3 + j)) * channels + c) * outChannels) << 2);
      for (let o = 0; o < outChannels; o++) sum += load<f32>(g + (<usize>o << 2)) * load<f32>(f + (<usize>o << 2));
    }
  }
  return sum;
}
