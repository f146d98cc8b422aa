/**
 * Transpose on wasm against tfjs's cpu backend, bit for bit: the swaps of the last two axes that stepwise's
 * blocked kernel takes (src/backend/kernels/transpose.ts), over random shapes whose sides are and are not
 * multiples of its 4 × 4 blocks and 32 × 32 tiles, float32 with NaN of both signs, ±∞ and −0, and int32; and
 * the permutations and dtypes it hands to the backend's own kernel.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seeded, setUpWasm } from "./helpers";
import { matrixSwap } from "../../src/backend/kernels/transpose";

before(setUpWasm);

/** Every element's bits, so that NaN payloads and −0 count. */
function bitsOn(backend: string, values: Float32Array | Int32Array, shape: number[], perm: number[]): Promise<Uint32Array> {
  return tf.setBackend(backend).then(() => {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => tf.transpose(tf.tensor(values, shape, values instanceof Int32Array ? "int32" : "float32"), perm));
    const data = out.dataSync();
    const bits = new Uint32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    out.dispose();
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
    return bits;
  });
}

const SPECIAL_BITS = [0x7fc00000, 0xffc00000, 0x7f800000, 0xff800000, 0x80000000];

test("Transpose on wasm equals cpu bit for bit over 300 random shapes and permutations", async () => {
  const random = seeded(20261202);
  let swapped = 0;
  for (let c = 0; c < 300; c++) {
    const rank = 2 + random.int(3);
    const large = random.int(6) === 0;
    const shape = Array.from({ length: rank }, (_, i) => (i >= rank - 2 && large ? 30 + random.int(80) : random.int(8) === 0 ? random.int(2) : 1 + random.int(9)));
    // two cases in three: the last two axes swapped (stepwise's kernel); else any permutation
    const swap = random.int(3) !== 0;
    const perm = swap ? [...Array(rank - 2).keys(), rank - 1, rank - 2] : random.shuffle(Array.from({ length: rank }, (_, i) => i));
    const n = tf.util.sizeFromShape(shape);
    const int = random.int(4) === 0;
    const values = int ? Int32Array.from({ length: n }, () => random.int(1 << 30) - (1 << 29)) : new Float32Array(n);
    if (!int) {
      const bits = new Uint32Array(values.buffer);
      for (let i = 0; i < n; i++) {
        if (random.int(10) === 0) bits[i] = SPECIAL_BITS[random.int(SPECIAL_BITS.length)];
        else (values as Float32Array)[i] = random.normal();
      }
    }
    if (matrixSwap(shape, perm)) swapped++;
    const cpu = await bitsOn("cpu", values, shape, perm);
    const wasm = await bitsOn("wasm", values, shape, perm);
    const at = wasm.findIndex((v, i) => v !== cpu[i]);
    assert.ok(
      wasm.length === cpu.length && at === -1,
      `case ${c}: ${int ? "int32" : "float32"} [${shape}] perm [${perm}]: element ${at} is 0x${wasm[at]?.toString(16)} on wasm, 0x${cpu[at]?.toString(16)} on cpu`,
    );
  }
  assert.ok(swapped >= 150, `${swapped} of 300 cases took stepwise's kernel`);
});

test("matrixSwap takes exactly the permutations that keep the leading axes and swap the last two", () => {
  assert.deepEqual(matrixSwap([3, 5], [1, 0]), { batch: 1, rows: 3, cols: 5 });
  assert.deepEqual(matrixSwap([2, 3, 4, 5], [0, 1, 3, 2]), { batch: 6, rows: 4, cols: 5 });
  assert.equal(matrixSwap([2, 3, 4], [1, 0, 2]), undefined);
  assert.equal(matrixSwap([2, 3, 4], [2, 1, 0]), undefined);
  assert.equal(matrixSwap([2, 3, 4], [0, 1, 2]), undefined);
  assert.equal(matrixSwap([7], [0]), undefined);
});
