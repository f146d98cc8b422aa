/**
 * The property that every kernel configuration must have: on wasm (stepwise's kernels and tfjs's) the
 * forward value and every gradient equal tfjs's cpu backend, the independent reference, within a relative
 * tolerance; nothing leaks; and the wasm heap is intact afterwards, so that a kernel writing outside its
 * output fails the case that did it, not a later, unrelated one.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelCase } from "./kernel-space";

/** |wasm − cpu| ≤ RELATIVE_TOLERANCE · max(1, max |cpu|) for every output of a case. */
export const RELATIVE_TOLERANCE = 2e-4;

interface Outputs {
  shapes: number[][];
  values: Float32Array[];
}

interface HeapUser {
  numDataIds(): number;
}

/** Runs `compute` on `backend`; checks it leaks neither engine tensors nor backend buffers. */
async function outputsOn(backend: string, compute: () => tf.Tensor[]): Promise<Outputs> {
  await tf.setBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = (tf.engine().backend as unknown as HeapUser).numDataIds();
  const out = tf.tidy(compute);
  const result = { shapes: out.map((t) => t.shape.slice()), values: out.map((t) => Float32Array.from(t.dataSync())) };
  tf.dispose(out);
  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  const leakedBuffers = (tf.engine().backend as unknown as HeapUser).numDataIds() - buffersBefore;
  if (leakedTensors !== 0 || leakedBuffers !== 0) throw new Error(`${backend}: leaked ${leakedTensors} tensors and ${leakedBuffers} backend buffers`);
  return result;
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The first difference beyond the tolerance, described, or undefined. */
function compare(c: KernelCase, cpu: Outputs, wasm: Outputs): string | undefined {
  if (cpu.values.length !== wasm.values.length) return `cpu gave ${cpu.values.length} outputs, wasm ${wasm.values.length}`;
  for (let o = 0; o < cpu.values.length; o++) {
    const label = c.labels[o] ?? `output ${o}`;
    if (!tf.util.arraysEqual(cpu.shapes[o], wasm.shapes[o])) return `${label}: shape [${wasm.shapes[o]}] on wasm, [${cpu.shapes[o]}] on cpu`;
    const expected = cpu.values[o];
    const actual = wasm.values[o];
    let scale = 1;
    for (const v of expected) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < expected.length; i++) {
      if (Object.is(actual[i], expected[i]) || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) continue;
      const difference = Math.abs(actual[i] - expected[i]);
      if (!(difference <= RELATIVE_TOLERANCE * scale)) {
        return `${label}: element ${i} is ${actual[i]} on wasm, ${expected[i]} on cpu (|Δ| ${difference.toExponential(2)} > ${(RELATIVE_TOLERANCE * scale).toExponential(2)})`;
      }
    }
  }
  return undefined;
}

/**
 * Proof that the wasm heap is intact: sentinel tensors of several sizes, allocated once and spread over
 * the heap, still hold their pattern; fresh allocations and frees of many sizes succeed (a damaged
 * allocator traps); and computations with closed forms give them.
 */
export class HeapCanary {
  private static readonly SIZES = [1, 3, 17, 256, 1000, 4099, 32768];
  private readonly sentinels: tf.Tensor[];

  constructor() {
    if (tf.getBackend() !== "wasm") throw new Error("HeapCanary: make it while wasm is the active backend");
    this.sentinels = HeapCanary.SIZES.map((n) => tf.tensor1d(HeapCanary.pattern(n)));
  }

  private static pattern(n: number): Float32Array {
    return Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1009) - 504.5);
  }

  /** Undefined when the heap is intact, else what was found damaged. Runs on wasm. */
  async check(): Promise<string | undefined> {
    await tf.setBackend("wasm");
    try {
      for (const [k, sentinel] of this.sentinels.entries()) {
        const expected = HeapCanary.pattern(HeapCanary.SIZES[k]);
        const actual = sentinel.dataSync();
        for (let i = 0; i < expected.length; i++) {
          if (actual[i] !== expected[i]) return `sentinel of ${expected.length} floats changed at element ${i} (${actual[i]}, was ${expected[i]})`;
        }
      }
      return tf.tidy(() => {
        for (let n = 1; n <= 4096; n *= 2) {
          // Σ_{i<n} i, exact in float32 below 2^24
          const total = tf.sum(tf.range(0, n)).dataSync()[0];
          if (total !== (n * (n - 1)) / 2) return `Σ 0..${n - 1} gave ${total}`;
        }
        // ones[5, 300] · (0, 1, …, 299)ᵀ = 44,850 in every row
        const product = tf.matMul(tf.ones([5, 300]), tf.range(0, 300).reshape([300, 1])).dataSync();
        if (!product.every((v) => v === 44850)) return `ones · range gave ${Array.from(product)}`;
        return undefined;
      });
    } catch (error) {
      return `the heap check itself failed: ${message(error)}`;
    }
  }

  dispose(): void {
    tf.dispose(this.sentinels);
  }
}

export interface CaseOutcome {
  readonly case: KernelCase;
  /** why the case failed; undefined when it passed */
  readonly failure?: string;
}

/** Runs one case on cpu and wasm, compares, checks its refusal, and checks the heap. */
export async function checkCase(c: KernelCase, canary: HeapCanary): Promise<CaseOutcome> {
  const failures: string[] = [];
  if (c.compute) {
    const compute = c.compute.bind(c);
    failures.push(...(await compareOnBoth(c, compute, c.reference ? c.reference.bind(c) : compute)));
  }
  const refusal = c.refusal;
  if (refusal) {
    try {
      await outputsOn("wasm", () => refusal.compute());
      failures.push(`wasm computed what it must refuse (expected an error matching ${refusal.error})`);
    } catch (error) {
      if (!refusal.error.test(message(error))) failures.push(`wasm refused with an unexpected error: ${message(error)}`);
    }
  }
  const damage = await canary.check();
  if (damage) failures.push(`the wasm heap is damaged after this case: ${damage}`);
  return failures.length > 0 ? { case: c, failure: failures.join("; ") } : { case: c };
}

async function compareOnBoth(c: KernelCase, compute: () => tf.Tensor[], reference: () => tf.Tensor[]): Promise<string[]> {
  let cpu: Outputs;
  try {
    cpu = await outputsOn("cpu", reference);
  } catch (error) {
    return [`cpu refused the configuration (a bug in the case generator): ${message(error)}`];
  }
  try {
    const difference = compare(c, cpu, await outputsOn("wasm", compute));
    return difference ? [difference] : [];
  } catch (error) {
    return [`wasm failed: ${message(error)}`];
  }
}

/** A failure as one paragraph that reproduces it. */
export function describeOutcome(outcome: CaseOutcome, seed: number): string {
  const c = outcome.case;
  return `case ${c.index} (seed ${seed}) ${c.family} ${JSON.stringify(c.config)}: ${outcome.failure ?? "ok"}`;
}
