/**
 * ClipByValue of float32 on wasm (src/backend/kernels/clip.ts) against tfjs's cpu backend, bit for bit:
 * NaN, ±∞, ±0 and subnormal values, bounds that float32 cannot hold, equal bounds, lengths around the
 * 4-lane vectors; and the loss it feeds: tfjs-layers' cross-entropy of a NaN probability is NaN on wasm too.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seeded, setUpWasm } from "./helpers";

before(setUpWasm);

const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e-40, -1e-40, 3.4e38];

async function clipOn(backend: string, values: Float32Array, lo: number, hi: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => Float32Array.from(tf.clipByValue(tf.tensor1d(values), lo, hi).dataSync()));
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors left behind`);
  return out;
}

test("ClipByValue on wasm equals cpu bit for bit over 300 random cases, NaN and −0 passing through", async () => {
  const random = seeded(20261205);
  for (let c = 0; c < 300; c++) {
    const length = c === 299 ? 100_003 : random.int(41);
    const scale = [1e-3, 1, 1e3][c % 3];
    const values = Float32Array.from({ length }, () => (random.int(5) === 0 ? SPECIALS[random.int(SPECIALS.length)] : scale * random.normal()));
    // bounds as doubles (most are not float32 values); equal bounds in one case in ten
    const a = scale * random.normal();
    const b = c % 10 === 0 ? a : scale * random.normal();
    const [lo, hi] = [Math.min(a, b), Math.max(a, b)];
    if (length > 0) values[0] = Math.fround(hi); // a value on a bound
    const [onWasm, onCpu] = [await clipOn("wasm", values, lo, hi), await clipOn("cpu", values, lo, hi)];
    const at = onWasm.findIndex((v, i) => !Object.is(v, onCpu[i]));
    assert.equal(at, -1, `case ${c}: clip ${values[at]} to [${lo}, ${hi}]: wasm ${onWasm[at]}, cpu ${onCpu[at]}`);
  }
});

test("tfjs-layers' cross-entropy of a NaN probability is NaN on wasm, as on cpu (it clips the probabilities)", async () => {
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    const loss = tf.tidy(() => tf.metrics.categoricalCrossentropy(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.2, Number.NaN, 0.3]])).dataSync()[0]);
    assert.ok(Number.isNaN(loss), `${backend}: the loss is NaN, got ${loss}`);
  }
});
