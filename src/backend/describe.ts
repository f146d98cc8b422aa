/**
 * What is computing: the backend, the device, the wasm build's SIMD/threads, the tfjs version. The first
 * cell of every lesson shows it; in a notebook it displays as a small table (Deno's/stepwise's
 * `Symbol.for("Jupyter.display")` protocol), elsewhere as a one-line string.
 */
import * as tf from "@tensorflow/tfjs";
import * as os from "node:os";
import { JUPYTER_DISPLAY, type MimeBundle } from "../host";
import { kernelBuild, type KernelBuild } from "./kernels/simd";
import { hostBlasStatus } from "./blas";
import { nativeUsesGpu } from "./native";
import { wasmSetup } from "./wasm";
import { describeAdapter, webGpuAdapter } from "./webgpu";

/** The backends stepwise selects among, in its order of preference. */
export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

export interface SkippedBackend {
  name: BackendName;
  reason: string;
}

export interface BackendInfo {
  /** the active tfjs backend ("tensorflow", "webgpu", "wasm", "cpu", or another registered one) */
  readonly name: string;
  /** what runs the kernels: the GPU's name where known, else the CPU's model */
  readonly device: string;
  /** wasm only: whether the SIMD binary runs (null on other backends) */
  readonly simd: boolean | null;
  /** wasm only: XNNPACK's thread count (null on other backends) */
  readonly threads: number | null;
  /**
   * wasm only: the build of stepwise's own kernels, "relaxed-simd" (fused multiply-add) or "simd"; null on
   * other backends or where the engine lacks wasm SIMD
   */
  readonly kernels: KernelBuild | null;
  /**
   * wasm only: the machine's BLAS that takes the large matrix products (blas.ts), e.g. "OpenBLAS 0.3.21
   * (Haswell kernels), libopenblas.so.0"; null on other backends or where none loads (a note says why)
   */
  readonly blas: string | null;
  readonly tfjsVersion: string;
  /** the backends preferred over this one that useBestBackend could not use, and why */
  readonly skipped: readonly SkippedBackend[];
  /** anything else worth knowing (e.g. why fewer wasm threads run than asked) */
  readonly notes: readonly string[];
  toString(): string;
  [JUPYTER_DISPLAY](): MimeBundle;
}

let lastSkipped: { backend: string; skipped: SkippedBackend[] } | undefined;

/** Records why useBestBackend passed over backends before settling on `backend`. */
export function recordSkipped(backend: string, skipped: SkippedBackend[]): void {
  lastSkipped = { backend, skipped };
}

/** Describes the active backend (initialising tfjs's default one if none is active yet). */
export function describeBackend(): BackendInfo {
  const name = tf.getBackend();
  const notes: string[] = [];
  let device = cpuModel();
  let simd: boolean | null = null;
  let threads: number | null = null;
  let kernels: KernelBuild | null = null;
  let blas: string | null = null;
  if (name === "wasm") {
    const setup = wasmSetup();
    simd = setup.simd;
    threads = setup.threads;
    kernels = kernelBuild() ?? null;
    if (setup.threadsNote) notes.push(setup.threadsNote);
    const host = hostBlasStatus();
    if (host.blas) blas = host.blas.description;
    else notes.push(`matrix products on wasm only: ${host.reason}`);
  } else if (name === "webgpu") {
    const adapter = webGpuAdapter();
    device = adapter ? describeAdapter(adapter) : "a WebGPU adapter";
  } else if (name === "tensorflow") {
    device = nativeUsesGpu() ? "NVIDIA GPU (CUDA, libtensorflow)" : `${cpuModel()} (libtensorflow)`;
  }
  const skipped = lastSkipped?.backend === name ? lastSkipped.skipped : [];
  return new BackendReport(name, device, simd, threads, kernels, blas, tf.version.tfjs, skipped, notes);
}

function cpuModel(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.replace(/\s+/g, " ").trim() || os.arch();
  return `${model}, ${os.availableParallelism()} cores`;
}

class BackendReport implements BackendInfo {
  constructor(
    readonly name: string,
    readonly device: string,
    readonly simd: boolean | null,
    readonly threads: number | null,
    readonly kernels: KernelBuild | null,
    readonly blas: string | null,
    readonly tfjsVersion: string,
    readonly skipped: readonly SkippedBackend[],
    readonly notes: readonly string[],
  ) {}

  private rows(): Array<[string, string]> {
    const rows: Array<[string, string]> = [
      ["backend", this.name],
      ["device", this.device],
    ];
    if (this.simd !== null) rows.push(["wasm", this.wasmSummary()]);
    if (this.blas !== null) rows.push(["products", this.blas]);
    rows.push(["tfjs", this.tfjsVersion]);
    for (const s of this.skipped) rows.push([`not ${s.name}`, s.reason]);
    for (const note of this.notes) rows.push(["note", note]);
    return rows;
  }

  /** "SIMD on, 2 threads, kernels relaxed-simd (FMA)" */
  private wasmSummary(): string {
    const kernels = this.kernels === null ? "" : `, kernels ${this.kernels}${this.kernels === "relaxed-simd" ? " (FMA)" : ""}`;
    return `SIMD ${this.simd ? "on" : "off"}, ${this.threads} thread${this.threads === 1 ? "" : "s"}${kernels}`;
  }

  toString(): string {
    // the library without its file, which ends the description (after the last ", ")
    const cut = this.blas?.lastIndexOf(", ") ?? -1;
    const products = this.blas === null ? "" : `, products on ${cut === -1 ? this.blas : this.blas.slice(0, cut)}`;
    const wasm = this.simd === null ? "" : ` (${this.wasmSummary()}${products})`;
    return `tfjs ${this.tfjsVersion} on ${this.name}${wasm}: ${this.device}`;
  }

  toJSON(): object {
    const { name, device, simd, threads, kernels, blas, tfjsVersion, skipped, notes } = this;
    return { name, device, simd, threads, kernels, blas, tfjsVersion, skipped, notes };
  }

  [JUPYTER_DISPLAY](): MimeBundle {
    const lines = this.rows().map(([k, v]) => `${k.padEnd(16)}${v}`);
    const html = this.rows()
      .map(([k, v]) => `<tr><th style="text-align:left">${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(v)}</td></tr>`)
      .join("");
    return { "text/plain": lines.join("\n"), "text/html": `<table class="stepwise-backend">${html}</table>` };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
