/**
 * The machine's own BLAS for the wasm backend's large matrix products.
 *
 * WebAssembly's SIMD is 128 bits wide; a native BLAS uses the CPU's full width (AVX2, AVX-512, NEON). On a
 * 2-core AMD EPYC VM, OpenBLAS's sgemm (Haswell kernels, one thread) multiplied [64, 784]·[784, 256] in
 * 0.26 ms against 0.55 ms for stepwise's SIMD kernel, and that product and the weight gradient beside it are
 * most of an MLP's step. So where the system has a CBLAS library, stepwise's matmul kernel (wasm-matmul.ts)
 * hands it the products large enough to gain: it calls `cblas_sgemm` through koffi (an FFI, an optional
 * dependency whose prebuilt binaries ship in its npm packages: nothing is compiled or downloaded) on the wasm heap itself,
 * where the operands lie, so nothing is copied. Each operand is passed as a Float32Array view of exactly
 * the elements sgemm reads or writes, and the view's constructor checks that range against the heap: a
 * wrong size throws before the library runs, and it never writes outside its output. Where the library has
 * small-matrix kernels (OpenBLAS on SkylakeX-class CPUs), a product with few rows runs as blocks of rows
 * small enough for them (blas-blocks.ts).
 *
 * Only optimized libraries are looked up by name (OpenBLAS; Accelerate on macOS), never the generic
 * `libblas`/`libcblas`, which may be the reference BLAS, several times slower than the wasm kernel.
 * OpenBLAS runs on one thread, like the rest of the single-threaded backend. `STEPWISE_BLAS=off` keeps
 * every product on wasm; `STEPWISE_BLAS=<path>` names the library to load.
 */
import * as os from "node:os";
import { smallProductsOf, rowBlocks, type SmallProducts } from "./blas-blocks";

/** The environment variable that turns the host BLAS off or names its library. */
export const BLAS_VARIABLE = "STEPWISE_BLAS";

/** CBLAS enumerations (cblas.h). */
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** The libraries looked up, best first, per platform. */
const CANDIDATES: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ["libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.so"],
  darwin: ["/System/Library/Frameworks/Accelerate.framework/Accelerate", "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib"],
  win32: ["libopenblas.dll", "openblas.dll"],
  freebsd: ["libopenblas.so.0", "libopenblas.so"],
};

export interface HostBlas {
  /** e.g. "OpenBLAS 0.3.21 (Haswell kernels), libopenblas.so.0", or "OpenBLAS 0.3.21 (Cooperlake kernels, small-matrix path), libopenblas.so.0" */
  readonly description: string;
  /** Where the library has small-matrix kernels, which `multiply` feeds with blocks of C's rows (blas-blocks.ts). */
  readonly smallProducts: SmallProducts;
  /**
   * C = A·B, row-major float32 matrices at byte offsets in `heap`: C is [m, n], A [m, k] (lying as [k, m]
   * where `transposeA`: C = Aᵀ·B), B [k, n] (lying as [n, k] where `transposeB`). With `alpha` and `beta`
   * (sgemm's), C = alpha·A·B + beta·C instead. Throws a RangeError, having written nothing, where an
   * operand's range does not lie inside the heap. Where `smallProducts` says the library has small-matrix
   * kernels, a product too large for them may run as several sgemm calls on blocks of C's rows.
   */
  multiply(heap: ArrayBufferLike, a: number, b: number, c: number, m: number, k: number, n: number, options?: ProductOptions): void;
  /**
   * The Gram matrix of the row-major [rows, cols] float32 matrix X at byte offset `x` in `heap`: X·Xᵀ
   * ([rows, rows]) where `ofRows`, else Xᵀ·X ([cols, cols]), as a new array.
   */
  gram(heap: ArrayBufferLike, x: number, rows: number, cols: number, ofRows: boolean): Float32Array;
}

export interface ProductOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  alpha?: number;
  beta?: number;
}

export type BlasStatus = { blas: HostBlas } | { blas?: undefined; reason: string };

type Sgemm = (
  order: number, transA: number, transB: number, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
) => void;

interface Koffi {
  load(path: string): KoffiLibrary;
}
interface KoffiLibrary {
  func(definition: string): (...args: never[]) => unknown;
}

let status: BlasStatus | undefined;

/**
 * The host BLAS, loaded on first use, or why there is none. Throws where `STEPWISE_BLAS` names a library
 * that does not load or has no sgemm (startWasm calls this first, so the error comes at the start).
 */
export function hostBlasStatus(): BlasStatus {
  status ??= loadHostBlas(process.env[BLAS_VARIABLE], BLAS_VARIABLE);
  return status;
}

/** The host BLAS where one loads and is not turned off. */
export function hostBlas(): HostBlas | undefined {
  return hostBlasStatus().blas;
}

/**
 * Overrides the host BLAS for this process: `false` keeps every product on wasm, `true` loads the library
 * as the environment asks, a path loads that library (throwing where it does not load). `smallProducts`,
 * where given, stands in for what the library says of its small-matrix kernels (blas-blocks.ts): products
 * are split into row blocks as it says. Returns the status now in force. For tests and benchmarks that compare
 * the paths in one process.
 */
export function useHostBlas(choice: boolean | string, options: { smallProducts?: SmallProducts } = {}): BlasStatus {
  if (choice === false) status = { reason: "turned off by useHostBlas(false)" };
  else status = choice === true ? loadHostBlas(process.env[BLAS_VARIABLE], BLAS_VARIABLE, options.smallProducts) : loadHostBlas(choice, "useHostBlas", options.smallProducts);
  return status;
}

const OFF = ["off", "0", "false", "none"];

/** Loads the library `setting` names (`source` says who named it), the platform's usual ones if none. */
function loadHostBlas(setting: string | undefined, source: string, smallProducts?: SmallProducts): BlasStatus {
  const requested = setting?.trim() || undefined;
  if (requested !== undefined && OFF.includes(requested.toLowerCase())) return { reason: `turned off by ${source}=${requested}` };
  let koffi: Koffi;
  try {
    koffi = require("koffi") as Koffi;
  } catch (error) {
    const reason = `koffi, which calls the host BLAS, did not load: ${firstLine((error as Error).message)}`;
    if (requested !== undefined) throw new Error(`${source}=${requested}: ${reason}`);
    return { reason };
  }
  const candidates = requested !== undefined ? [requested] : CANDIDATES[os.platform()] ?? [];
  const failures: string[] = [];
  for (const file of candidates) {
    let library: KoffiLibrary;
    try {
      library = koffi.load(file);
    } catch (error) {
      failures.push(`${file}: ${firstLine((error as Error).message)}`);
      continue;
    }
    const blas = bind(library, file, smallProducts);
    if (typeof blas === "string") failures.push(`${file}: ${blas}`);
    else return { blas };
  }
  if (requested !== undefined) {
    throw new Error(`${source}=${requested}: ${failures.join("; ")}. It must be the path of a CBLAS library (OpenBLAS, Accelerate), or one of ${OFF.join(", ")}`);
  }
  return { reason: candidates.length ? `no optimized BLAS found (${candidates.join(", ")})` : `no BLAS is looked up on ${os.platform()}` };
}

/** The library's sgemm, bound, or what it lacks; where it has small-matrix kernels as it says, unless `smallProducts` is given. */
function bind(library: KoffiLibrary, file: string, smallProducts?: SmallProducts): HostBlas | string {
  let sgemm: Sgemm;
  try {
    sgemm = library.func(
      "void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int)",
    ) as unknown as Sgemm;
  } catch (error) {
    return `no cblas_sgemm (${firstLine((error as Error).message)})`;
  }
  const optional = <T>(definition: string): T | undefined => {
    try {
      return library.func(definition) as unknown as T;
    } catch {
      return undefined;
    }
  };
  const setThreads = optional<(n: number) => void>("void openblas_set_num_threads(int)");
  const config = optional<() => string>("const char *openblas_get_config()");
  const corename = optional<() => string>("const char *openblas_get_corename()");
  setThreads?.(1);
  const version = config?.().match(/OpenBLAS \S+/)?.[0];
  const name = version ?? (file.includes("Accelerate") ? "Accelerate" : "CBLAS");
  const core = corename?.();
  const small = smallProducts ?? smallProductsOf(version, core);
  const details = [core && `${core} kernels`, (small.plain || small.transposedA) && "small-matrix path"].filter(Boolean);
  const description = `${name}${details.length ? ` (${details.join(", ")})` : ""}, ${file}`;
  return {
    description,
    smallProducts: small,
    multiply(heap, a, b, c, m, k, n, { transposeA = false, transposeB = false, alpha = 1, beta = 0 } = {}) {
      if (!(m >= 1 && k >= 1 && n >= 1)) throw new RangeError(`stepwise: host BLAS product of [${m}, ${k}]·[${k}, ${n}]: every dimension must be at least 1`);
      // exactly the elements sgemm touches: A's m·k, B's k·n, C's m·n (the constructors check the ranges)
      const left = new Float32Array(heap, a, m * k);
      const right = new Float32Array(heap, b, k * n);
      const out = new Float32Array(heap, c, m * n);
      const [opA, opB, lda, ldb] = [transposeA ? TRANS : NO_TRANS, transposeB ? TRANS : NO_TRANS, transposeA ? m : k, transposeB ? k : n];
      const blocks = rowBlocks(m, k, n, transposeA, transposeB, small);
      if (!blocks) return sgemm(ROW_MAJOR, opA, opB, m, n, k, alpha, left, lda, right, ldb, beta, out, n);
      for (const { start, rows } of blocks) {
        // the block's rows of A (its columns where transposeA, each a stride of m apart) and of C: views
        // inside the ranges checked above, each exactly the elements this call touches
        const part = transposeA ? left.subarray(start, (k - 1) * m + start + rows) : left.subarray(start * k, (start + rows) * k);
        sgemm(ROW_MAJOR, opA, opB, rows, n, k, alpha, part, lda, right, ldb, beta, out.subarray(start * n, (start + rows) * n), n);
      }
    },
    gram(heap, x, rows, cols, ofRows) {
      if (!(rows >= 1 && cols >= 1)) throw new RangeError(`stepwise: host BLAS Gram matrix of [${rows}, ${cols}]: every dimension must be at least 1`);
      const matrix = new Float32Array(heap, x, rows * cols);
      const size = ofRows ? rows : cols;
      const out = new Float32Array(size * size);
      // X·Xᵀ: [rows, cols]·[cols, rows]; Xᵀ·X: [cols, rows]·[rows, cols]
      if (ofRows) sgemm(ROW_MAJOR, NO_TRANS, TRANS, rows, rows, cols, 1, matrix, cols, matrix, cols, 0, out, rows);
      else sgemm(ROW_MAJOR, TRANS, NO_TRANS, cols, cols, rows, 1, matrix, cols, matrix, cols, 0, out, cols);
      return out;
    },
  };
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}
