/** Shared by the backend tests: seeded data, running one computation on cpu and on wasm, closeness. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { rng, type Rng } from "../../src/data";
import { registerWasmTrainingKernels, startWasm } from "../../src/backend";

/** Starts wasm (as useBestBackend would: default threads, training kernels registered). */
export async function setUpWasm(): Promise<void> {
  await startWasm();
  registerWasmTrainingKernels();
}

export function normals(random: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => random.normal());
}

export function seeded(seed: number): Rng {
  return rng(seed, 7);
}

/**
 * Runs `compute` under backend `name` and returns each output's values. Checks that it leaks neither
 * tensors nor backend buffers (composed kernels hold intermediates the engine does not track).
 */
export async function valuesOn(name: string, compute: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(name);
  const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
  const out = tf.tidy(compute);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  assert.equal(tf.memory().numTensors, before.tensors, `${name}: tensors leaked`);
  assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${name}: backend buffers leaked`);
  return values;
}

/** `compute` under cpu, then under wasm; inside, tensors come from plain arrays, so both see the same inputs. */
export async function onCpuAndWasm(compute: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const cpu = await valuesOn("cpu", compute);
  const wasm = await valuesOn("wasm", compute);
  return { cpu, wasm };
}

/** max |a − b| ≤ tol · max(1, max |b|), elementwise over equally long arrays. */
export function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= tol * scale, `${what}: |Δ| = ${worst} at ${at} (${actual[at]} vs ${expected[at]}), allowed ${tol * scale}`);
}

export function assertAllClose(results: { cpu: Float32Array[]; wasm: Float32Array[] }, tol: number, what: string): void {
  results.cpu.forEach((expected, i) => assertClose(results.wasm[i], expected, tol, `${what} [output ${i}]`));
}
