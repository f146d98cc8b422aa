/**
 * NaN through the wasm kernels whose XNNPACK versions clamped it away, against tfjs's cpu backend: Relu6,
 * and the fused product, convolution and depthwise convolution with relu and relu6 (what tfjs-layers runs
 * outside a gradient tape; src/backend/kernels/relu-clamp.ts), the average pool (pools.ts), and maximum and
 * minimum (max-min.ts), over random
 * shapes, strides, paddings and transposes whose inputs hold NaN, ±∞ and ±0 (the convolutions' filters
 * finite). NaN must come out where cpu has it (XNNPACK gave 0, or −∞ from the pool), the other values as
 * close as the two backends' products are, and the pool's bit for bit.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seeded, setUpWasm, valuesOn } from "./helpers";
import type { Rng } from "../../src/data";

before(setUpWasm);

const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];

/** Normal values, one in `every` replaced by a special. */
function values(random: Rng, n: number, every: number): number[] {
  return Array.from({ length: n }, () => (random.int(every) === 0 ? SPECIALS[random.int(SPECIALS.length)] : random.normal()));
}

/** NaN and ±∞ exactly where cpu has them, finite values within `tol` of cpu's (relative to its largest). */
function assertSameSpecials(wasm: Float32Array, cpu: Float32Array, tol: number, what: string): void {
  assert.equal(wasm.length, cpu.length, `${what}: length`);
  let scale = 1;
  for (const v of cpu) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < cpu.length; i++) {
    const [a, e] = [wasm[i], cpu[i]];
    if (Number.isNaN(e) || !Number.isFinite(e)) assert.ok(Object.is(a, e), `${what} [${i}]: wasm ${a}, cpu ${e}`);
    else assert.ok(Math.abs(a - e) <= tol * scale, `${what} [${i}]: wasm ${a}, cpu ${e}`);
  }
}

async function compare(compute: () => tf.Tensor, tol: number, what: string): Promise<void> {
  const [cpu] = await valuesOn("cpu", compute);
  const [wasm] = await valuesOn("wasm", compute);
  assertSameSpecials(wasm, cpu, tol, what);
}

/** The NaN whose sign bit is set: what ∞ − ∞ gives on x86 (JavaScript's NaN literal has it clear). */
const NEGATIVE_NAN = new Float32Array(new Uint32Array([0xffc00000]).buffer)[0];

test("Relu and Relu6 on wasm equal cpu bit for bit: NaN of either sign passes, −0 becomes +0", async () => {
  const random = seeded(20261206);
  for (const [name, op] of [["relu", tf.relu], ["relu6", tf.relu6]] as const) {
    for (const n of [0, 1, 3, 4, 5, 17, 1001]) {
      const xs = Float32Array.from(values(random, n, 3), (v) => 4 * v);
      for (let i = 0; i < n; i += 3) if (Number.isNaN(xs[i])) xs[i] = NEGATIVE_NAN; // a typed array keeps the bits
      const [cpu] = await valuesOn("cpu", () => op(tf.tensor1d(xs)));
      const [wasm] = await valuesOn("wasm", () => op(tf.tensor1d(xs)));
      const at = wasm.findIndex((v, i) => !(Object.is(v, cpu[i]) || (Number.isNaN(v) && Number.isNaN(cpu[i]))));
      assert.equal(at, -1, `${name}, ${n} values: [${at}] ${name}(${xs[at]}): wasm ${wasm[at]}, cpu ${cpu[at]}`);
    }
  }
});

test("fused products, convolutions and depthwise convolutions with relu and relu6 keep NaN on wasm, over 120 random cases", async () => {
  const random = seeded(20261207);
  for (let c = 0; c < 120; c++) {
    const activation = c % 2 === 0 ? "relu" : "relu6";
    const kind = Math.floor(c / 2) % 3;
    const withBias = random.int(2) === 0;
    const where = `case ${c}: ${["matMul", "conv2d", "depthwiseConv2d"][kind]}, ${activation}${withBias ? ", bias" : ""}`;
    if (kind === 0) {
      const [m, k, n] = [1 + random.int(9), 1 + random.int(9), 1 + random.int(9)];
      const [transposeA, transposeB] = [random.int(2) === 0, random.int(2) === 0];
      const a = values(random, m * k, 6);
      const b = values(random, k * n, 12);
      const bias = values(random, n, 8);
      await compare(
        () =>
          tf.fused.matMul({
            a: tf.tensor2d(a, transposeA ? [k, m] : [m, k]),
            b: tf.tensor2d(b, transposeB ? [n, k] : [k, n]),
            transposeA,
            transposeB,
            bias: withBias ? tf.tensor1d(bias) : undefined,
            activation,
          }),
        1e-5,
        `${where}, ${m}×${k}·${k}×${n}, transposes ${transposeA} ${transposeB}`,
      );
    } else {
      const [h, w, channels] = [2 + random.int(6), 2 + random.int(6), 1 + random.int(4)];
      const out = kind === 1 ? 1 + random.int(4) : 1;
      const [kh, kw] = [1 + random.int(3), 1 + random.int(3)];
      const strides = 1 + random.int(2);
      const pad = random.int(2) === 0 ? "same" : "valid";
      if (pad === "valid" && (kh > h || kw > w)) continue;
      const x = values(random, h * w * channels, 10);
      // finite filters: XNNPACK multiplies the zero padding by the filter (0·∞ = NaN) where cpu skips it
      const filter = values(random, kh * kw * channels * out, 20).map((v) => (Number.isFinite(v) ? v : 0.5));
      const bias = values(random, kind === 1 ? out : channels * out, 8);
      await compare(
        () => {
          const input = tf.tensor4d(x, [1, h, w, channels]);
          const f = tf.tensor4d(filter, [kh, kw, channels, out]);
          const b = withBias ? tf.tensor1d(bias) : undefined;
          return kind === 1
            ? tf.fused.conv2d({ x: input, filter: f, strides, pad, bias: b, activation })
            : tf.fused.depthwiseConv2d({ x: input, filter: f, strides, pad, bias: b, activation });
        },
        1e-5,
        `${where}, ${h}×${w}×${channels} → ${out}, window ${kh}×${kw}, stride ${strides}, ${pad}`,
      );
    }
  }
});

test("AvgPool on wasm equals cpu bit for bit over 80 random geometries whose windows hold NaN, ±∞ and ±0", async () => {
  const random = seeded(20261208);
  for (let c = 0; c < 80; c++) {
    const [batch, h, w, channels] = [1 + random.int(3), 1 + random.int(7), 1 + random.int(7), 1 + random.int(9)];
    const [fh, fw] = [1 + random.int(3), 1 + random.int(3)];
    const strides: [number, number] = [1 + random.int(3), 1 + random.int(3)];
    const pad = random.int(2) === 0 ? "same" : "valid";
    if (pad === "valid" && (fh > h || fw > w)) continue;
    const xs = values(random, batch * h * w * channels, 4);
    const pool = () => tf.avgPool(tf.tensor4d(xs, [batch, h, w, channels]), [fh, fw], strides, pad);
    const [cpu] = await valuesOn("cpu", pool);
    const [wasm] = await valuesOn("wasm", pool);
    const at = wasm.findIndex((v, i) => !Object.is(v, cpu[i]));
    assert.equal(at, -1, `case ${c}: x ${[batch, h, w, channels]} window ${fh}×${fw} strides ${strides} ${pad}: [${at}] wasm ${wasm[at]}, cpu ${cpu[at]}`);
  }
});

test("maximum and minimum on wasm equal cpu bit for bit over 150 random cases: NaN on either side, ±0, scalars and broadcasts", async () => {
  const random = seeded(20261209);
  for (let c = 0; c < 150; c++) {
    const shape = Array.from({ length: 1 + random.int(3) }, () => 1 + random.int(6));
    // the second operand: the same shape, a single value (of rank 0 or 1), or a broadcast row
    const kind = c % 4;
    const other = kind === 0 ? shape : kind === 1 ? [] : kind === 2 ? [1] : [shape[shape.length - 1]];
    const sizeOf = (s: number[]) => s.reduce((p, q) => p * q, 1);
    const [xs, ys] = [values(random, sizeOf(shape), 3), values(random, sizeOf(other), 3)];
    const swap = random.int(2) === 0;
    for (const op of [tf.maximum, tf.minimum]) {
      const compute = () => {
        const [p, q] = [tf.tensor(xs, shape), tf.tensor(ys, other)];
        return swap ? op(q, p) : op(p, q);
      };
      const [cpu] = await valuesOn("cpu", compute);
      const [wasm] = await valuesOn("wasm", compute);
      const at = wasm.findIndex((v, i) => !Object.is(v, cpu[i]));
      assert.equal(at, -1, `case ${c}: ${op === tf.maximum ? "maximum" : "minimum"} of [${shape}] and [${other}]${swap ? ", swapped" : ""}: [${at}] wasm ${wasm[at]}, cpu ${cpu[at]}`);
    }
  }
});
