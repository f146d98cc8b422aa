/**
 * A 2 × 2 max pool's gradient through the ReLU before it (src/backend/kernels/pool-relu-grad.ts). The
 * reference is the path it replaces, on wasm too: MaxPoolGrad, then the ReLU's gradient and the bias's sums
 * (StepwiseReluGradColumnSums). The kernel and whole relu-conv-pool blocks under a tape must give its bits
 * exactly, NaN, ±∞, ±0 and ties included; where MaxPool's gradient could be read as it is (a nested
 * gradient, a ReLU output of an earlier tape, a second consumer), the fused path must not run or must not
 * show.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seeded, setUpWasm } from "./helpers";
import type { Rng } from "../../src/data";
import { MAX_POOL_GRAD_RELU_KERNEL } from "../../src/backend/kernels/pool-relu-grad";
import { RELU_GRAD_COLUMN_SUMS_KERNEL } from "../../src/backend/kernels/relu-grad";

before(async () => {
  await setUpWasm();
  await tf.setBackend("wasm");
});

const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];

/** Normal values (ReLU'd where `relu`: half of them 0, so windows tie), one in `every` a special. */
function values(random: Rng, n: number, every: number, relu: boolean): Float32Array {
  return Float32Array.from({ length: n }, () => {
    if (every > 0 && random.int(every) === 0) return SPECIALS[random.int(SPECIALS.length)];
    const v = random.normal();
    return relu ? Math.max(0, v) : v;
  });
}

function upTo(random: Rng, n: number): number {
  return 1 + random.int(n);
}

function bitsOf(t: tf.Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.dataSync()).buffer);
}

function assertSameBits(actual: tf.Tensor[], expected: tf.Tensor[], labels: string[], where: string): void {
  assert.equal(actual.length, expected.length, `${where}: outputs`);
  actual.forEach((t, o) => {
    assert.deepEqual(t.shape, expected[o].shape, `${where}, ${labels[o]}: shape`);
    const [a, e] = [bitsOf(t), bitsOf(expected[o])];
    for (let i = 0; i < a.length; i++) {
      // NaN payloads aside: both paths make their NaNs by the same operations, but one NaN is as good as another
      const [x, y] = [new Float32Array(a.buffer)[i], new Float32Array(e.buffer)[i]];
      if (a[i] !== e[i] && !(Number.isNaN(x) && Number.isNaN(y))) assert.fail(`${where}, ${labels[o]} [${i}]: fused ${x}, reference ${y}`);
    }
  });
}

/** The names of the kernels the engine ran while `compute` ran, and its result. */
function withKernelLog<T>(compute: () => T): { result: T; kernels: string[] } {
  const kernels: string[] = [];
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, ...rest: unknown[]) => {
    kernels.push(name);
    return (runKernel as (...args: unknown[]) => unknown)(name, ...rest);
  }) as typeof engine.runKernel;
  try {
    return { result: compute(), kernels };
  } finally {
    engine.runKernel = runKernel;
  }
}

test("the kernel: MaxPoolGrad then the ReLU's gradient and column sums, bit for bit, over 120 random geometries", () => {
  const random = seeded(51);
  for (let k = 0; k < 120; k++) {
    // odd and even sizes (a trailing row and column outside every window), channels in fours and not
    const x = [upTo(random, 3), 2 + random.int(12), 2 + random.int(12), [1, 3, 4, 5, 8, 13, 16, 17, 32, 35][random.int(10)]];
    const attrs = { filterSize: [2, 2], strides: [2, 2], pad: "valid" };
    const out = [x[0], Math.floor(x[1] / 2), Math.floor(x[2] / 2), x[3]];
    const relu = k % 4 !== 3; // a ReLU's output, or any values (the kernel is exact for those too)
    const where = `case ${k}: x [${x}]${relu ? "" : ", not a ReLU's output"}`;
    tf.tidy(() => {
      const xt = tf.tensor(values(random, tf.util.sizeFromShape(x), 7, relu), x);
      const dy = tf.tensor(values(random, tf.util.sizeFromShape(out), 9, false), out);
      const y = tf.maxPool(xt as tf.Tensor4D, 2, 2, "valid");
      const [dz, db] = tf.engine().runKernel(MAX_POOL_GRAD_RELU_KERNEL, { dy, x: xt }, attrs) as tf.Tensor[];
      const pooled = tf.engine().runKernel("MaxPoolGrad", { dy, input: xt, output: y }, attrs) as tf.Tensor;
      const reference = tf.engine().runKernel(RELU_GRAD_COLUMN_SUMS_KERNEL, { dy: pooled, x: xt }) as tf.Tensor[];
      assertSameBits([dz, db], reference, ["dz", "db"], where);
    });
  }
});

test("the kernel refuses what it does not compute, naming it", () => {
  tf.tidy(() => {
    const x = tf.zeros([1, 4, 4, 2]);
    const run = (dy: tf.Tensor, attrs: object, input: tf.Tensor = x) => tf.engine().runKernel(MAX_POOL_GRAD_RELU_KERNEL, { dy, x: input }, attrs as tf.NamedAttrMap);
    assert.throws(() => run(tf.zeros([1, 2, 2, 2]), { filterSize: 3, strides: 2, pad: "valid" }), /2 × 2 at stride 2/);
    assert.throws(() => run(tf.zeros([1, 2, 2, 2]), { filterSize: 2, strides: 2, pad: "same" }, tf.zeros([1, 5, 5, 2])), /2 × 2 at stride 2/);
    assert.throws(() => run(tf.zeros([1, 3, 2, 2]), { filterSize: 2, strides: 2, pad: "valid" }), /dy has shape \[1,3,2,2\]/);
    assert.throws(() => run(tf.zeros([1, 2, 2, 2], "int32"), { filterSize: 2, strides: 2, pad: "valid" }), /must be float32/);
  });
});

interface Block {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  bias?: tf.Tensor1D;
  up: tf.Tensor;
}

/**
 * The gradients of Σ up · maxPool(relu(conv2d(x) + bias)) with respect to x, the filter and the bias, the
 * block written with tf.fused.conv2d (fused) or with the unfused ops, and the kernels that ran.
 */
function blockGradients(block: Block, fused: boolean, differentiate: number[]): { grads: tf.Tensor[]; kernels: string[] } {
  const { result, kernels } = withKernelLog(() =>
    tf.tidy(() => {
      const loss = (x: tf.Tensor, filter: tf.Tensor, bias?: tf.Tensor) => {
        const y = fused
          ? tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: "same", bias, activation: "relu" })
          : tf.relu(bias ? tf.add(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "same"), bias) : tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "same"));
        return tf.sum(tf.mul(tf.maxPool(y as tf.Tensor4D, 2, 2, "valid"), block.up)) as tf.Scalar;
      };
      const all = [block.x, block.filter, ...(block.bias ? [block.bias] : [])];
      const f = (...varying: tf.Tensor[]) => {
        const args = all.map((t, i) => (differentiate.includes(i) ? varying[differentiate.indexOf(i)] : t));
        return loss(args[0], args[1], args[2]);
      };
      return tf.grads(f)(differentiate.map((i) => all[i]));
    }),
  );
  return { grads: result, kernels };
}

function randomBlock(random: Rng): Block {
  const x: [number, number, number, number] = [upTo(random, 3), 2 + random.int(10), 2 + random.int(10), upTo(random, 6)];
  const outChannels = [1, 3, 4, 8, 16, 17][random.int(6)];
  const filter: [number, number, number, number] = [3, 3, x[3], outChannels];
  const pooled = [x[0], Math.floor(x[1] / 2), Math.floor(x[2] / 2), outChannels];
  return {
    x: tf.tensor(values(random, tf.util.sizeFromShape(x), 15, false), x) as tf.Tensor4D,
    filter: tf.tensor(values(random, tf.util.sizeFromShape(filter), 0, false), filter) as tf.Tensor4D,
    ...(random.int(4) !== 0 ? { bias: tf.tensor(values(random, outChannels, 8, false), [outChannels]) as tf.Tensor1D } : {}),
    up: tf.tensor(values(random, tf.util.sizeFromShape(pooled), 11, false), pooled),
  };
}

test("relu conv → max pool under a tape: the unfused ops' gradients, bit for bit, over 60 random blocks, in one pass", () => {
  const random = seeded(52);
  for (let k = 0; k < 60; k++) {
    const block = randomBlock(random);
    const inputs = block.bias ? 3 : 2;
    // one in three: a first layer's (no input gradient)
    const differentiate = random.int(3) === 0 ? [1, ...(block.bias ? [2] : [])] : Array.from({ length: inputs }, (_, i) => i);
    const where = `case ${k}: x [${block.x.shape}], filter [${block.filter.shape}]${block.bias ? ", bias" : ""}`;
    const fused = blockGradients(block, true, differentiate);
    const unfused = blockGradients(block, false, differentiate);
    assertSameBits(fused.grads, unfused.grads, differentiate.map((i) => ["d/dx", "d/dfilter", "d/dbias"][i]), where);
    assert.ok(fused.kernels.includes(MAX_POOL_GRAD_RELU_KERNEL), `${where}: ran ${fused.kernels.join(" ")}`);
    assert.ok(!fused.kernels.includes("MaxPoolGrad") && !fused.kernels.includes(RELU_GRAD_COLUMN_SUMS_KERNEL), `${where}: ran ${fused.kernels.join(" ")}`);
    tf.dispose([...fused.grads, ...unfused.grads, block.x, block.filter, block.bias, block.up]);
  }
});

test("a ReLU output that also feeds another op: its summed gradient is masked after the sum, with the unfused bits", () => {
  const random = seeded(53);
  for (let k = 0; k < 20; k++) {
    const block = randomBlock(random);
    const { result, kernels } = withKernelLog(() =>
      [true, false].map((fused) =>
        tf.tidy(() =>
          tf.grads((x: tf.Tensor, filter: tf.Tensor) => {
            const y = fused
              ? tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: "same", bias: block.bias, activation: "relu" })
              : tf.relu(block.bias ? tf.add(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "same"), block.bias) : tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "same"));
            // the second consumer: every position of y, weighted
            return tf.add(tf.sum(tf.mul(tf.maxPool(y as tf.Tensor4D, 2, 2, "valid"), block.up)), tf.sum(tf.mul(y, 0.25))) as tf.Scalar;
          })([block.x, block.filter]),
        ),
      ),
    );
    assertSameBits(result[0], result[1], ["d/dx", "d/dfilter"], `case ${k}`);
    assert.ok(kernels.includes(MAX_POOL_GRAD_RELU_KERNEL) && kernels.includes(RELU_GRAD_COLUMN_SUMS_KERNEL), `case ${k}: ran ${kernels.join(" ")}`);
    tf.dispose([...result.flat(), block.x, block.filter, block.bias, block.up]);
  }
});

test("a pool of a reshaped ReLU output (the same data, other channels) takes the unfused path, with its gradients", () => {
  const random = seeded(55);
  for (let k = 0; k < 10; k++) {
    const block = randomBlock(random);
    const [n, h, w, c] = [block.x.shape[0], block.x.shape[1], block.x.shape[2], block.filter.shape[3]];
    if (c % 2 !== 0) continue;
    const reshaped: [number, number, number, number] = [n, h, 2 * w, c / 2];
    const up = tf.tensor(values(random, n * Math.floor(h / 2) * w * (c / 2), 0, false), [n, Math.floor(h / 2), w, c / 2]);
    const { result, kernels } = withKernelLog(() =>
      [true, false].map((fused) =>
        tf.tidy(() =>
          tf.grads((filter: tf.Tensor, bias: tf.Tensor) => {
            const y = fused
              ? tf.fused.conv2d({ x: block.x, filter: filter as tf.Tensor4D, strides: 1, pad: "same", bias, activation: "relu" })
              : tf.relu(tf.add(tf.conv2d(block.x, filter as tf.Tensor4D, 1, "same"), bias));
            return tf.sum(tf.mul(tf.maxPool(tf.reshape(y, reshaped) as tf.Tensor4D, 2, 2, "valid"), up)) as tf.Scalar;
          })([block.filter, tf.zeros([c])]),
        ),
      ),
    );
    assertSameBits(result[0], result[1], ["d/dfilter", "d/dbias"], `case ${k}: y [${n},${h},${w},${c}] as [${reshaped}]`);
    assert.ok(!kernels.includes(MAX_POOL_GRAD_RELU_KERNEL), `case ${k}: ran ${kernels.join(" ")}`);
    tf.dispose([...result.flat(), block.x, block.filter, block.bias, block.up, up]);
  }
});

const CUT_OFF_BIAS = -1.5; // most of the ReLU's output is cut off: many windows' maximum is 0

/** d Σ up · maxPool(y) / d y for a copy of y made outside any tape: MaxPool's own gradient. */
function plainPoolGradient(y: tf.Tensor, up: tf.Tensor): tf.Tensor {
  const copy = tf.tensor(y.dataSync(), y.shape);
  return tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(p as tf.Tensor4D, 2, 2, "valid"), up)))(copy);
}

/** Positions where y is 0 and its pool's gradient is not: there the masked gradient would differ. */
function cutOffMaxima(y: tf.Tensor, gradient: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.logicalAnd(tf.equal(y, 0), tf.notEqual(gradient, 0)), "int32")).dataSync()[0]);
}

test("the gradient with respect to a ReLU output itself is MaxPool's own: nested in its tape, or in a later tape", () => {
  const random = seeded(54);
  const x = tf.tensor(values(random, 2 * 8 * 8 * 3, 0, false), [2, 8, 8, 3]) as tf.Tensor4D;
  const filter = tf.tensor(values(random, 3 * 3 * 3 * 8, 0, false), [3, 3, 3, 8]) as tf.Tensor4D;
  const bias = tf.fill([8], CUT_OFF_BIAS) as tf.Tensor1D;
  const up = tf.tensor(values(random, 2 * 4 * 4 * 8, 0, false), [2, 4, 4, 8]);
  const relu = (input: tf.Tensor, weights: tf.Tensor) => tf.fused.conv2d({ x: input as tf.Tensor4D, filter: weights as tf.Tensor4D, strides: 1, pad: "same", bias, activation: "relu" });
  const pooled = (p: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(p as tf.Tensor4D, 2, 2, "valid"), up)) as tf.Scalar;

  // nested: y made on the outer tape, its own gradient asked for inside it
  const nested: tf.Tensor[] = [];
  tf.grad((input: tf.Tensor) => {
    const y = relu(input, filter);
    nested.push(tf.keep(y.clone()), tf.keep(tf.grad(pooled)(y)));
    return tf.sum(y);
  })(x);
  const [yNested, gradientNested] = nested;
  const expectedNested = plainPoolGradient(yNested, up);
  assert.ok(cutOffMaxima(yNested, expectedNested) > 0, "some windows' maximum is a cut-off 0 that gets a gradient");
  assertSameBits([gradientNested], [expectedNested], ["d/dy"], "nested");

  // y kept from an earlier tape, differentiated in a later one
  let kept: tf.Tensor | undefined;
  tf.grad((weights: tf.Tensor) => {
    kept = tf.keep(relu(x, weights));
    return tf.sum(kept);
  })(filter);
  const later = withKernelLog(() => tf.grad(pooled)(kept!));
  const expectedLater = plainPoolGradient(kept!, up);
  assert.ok(cutOffMaxima(kept!, expectedLater) > 0, "some windows' maximum is a cut-off 0 that gets a gradient");
  assert.ok(!later.kernels.includes(MAX_POOL_GRAD_RELU_KERNEL), `ran ${later.kernels.join(" ")}`);
  assertSameBits([later.result], [expectedLater], ["d/dy"], "a later tape");
  tf.dispose([...nested, expectedNested, kept!, later.result, expectedLater, x, filter, bias, up]);
});
