/**
 * One backend's measurements for `npm run bench`, in its own process (the backend choice is process-wide):
 *
 *   node dist/bench/train-worker.js <backend> <mlp|cnn> [variant ...]
 *
 * Runs every variant of VARIANTS, or only those named (main.ts's runs in turns with PyTorch take the two
 * that it compares). Prints one JSON line. Protocol of shared/peers/torch_bench.py: 2048 random samples, batch 64, Adam, one
 * warm-up epoch, then rounds of 2 timed epochs; samples/s = 2·2048 / seconds, the median of 5 rounds. Every
 * variant trains through `model.fit` unless its loop is `sw.fit`, so between tfjs's Adam and stepwise's only the
 * optimizer differs.
 */
import * as tf from "@tensorflow/tfjs";
import { useBestBackend, type BackendName } from "../src/backend";
import { adam, type Optimizer } from "../src/optim";
import { fit as swFit } from "../src/train";
import { benchData, buildModel, type ModelName } from "./models";

const N = 2048;
const BATCH = 64;
const EPOCHS = 2;

interface Variant {
  optimizer: () => tf.Optimizer & { fitCallback?: () => tf.CustomCallbackArgs };
  batchSize: number;
  /** the training loop: tfjs-layers' `model.fit` (the default) or stepwise's `sw.fit` */
  loop?: "sw.fit";
}

const VARIANTS: Record<string, Variant> = {
  "tf.train.adam": { optimizer: () => tf.train.adam(1e-3), batchSize: BATCH },
  "stepwise adam": { optimizer: () => adam({ lr: 1e-3 }), batchSize: BATCH },
  "stepwise adam, 4 × 16 accumulated": { optimizer: () => adam({ lr: 1e-3, accumulate: { steps: 4 } }), batchSize: BATCH / 4 },
  // the same micro-batches without accumulation: what running batches of 16 costs by itself
  "stepwise adam, batch 16": { optimizer: () => adam({ lr: 1e-3 }), batchSize: BATCH / 4 },
  "sw.fit, stepwise adam": { optimizer: () => adam({ lr: 1e-3 }), batchSize: BATCH, loop: "sw.fit" },
  "sw.fit, 4 × 16 accumulated": { optimizer: () => adam({ lr: 1e-3, accumulate: { steps: 4 } }), batchSize: BATCH / 4, loop: "sw.fit" },
};

interface Prepared {
  fit: (epochs: number) => Promise<unknown>;
  dispose: () => void;
}

function prepare(model: ModelName, variant: Variant, data: { x: tf.Tensor; y: tf.Tensor; labels: tf.Tensor }): Prepared {
  const net = buildModel(model);
  const optimizer = variant.optimizer();
  if (variant.loop === "sw.fit") {
    const options = { optimizer: optimizer as Optimizer, loss: "sparseCategoricalCrossentropy" as const, data: { x: data.x, y: data.y } };
    return {
      fit: (epochs) => swFit(net, { ...options, batchSize: variant.batchSize, shuffle: false, progress: "none", epochs }),
      dispose: () => net.dispose(),
    };
  }
  net.compile({ optimizer, loss: "sparseCategoricalCrossentropy" });
  const callbacks = optimizer.fitCallback ? [optimizer.fitCallback()] : [];
  return {
    fit: (epochs) => net.fit(data.x, data.labels, { batchSize: variant.batchSize, shuffle: false, verbose: 0, callbacks, epochs }),
    dispose: () => net.dispose(),
  };
}

const REPEATS = 5;

/**
 * Each variant warms up for one epoch, then the variants take turns: REPEATS rounds of EPOCHS timed epochs
 * each, so a slow moment of the machine hits every variant alike; the median round counts. Peak bytes come
 * from tf.profile over one more epoch.
 */
async function measureAll(model: ModelName, names: readonly string[]): Promise<Record<string, { samplesPerSecond: number; peakBytes: number; rounds: number[] }>> {
  const { x, y } = benchData(model, N);
  // tfjs's sparseCategoricalCrossentropy expects float labels shaped [N, 1]
  const labels = tf.tidy(() => y.toFloat().reshape([N, 1]));
  const prepared = Object.fromEntries(names.map((name) => [name, prepare(model, VARIANTS[name], { x, y, labels })]));
  for (const p of Object.values(prepared)) await p.fit(1);
  const rounds: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < REPEATS; r++) {
    for (const [name, p] of Object.entries(prepared)) {
      const started = performance.now();
      await p.fit(EPOCHS);
      rounds[name].push((EPOCHS * N) / ((performance.now() - started) / 1000));
    }
  }
  const results: Record<string, { samplesPerSecond: number; peakBytes: number; rounds: number[] }> = {};
  for (const [name, p] of Object.entries(prepared)) {
    const profile = await tf.profile(async () => {
      await p.fit(1);
    });
    const sorted = [...rounds[name]].sort((a, b) => a - b);
    results[name] = { samplesPerSecond: sorted[Math.floor(sorted.length / 2)], peakBytes: profile.peakBytes, rounds: rounds[name].map(Math.round) };
    p.dispose();
  }
  tf.dispose([x, y, labels]);
  return results;
}

async function main(): Promise<void> {
  const [backend, model, ...named] = process.argv.slice(2) as [BackendName, ModelName, ...string[]];
  const unknown = named.filter((name) => !(name in VARIANTS));
  if (unknown.length > 0) throw new Error(`train-worker: no variant ${unknown.map((name) => JSON.stringify(name)).join(", ")}; the variants are ${Object.keys(VARIANTS).map((name) => JSON.stringify(name)).join(", ")}`);
  let info;
  try {
    info = await useBestBackend(backend);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ backend, model, skipped: (error as Error).message })}\n`);
    return;
  }
  const results = await measureAll(model, named.length > 0 ? named : Object.keys(VARIANTS));
  process.stdout.write(`${JSON.stringify({ backend, model, device: info.toString(), results })}\n`);
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).stack ?? String(error) })}\n`);
  process.exitCode = 1;
});
