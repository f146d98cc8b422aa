/**
 * The in-place kernels of an accumulation window (assembly/step.ts) on both builds of stepwise's kernels:
 * they refuse short buffers without writing, compute exactly what the kernels they replace compute (tfjs's
 * Multiply, Add and RealDiv on wasm) and return exactly what `sumSquares` returns for the same values. Then
 * the optimizer on wasm: a micro-batch inside a window runs no kernel at all, the window's update equals
 * applying its mean gradient directly, bit for bit (parameters and reported gradient norm), and neither
 * tensors nor wasm buffers accumulate across windows.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam } from "../../src/optim";
import { KERNEL_BUILDS, heapBuffer, simdKernels, useKernelBuild } from "../../src/backend/kernels/simd";
import type { WasmBackendLike } from "../../src/backend/kernels/scope";
import { normals, seeded, setUpWasm } from "./helpers";

before(setUpWasm);

interface StepKernels {
  accumulateInPlace(sum: number, grad: number, n: number, scale: number, first: number, sumBytes: number, gradBytes: number): number;
  divideInPlace(x: number, n: number, divisor: number, xBytes: number): number;
  accumulateMeanInPlace(
    sum: number, grad: number, squares: number, n: number, scale: number, first: number, divisor: number,
    sumBytes: number, gradBytes: number, squaresBytes: number,
  ): number;
  sumSquares(x: number, n: number, xBytes: number): number;
}

function wasmKernels(): { backend: WasmBackendLike; kernels: StepKernels } {
  const backend = tf.backend() as unknown as WasmBackendLike;
  const kernels = simdKernels(backend) as unknown as StepKernels | undefined;
  assert.ok(kernels && typeof kernels.accumulateInPlace === "function", "the in-place kernels load on this runtime");
  return { backend, kernels };
}

const N = 1003; // SIMD lanes and a tail

for (const build of KERNEL_BUILDS) describe(`in-place window kernels (${build} build)`, () => {
  before(async () => {
    await tf.setBackend("wasm");
    useKernelBuild(build);
  });

  test("each buffer one element short: −1 and no byte changes; the valid call runs", () => {
    const { backend, kernels } = wasmKernels();
    const [sum, grad] = [tf.tensor1d(normals(seeded(1), N)), tf.tensor1d(normals(seeded(2), N))];
    const before = [sum, grad].map((t) => Float32Array.from(t.dataSync()));
    const [s, g] = [heapBuffer(backend, sum), heapBuffer(backend, grad)];
    const unchanged = (what: string) => [sum, grad].forEach((t, i) => assert.deepEqual(Float32Array.from(t.dataSync()), before[i], what));
    for (const first of [0, 1]) {
      assert.equal(kernels.accumulateInPlace(s.offset, g.offset, N, 3, first, s.bytes - 4, g.bytes), -1, "sum one element short");
      assert.equal(kernels.accumulateInPlace(s.offset, g.offset, N, 3, first, s.bytes, g.bytes - 4), -1, "grad one element short");
      assert.equal(kernels.accumulateInPlace(s.offset, g.offset, -1, 3, first, s.bytes, g.bytes), -1, "a negative count");
      unchanged(`accumulateInPlace (first ${first}) refused`);
    }
    assert.equal(kernels.divideInPlace(s.offset, N, 3, s.bytes - 4), -1, "x one element short");
    unchanged("divideInPlace refused");
    assert.ok(kernels.accumulateInPlace(s.offset, g.offset, N, 3, 0, s.bytes, g.bytes) > 0);
    assert.ok(kernels.divideInPlace(s.offset, N, 3, s.bytes) > 0);
    tf.dispose([sum, grad]);
  });

  test("divideInPlace and accumulateMeanInPlace equal RealDiv for divisors a power of two or not, over subnormals, ±0, ±∞ and NaN", () => {
    const { backend, kernels } = wasmKernels();
    const random = seeded(8);
    const special = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 1, -1];
    const values = Float32Array.from([...special, ...normals(random, 1003 - special.length).map((v, i) => v * 2 ** ((i % 60) - 30))]);
    // powers of two with exact reciprocals (2⁻¹²⁶ … 2¹²⁶), 2¹²⁷ (its reciprocal is subnormal) and other numbers
    for (const divisor of [1, 2, 64, 2 ** -10, 2 ** -126, 2 ** 100, 2 ** 126, 2 ** 127, 3, 29, 1000, 0.1]) {
      const expected = tf.tidy(() => Float32Array.from(tf.tensor1d(values).div(divisor).dataSync()));
      // the fused pass adds a zero gradient first (−0 + 0 is +0)
      const expectedMean = tf.tidy(() => Float32Array.from(tf.tensor1d(values).add(tf.zeros([values.length]).mul(1)).div(divisor).dataSync()));
      const x = tf.tensor1d(values);
      const b = heapBuffer(backend, x);
      kernels.divideInPlace(b.offset, values.length, divisor, b.bytes);
      assert.deepEqual(Float32Array.from(x.dataSync()), expected, `divideInPlace by ${divisor}`);
      const [sum, zeros, squares] = [tf.tensor1d(values), tf.zeros([values.length]), tf.zeros([4])];
      const [s, z, q] = [sum, zeros, squares].map((t) => heapBuffer(backend, t));
      assert.equal(kernels.accumulateMeanInPlace(s.offset, z.offset, q.offset, values.length, 1, 0, divisor, s.bytes, z.bytes, q.bytes), 0);
      assert.deepEqual(Float32Array.from(sum.dataSync()), expectedMean, `accumulateMeanInPlace by ${divisor}`);
      tf.dispose([x, sum, zeros, squares]);
    }
  });

  test("accumulateMeanInPlace: each buffer one element short names that buffer and no byte changes; a negative count is −1", () => {
    const { backend, kernels } = wasmKernels();
    const tensors = [tf.tensor1d(normals(seeded(5), N)), tf.tensor1d(normals(seeded(6), N)), tf.tensor1d([1, 2, 3, 4])];
    const before = tensors.map((t) => Float32Array.from(t.dataSync()));
    const [s, g, q] = tensors.map((t) => heapBuffer(backend, t));
    const unchanged = (what: string) => tensors.forEach((t, i) => assert.deepEqual(Float32Array.from(t.dataSync()), before[i], what));
    for (const first of [0, 1]) {
      const call = (n: number, short: number) =>
        kernels.accumulateMeanInPlace(s.offset, g.offset, q.offset, n, 3, first, 7, s.bytes - (short === 1 ? 4 : 0), g.bytes - (short === 2 ? 4 : 0), q.bytes - (short === 3 ? 4 : 0));
      for (const short of [1, 2, 3]) {
        assert.equal(call(N, short), short, `buffer ${short} one element short (first ${first})`);
        unchanged(`accumulateMeanInPlace refused for buffer ${short} (first ${first})`);
      }
      assert.equal(call(-1, 0), -1, "a negative count");
      unchanged("accumulateMeanInPlace refused a negative count");
    }
    tf.dispose(tensors);
  });

  test("accumulateMeanInPlace has the bits of accumulateInPlace then divideInPlace, and their Σ x², first micro-batch or not", () => {
    const { backend, kernels } = wasmKernels();
    const random = seeded(7);
    // sizes around the kernels' blocks of 16 floats and vectors of 4, and the one of the bench's MLP
    for (const n of [0, 1, 3, 4, 15, 16, 17, 31, 64, 1003, 784 * 256]) {
      for (const first of [1, 0]) {
        const [start, grad] = [normals(random, n), normals(random, n)];
        const [scale, divisor] = [1 + random.int(32), 1 + random.int(200)];
        const [twoPass, onePass, g] = [tf.tensor1d(start), tf.tensor1d(start), tf.tensor1d(grad)];
        const squares = tf.zeros([4]);
        const [a, b, gb, qb] = [twoPass, onePass, g, squares].map((t) => heapBuffer(backend, t));
        const gradSquares = kernels.accumulateInPlace(a.offset, gb.offset, n, scale, first, a.bytes, gb.bytes);
        const meanSquares = kernels.divideInPlace(a.offset, n, divisor, a.bytes);
        assert.equal(kernels.accumulateMeanInPlace(b.offset, gb.offset, qb.offset, n, scale, first, divisor, b.bytes, gb.bytes, qb.bytes), 0);
        assert.deepEqual(Float32Array.from(onePass.dataSync()), Float32Array.from(twoPass.dataSync()), `the mean (n ${n}, first ${first})`);
        const written = new Float64Array(Float32Array.from(squares.dataSync()).buffer);
        assert.equal(written[0], gradSquares, `Σ grad² (n ${n}, first ${first})`);
        assert.equal(written[1], meanSquares, `Σ mean² (n ${n}, first ${first})`);
        assert.equal(gradSquares, kernels.sumSquares(gb.offset, n, gb.bytes), `Σ grad² is sumSquares's (n ${n})`);
        tf.dispose([twoPass, onePass, g, squares]);
      }
    }
  });

  test("the values of Multiply, Add and RealDiv, and the Σ x² of sumSquares, exactly", () => {
    const { backend, kernels } = wasmKernels();
    const random = seeded(3);
    const grads = [normals(random, N), normals(random, N)];
    const [scales, divisor] = [[16, 13], 29];
    const expected = tf.tidy(() => {
      const [g0, g1] = grads.map((g) => tf.tensor1d(g));
      const first = g0.mul(scales[0]);
      const second = first.add(g1.mul(scales[1]));
      return [first, second, second.div(divisor)].map((t) => Float32Array.from(t.dataSync()));
    });
    const sum = tf.zeros([N]);
    const heapSquares = (values: Float32Array) => {
      const t = tf.tensor1d(values);
      const b = heapBuffer(backend, t);
      const squares = kernels.sumSquares(b.offset, N, b.bytes);
      t.dispose();
      return squares;
    };
    grads.forEach((values, i) => {
      const grad = tf.tensor1d(values);
      const [s, g] = [heapBuffer(backend, sum), heapBuffer(backend, grad)];
      const squares = kernels.accumulateInPlace(s.offset, g.offset, N, scales[i], i === 0 ? 1 : 0, s.bytes, g.bytes);
      assert.deepEqual(Float32Array.from(sum.dataSync()), expected[i], `sum after micro-batch ${i + 1}`);
      assert.equal(squares, heapSquares(values), `Σ grad² of micro-batch ${i + 1}`);
      grad.dispose();
    });
    const s = heapBuffer(backend, sum);
    const squares = kernels.divideInPlace(s.offset, N, divisor, s.bytes);
    assert.deepEqual(Float32Array.from(sum.dataSync()), expected[2], "the mean");
    assert.equal(squares, heapSquares(expected[2]), "Σ mean²");
    sum.dispose();
  });
});

describe("accumulation on wasm runs in place", () => {
  const shapes = [[33, 7], [7], [1]];
  const random = seeded(4);
  const initial = shapes.map((s) => normals(random, s[0] * (s[1] ?? 1)));
  const windows = Array.from({ length: 3 }, () =>
    Array.from({ length: 4 }, (_, k) => ({ items: 5 + 3 * k, grads: shapes.map((s) => normals(random, s[0] * (s[1] ?? 1))) })),
  );
  const variablesOf = () => initial.map((v, i) => tf.variable(tf.tensor(v, shapes[i])));
  const gradsOf = (variables: tf.Variable[], values: Float32Array[]) => Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor(values[i], shapes[i])]));

  test("a micro-batch inside a window runs no kernel; each window equals its mean gradient applied directly, bit for bit", async () => {
    await tf.setBackend("wasm");
    const [accumulated, direct] = [variablesOf(), variablesOf()];
    const [accumulating, plain] = [adam({ lr: 0.05, accumulate: { steps: 4 } }), adam({ lr: 0.05 })];
    for (const window of windows) {
      for (const [k, { items, grads }] of window.entries()) {
        const profile = await tf.profile(() => {
          tf.tidy(() => accumulating.applyGradients(gradsOf(accumulated, grads), { itemCount: items }));
        });
        const kernels = profile.kernels.map((kernel) => kernel.name);
        if (k < 3) assert.deepEqual(kernels, [], `micro-batch ${k + 1} of a window dispatched kernels`);
      }
      // the composed reference on wasm: ((g₁·n₁ + g₂·n₂) + g₃·n₃) + g₄·n₄, divided by Σ nᵢ
      tf.tidy(() => {
        const total = window.reduce((count, { items }) => count + items, 0);
        const mean = Object.fromEntries(
          direct.map((v, i) => {
            const sum = window.reduce<tf.Tensor | undefined>((s, { items, grads }) => {
              const weighted = tf.tensor(grads[i], shapes[i]).mul(items);
              return s ? s.add(weighted) : weighted;
            }, undefined)!;
            return [v.name, sum.div(total)];
          }),
        );
        plain.applyGradients(mean);
      });
      assert.equal(accumulating.lastUpdate!.gradientNorm, plain.lastUpdate!.gradientNorm, "the reported gradient norm");
      accumulated.forEach((v, i) => assert.deepEqual(v.dataSync(), direct[i].dataSync(), `parameter ${i} after the window`));
    }
    [accumulating, plain].forEach((o) => o.dispose());
    tf.dispose([...accumulated, ...direct]);
  });

  test("tensors and wasm buffers stay flat across 20 windows", async () => {
    await tf.setBackend("wasm");
    const variables = variablesOf();
    const optimizer = adam({ lr: 0.01, accumulate: { steps: 4 } });
    const run = (count: number) => {
      for (let w = 0; w < count; w++) {
        for (const { items, grads } of windows[w % windows.length]) tf.tidy(() => optimizer.applyGradients(gradsOf(variables, grads), { itemCount: items }));
      }
      optimizer.noiseScale();
    };
    run(2);
    const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
    run(20);
    assert.deepEqual({ tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() }, before);
    optimizer.dispose();
    tf.dispose(variables);
  });
});
