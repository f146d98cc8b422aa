/**
 * Row blocks for the host BLAS (src/backend/blas-blocks.ts): where they are planned (the space of product
 * shapes, each plan checked against what it must be: C's rows covered in order, each block small enough for
 * the small-matrix kernels and thick enough to gain, as few blocks as that allows), which libraries are
 * taken to have the kernels, and products run in blocks on the real library, against a float64 reference
 * and against the same product whole, writing nothing outside C.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { NO_SMALL_PRODUCTS, rowBlocks, SMALL_PRODUCT_MACS, smallProductsOf, type SmallProducts } from "../../src/backend/blas-blocks";
import { hostBlas, useHostBlas } from "../../src/backend/blas";
import { rng } from "../../src/data";

const SEED = 20261204;
const BOTH: SmallProducts = { plain: true, transposedA: true };

describe("row blocks for the host BLAS", () => {
  test("2000 random shapes (seed 20261204): each plan covers C's rows in order, in the fewest blocks each small enough and thick enough", () => {
    const random = rng(SEED, 1);
    const failures: string[] = [];
    let planned = 0;
    for (let i = 0; i < 2000; i++) {
      // dimensions on a log scale (m to 5000, k and n to 1000), so that both sides of every bound are drawn
      const dim = (top: number) => Math.max(1, Math.round(Math.exp(random.next() * Math.log(top))));
      const [m, k, n] = [dim(5000), dim(1000), dim(1000)];
      const [transposeA, transposeB] = [random.int(2) === 1, random.int(4) === 0];
      const small = [NO_SMALL_PRODUCTS, BOTH, { plain: true, transposedA: false }, { plain: false, transposedA: true }][random.int(4)];
      const blocks = rowBlocks(m, k, n, transposeA, transposeB, small);
      const shape = `[${m}, ${k}]·[${k}, ${n}] transposeA ${transposeA} transposeB ${transposeB} ${JSON.stringify(small)}`;
      const kernels = transposeA ? small.transposedA : small.plain;
      const thinnest = transposeA ? 32 : 4;
      const fits = Math.floor(SMALL_PRODUCT_MACS / (k * n)); // the most rows a block can have
      if (!blocks) {
        // whole: and there must be a reason
        const evenRows = fits === 0 ? 0 : Math.floor(m / Math.ceil(m / fits)); // of the fewest even blocks that fit
        if (!transposeB && kernels && m * k * n > SMALL_PRODUCT_MACS && evenRows >= thinnest) failures.push(`${shape}: not split`);
        continue;
      }
      planned++;
      if (transposeB || !kernels) failures.push(`${shape}: split without kernels for it`);
      let next = 0;
      for (const { start, rows } of blocks) {
        if (start !== next) failures.push(`${shape}: a block starts at ${start}, not ${next}`);
        if (rows * k * n > SMALL_PRODUCT_MACS) failures.push(`${shape}: a block of ${rows} rows is too large for the kernels`);
        if (rows < thinnest) failures.push(`${shape}: a block of ${rows} rows is thinner than ${thinnest}`);
        next = start + rows;
      }
      if (next !== m) failures.push(`${shape}: the blocks end at row ${next}`);
      if (blocks.length !== Math.ceil(m / fits)) failures.push(`${shape}: ${blocks.length} blocks where ${Math.ceil(m / fits)} do`);
      const sizes = blocks.map((b) => b.rows);
      if (Math.max(...sizes) - Math.min(...sizes) > 1) failures.push(`${shape}: uneven blocks ${sizes.join(", ")}`);
    }
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} plans are wrong`);
    assert.ok(planned >= 100, `only ${planned} of 2000 shapes were split: the space misses the blocks`);
  });

  test("OpenBLAS from 0.3.18 on its SkylakeX-class cores has the small-matrix kernels; other versions, cores and libraries not", () => {
    const cases: [string | undefined, string | undefined, boolean][] = [
      ["OpenBLAS 0.3.21", "Cooperlake", true],
      ["OpenBLAS 0.3.18", "SkylakeX", true],
      ["OpenBLAS 0.3.26.dev", "SapphireRapids", true],
      ["OpenBLAS 0.4.0", "skylakex", true],
      ["OpenBLAS 1.0.0", "COOPERLAKE", true],
      ["OpenBLAS 0.3.17", "SkylakeX", false],
      ["OpenBLAS 0.2.20", "SkylakeX", false],
      ["OpenBLAS 0.3.21", "Haswell", false],
      ["OpenBLAS 0.3.21", "Zen", false],
      ["OpenBLAS 0.3.21", "SkylakeXY", false],
      ["OpenBLAS 0.3.21", undefined, false],
      [undefined, "SkylakeX", false],
      ["Accelerate", undefined, false],
    ];
    for (const [version, core, has] of cases) {
      assert.deepEqual(smallProductsOf(version, core), has ? BOTH : NO_SMALL_PRODUCTS, `${version} on ${core}`);
    }
  });

  test("the library's description says when its products run in row blocks", () => {
    const blas = hostBlas();
    if (!blas) return; // no host BLAS: nothing is split (host-blas.test.ts checks why there is none)
    const split = blas.smallProducts.plain || blas.smallProducts.transposedA;
    assert.equal(/small-matrix path/.test(blas.description), split, blas.description);
    const core = /\((\w+) kernels/.exec(blas.description)?.[1];
    assert.deepEqual(blas.smallProducts, smallProductsOf(/^OpenBLAS \S+/.exec(blas.description)?.[0], core));
  });

  test("200 random products in row blocks on the real library (seed 20261204) equal float64 and the whole product, and write only C", () => {
    const loaded = useHostBlas(true, { smallProducts: BOTH });
    try {
      const blas = loaded.blas;
      if (!blas) return; // no host BLAS here
      const whole = useHostBlas(true, { smallProducts: NO_SMALL_PRODUCTS }).blas!;
      const random = rng(SEED, 2);
      const failures: string[] = [];
      let split = 0;
      for (let i = 0; i < 200; i++) {
        const transposeA = random.int(2) === 1;
        const transposeB = random.int(5) === 0;
        // B of 2000 to 15,000 elements, so that a block holds 66 to 500 rows (Aᵀ·B's need 32); m up to three blocks
        const k = 16 + random.int(145);
        const n = Math.ceil(2000 / k) + random.int(Math.floor(15_000 / k) - Math.ceil(2000 / k) + 1);
        const m = 1 + random.int(3 * Math.floor(SMALL_PRODUCT_MACS / (k * n)));
        const alpha = [1, 2, 0.5, -1.5][random.int(4)];
        const beta = [0, 1, 0.25][random.int(3)];
        if (rowBlocks(m, k, n, transposeA, transposeB, BOTH)) split++;
        const shape = `[${m}, ${k}]·[${k}, ${n}] transposeA ${transposeA} transposeB ${transposeB} alpha ${alpha} beta ${beta}`;
        const failure = checkProduct(blas, whole, { m, k, n, transposeA, transposeB, alpha, beta }, () => random.normal());
        if (failure) failures.push(`${shape}: ${failure}`);
      }
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of 200 products failed`);
      assert.ok(split >= 60, `only ${split} of 200 products ran in blocks`);
    } finally {
      useHostBlas(true);
    }
  });
});

interface Product {
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  alpha: number;
  beta: number;
}

/** Guard floats around each operand, which no call may change. */
const GUARD = 64;
const SENTINEL = -12345.5;

/**
 * C = alpha·op(A)·op(B) + beta·C by `blas` on a heap of its own, against float64 (within float32's bound
 * for a sum of k + 2 terms, (k + 2)·2⁻²³·Σ|terms|) and against `whole`'s result (within twice that): what
 * failed, or undefined.
 */
function checkProduct(blas: NonNullable<ReturnType<typeof hostBlas>>, whole: NonNullable<ReturnType<typeof hostBlas>>, p: Product, draw: () => number): string | undefined {
  const { m, k, n, transposeA, transposeB, alpha, beta } = p;
  const a = Float32Array.from({ length: m * k }, draw);
  const b = Float32Array.from({ length: k * n }, draw);
  const c = Float32Array.from({ length: m * n }, draw);
  const run = (library: typeof blas) => {
    // [guard | A | guard | B | guard | C | guard], each region's offset in bytes
    const offsets = [GUARD, 2 * GUARD + a.length, 3 * GUARD + a.length + b.length];
    const heap = new Float32Array(4 * GUARD + a.length + b.length + c.length).fill(SENTINEL);
    heap.set(a, offsets[0]);
    heap.set(b, offsets[1]);
    heap.set(c, offsets[2]);
    library.multiply(heap.buffer, offsets[0] * 4, offsets[1] * 4, offsets[2] * 4, m, k, n, { transposeA, transposeB, alpha, beta });
    const untouched = [[0, offsets[0]], [offsets[0] + a.length, offsets[1]], [offsets[1] + b.length, offsets[2]], [offsets[2] + c.length, heap.length]];
    const outside = untouched.some(([from, to]) => heap.subarray(from, to).some((v) => v !== SENTINEL));
    const inputsKept = heap.subarray(offsets[0], offsets[0] + a.length).every((v, i) => v === a[i]) && heap.subarray(offsets[1], offsets[1] + b.length).every((v, i) => v === b[i]);
    return { result: heap.slice(offsets[2], offsets[2] + c.length), intact: !outside && inputsKept };
  };
  const blocked = run(blas);
  if (!blocked.intact) return "wrote outside C";
  const reference = run(whole).result;
  for (let row = 0; row < m; row++) {
    for (let col = 0; col < n; col++) {
      let exact = 0;
      let scale = Math.abs(beta * c[row * n + col]);
      for (let i = 0; i < k; i++) {
        const term = alpha * (transposeA ? a[i * m + row] : a[row * k + i]) * (transposeB ? b[col * k + i] : b[i * n + col]);
        exact += term;
        scale += Math.abs(term);
      }
      exact += beta * c[row * n + col];
      const got = blocked.result[row * n + col];
      const tolerance = (k + 2) * 2 ** -23 * scale;
      if (!(Math.abs(got - exact) <= tolerance)) return `C[${row}, ${col}] = ${got}, float64 ${exact}`;
      if (!(Math.abs(got - reference[row * n + col]) <= 2 * tolerance)) return `C[${row}, ${col}] = ${got}, whole ${reference[row * n + col]}`;
    }
  }
  return undefined;
}
