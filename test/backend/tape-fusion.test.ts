/**
 * Under a gradient tape on wasm, `tf.fused.conv2d` and `tf.fused.matMul` with a linear or relu activation
 * run their fused kernel (src/backend/kernels/tape-fusion.ts). The reference is what tfjs-core runs there
 * without it, the unfused ops (the product, Add of the bias, Relu), on wasm too: over random
 * configurations the output and every gradient must have its bits exactly, NaN, ±∞ and ±0 included.
 * The cpu property space (kernel-property.test.ts) checks both against cpu.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seeded, setUpWasm } from "./helpers";
import type { Rng } from "../../src/data";

before(setUpWasm);

const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];

/** Normal values, one in `every` replaced by a special (never, for every = 0). */
function values(random: Rng, n: number, every: number): Float32Array {
  return Float32Array.from({ length: n }, () => (every > 0 && random.int(every) === 0 ? SPECIALS[random.int(SPECIALS.length)] : random.normal()));
}

function upTo(random: Rng, n: number): number {
  return 1 + random.int(n);
}

interface Operand {
  values: Float32Array;
  shape: number[];
}

type Op = (inputs: tf.Tensor[]) => tf.Tensor;

/** What `compute` returns, and the names of the kernels the engine ran meanwhile, in order. */
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

/**
 * The op's output and its gradients with respect to `differentiate` (indices into inputs) of Σ up·y, with
 * every input a new tensor (so that each run meets new weights, as training does), and the kernels it ran.
 */
function run(op: Op, operands: Operand[], up: Operand, differentiate: number[]): { outputs: Float32Array[]; kernels: string[] } {
  const { result: outputs, kernels } = withKernelLog(() =>
    tf.tidy(() => {
      const inputs = operands.map((o) => tf.tensor(o.values, o.shape));
      const weights = tf.tensor(up.values, up.shape);
      let y: tf.Tensor | undefined;
      const loss = (...varying: tf.Tensor[]) => {
        const all = inputs.map((t, i) => (differentiate.includes(i) ? varying[differentiate.indexOf(i)] : t));
        y = tf.keep(op(all));
        return tf.sum(tf.mul(y, weights)) as tf.Scalar;
      };
      const { grads } = tf.valueAndGrads(loss)(differentiate.map((i) => inputs[i]));
      return [y!, ...grads];
    }),
  );
  const values = outputs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outputs);
  return { outputs: values, kernels };
}

function assertSameBits(actual: Float32Array[], expected: Float32Array[], labels: string[], where: string): void {
  assert.equal(actual.length, expected.length, `${where}: outputs`);
  actual.forEach((values, o) => {
    assert.equal(values.length, expected[o].length, `${where}, ${labels[o]}: length`);
    for (let i = 0; i < values.length; i++) {
      const [a, e] = [values[i], expected[o][i]];
      if (!(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)))) assert.fail(`${where}, ${labels[o]} [${i}]: fused ${a}, unfused ${e}`);
    }
  });
}

function withActivation(y: tf.Tensor, activation: "linear" | "relu"): tf.Tensor {
  return activation === "relu" ? tf.relu(y) : y;
}

test("fused conv2d under a tape: the unfused ops' output and gradients, bit for bit, over 150 random configurations", async () => {
  await tf.setBackend("wasm");
  const random = seeded(41);
  for (let c = 0; c < 150; c++) {
    const [kh, kw] = [upTo(random, 4), upTo(random, 4)];
    const strides: [number, number] = [upTo(random, 2), upTo(random, 2)];
    // a numeric padding only where tfjs-core sizes it right (square window and strides; explicit-padding.ts refuses the rest)
    const square = kh === kw && strides[0] === strides[1];
    const pad = (["valid", "same", square ? random.int(3) : "same"] as const)[random.int(3)];
    const x = [upTo(random, 3), kh + random.int(9), kw + random.int(9), upTo(random, 9)];
    const filter = [kh, kw, x[3], upTo(random, 20)];
    const withBias = random.int(4) !== 0;
    const activation = random.int(3) === 0 ? "linear" : "relu";
    const operands: Operand[] = [
      { values: values(random, tf.util.sizeFromShape(x), 12), shape: x },
      { values: values(random, tf.util.sizeFromShape(filter), 0), shape: filter },
      ...(withBias ? [{ values: values(random, filter[3], 6), shape: [filter[3]] }] : []),
    ];
    const outShape = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], filter as [number, number, number, number], strides, 1, pad).outShape;
    const up = { values: values(random, tf.util.sizeFromShape(outShape), 0), shape: outShape };
    const differentiate = random.int(4) === 0 ? [1, ...(withBias ? [2] : [])] : operands.map((_, i) => i); // one in four: a first layer's
    const fused: Op = ([xt, ft, bt]) => tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides, pad, bias: bt, activation });
    const unfused: Op = ([xt, ft, bt]) => {
      const product = tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, strides, pad);
      return withActivation(bt ? tf.add(product, bt) : product, activation);
    };
    const where = `case ${c}: x [${x}], filter [${filter}], strides ${strides}, pad ${pad}, ${activation}${withBias ? ", bias" : ""}`;
    const a = run(fused, operands, up, differentiate);
    const b = run(unfused, operands, up, differentiate);
    assertSameBits(a.outputs, b.outputs, ["y", ...differentiate.map((i) => ["d/dx", "d/dfilter", "d/dbias"][i])], where);
    assert.ok(a.kernels.includes("FusedConv2D") && !a.kernels.includes("Relu") && !a.kernels.includes("Add"), `${where}: ran ${a.kernels.join(" ")}`);
    // relu's gradient and the bias's in one pass
    assert.equal(a.kernels.includes("StepwiseReluGradColumnSums"), activation === "relu", `${where}: ran ${a.kernels.join(" ")}`);
    assert.equal(a.kernels.includes("Conv2DBackpropInput"), differentiate.includes(0), `${where}: the input's gradient is computed exactly when it is asked for`);
  }
});

test("fused matMul under a tape: the unfused ops' output and gradients, bit for bit, over 150 random configurations", async () => {
  await tf.setBackend("wasm");
  const random = seeded(42);
  for (let c = 0; c < 150; c++) {
    // one in three: a Dense layer's shape, large enough for stepwise's in-place product
    const [m, k, n] = random.int(3) === 0 ? [upTo(random, 64), 8 + random.int(300), 8 + random.int(80)] : [upTo(random, 30), upTo(random, 30), upTo(random, 30)];
    const [transposeA, transposeB] = [random.int(4) === 0, random.int(4) === 0];
    const withBias = random.int(4) !== 0;
    const activation = random.int(3) === 0 ? "linear" : "relu";
    const operands: Operand[] = [
      { values: values(random, m * k, 12), shape: transposeA ? [k, m] : [m, k] },
      { values: values(random, k * n, 0), shape: transposeB ? [n, k] : [k, n] },
      ...(withBias ? [{ values: values(random, n, 6), shape: [n] }] : []),
    ];
    const up = { values: values(random, m * n, 0), shape: [m, n] };
    const differentiate = random.int(4) === 0 ? [1, ...(withBias ? [2] : [])] : operands.map((_, i) => i);
    const fused: Op = ([a, b, bias]) => tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation });
    const unfused: Op = ([a, b, bias]) => {
      const product = tf.matMul(a, b, transposeA, transposeB);
      return withActivation(bias ? tf.add(product, bias) : product, activation);
    };
    const where = `case ${c}: [${m}×${k}]·[${k}×${n}], transposes ${transposeA} ${transposeB}, ${activation}${withBias ? ", bias" : ""}`;
    const a = run(fused, operands, up, differentiate);
    const b = run(unfused, operands, up, differentiate);
    assertSameBits(a.outputs, b.outputs, ["y", ...differentiate.map((i) => ["d/da", "d/db", "d/dbias"][i])], where);
    assert.ok(a.kernels.includes("_FusedMatMul") && !a.kernels.includes("Relu") && !a.kernels.includes("Add"), `${where}: ran ${a.kernels.join(" ")}`);
    assert.equal(a.kernels.includes("StepwiseReluGradColumnSums"), activation === "relu", `${where}: ran ${a.kernels.join(" ")}`);
  }
});

test("what the fused kernels do not take goes to tfjs-core's op: other activations, dilations, 3-d inputs, cpu, outside a tape", async () => {
  await tf.setBackend("wasm");
  const random = seeded(43);
  const x = { values: values(random, 2 * 9 * 9 * 3, 0), shape: [2, 9, 9, 3] };
  const filter = { values: values(random, 3 * 3 * 3 * 4, 0), shape: [3, 3, 3, 4] };
  const bias = { values: values(random, 4, 0), shape: [4] };
  const up = (shape: number[]) => ({ values: values(random, tf.util.sizeFromShape(shape), 0), shape });
  const unfusedLeaky: Op = ([xt, ft, bt]) => tf.leakyRelu(tf.add(tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, 1, "valid"), bt), 0.1);
  const upLeaky = up([2, 7, 7, 4]);
  const leaky = run(([xt, ft, bt]) => tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides: 1, pad: "valid", bias: bt, activation: "leakyrelu", leakyreluAlpha: 0.1 }), [x, filter, bias], upLeaky, [0, 1, 2]);
  assertSameBits(leaky.outputs, run(unfusedLeaky, [x, filter, bias], upLeaky, [0, 1, 2]).outputs, ["y", "d/dx", "d/dfilter", "d/dbias"], "leakyrelu");
  assert.ok(!leaky.kernels.includes("FusedConv2D"), `leakyrelu ran ${leaky.kernels.join(" ")}`);

  const dilated = run(([xt, ft, bt]) => tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides: 1, pad: "valid", dilations: 2, bias: bt, activation: "relu" }), [x, filter, bias], up([2, 5, 5, 4]), [2]);
  assert.ok(!dilated.kernels.includes("FusedConv2D"), `dilations 2 ran ${dilated.kernels.join(" ")}`);

  const image = { values: x.values.slice(0, 9 * 9 * 3), shape: [9, 9, 3] };
  const rank3 = run(([xt, ft, bt]) => tf.fused.conv2d({ x: xt as tf.Tensor3D, filter: ft as tf.Tensor4D, strides: 1, pad: "valid", bias: bt, activation: "relu" }), [image, filter, bias], up([7, 7, 4]), [1, 2]);
  assert.ok(!rank3.kernels.includes("FusedConv2D"), `a 3-d input ran ${rank3.kernels.join(" ")}`);

  await tf.setBackend("cpu");
  const onCpu = run(([xt, ft, bt]) => tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides: 1, pad: "valid", bias: bt, activation: "relu" }), [x, filter, bias], up([2, 7, 7, 4]), [1, 2]);
  assert.ok(!onCpu.kernels.includes("FusedConv2D") && onCpu.kernels.includes("Relu"), `cpu ran ${onCpu.kernels.join(" ")}`);

  await tf.setBackend("wasm");
  const inputs = [tf.tensor4d(x.values, [2, 9, 9, 3]), tf.tensor4d(filter.values, [3, 3, 3, 4]), tf.tensor1d(bias.values)];
  const { kernels } = withKernelLog(() => tf.tidy(() => tf.fused.conv2d({ x: inputs[0] as tf.Tensor4D, filter: inputs[1] as tf.Tensor4D, strides: 1, pad: "valid", bias: inputs[2], activation: "relu" })));
  tf.dispose(inputs);
  assert.deepEqual(kernels, ["FusedConv2D"], "outside a tape: tfjs-core's fused op, one kernel");
});
