/**
 * Slices on wasm (slice.ts: Slice, SplitV, Unpack and StridedSlice read from the heap) equal tfjs's cpu
 * backend over a random space of ops, dtypes, ranks, shapes (empty ones among them) and boxes: values,
 * shapes and dtypes exactly, with nothing leaked; an out-of-range box fails as it does on cpu.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../src/data";
import { seeded, setUpWasm } from "./helpers";

before(setUpWasm);

const DTYPES = ["float32", "int32", "bool"] as const;

interface Outcome {
  outputs: Array<{ shape: number[]; dtype: string; values: number[] }>;
}

/** What `compute` gives on backend `name`, checking that it leaks neither tensors nor backend buffers. */
async function run(name: string, compute: () => tf.Tensor | tf.Tensor[]): Promise<Outcome> {
  await tf.setBackend(name);
  const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
  const out = tf.tidy(compute);
  const list = Array.isArray(out) ? out : [out];
  const outputs = list.map((t) => ({ shape: t.shape.slice(), dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) }));
  tf.dispose(list);
  assert.equal(tf.memory().numTensors, before.tensors, `${name}: tensors leaked`);
  assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${name}: backend buffers leaked`);
  return { outputs };
}

function input(random: Rng, shape: number[], dtype: (typeof DTYPES)[number]): () => tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, () => (dtype === "float32" ? random.normal() : dtype === "int32" ? random.int(2001) - 1000 : random.int(2)));
  return () => tf.tensor(values, shape, dtype);
}

/** A box inside `shape`: begin in [0, d], size in [0, d − begin] or −1 (to the end) one time in four. */
function box(random: Rng, shape: number[]): { begin: number[]; size: number[] } {
  const begin = shape.map((d) => random.int(d + 1));
  const size = shape.map((d, i) => (random.int(4) === 0 ? -1 : random.int(d - begin[i] + 1)));
  return { begin, size };
}

interface Case {
  label: string;
  compute: () => tf.Tensor | tf.Tensor[];
  /** Where the result is empty, what it must be: its shape and dtype follow from the attributes alone. */
  empty?: { shape: number[]; dtype: string };
}

/** One random case: a label and the computation, from plain arrays so that both backends see the same input. */
function draw(random: Rng): Case {
  const rank = 1 + random.int(5);
  // mostly non-empty sides, an empty one now and then
  const shape = Array.from({ length: rank }, () => (random.int(12) === 0 ? 0 : 1 + random.int(rank > 3 ? 4 : 7)));
  const dtype = DTYPES[random.int(DTYPES.length)];
  const x = input(random, shape, dtype);
  const axis = random.int(rank);
  const where = `${dtype} [${shape}]`;
  switch (random.int(4)) {
    case 0: {
      const { begin, size } = box(random, shape);
      return { label: `slice ${where} begin [${begin}] size [${size}]`, compute: () => tf.slice(x(), begin, size) };
    }
    case 1: {
      // sizes that sum to the side, or a count that divides it
      const side = shape[axis];
      const parts: number[] = [];
      for (let left = side; left > 0; ) {
        const part = 1 + random.int(left);
        parts.push(part);
        left -= part;
      }
      const divisors = Array.from({ length: side }, (_, k) => k + 1).filter((k) => side % k === 0);
      const split = side > 0 && random.int(2) === 0 ? divisors[random.int(divisors.length)] : parts.length > 0 ? parts : [0];
      return { label: `split ${where} into ${JSON.stringify(split)} along ${axis}`, compute: () => tf.split(x(), split, axis) };
    }
    case 2:
      return { label: `unstack ${where} along ${axis}`, compute: () => tf.unstack(x(), axis) };
    default: {
      // unit strides (the contiguous path) most of the time, others for the original kernel's path
      const begin = shape.map((d) => random.int(d + 1) - (random.int(4) === 0 ? d : 0));
      const end = shape.map((d) => random.int(d + 1));
      const strides = shape.map(() => (random.int(4) === 0 ? 2 : 1));
      const [beginMask, endMask, shrinkAxisMask] = [random.int(1 << rank), random.int(1 << rank), random.int(3) === 0 ? 1 << axis : 0];
      const label = `stridedSlice ${where} begin [${begin}] end [${end}] strides [${strides}] masks ${beginMask}/${endMask}/shrink ${shrinkAxisMask}`;
      let empty: Case["empty"];
      try {
        const { finalShape } = tf.slice_util.sliceInfo(shape, begin, end, strides, beginMask, endMask, 0, 0, shrinkAxisMask);
        if (finalShape.includes(0)) empty = { shape: finalShape, dtype };
      } catch {
        // attributes tfjs refuses (shrinking an axis of zero extent): the op throws on both backends
      }
      return { label, compute: () => tf.stridedSlice(x(), begin, end, strides, beginMask, endMask, 0, 0, shrinkAxisMask), empty };
    }
  }
}

describe("slices on wasm equal cpu", () => {
  test("600 random slices, splits, unstacks and strided slices of float32, int32 and bool tensors of rank 1–5", async () => {
    const random = seeded(20261207);
    let compared = 0;
    for (let c = 0; c < 600; c++) {
      const { label, compute, empty } = draw(random);
      let cpu: Outcome;
      try {
        cpu = await run("cpu", compute);
      } catch (error) {
        if (empty) {
          // cpu's strided slice fails on some empty results ("Size(4) must match the product of shape 2,0,1")
          assert.deepEqual(await run("wasm", compute), { outputs: [{ ...empty, values: [] }] }, `case ${c}: ${label} (cpu threw)`);
          continue;
        }
        // a configuration tfjs refuses must be refused on wasm too
        await assert.rejects(run("wasm", compute), `case ${c}: ${label}: cpu threw "${(error as Error).message}", wasm did not`);
        continue;
      }
      const wasm = await run("wasm", compute);
      assert.deepEqual(wasm, cpu, `case ${c}: ${label}`);
      compared++;
    }
    assert.ok(compared >= 500, `only ${compared} of 600 cases ran on both backends`);
  });

  test("the kernel, called directly, refuses a box past the input's end as cpu's does, allocating nothing", async () => {
    // tf.slice checks the box before it runs the kernel; other callers (runKernel, a composed kernel) do not
    await tf.setBackend("wasm");
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const buffers = tf.engine().backend.numDataIds();
    assert.throws(
      () => tf.engine().runKernel("Slice", { x }, { begin: [1, 1], size: [2, 2] }),
      /begin\[0\] \+ size\[0\] \(3\) would overflow input\.shape\[0\] \(2\)/,
    );
    assert.equal(tf.engine().backend.numDataIds(), buffers);
    x.dispose();
  });
});
