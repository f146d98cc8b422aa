/**
 * The machine's BLAS in the wasm backend's products (src/backend/blas.ts): found where the machine has
 * OpenBLAS (ldconfig's list is the independent witness), taking every product in its range (in row blocks too), equal to cpu
 * within the kernel property's tolerance with the heap intact, and refusing ranges outside the heap
 * without writing. Where no optimized BLAS is installed, the same products run on wasm and must still
 * equal cpu, and the status says why there is none.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { setUpWasm } from "./helpers";
import { checkCase, describeOutcome, HeapCanary } from "./kernel-property";
import { hostBlasProductCase } from "./kernel-space";
import { hostBlas, hostBlasStatus, useHostBlas, type HostBlas } from "../../src/backend/blas";
import { rowBlocks } from "../../src/backend/blas-blocks";
import { wasmSetup } from "../../src/backend/wasm";

// this file tests the default lookup, whatever the environment running the tests asks for
delete process.env.STEPWISE_BLAS;

const SEED = 20261203;
const CASES = 120;

/** Whether the dynamic linker's cache lists OpenBLAS (Linux), asked of ldconfig rather than of stepwise. */
function linkerHasOpenBlas(): boolean {
  if (os.platform() !== "linux") return false;
  for (const ldconfig of ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]) {
    const listed = spawnSync(ldconfig, ["-p"], { encoding: "utf8" });
    if (listed.status === 0) return /\blibopenblas\.so\.0\b/.test(listed.stdout);
  }
  return false;
}

before(setUpWasm);
after(() => useHostBlas(true));

/** The first `count` host-BLAS product cases run against cpu with the heap watched: each failure described. */
async function failedCases(count: number): Promise<string[]> {
  const canary = new HeapCanary();
  const failures: string[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const outcome = await checkCase(hostBlasProductCase(SEED, index), canary);
      if (outcome.failure) failures.push(describeOutcome(outcome, SEED));
    }
  } finally {
    canary.dispose();
  }
  return failures;
}

describe("the host BLAS", () => {
  test("is OpenBLAS where the linker knows it, and otherwise says why there is none", () => {
    const status = hostBlasStatus();
    if (linkerHasOpenBlas()) {
      assert.ok(status.blas, `ldconfig lists libopenblas.so.0 but stepwise did not load it: ${status.blas ? "" : status.reason}`);
      assert.match(status.blas.description, /^OpenBLAS \d+\.\d+\.\d+ \(\w+ kernels(, small-matrix path)?\), libopenblas\.so\.0$/);
    } else if (status.blas) {
      // found elsewhere than the linker's cache (LD_LIBRARY_PATH, macOS's Accelerate)
      assert.match(status.blas.description, /^(OpenBLAS \S+|Accelerate|CBLAS)( \(\w+ kernels(, small-matrix path)?\))?, .+$/);
    } else {
      assert.match(status.reason, /^(no optimized BLAS found \(.+\)|no BLAS is looked up on \w+|koffi, which calls the host BLAS, did not load: .+)$/);
    }
  });

  test(`${CASES} random products of its sizes (seed ${SEED}), plain and fused, with their gradients, equal cpu and go to it`, async () => {
    const blas = hostBlas();
    let calls = 0;
    const multiply = blas?.multiply;
    if (blas && multiply) blas.multiply = (...args: Parameters<HostBlas["multiply"]>) => (calls++, multiply.apply(blas, args));
    const singleThreaded = wasmSetup().threads === 1;
    const canary = new HeapCanary();
    const failures: string[] = [];
    try {
      for (let index = 0; index < CASES; index++) {
        const c = hostBlasProductCase(SEED, index);
        const before = calls;
        const outcome = await checkCase(c, canary);
        if (outcome.failure) failures.push(describeOutcome(outcome, SEED));
        // on one thread every product of these sizes goes to it (on tfjs's threaded build the large ones are
        // split between the threads instead: wasm-matmul.ts)
        else if (blas && singleThreaded && calls === before) failures.push(`case ${index} ${JSON.stringify(c.config)}: no product went to the host BLAS`);
      }
    } finally {
      if (blas && multiply) blas.multiply = multiply;
      canary.dispose();
    }
    assert.deepEqual(failures, [], `${failures.length} of ${CASES} cases failed:\n${failures.join("\n")}`);
  });

  test("the same products in row blocks, wherever the library could take them, equal cpu", async () => {
    // forced on whatever the library says of itself (blas-blocks.ts), so that the blocks run on every machine
    const blas = useHostBlas(true, { smallProducts: { plain: true, transposedA: true } }).blas;
    let blocked = 0;
    const multiply = blas?.multiply;
    if (blas && multiply) {
      blas.multiply = (...args: Parameters<HostBlas["multiply"]>) => {
        const [, , , , m, k, n, options] = args;
        if (rowBlocks(m, k, n, options?.transposeA ?? false, options?.transposeB ?? false, blas.smallProducts)) blocked++;
        return multiply.apply(blas, args);
      };
    }
    try {
      assert.deepEqual(await failedCases(CASES / 2), []);
    } finally {
      useHostBlas(true);
    }
    // on one thread; on tfjs's threaded build the large products are split between the threads instead
    if (blas && wasmSetup().threads === 1) assert.ok(blocked >= 10, `only ${blocked} products ran in row blocks`);
  });

  test("the same products with the host BLAS turned off run on wasm's kernels and equal cpu", async () => {
    useHostBlas(false);
    try {
      assert.deepEqual(await failedCases(CASES / 4), []);
    } finally {
      useHostBlas(true);
    }
  });

  test("an operand range outside the heap is a RangeError, and nothing is written", () => {
    const blas = hostBlas();
    if (!blas) {
      assert.ok(!linkerHasOpenBlas(), "OpenBLAS is installed but did not load");
      return;
    }
    const heap = new ArrayBuffer(4 * 1024);
    const floats = new Float32Array(heap).fill(7);
    const [m, k, n] = [8, 8, 8]; // each operand 256 bytes
    blas.multiply(heap, 0, 256, 512, m, k, n);
    assert.ok(floats.subarray(128, 192).every((v) => v === 7 * 7 * 8), "C = A·B within the heap");
    floats.fill(7);
    for (const [a, b, c] of [[4096 - 128, 256, 512], [0, 4096 - 4, 512], [0, 256, 4096 - 252], [0, 256, -4]]) {
      assert.throws(() => blas.multiply(heap, a, b, c, m, k, n), RangeError, `offsets ${a}, ${b}, ${c}`);
      assert.ok(floats.every((v) => v === 7), `nothing written for offsets ${a}, ${b}, ${c}`);
    }
    assert.throws(() => blas.multiply(heap, 0, 256, 512, 0, k, n), /every dimension must be at least 1/);
    // Aᵀ·B reads A as [k, m]: the same m·k elements, so the same range
    assert.throws(() => blas.multiply(heap, 4096 - 128, 256, 512, m, k, n, { transposeA: true }), RangeError);
  });

  test("a library named for it that has no sgemm, or does not load, is an error naming it", () => {
    assert.throws(() => useHostBlas("/nonexistent/libopenblas.so.0"), /^Error: useHostBlas=\/nonexistent\/libopenblas\.so\.0: .*It must be the path of a CBLAS library/);
    if (os.platform() === "linux") assert.throws(() => useHostBlas("libc.so.6"), /useHostBlas=libc\.so\.6: libc\.so\.6: no cblas_sgemm/);
    const off = useHostBlas("off");
    assert.equal(off.blas, undefined);
    if (!off.blas) assert.match(off.reason, /^turned off by useHostBlas=off$/);
    useHostBlas(true);
  });
});
