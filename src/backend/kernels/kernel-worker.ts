/**
 * A kernel thread of kernel-pool.ts: an instance of stepwise's shared-memory kernels in the wasm
 * backend's heap, which waits in its control block for a call, runs it, and stores its status.
 */
import { workerData } from "node:worker_threads";
import { CONTROL, CONTROL_BYTES, POOL_KERNELS, type WorkerSetup } from "./kernel-pool-protocol";

interface WebAssemblyApi {
  Instance: new (module: object, imports: object) => { exports: Record<string, (...args: number[]) => number> };
}

const { module: kernelModule, memory, control, errors, slot } = workerData as WorkerSetup;
const base = slot * CONTROL_BYTES;
const state = new Int32Array(control, base, 4);
const args = new Float64Array(control, base + CONTROL.HEADER_BYTES, CONTROL.MAX_ARGS);

let kernels: Record<string, (...args: number[]) => number> | undefined;
let startFailure: string | undefined;
try {
  const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  kernels = new WebAssembly.Instance(kernelModule, { env: { memory } }).exports;
} catch (error) {
  startFailure = `a kernel thread could not start: ${(error as Error).message}`;
}

for (;;) {
  // sleep until the state changes from what it is (IDLE, or DONE until the caller has read the status)
  const now = Atomics.load(state, CONTROL.STATE);
  if (now !== CONTROL.RUN) {
    Atomics.wait(state, CONTROL.STATE, now);
    continue;
  }
  let status: number;
  if (!kernels) {
    status = CONTROL.FAILED;
    errors.postMessage(startFailure);
  } else {
    const name = POOL_KERNELS[state[CONTROL.KERNEL]];
    try {
      status = kernels[name](...args.subarray(0, state[CONTROL.ARG_COUNT]));
    } catch (error) {
      status = CONTROL.FAILED;
      errors.postMessage(`${name} trapped: ${(error as Error).message}`);
    }
  }
  state[CONTROL.STATUS] = status;
  Atomics.store(state, CONTROL.STATE, CONTROL.DONE);
  Atomics.notify(state, CONTROL.STATE);
}
