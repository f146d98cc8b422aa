/**
 * WebGPU in Node through Dawn: the `webgpu` npm package (an optional dependency; ESM) provides
 * `create(flags)`, a `navigator.gpu` equivalent, and the WebGPU globals (GPUBufferUsage, ...) that
 * `@tensorflow/tfjs-backend-webgpu` expects from a browser.
 *
 * Finding out whether a GPU adapter exists is done in a child process: Dawn prints warnings straight to
 * the process's stderr when a driver is missing (e.g. "Couldn't load Vulkan: libvulkan.so.1 ..."), which no
 * JavaScript can silence, and a broken driver can crash the process that asks. The probe costs one short
 * Node start (~50 ms) and is cached; only when it finds an adapter is Dawn loaded in this process and the
 * backend registered with that `navigator.gpu`.
 */
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { firstLine, resolvePackage, type LoadResult } from "./native";

export const WEBGPU_INSTALL_HINT =
  "It needs the `webgpu` package (`npm install webgpu`, Dawn for Node) and a GPU whose driver Dawn can use " +
  "(Vulkan on Linux, e.g. `apt-get install libvulkan1` plus the GPU vendor's Vulkan driver; Metal on macOS; D3D12 on Windows).";

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export type ProbeResult = { adapter: AdapterDescription } | { adapter: null; reason: string };

let probed: ProbeResult | undefined;

const PROBE_SCRIPT = `
const url = process.argv[1];
const say = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
import(url).then(async ({ create }) => {
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) say({ adapter: null });
  const i = adapter.info || {};
  say({ adapter: { vendor: i.vendor || "", architecture: i.architecture || "", device: i.device || "", description: i.description || "" } });
}).catch((e) => say({ error: String((e && e.message) || e) }));
`;

/** Whether Dawn finds a GPU adapter (cached for the process). */
export function probeWebGpu(): ProbeResult {
  if (probed) return probed;
  const entry = resolvePackage("webgpu");
  if (entry === undefined) return (probed = { adapter: null, reason: "the `webgpu` package is not installed" });
  const child = spawnSync(process.execPath, ["-e", PROBE_SCRIPT, pathToFileURL(entry).href], {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const said = (child.stderr ?? "").trim();
  let answer: { adapter?: AdapterDescription | null; error?: string } = {};
  try {
    answer = JSON.parse(child.stdout);
  } catch {
    const how = child.error ? firstLine(child.error) : child.signal ? `killed by ${child.signal}` : `exit code ${child.status}`;
    return (probed = { adapter: null, reason: `the WebGPU probe failed (${how})${said ? `: ${firstLine(said)}` : ""}` });
  }
  if (answer.adapter) return (probed = { adapter: answer.adapter });
  const why = answer.error ?? (said ? `Dawn found no GPU adapter (${dawnMessage(said)})` : "Dawn found no GPU adapter");
  return (probed = { adapter: null, reason: why });
}

/** Dawn's warning without its source location lines. */
function dawnMessage(stderr: string): string {
  return stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("at "))
    .map((line) => line.replace(/^Warning:\s*/, ""))
    .join("; ");
}

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

let adapterInUse: AdapterDescription | undefined;

/** Registers and activates tfjs's "webgpu" backend on Dawn's GPU, if the probe found one. */
export async function loadWebGpu(): Promise<LoadResult> {
  const probe = probeWebGpu();
  if (probe.adapter === null) return { ok: false, reason: probe.reason };
  try {
    if (!tf.engine().registryFactory["webgpu"]) {
      const entry = resolvePackage("webgpu")!;
      const dawn = (await import(pathToFileURL(entry).href)) as DawnModule;
      Object.assign(globalThis, dawn.globals);
      const gpu = dawn.create([]);
      const scope = globalThis as { navigator?: { gpu?: unknown } };
      if (scope.navigator === undefined) {
        Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
      } else if (!scope.navigator.gpu) {
        Object.defineProperty(scope.navigator, "gpu", { value: gpu, configurable: true });
      }
      require("@tensorflow/tfjs-backend-webgpu"); // registers "webgpu" now that navigator.gpu exists
    }
    if (!(await tf.setBackend("webgpu"))) return { ok: false, reason: "tfjs's webgpu backend failed to initialise on Dawn" };
  } catch (error) {
    return { ok: false, reason: `loading WebGPU failed: ${firstLine(error)}` };
  }
  adapterInUse = probe.adapter;
  return { ok: true, detail: describeAdapter(probe.adapter) };
}

export function webGpuAdapter(): AdapterDescription | undefined {
  return adapterInUse;
}

export function describeAdapter(a: AdapterDescription): string {
  const name = a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(" ");
  return name || "a WebGPU adapter";
}
