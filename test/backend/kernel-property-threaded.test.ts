/**
 * The kernel space (kernel-space-suite.ts) on tfjs's threaded wasm binary, 2 threads: the binary a machine of
 * more than two cores runs by default, while kernel-property.test.ts runs this machine's default (the
 * single-threaded binary on two cores or fewer). XNNPACK's kernels and stepwise's split ones differ between the
 * two binaries; both must equal cpu.
 */
import { before } from "node:test";
import assert from "node:assert/strict";
import { registerWasmTrainingKernels, startWasm } from "../../src/backend";
import { describeKernelSpace } from "./kernel-space-suite";

before(async () => {
  const setup = await startWasm(2);
  registerWasmTrainingKernels();
  assert.equal(setup.threads, 2, setup.threadsNote);
});

describeKernelSpace("2 threads", 20261203, 1000);
