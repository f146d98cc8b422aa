/**
 * One configuration of `backendThroughput`, in a process of its own (the backend and the wasm thread count
 * are fixed per process). Reads a WorkerRequest as JSON from stdin and prints one JSON line: the backend's
 * description and the throughput per model, or `absent` with useBestBackend's reason.
 */
import * as tf from "@tensorflow/tfjs";
import { describeBackend, useBestBackend } from "../backend";
import { trainingThroughput, type ThroughputResult, type WorkerRequest } from "./training-throughput";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  const request = JSON.parse(await readStdin()) as WorkerRequest;
  const { backend, wasmThreads } = request.configuration;
  try {
    await useBestBackend(backend, wasmThreads === undefined ? {} : { wasmThreads });
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ absent: (error as Error).message })}\n`);
    return;
  }
  const info = describeBackend();
  const models: Record<string, ThroughputResult> = {};
  for (const [name, topology] of Object.entries(request.models)) {
    const model = await tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
    models[name] = await trainingThroughput(model, request.options);
    model.dispose();
  }
  const backendInfo = { name: info.name, device: info.device, simd: info.simd, threads: info.threads, notes: [...info.notes] };
  process.stdout.write(`${JSON.stringify({ backend: backendInfo, models })}\n`);
}

main().then(
  () => process.exit(0), // the wasm thread pool's workers are unref()ed, but exit promptly regardless
  (error) => {
    process.stdout.write(`${JSON.stringify({ error: (error as Error).stack ?? String(error) })}\n`);
    process.exit(1);
  },
);
