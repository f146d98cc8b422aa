/** Backends: choosing and describing tfjs's backend, and the wasm training kernels. */
export { useBestBackend, type BackendOptions } from "./select";
export { describeBackend, BACKEND_ORDER, type BackendInfo, type BackendName, type SkippedBackend } from "./describe";
export { registerWasmTrainingKernels } from "./kernels/register";
export { startWasm, wasmSetup, defaultWasmThreads, allCoresWasmThreads, type WasmSetup } from "./wasm";
export { probeWebGpu, type ProbeResult, type AdapterDescription } from "./webgpu";
export { silenceCpuBanner } from "./quiet";
