/**
 * Row blocks for the host BLAS's products, where the library has small-matrix kernels.
 *
 * OpenBLAS's SkylakeX-class kernels (SkylakeX, Cooperlake, Sapphire Rapids) multiply a product of at most
 * 10⁶ multiply-adds without packing its operands (kernel/x86_64/sgemm_small_kernel_permit_skylakex.c, since
 * 0.3.18); above that, sgemm first packs both into its blocked layout,
 * a pass over B that costs more than the multiply-adds in a product with few rows. Such a product is then
 * faster as products of blocks of C's rows, each small enough for those kernels: on a 2-core AMD EPYC VM
 * (OpenBLAS 0.3.21, Cooperlake kernels, caches swept before each call), [16, 784]·[784, 256] took 90 µs
 * whole and 62 µs as four blocks of 4 rows, [64, 784]·[784, 256] 275 µs and 240 µs, and Aᵀ·B of
 * [16, 784]ᵀ·[16, 256] 85 µs and 70 µs in blocks of 196 rows.
 *
 * Each block reads the whole of B, so a block needs rows enough to pay for that: with blocks of 1 row,
 * [64, 1000]·[1000, 1000] took three times as long. Aᵀ·B needs more (its blocks read A's columns, strided):
 * blocks of 8 and 16 rows gained nothing or lost, of 61 and 196 rows gained 8 % and 18 %. A·Bᵀ is never split
 * (OpenBLAS's small kernel for it takes only products whose C has at most 1200 elements).
 *
 * Whether the library has these kernels comes from its version and core (smallProductsOf). Nothing else
 * changes with the blocks: each block is one sgemm call on views of the operands, so alpha and beta act per
 * element as on the whole product.
 */

/** The most multiply-adds that OpenBLAS's small-matrix kernels take in one product. */
export const SMALL_PRODUCT_MACS = 1_000_000;

/** In which orientations (of the row-major product) the host BLAS has small-matrix kernels. */
export interface SmallProducts {
  /** A·B */
  readonly plain: boolean;
  /** Aᵀ·B */
  readonly transposedA: boolean;
}

export const NO_SMALL_PRODUCTS: SmallProducts = { plain: false, transposedA: false };

/** The fewest rows a block may have for the split to gain (see the module's comment). */
const MIN_BLOCK_ROWS = { plain: 4, transposedA: 32 } as const;

/** A block of C's rows: the first and how many. */
export interface RowBlock {
  readonly start: number;
  readonly rows: number;
}

/**
 * The blocks of C's rows for C [m, n] = op(A)·op(B) over an inner dimension k, as even as they can be and
 * each within SMALL_PRODUCT_MACS, or undefined where the product is best multiplied whole: the library has
 * no small kernels for its orientation, it is small enough already, B is transposed, or the blocks would be
 * too thin.
 */
export function rowBlocks(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, small: SmallProducts): RowBlock[] | undefined {
  if (transposeB || !(transposeA ? small.transposedA : small.plain)) return undefined;
  const most = Math.floor(SMALL_PRODUCT_MACS / (k * n));
  if (most >= m) return undefined;
  const count = Math.ceil(m / most);
  const base = Math.floor(m / count);
  if (base < (transposeA ? MIN_BLOCK_ROWS.transposedA : MIN_BLOCK_ROWS.plain)) return undefined;
  const longer = m % count; // the first `longer` blocks take one row more
  const blocks: RowBlock[] = [];
  for (let i = 0, start = 0; i < count; i++) {
    const rows = base + (i < longer ? 1 : 0);
    blocks.push({ start, rows });
    start += rows;
  }
  return blocks;
}

/** OpenBLAS's cores whose kernels include the small-matrix ones (its SkylakeX kernels, which the other two build on). */
const SMALL_KERNEL_CORES = /^(skylakex|cooperlake|sapphirerapids)$/i;

/** The first OpenBLAS with them: 0.3.18 ("added SkylakeX S/DGEMM kernels for small problem sizes (M*N*K<=1000000)"). */
const SMALL_KERNELS_SINCE = [0, 3, 18] as const;

/**
 * Whether the library has small-matrix kernels, from what it says of itself: OpenBLAS from 0.3.18 on one of
 * SMALL_KERNEL_CORES (the core openblas_get_corename names: the kernels it chose for this CPU), whose x86-64
 * builds enable them (SMALL_MATRIX_OPT, on by default there). Decided from the library's identity rather
 * than timed, so that a machine always multiplies a product the same way, with the same bits.
 */
export function smallProductsOf(version: string | undefined, core: string | undefined): SmallProducts {
  const release = /^OpenBLAS (\d+)\.(\d+)\.(\d+)/.exec(version ?? "")?.slice(1).map(Number);
  if (!release || core === undefined || !SMALL_KERNEL_CORES.test(core.trim())) return NO_SMALL_PRODUCTS;
  const index = release.findIndex((part, i) => part !== SMALL_KERNELS_SINCE[i]);
  const recent = index === -1 || release[index] > SMALL_KERNELS_SINCE[index];
  return recent ? { plain: true, transposedA: true } : NO_SMALL_PRODUCTS;
}
