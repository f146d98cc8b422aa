/**
 * Running stepwise's SIMD kernels on several threads at once, on tfjs's threaded wasm build.
 *
 * That build's heap is a shared WebAssembly memory, and XNNPACK's pthreads already work in it. stepwise's
 * kernels (assembly/index.ts) own no memory, so any number of instances of the shared-memory binary can
 * work in the heap side by side: a kernel splits its work into independent calls (images of a batch, row
 * blocks of a product) that write disjoint parts of the output, runs the first on the calling thread and
 * the others on worker threads, and returns when all are done. The calling thread blocks meanwhile, as
 * it does in XNNPACK's own parallel kernels: a kernel is synchronous in tfjs.
 *
 * The hand-off is a control block in a SharedArrayBuffer per worker: arguments, then RUN stored and
 * notified; the worker calls its instance and stores its status and DONE. No message crosses the event
 * loop, so a call costs a futex wake-up (tens of microseconds); kernels split only work well above that
 * (see `worthSplitting`). The pool has as many threads as XNNPACK's (tfjs's `getThreadsCount()`), the
 * calling thread among them, and its workers are unref()ed: they never keep a process alive.
 */
import * as path from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { CONTROL, CONTROL_BYTES, POOL_KERNELS, type PoolKernel, type WorkerSetup } from "./kernel-pool-protocol";
import type { WasmBackendLike } from "./scope";
import { backendMemory, compiledKernels, isShared, kernelBuild, simdKernels, type KernelBuild, type SimdKernels, type WasmMemory } from "./simd";

export type { PoolKernel } from "./kernel-pool-protocol";

/**
 * Whether work of `multiplyAdds` multiply-adds (or element visits) is worth handing to other threads: a
 * hand-off costs tens of microseconds, a million multiply-adds about fifty on one thread.
 */
export function worthSplitting(multiplyAdds: number): boolean {
  return multiplyAdds >= 1 << 21;
}

/** [start, count] of `parts` near-equal, non-empty ranges of [0, total), each a multiple of `step` but the last. */
export function splitRange(total: number, parts: number, step = 1): Array<[number, number]> {
  const units = Math.ceil(total / step);
  const count = Math.max(1, Math.min(parts, units));
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = Math.min(total, Math.round(((i + 1) * units) / count) * step);
    if (end > start) ranges.push([start, end - start]);
    start = end;
  }
  return ranges;
}

/** One call of a kernel with its arguments (heap offsets, sizes, scalars: all exact in a float64). */
export interface KernelCall {
  kernel: PoolKernel;
  args: number[];
}

export interface KernelPool {
  /** threads that run calls at once, the calling thread included */
  readonly threads: number;
  /** how many times calls have run on it */
  readonly runs: number;
  /** Runs the calls at once, the first on this thread; returns each call's status (0: ran). */
  run(calls: readonly KernelCall[]): number[];
}

/** How long a call waits for a worker before it gives up on the pool (ms). */
const WORKER_TIMEOUT_MS = 120_000;

class WorkerPool implements KernelPool {
  /** per worker, the port on which it says why a call failed */
  private readonly errors: MessagePort[] = [];
  private readonly control: SharedArrayBuffer;
  private broken: string | undefined;
  runs = 0;

  constructor(
    private readonly local: SimdKernels,
    module: object,
    memory: WasmMemory,
    readonly threads: number,
  ) {
    this.control = new SharedArrayBuffer(CONTROL_BYTES * (threads - 1));
    for (let slot = 0; slot < threads - 1; slot++) {
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = { module, memory, control: this.control, errors: port2, slot };
      new Worker(path.join(__dirname, "kernel-worker.js"), { workerData: setup, transferList: [port2] }).unref();
      port1.unref();
      this.errors.push(port1);
    }
  }

  run(calls: readonly KernelCall[]): number[] {
    if (this.broken) throw new Error(`stepwise: the kernel threads stopped earlier (${this.broken})`);
    if (calls.length === 0) return [];
    if (calls.length > this.threads) throw new Error(`stepwise: ${calls.length} calls for a pool of ${this.threads} threads`);
    this.runs++;
    const states: Int32Array[] = [];
    for (let i = 1; i < calls.length; i++) {
      const { kernel, args } = calls[i];
      if (args.length > CONTROL.MAX_ARGS) throw new Error(`stepwise: ${kernel} has ${args.length} arguments, more than a worker takes`);
      const base = (i - 1) * CONTROL_BYTES;
      const state = new Int32Array(this.control, base, 4);
      new Float64Array(this.control, base + CONTROL.HEADER_BYTES, CONTROL.MAX_ARGS).set(args);
      state[CONTROL.KERNEL] = POOL_KERNELS.indexOf(kernel);
      state[CONTROL.ARG_COUNT] = args.length;
      Atomics.store(state, CONTROL.STATE, CONTROL.RUN);
      Atomics.notify(state, CONTROL.STATE, 1);
      states.push(state);
    }
    const first = calls[0];
    const statuses = [(this.local[first.kernel] as (...args: number[]) => number)(...first.args)];
    for (const state of states) {
      while (Atomics.load(state, CONTROL.STATE) === CONTROL.RUN) {
        if (Atomics.wait(state, CONTROL.STATE, CONTROL.RUN, WORKER_TIMEOUT_MS) === "timed-out") {
          this.broken = `a worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s`;
          throw new Error(`stepwise: ${this.broken}`);
        }
      }
      statuses.push(state[CONTROL.STATUS]);
      Atomics.store(state, CONTROL.STATE, CONTROL.IDLE);
    }
    const failed = statuses.indexOf(CONTROL.FAILED);
    if (failed > 0) {
      const message = receiveMessageOnPort(this.errors[failed - 1])?.message as string | undefined;
      this.broken = message ?? "a worker failed";
      throw new Error(`stepwise ${calls[failed].kernel}: a kernel thread failed: ${this.broken}`);
    }
    return statuses;
  }
}

const pools = new WeakMap<WasmMemory, Map<KernelBuild, KernelPool>>();

/**
 * The pool for `backend`'s heap and the kernels' current build; undefined where it would have one thread
 * (tfjs's single-threaded build, whose memory is not shared) or the runtime lacks wasm SIMD.
 */
export function kernelPool(backend: WasmBackendLike): KernelPool | undefined {
  const build = kernelBuild();
  const memory = backendMemory(backend);
  if (!build || !isShared(memory)) return undefined;
  const threads = xnnpackThreads();
  if (threads < 2) return undefined;
  let byBuild = pools.get(memory);
  if (!byBuild) pools.set(memory, (byBuild = new Map()));
  let pool = byBuild.get(build);
  if (!pool) {
    const module = compiledKernels(build, true);
    const local = simdKernels(backend);
    if (!module || !local) return undefined;
    pool = new WorkerPool(local, module, memory, threads);
    byBuild.set(build, pool);
  }
  return pool;
}

function xnnpackThreads(): number {
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { getThreadsCount(): number };
  return Math.max(1, wasm.getThreadsCount());
}

/**
 * Runs one kernel: here with the `whole` arguments, or, given a pool, as one call per range of `total`
 * units (images, rows; ranges a multiple of `step` units) with `part(start, count)`'s arguments, each
 * writing its own part of the output. Returns the status, as the kernel does: 0, or the first refusal.
 * Pass a pool only when the whole buffers are as large as the geometry needs (a part checks only its own).
 */
export function runInParts(
  kernels: SimdKernels,
  pool: KernelPool | undefined,
  kernel: PoolKernel,
  whole: readonly number[],
  total: number,
  part: (start: number, count: number) => number[],
  step = 1,
): number {
  const ranges = pool ? splitRange(total, pool.threads, step) : [];
  if (!pool || ranges.length < 2) return (kernels[kernel] as (...args: number[]) => number)(...whole);
  const statuses = pool.run(ranges.map(([start, count]) => ({ kernel, args: part(start, count) })));
  return statuses.find((status) => status !== 0) ?? 0;
}
