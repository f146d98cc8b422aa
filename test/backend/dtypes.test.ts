/**
 * Every dtype on wasm equals cpu (the independent reference) for the kernels tfjs-backend-wasm 4.22 got wrong
 * for some dtypes (dtype-fallback.ts): random kernels, dtypes (float32, int32, bool), shapes and attributes.
 * float32, which those kernels run natively, is drawn too, so the wrapper's hand-over is covered both ways.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../src/data";
import { CPU_DTYPE_CASES } from "../../src/backend/kernels/dtype-fallback";
import { seeded, setUpWasm } from "./helpers";

before(setUpWasm);

type DType = "float32" | "int32" | "bool";

const ELEMENTWISE_OPS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  Abs: tf.abs, Acos: tf.acos, Acosh: tf.acosh, Asin: tf.asin, Asinh: tf.asinh, Atan: tf.atan, Atanh: tf.atanh,
  Ceil: tf.ceil, Cos: tf.cos, Cosh: tf.cosh, Elu: tf.elu, Erf: tf.erf, Exp: tf.exp, Expm1: tf.expm1, Floor: tf.floor,
  IsFinite: tf.isFinite, IsInf: tf.isInf, IsNan: tf.isNaN, Log: tf.log, Log1p: tf.log1p, Neg: tf.neg,
  Reciprocal: tf.reciprocal, Relu: tf.relu, Relu6: tf.relu6, Round: tf.round, Rsqrt: tf.rsqrt, Selu: tf.selu,
  Sign: tf.sign, Sin: tf.sin, Sinh: tf.sinh, Softplus: tf.softplus, Sqrt: tf.sqrt, Square: tf.square, Tan: tf.tan, Tanh: tf.tanh,
};

function shape(random: Rng, rank: number): number[] {
  return Array.from({ length: rank }, () => 1 + random.int(5));
}

function values(random: Rng, dtype: DType, count: number): number[] {
  return Array.from({ length: count }, () => (dtype === "bool" ? random.int(2) : dtype === "int32" ? random.int(11) - 5 : 3 * random.normal()));
}

/** One random use of `kernel` on an input of `dtype`: the op, built from plain arrays, and a description. */
function draw(random: Rng, kernel: string, dtype: DType): { what: string; op: () => tf.Tensor | tf.Tensor[] } {
  const dims = shape(random, 1 + random.int(3));
  const data = values(random, dtype, dims.reduce((a, b) => a * b, 1));
  const x = () => tf.tensor(data, dims, dtype);
  const elementwise = ELEMENTWISE_OPS[kernel];
  if (elementwise) return { what: `[${dims}]`, op: () => elementwise(x()) };
  const rank = dims.length;
  switch (kernel) {
    case "Step": {
      const alpha = random.normal();
      return { what: `[${dims}] alpha ${alpha}`, op: () => tf.step(x(), alpha) };
    }
    case "LeakyRelu": {
      const alpha = random.next();
      return { what: `[${dims}] alpha ${alpha}`, op: () => tf.leakyRelu(x(), alpha) };
    }
    case "StridedSlice": {
      const strides = dims.map(() => (random.int(2) === 0 ? 1 + random.int(2) : -1 - random.int(2)));
      const begin = dims.map((d, i) => (strides[i] > 0 ? random.int(d) : d - 1 - random.int(d)));
      const end = dims.map((d, i) => (strides[i] > 0 ? d : -d - 1));
      return { what: `[${dims}] begin ${begin} end ${end} strides ${strides}`, op: () => tf.stridedSlice(x(), begin, end, strides) };
    }
    case "ClipByValue": {
      const low = random.int(7) - 4;
      const high = low + random.int(5);
      return { what: `[${dims}] to [${low}, ${high}]`, op: () => tf.clipByValue(x(), low, high) };
    }
    case "ResizeNearestNeighbor": {
      const images: [number, number, number, number] = [1, 1 + random.int(4), 1 + random.int(4), 1 + random.int(2)];
      const pixels = values(random, dtype, images.reduce((a, b) => a * b, 1));
      const size: [number, number] = [1 + random.int(6), 1 + random.int(6)];
      const alignCorners = random.int(2) === 0;
      return { what: `[${images}] to ${size}, alignCorners ${alignCorners}`, op: () => tf.image.resizeNearestNeighbor(tf.tensor(pixels, images, dtype) as tf.Tensor4D, size, alignCorners) };
    }
    case "Reverse": {
      const axes = [...Array(rank).keys()].filter(() => random.int(2) === 0);
      return { what: `[${dims}] axes ${axes}`, op: () => tf.reverse(x(), axes) };
    }
    case "Select": {
      const condition = values(random, "bool", data.length);
      const other = values(random, dtype, data.length);
      return { what: `[${dims}]`, op: () => tf.where(tf.tensor(condition, dims, "bool"), x(), tf.tensor(other, dims, dtype)) };
    }
    case "TopK": {
      const k = 1 + random.int(dims[rank - 1]);
      return { what: `[${dims}] k ${k}`, op: () => { const { values: v, indices } = tf.topk(x(), k); return [v, indices]; } };
    }
    case "Cumsum":
    case "Cumprod": {
      const axis = random.int(rank);
      const [exclusive, reverse] = [random.int(2) === 0, random.int(2) === 0];
      const f = kernel === "Cumsum" ? tf.cumsum : tf.cumprod;
      return { what: `[${dims}] axis ${axis} exclusive ${exclusive} reverse ${reverse}`, op: () => f(x(), axis, exclusive, reverse) };
    }
    case "OneHot": {
      // the drawn dtype is the output's; the indices are int32, some outside [0, depth)
      const depth = 2 + random.int(8);
      const indices = Array.from({ length: data.length }, () => random.int(depth + 2) - 1);
      const [on, off] = dtype === "bool" ? [1, 0] : dtype === "int32" ? [random.int(7) - 3, random.int(7) - 3] : [random.normal(), random.normal()];
      return { what: `[${dims}] depth ${depth}, on ${on}, off ${off}`, op: () => tf.oneHot(tf.tensor(indices, dims, "int32"), depth, on, off, dtype) };
    }
    default:
      throw new Error(`no op for ${kernel}`);
  }
}

/** Values, shapes and dtypes of `op` on `backend`, checking that nothing leaks there or on cpu. */
async function run(backend: string, op: () => tf.Tensor | tf.Tensor[]): Promise<Array<{ values: number[]; shape: number[]; dtype: string }>> {
  await tf.setBackend(backend);
  const cpu = tf.findBackend("cpu")!;
  const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds(), cpu: cpu.numDataIds() };
  const out = tf.tidy(op);
  const list = Array.isArray(out) ? out : [out];
  const result = list.map((t) => ({ values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype }));
  tf.dispose(list);
  assert.equal(tf.memory().numTensors, before.tensors, `${backend}: tensors leaked`);
  assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${backend}: backend buffers leaked`);
  assert.equal(cpu.numDataIds(), before.cpu, `${backend}: cpu buffers leaked`);
  return result;
}

describe("kernels on wasm equal cpu for every dtype", () => {
  test("600 random kernels, dtypes, shapes and attributes", async () => {
    const random = seeded(20261205);
    const kernels = CPU_DTYPE_CASES.map(([name]) => name);
    const dtypes: DType[] = ["float32", "int32", "bool"];
    for (let c = 0; c < 600; c++) {
      const kernel = kernels[random.int(kernels.length)];
      const dtype = dtypes[random.int(3)];
      const { what, op } = draw(random, kernel, dtype);
      const where = `case ${c}: ${kernel} on ${dtype} ${what}`;
      // tfjs-core refuses some dtypes before any kernel runs (rsqrt of int32): then both backends must refuse alike
      const refusal = await run("cpu", op).then(() => undefined, (error: Error) => error.message);
      if (refusal !== undefined) {
        await assert.rejects(run("wasm", op), { message: refusal }, where);
        continue;
      }
      const expected = await run("cpu", op);
      const actual = await run("wasm", op);
      assert.equal(actual.length, expected.length, `${where}: outputs`);
      actual.forEach((out, i) => {
        assert.equal(out.dtype, expected[i].dtype, `${where}: dtype of output ${i}`);
        assert.deepEqual(out.shape, expected[i].shape, `${where}: shape of output ${i}`);
        // float32 inputs (also int32 ones that tfjs-core casts first, as erf's) run wasm's own kernels, whose
        // transcendental functions may differ from Math's in the last bits; the rest must be exact
        const tolerance = out.dtype === "float32" ? 2e-6 : 0;
        out.values.forEach((v, j) => {
          const e = expected[i].values[j];
          assert.ok(Object.is(v, e) || Math.abs(v - e) <= tolerance * Math.max(1, Math.abs(e)), `${where}: output ${i}[${j}] = ${v}, cpu ${e}`);
        });
      });
    }
  });
});
