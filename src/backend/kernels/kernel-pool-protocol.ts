/**
 * What kernel-pool.ts and its workers (kernel-worker.ts) share: the kernels a pool runs and the layout of
 * a worker's control block. Imports nothing, so that a worker loads only this.
 */
import type { MessagePort } from "node:worker_threads";

/** The kernels a pool runs (their index is how a call names its kernel to a worker). */
export const POOL_KERNELS = ["conv2d", "conv2dWinograd", "conv2dFilterGrad", "conv2dFilterGradWinograd", "conv2dInputGradWinograd", "matMul", "maxPool", "maxPoolGrad2x2", "avgPool"] as const;
export type PoolKernel = (typeof POOL_KERNELS)[number];

/** The layout of one worker's control block: Int32 slots, then float64 arguments. */
export const CONTROL = {
  STATE: 0,
  KERNEL: 1,
  ARG_COUNT: 2,
  STATUS: 3,
  /** bytes before the arguments */
  HEADER_BYTES: 16,
  MAX_ARGS: 32,
  /** states */
  IDLE: 0,
  RUN: 1,
  DONE: 2,
  /** the status of a call that trapped, or of any call to a worker that could not start */
  FAILED: -1000,
} as const;

export const CONTROL_BYTES = CONTROL.HEADER_BYTES + CONTROL.MAX_ARGS * 8;

/** What a worker is started with. */
export interface WorkerSetup {
  /** the compiled shared-memory kernels */
  module: object;
  /** the wasm backend's (shared) memory */
  memory: { readonly buffer: ArrayBufferLike };
  /** every worker's control block; this worker's is at `slot` */
  control: SharedArrayBuffer;
  slot: number;
  /** where the worker says why a call failed */
  errors: MessagePort;
}
