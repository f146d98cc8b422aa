/**
 * BatchMatMul and _FusedMatMul on wasm, arranged for XNNPACK.
 *
 * 1. Transposed operands. The wasm backend multiplies `transposeA`/`transposeB` operands through a slow
 *    generic loop, about 10× slower than its XNNPACK path, and backpropagation through every dense layer
 *    needs exactly those products (xᵀ·dy and dy·Wᵀ). The SIMD kernel below reads a transposed A where it
 *    lies, and the host BLAS (below) a transposed B; every other transposed operand is transposed
 *    explicitly with the backend's own Transpose kernel and then multiplied untransposed (kernels/transpose.ts
 *    lays out matrices in SIMD blocks; the backend's own Transpose took 0.10 ms for the CNN's [64, 800],
 *    twice the product xᵀ·dy that followed).
 * 2. A new right operand. XNNPACK packs the right operand B into its own layout when it first sees it, and
 *    the backend caches that packing per tensor. In training the weights are a new tensor after every
 *    update, so the forward product x·W packs all of W each step (784×256: ~0.6 ms, longer than the product
 *    itself), and the weight gradient xᵀ·dy has a new B, the upstream gradient, every time. A single product
 *    runs on stepwise's SIMD kernel instead (assembly/index.ts `matMul`), which reads B in place, for the
 *    first SIMD_PRODUCTS_PER_OPERAND products with that B. Later ones (the same weights at inference, or
 *    over a long accumulation window) take XNNPACK's path, whose packing the backend then caches, only for
 *    products of fewer than XNNPACK_CACHED_ROWS_BELOW rows: from 12 rows on, the SIMD kernel was as fast as
 *    XNNPACK's cached product or faster (1.01–1.26× over 784×256, 512×512, 256×10 and 64×64 weights at 12,
 *    16 and 32 rows, 1.12–1.23× at 64 to 256 rows); the two were even at 8 rows (0.89–1.09×), and below
 *    that, with a large B, XNNPACK's was up to 2.3× faster (784×256 and 512×512 at 1–4 rows; timed in turns
 *    in one process, 2026-12-03). With a B used once, the SIMD kernel was as fast as XNNPACK or faster for
 *    every shape timed, small B included: the MLP's weight gradient [784×16]·[16×256] took 0.13 ms against
 *    0.23, [784×64]·[64×256] 0.54 against 0.77, [4096×512]·[512×16] 1.39 against 1.99, [800×64]·[64×10]
 *    0.055 against 0.054.
 *    Where the machine has an optimized BLAS (blas.ts), the products the SIMD kernel would take, from
 *    HOST_BLAS_FROM_MACS multiply-adds on, go to its sgemm instead, on the same heap buffers: it uses the
 *    CPU's full vector width. On a 2-core AMD EPYC VM (shapes timed in turns, 2026-12-03) OpenBLAS's AVX2
 *    kernels were 1.4–2.4× faster than the SIMD kernel on products of 2^18 multiply-adds and more (the
 *    MLP's [64,784]·[784,256] 1.96×, its weight gradient 1.94×, the CNN's [64,800]·[800,10] 2.0×; a
 *    micro-batch of 16's weight gradient 1.38×), 1.05–1.6× from 2^15 to 2^18 (the gain fading with the size),
 *    and even on a matrix–vector product ([36864,9]·[9,1]). On the threaded build a product large enough to
 *    split between the threads stays there.
 * 3. _FusedMatMul (a Dense layer's product with its bias and activation) with a linear or relu activation is
 *    the product above (the SIMD kernel or XNNPACK's BatchMatMul, as above), then one in-place pass over it
 *    that adds the bias and clamps as Add and Relu do (assembly/index.ts `biasActivation`), so it has the
 *    bits of the three kernels run one after another and takes operands of any rank from 2 (the backend's
 *    own takes rank 3 only). XNNPACK's fused kernel packed the CNN's 800×10 weights at every step (0.12 ms,
 *    against ~0.03 for the product). Other activations go to XNNPACK's fused kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./kernels/scope";
import { kernelPool, runInParts, worthSplitting } from "./kernels/kernel-pool";
import { backendMemory, epilogueOf, heapBuffer, runChecked, simdKernels, type Epilogue, type SimdKernels } from "./kernels/simd";
import type { MatrixProduct } from "../tensor";
import { hostBlas, type HostBlas, type ProductOptions } from "./blas";

/** Products of at least this many multiply-adds go to the host BLAS where there is one (blas.ts). */
export const HOST_BLAS_FROM_MACS = 1 << 15;

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

type KernelArgs = Parameters<KernelFunc>[0];

let installed = false;

/** Products each right operand has been in, by data id: after its first SIMD_PRODUCTS_PER_OPERAND, short products go to XNNPACK. */
const simdProducts = new WeakMap<object, number>();
const SIMD_PRODUCTS_PER_OPERAND = 8;
/** A right operand used more than SIMD_PRODUCTS_PER_OPERAND times goes to XNNPACK's cached product below this many rows of C. */
export const XNNPACK_CACHED_ROWS_BELOW = 12;

/** The wasm backend's own BatchMatMul (XNNPACK), for products the SIMD kernel does not take. */
let originalBatchMatMul: KernelFunc | undefined;

export function installWasmMatMul(): void {
  if (installed) return;
  for (const kernelName of ["BatchMatMul", "_FusedMatMul"]) {
    const original = tf.getKernel(kernelName, "wasm");
    if (!original) continue;
    if (kernelName === "BatchMatMul") originalBatchMatMul = original.kernelFunc;
    tf.unregisterKernel(kernelName, "wasm");
    const config: KernelConfig = {
      kernelName,
      backendName: "wasm",
      setupFunc: original.setupFunc, // the original's setup binds its wasm function; it must still run at backend start
      kernelFunc: (args: KernelArgs) => arranged(kernelName, args, original.kernelFunc),
    };
    tf.registerKernel(config);
  }
  installed = true;
}

function arranged(kernelName: string, args: KernelArgs, multiply: KernelFunc): TensorInfo | TensorInfo[] {
  const attrs = args.attrs as unknown as MatMulAttrs;
  const backend = args.backend as { disposeData(dataId: object): void };
  const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc;
  const made: TensorInfo[] = [];
  const swapLast = (x: TensorInfo): TensorInfo => {
    const rank = x.shape.length;
    const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
    const out = transpose({ inputs: { x }, backend: args.backend, attrs: { perm } }) as TensorInfo;
    made.push(out);
    return out;
  };
  const inputs = { ...args.inputs } as Record<string, TensorInfo>;
  try {
    const wasm = args.backend as unknown as WasmBackendLike;
    const kernels = simdKernels(wasm);
    const epilogue = kernelName === "BatchMatMul" ? 0 : fusedEpilogue(inputs, attrs.transposeB, args.attrs as unknown as FusedAttrs);
    if (kernels && epilogue !== undefined && attrs.transposeB) {
      const product = multiplyTransposedOnHostBlas(wasm, inputs.a, inputs.b, attrs.transposeA);
      if (product) {
        if (epilogue) applyEpilogue(kernels, wasm, product, inputs.bias, epilogue);
        return product;
      }
    }
    if (attrs.transposeB) inputs.b = swapLast(inputs.b);
    if (kernels && epilogue !== undefined) {
      let product: TensorInfo;
      if (takesSimdProduct(inputs.a, inputs.b, attrs.transposeA)) {
        product = multiplyInPlace(kernels, wasm, inputs.a, inputs.b, attrs.transposeA); // reads a transposed A in place
      } else {
        // XNNPACK's product, whose packing of B the backend caches (a _FusedMatMul's too: its own fused kernel
        // takes only batches of rank 3, and its relu lost NaN)
        if (attrs.transposeA) inputs.a = swapLast(inputs.a);
        const plainProduct = { ...args, inputs: { a: inputs.a, b: inputs.b }, attrs: { transposeA: false, transposeB: false } };
        product = originalBatchMatMul!(plainProduct) as TensorInfo;
      }
      if (epilogue) applyEpilogue(kernels, wasm, product, inputs.bias, epilogue);
      return product;
    }
    if (attrs.transposeA) inputs.a = swapLast(inputs.a);
    const plain = { ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } };
    return multiply(plain);
  } finally {
    for (const info of made) backend.disposeData(info.dataId);
  }
}

/**
 * The product as multiplyInPlace shapes it, by the host BLAS, into `out`: the operands' sizes checked as the
 * SIMD kernel checks them. With `alpha` and `beta`, out = alpha·product + beta·out (accumulateProduct); a new
 * `out` (beta 0) is released when the product fails, an existing one is left to its owner.
 */
function multiplyOnHostBlas(
  blas: HostBlas, backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, out: TensorInfo, [m, k, n]: number[], options: ProductOptions,
): TensorInfo {
  const made = (options.beta ?? 0) === 0 ? [out] : [];
  runChecked(backend, "BatchMatMul", [["a", a], ["b", b], ["out", out]], made, (left, right, product) => {
    if (left.bytes < m * k * 4) return 1;
    if (right.bytes < k * n * 4) return 2;
    if (product.bytes < m * n * 4) return 3;
    try {
      blas.multiply(backendMemory(backend).buffer, left.offset, right.offset, product.offset, m, k, n, options);
    } catch (error) {
      for (const info of made) backend.disposeData(info.dataId);
      throw error;
    }
    return 0;
  });
  return out;
}

/**
 * A·Bᵀ (Aᵀ·Bᵀ where `transposeA`) by the host BLAS, B read where it lies (sgemm's transB): where
 * multiplyInPlace would give B, once transposed, to the host BLAS, that is the same product without the
 * Transpose kernel and its copy (the MLP's dy·Wᵀ of [16, 10]·[10, 256], 4–5 µs a step). Undefined where
 * it would not (no BLAS, too small, split between threads, not one float32 product).
 */
function multiplyTransposedOnHostBlas(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean): TensorInfo | undefined {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [n, inner] = b.shape;
  if (inner !== k || m * k * n < HOST_BLAS_FROM_MACS || (m >= 8 && worthSplitting(m * k * n) && kernelPool(backend))) return undefined;
  const blas = hostBlas();
  if (!blas) return undefined;
  return multiplyOnHostBlas(blas, backend, a, b, backend.makeOutput([m, n], "float32"), [m, k, n], { transposeA, transposeB: true });
}

interface FusedAttrs {
  activation?: string;
}

/**
 * The epilogue that turns the SIMD product into _FusedMatMul's result, or undefined where it cannot: an
 * activation other than linear and relu, PReLU weights, or a bias that is not one value per column of the
 * product (B's rows where `transposeB`, else its columns).
 */
function fusedEpilogue(inputs: Record<string, TensorInfo | undefined>, transposeB: boolean, attrs: FusedAttrs): Epilogue | undefined {
  const activation = attrs.activation ?? "linear";
  const { b, bias } = inputs;
  if ((activation !== "linear" && activation !== "relu") || inputs.preluActivationWeights) return undefined;
  const cols = b!.shape[b!.shape.length - (transposeB ? 2 : 1)];
  if (bias && (bias.dtype !== "float32" || tf.util.sizeFromShape(bias.shape) !== cols || bias.shape[bias.shape.length - 1] !== cols)) return undefined;
  return epilogueOf(bias !== undefined, activation);
}

/**
 * The product's bias and ReLU, in place, while it is in cache: the f32 sum of an Add of the bias row and
 * Relu's max(+0, v), so the result has the bits of BatchMatMul, Add and Relu run one after another.
 */
function applyEpilogue(kernels: SimdKernels, backend: WasmBackendLike, product: TensorInfo, bias: TensorInfo | undefined, epilogue: Epilogue): void {
  const cols = product.shape[product.shape.length - 1];
  const rows = tf.util.sizeFromShape(product.shape) / cols;
  // without a bias, the product stands in for its buffer (the kernel reads a bias only when it adds one)
  runChecked(backend, "_FusedMatMul", [["product", product], ["bias", bias ?? product]], [product], (out, shift) =>
    kernels.biasActivation(out.offset, shift.offset, rows, cols, epilogue, out.bytes, shift.bytes),
  );
}

/**
 * Whether A·B goes to the SIMD kernel: B has been in fewer than SIMD_PRODUCTS_PER_OPERAND products before
 * this one (counted here) or C has XNNPACK_CACHED_ROWS_BELOW rows or more, B is float32 like A, and it is
 * one product (batch 1).
 */
function takesSimdProduct(a: TensorInfo, b: TensorInfo, transposeA: boolean): boolean {
  const products = simdProducts.get(b.dataId) ?? 0;
  const rows = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  if (products >= SIMD_PRODUCTS_PER_OPERAND && rows < XNNPACK_CACHED_ROWS_BELOW) return false;
  if (products < SIMD_PRODUCTS_PER_OPERAND) simdProducts.set(b.dataId, products + 1);
  const batch = tf.util.sizeFromShape(a.shape.slice(0, -2)) * tf.util.sizeFromShape(b.shape.slice(0, -2));
  return batch === 1 && a.dtype === "float32" && b.dtype === "float32";
}

/**
 * A·B or Aᵀ·B (batch 1; B untransposed) by the SIMD kernel or the host BLAS, shaped as the backend's
 * BatchMatMul shapes it, a transposed A read where it lies. On tfjs's threaded build a large product is
 * split by blocks of C's rows (multiples of the kernel's 4-row tile) between the threads (kernels/kernel-pool.ts).
 */
function multiplyInPlace(kernels: SimdKernels, backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean): TensorInfo {
  const [rowsOfA, columnsOfA] = a.shape.slice(-2);
  const [m, k] = transposeA ? [columnsOfA, rowsOfA] : [rowsOfA, columnsOfA];
  // A[r, i] lies at r·rowStride + i·step (at least 1 each: a product over an empty dimension reads no A and is 0)
  const [rowStride, step] = transposeA ? [1, Math.max(m, 1)] : [Math.max(k, 1), 1];
  const n = b.shape[b.shape.length - 1];
  const ones = Array<number>(Math.max(a.shape.length, b.shape.length) - 2).fill(1);
  const out = backend.makeOutput([...ones, m, n], "float32");
  const pool = m >= 8 && worthSplitting(m * k * n) ? kernelPool(backend) : undefined;
  const blas = pool === undefined && m * k * n >= HOST_BLAS_FROM_MACS ? hostBlas() : undefined;
  if (blas) return multiplyOnHostBlas(blas, backend, a, b, out, [m, k, n], { transposeA });
  runChecked(backend, "BatchMatMul", [["a", a], ["b", b], ["out", out]], [out], (left, right, product) => {
    const whole = [left.offset, right.offset, product.offset, m, k, n, rowStride, step, left.bytes, right.bytes, product.bytes];
    const splittable = left.bytes >= m * k * 4 && product.bytes >= m * n * 4;
    // a part: its rows of C, and of A as the kernel reads it (the rest of A's buffer from its first row on)
    return runInParts(kernels, splittable ? pool : undefined, "matMul", whole, m, (start, rows) => [
      left.offset + start * rowStride * 4, right.offset, product.offset + start * n * 4, rows, k, n, rowStride, step,
      left.bytes - start * rowStride * 4, right.bytes, rows * n * 4,
    ], 4);
  });
  return out;
}

/**
 * For gradient accumulation: `sum` + `scale`·A·B (Aᵀ·B where `transposeA`) written into `sum` in place by
 * the host BLAS, in one pass (sgemm's beta 1), or `scale`·A·B into a new buffer where there is no sum yet
 * (beta 0): the product is never made as a tensor of its own, and the sum is not read again to add it (the
 * MLP's weight gradient [784×16]·[16×256] then its addition took 0.10–0.13 ms, the two in one 0.06 ms). With
 * `squares`, also Σ (A·B)², from the operands' Gram matrices: ‖Aᵀ·B‖² = Σ (A·Aᵀ)∘(B·Bᵀ), Gram matrices of
 * k × k for a product over k rows (its f32 rounding is not the product's, so it is close to Σ x² of the
 * product, not equal). The product is counted as BatchMatMul counts its operands.
 *
 * The result has the bits of BatchMatMul followed by the in-place addition of `scale` times the product
 * (accumulateInPlace): `scale` is a power of two from 1 on, so scale·x is exact and the one rounding of the
 * addition is the same whether sgemm fuses it or not; and each shape is probed once on this BLAS, which
 * might add into C over several passes on k (OpenBLAS's blocks of k) and round otherwise. Undefined, with
 * nothing written or counted, where BatchMatMul would not give this product to the host BLAS (no BLAS, too
 * small, split between threads, transposed B, not float32 matrices), for another scale, or where the probe
 * found other bits.
 */
export function accumulateProduct(
  backend: WasmBackendLike,
  product: MatrixProduct,
  sum: TensorInfo | undefined,
  scale: number,
  squares: boolean,
): { sum: TensorInfo; squares: number | undefined } | undefined {
  const { a, b, transposeA, transposeB } = product;
  if (transposeB || a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  if (!(scale >= 1 && Number.isFinite(scale) && 2 ** Math.round(Math.log2(scale)) === scale)) return undefined;
  const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const n = b.shape[1];
  if (b.shape[0] !== k || m * k * n < HOST_BLAS_FROM_MACS || !simdKernels(backend)) return undefined;
  if (sum && (sum.dtype !== "float32" || !tf.util.arraysEqual(sum.shape, [m, n]))) return undefined;
  // the Gram matrices cost two sgemm calls: for a small product more than the pass over it they replace
  if (squares && m * n < SQUARES_FROM_ELEMENTS) return undefined;
  if (m >= 8 && worthSplitting(m * k * n) && kernelPool(backend)) return undefined;
  const blas = hostBlas();
  if (!blas || !fusedAdditionGivesTheBits(blas, backend, m, k, n, transposeA, sum !== undefined)) return undefined;
  // BatchMatMul's own choice, which also counts the product: the SIMD path, then the BLAS as it is large
  if (!takesSimdProduct(a, b, transposeA)) return undefined;
  const out = multiplyOnHostBlas(blas, backend, a, b, sum ?? backend.makeOutput([m, n], "float32"), [m, k, n], { transposeA, alpha: scale, beta: sum ? 1 : 0 });
  return { sum: out, squares: squares ? productSquares(blas, backend, a, b, transposeA) : undefined };
}

/** Σ (A·B)² (A·B = Aᵀ·B where `transposeA`) from the Gram matrices over the product's inner dimension k. */
function productSquares(blas: HostBlas, backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean): number {
  const heap = backendMemory(backend).buffer;
  // Aᵀ·B with A [k, m]: A·Aᵀ over A's rows; A·B with A [m, k]: Aᵀ·A over its columns; B [k, n]: B·Bᵀ
  const left = blas.gram(heap, heapBuffer(backend, a).offset, a.shape[0], a.shape[1], transposeA);
  const right = blas.gram(heap, heapBuffer(backend, b).offset, b.shape[0], b.shape[1], true);
  let total = 0;
  for (let i = 0; i < left.length; i++) total += left[i] * right[i];
  return Math.max(total, 0);
}

/**
 * Products with fewer elements than this are not taken where their Σ x² is wanted: the Gram matrices' two
 * sgemm calls through the FFI (~3 µs each) cost more than the pass over the product they spare (the MLP's
 * [256, 10] weight gradient: ~1 µs), while its [784, 256] one spares ~40 µs.
 */
const SQUARES_FROM_ELEMENTS = 1 << 15;

/** Per BLAS, product shape and beta: whether sgemm adding scale·A·B into C gives the bits of the product, then the addition. */
const probedShapes = new WeakMap<HostBlas, Map<string, boolean>>();

/**
 * Runs sgemm both ways once on seeded values of this shape (scale 2, a C of its own): the product into a
 * zeroed C then C + 2·product in f32 (accumulateInPlace's arithmetic), against 2·A·B added into C by sgemm.
 */
function fusedAdditionGivesTheBits(blas: HostBlas, backend: WasmBackendLike, m: number, k: number, n: number, transposeA: boolean, into: boolean): boolean {
  const key = `${m} ${k} ${n} ${transposeA} ${into}`;
  let probed = probedShapes.get(blas);
  if (!probed) probedShapes.set(blas, (probed = new Map()));
  let same = probed.get(key);
  if (same !== undefined) return same;
  const buffers = [m * k, k * n, m * n, m * n].map((size) => backend.makeOutput([size], "float32"));
  try {
    const heap = backendMemory(backend).buffer;
    const [left, right, product, fused] = buffers.map((info) => heapBuffer(backend, info).offset);
    let state = 0x9e3779b9;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 31 - 1;
    };
    new Float32Array(heap, left, m * k).forEach((_, i, view) => (view[i] = next()));
    new Float32Array(heap, right, k * n).forEach((_, i, view) => (view[i] = next()));
    const start = new Float32Array(m * n).map(() => (into ? next() * 4 : 0));
    new Float32Array(heap, fused, m * n).set(start);
    blas.multiply(heap, left, right, product, m, k, n, { transposeA });
    blas.multiply(heap, left, right, fused, m, k, n, { transposeA, alpha: 2, beta: into ? 1 : 0 });
    const apart = new Float32Array(heap, product, m * n);
    const together = new Float32Array(heap, fused, m * n);
    same = apart.every((x, i) => Object.is(Math.fround(start[i] + 2 * x), together[i]));
  } finally {
    for (const info of buffers) backend.disposeData(info.dataId);
  }
  probed.set(key, same);
  return same;
}
