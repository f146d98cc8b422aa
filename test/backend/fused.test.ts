/**
 * stepwise's SIMD Sum over leading axes and its fused optimizer arithmetic on wasm, against tfjs's cpu
 * backend running the composed ops (the independent reference), with leak checks.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, amsgrad } from "../../src/optim";
import { XNNPACK_CACHED_ROWS_BELOW } from "../../src/backend/wasm-matmul";
import { assertAllClose, normals, onCpuAndWasm, seeded, setUpWasm } from "./helpers";

before(setUpWasm);

describe("Sum on wasm matches cpu", () => {
  test("leading axes (the bias gradients), with keepDims, negative axes and odd widths; other sums unchanged", async () => {
    const random = seeded(11);
    const cases: Array<{ shape: number[]; axis: number | number[]; keepDims?: boolean; dtype?: "int32" }> = [
      { shape: [64, 26, 26, 16], axis: [0, 1, 2] },
      { shape: [64, 11, 11, 32], axis: [0, 1, 2], keepDims: true },
      { shape: [7, 5, 3], axis: 0 },
      { shape: [9, 21], axis: [-2] },
      { shape: [4, 3, 6], axis: [1, 0] },
      { shape: [1000, 3], axis: 0 },
      { shape: [5, 19], axis: [0], keepDims: true },
      { shape: [6, 4, 5], axis: [1, 2] }, // trailing: the original kernel
      { shape: [6, 4, 5], axis: [0, 2] }, // mixed: the original kernel
      { shape: [6, 4], axis: [0, 1] }, // all axes: the original kernel
      { shape: [8, 4], axis: 0, dtype: "int32" },
      { shape: [0, 4], axis: 0 },
    ];
    for (const c of cases) {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const values = c.dtype === "int32" ? Int32Array.from({ length: size }, (_, i) => (i * 7919) % 23) : normals(random, size);
      const results = await onCpuAndWasm(() => tf.sum(tf.tensor(values, c.shape, c.dtype ?? "float32"), c.axis, c.keepDims ?? false));
      assertAllClose(results, 1e-5, `sum ${c.shape} over ${JSON.stringify(c.axis)}${c.keepDims ? " keepDims" : ""}`);
      const shapes = await onCpuAndWasm(() => tf.tensor(Array.from(tf.sum(tf.zeros(c.shape), c.axis, c.keepDims ?? false).shape)));
      assert.deepEqual(shapes.wasm, shapes.cpu, `shape of sum ${c.shape} over ${JSON.stringify(c.axis)}`);
    }
  });
});

describe("fused optimizer arithmetic on wasm matches the composed rule on cpu", () => {
  for (const [name, make] of [
    ["adam", () => adam({ lr: 0.01, weightDecay: 0.01 })],
    ["amsgrad", () => amsgrad({ lr: 0.01, beta1: 0.8, beta2: 0.99, clip: { globalNorm: 5 } })],
  ] as const) {
    test(`${name}: 12 steps on 1,003 + 4 + 1 parameters (SIMD lanes and tails), and the reported gradient norm`, async () => {
      const random = seeded(12);
      const shapes = [[17, 59], [4], [1]];
      const initial = shapes.map((s) => normals(random, s.reduce((a, b) => a * b, 1)));
      const grads = Array.from({ length: 12 }, () => shapes.map((s) => normals(random, s.reduce((a, b) => a * b, 1))));
      const norms: number[][] = [];
      const train = () => {
        const variables = initial.map((v, i) => tf.variable(tf.tensor(v, shapes[i])));
        const optimizer = make();
        const reported: number[] = [];
        for (const step of grads) {
          tf.tidy(() => optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor(step[i], shapes[i])]))));
          reported.push(optimizer.lastUpdate!.gradientNorm);
        }
        norms.push(reported);
        const out = variables.map((v) => v.clone());
        optimizer.dispose();
        tf.dispose(variables);
        return out;
      };
      // cpu runs the composed rule, wasm the fused kernel
      assert.ok(tf.getKernel("StepwiseAdamStep", "wasm"), "the fused Adam kernel is registered for wasm");
      assertAllClose(await onCpuAndWasm(train), 1e-5, `${name} parameters after 12 steps`);
      const [cpu, wasm] = norms;
      cpu.forEach((n, i) => assert.ok(Math.abs(n - wasm[i]) <= 1e-6 * n, `${name} step ${i + 1}: gradient norm ${wasm[i]} on wasm, ${n} on cpu`));
    });
  }
});

describe("GatherV2 on wasm matches cpu", () => {
  test("rows, inner axes, batch dimensions, int32 and bool data, repeated and empty indices", async () => {
    const random = seeded(13);
    const cases: Array<{ shape: number[]; indices: number[]; indexShape?: number[]; axis: number; batchDims?: number; dtype?: "int32" | "bool" }> = [
      { shape: [512, 784], indices: [5, 0, 511, 5, 17], axis: 0 },
      { shape: [4, 6, 3], indices: [5, 1, 1], axis: 1 },
      { shape: [4, 6, 3], indices: [2, 0], axis: -1 },
      { shape: [3, 5, 2], indices: [0, 4, 1, 2, 3, 3], indexShape: [3, 2], axis: 1, batchDims: 1 },
      { shape: [6, 2], indices: [3, 1, 3], axis: 0, dtype: "int32" },
      { shape: [6, 2], indices: [5, 0], axis: 0, dtype: "bool" },
      { shape: [6, 2], indices: [], axis: 0 },
    ];
    for (const c of cases) {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const values = c.dtype === undefined ? normals(random, size) : Int32Array.from({ length: size }, (_, i) => (c.dtype === "bool" ? i % 3 === 0 : i * 31) as number);
      const results = await onCpuAndWasm(() =>
        tf.gather(tf.tensor(values, c.shape, c.dtype ?? "float32"), tf.tensor(c.indices, c.indexShape ?? [c.indices.length], "int32"), c.axis, c.batchDims ?? 0).toFloat(),
      );
      assertAllClose(results, 0, `gather ${c.shape} axis ${c.axis} indices ${c.indices}`);
      const shapes = await onCpuAndWasm(() =>
        tf.tensor(tf.gather(tf.zeros(c.shape, c.dtype ?? "float32"), tf.tensor(c.indices, c.indexShape ?? [c.indices.length], "int32"), c.axis, c.batchDims ?? 0).shape),
      );
      assert.deepEqual(shapes.wasm, shapes.cpu, `shape of gather ${c.shape} axis ${c.axis}`);
    }
  });

  test("an index out of range is an error naming it and the allowed range, as on cpu", async () => {
    await tf.setBackend("wasm");
    assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([1, 4], "int32"))), /GatherV2: the index value 4 is not in \[0, 3\]/);
    assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([-1], "int32"))), /GatherV2: the index value -1 is not in \[0, 3\]/);
  });
});

describe("matMul on wasm matches cpu", () => {
  test("every transpose combination, a new large right operand (stepwise's SIMD product), its reuse, batches and fused bias", async () => {
    const random = seeded(14);
    const cases: Array<{ a: number[]; b: number[]; ta?: boolean; tb?: boolean }> = [
      { a: [16, 784], b: [784, 256] }, // 16 rows: the SIMD product for all 9 uses
      { a: [4, 784], b: [784, 256] }, // 4 rows: the SIMD product for the first 8 uses, XNNPACK's from the 9th
      { a: [3, 50], b: [50, 13] }, // row and column tails of its register tiles
      { a: [6, 40], b: [40, 70] },
      { a: [64, 30], b: [30, 9] },
      { a: [30, 64], b: [30, 9], ta: true },
      { a: [64, 30], b: [9, 30], tb: true },
      { a: [30, 5], b: [70, 30], ta: true, tb: true },
      { a: [3, 4, 6], b: [3, 6, 40] }, // batched: never swapped
      { a: [1, 2, 50], b: [1, 50, 60] },
    ];
    for (const c of cases) {
      const av = normals(random, c.a.reduce((x, y) => x * y, 1));
      const bv = normals(random, c.b.reduce((x, y) => x * y, 1));
      const results = await onCpuAndWasm(() => {
        const b = tf.tensor(bv, c.b);
        const a = tf.tensor(av, c.a);
        // the same B 9 times: the first 8 products take the SIMD kernel, the 9th XNNPACK's if it has fewer than 12 rows
        return Array.from({ length: 9 }, (_, use) => tf.matMul(a.mul(use + 1), b, c.ta, c.tb));
      });
      assertAllClose(results, 1e-5, `matMul ${c.a}${c.ta ? "ᵀ" : ""} · ${c.b}${c.tb ? "ᵀ" : ""}`);
    }
    const bias = normals(random, 256);
    const [a, b] = [normals(random, 16 * 784), normals(random, 784 * 256)];
    const fused = await onCpuAndWasm(() =>
      tf.fused.matMul({ a: tf.tensor(a, [16, 784]), b: tf.tensor(b, [784, 256]), bias: tf.tensor(bias), activation: "relu" }),
    );
    assertAllClose(fused, 1e-5, "fused matMul with bias and relu");
  });

  test("an empty inner dimension gives zeros and an empty outer one an empty product, transposed or not, as on cpu", async () => {
    // a dense layer after a flatten of nothing (a valid convolution and pools that shrink an image to 0 × 0)
    for (const [a, b, ta] of [[[4, 0], [0, 23], false], [[0, 4], [0, 23], true], [[0, 7], [7, 5], false], [[7, 0], [7, 5], true], [[3, 7], [7, 0], false]] as const) {
      const results = await onCpuAndWasm(() => [tf.matMul(tf.zeros([...a]), tf.ones([...b]), ta), tf.fused.matMul({ a: tf.zeros([...a]), b: tf.ones([...b]), transposeA: ta, bias: tf.ones([b[1]]), activation: "relu" })]);
      assert.deepEqual(results.wasm, results.cpu, `[${a}]${ta ? "ᵀ" : ""} · [${b}]`);
    }
  });
});

describe("a right operand used more than 8 times", () => {
  test("from 12 rows on, stepwise's product every time (the first use's bits); below, XNNPACK's: within tolerance of cpu", async () => {
    const random = seeded(15);
    for (let i = 0; i < 24; i++) {
      const m = 1 + random.int(40);
      const k = 1 + random.int(300);
      const n = 1 + random.int(300);
      const transposeA = random.int(2) === 0;
      const av = normals(random, m * k);
      const bv = normals(random, k * n);
      const what = `[${m},${k}]${transposeA ? " (A transposed)" : ""} · [${k},${n}]`;
      const results = await onCpuAndWasm(() => {
        const a = transposeA ? tf.tensor(av, [k, m]) : tf.tensor(av, [m, k]);
        const b = tf.tensor(bv, [k, n]);
        return Array.from({ length: 12 }, () => tf.matMul(a, b, transposeA));
      });
      assertAllClose(results, 1e-5, what);
      if (m >= XNNPACK_CACHED_ROWS_BELOW) {
        for (let use = 8; use < 12; use++) assert.deepEqual(results.wasm[use], results.wasm[0], `${what}: use ${use + 1}'s bits`);
      }
    }
  });
});

describe("Add of a bias vector on wasm matches cpu", () => {
  test("x [..., C] + b [C] either way round, b [1, 1, C], odd widths; other adds unchanged", async () => {
    const random = seeded(15);
    const cases: Array<[number[], number[]]> = [
      [[64, 26, 26, 16], [16]],
      [[16], [8, 5, 16]],
      [[7, 3, 5], [1, 1, 5]],
      [[9, 6], [6]],
      [[4, 6], [4, 1]], // a column: the original kernel
      [[5, 3], [5, 3]], // same shape: the original kernel
      [[3], [3]],
    ];
    for (const [a, b] of cases) {
      const [av, bv] = [normals(random, a.reduce((x, y) => x * y, 1)), normals(random, b.reduce((x, y) => x * y, 1))];
      assertAllClose(await onCpuAndWasm(() => tf.add(tf.tensor(av, a), tf.tensor(bv, b))), 0, `add ${a} + ${b}`);
    }
  });
});

describe("gradient accumulation on wasm (in place, norms from the same passes) matches cpu", () => {
  test("parameters after 3 windows of 4 unequal micro-batches, and the noise-scale estimate", async () => {
    const random = seeded(16);
    const shapes = [[33, 7], [7], [1]];
    const initial = shapes.map((s) => normals(random, s.reduce((a, b) => a * b, 1)));
    const microBatches = Array.from({ length: 12 }, (_, k) => ({ items: 8 + (k % 3) * 4, grads: shapes.map((s) => normals(random, s.reduce((a, b) => a * b, 1))) }));
    const estimates: string[] = [];
    const train = () => {
      const variables = initial.map((v, i) => tf.variable(tf.tensor(v, shapes[i])));
      const optimizer = adam({ lr: 0.05, accumulate: { steps: 4 } });
      for (const { items, grads } of microBatches) {
        tf.tidy(() => optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor(grads[i], shapes[i])])), { itemCount: items }));
      }
      const estimate = Object.values(optimizer.noiseScale())[0];
      assert.ok(estimate, "a noise-scale estimate after 3 windows");
      estimates.push(JSON.stringify(estimate, (_, v: unknown) => (typeof v === "number" ? Number(v.toPrecision(5)) : v)));
      const out = variables.map((v) => v.clone());
      optimizer.dispose();
      tf.dispose(variables);
      return out;
    };
    assertAllClose(await onCpuAndWasm(train), 1e-5, "parameters after 3 accumulated windows");
    assert.equal(estimates[1], estimates[0], "noise-scale estimate on wasm vs cpu (5 significant digits)");
  });
});
