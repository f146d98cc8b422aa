/**
 * The native TensorFlow backend ("tensorflow"): `@tensorflow/tfjs-node-gpu` (CUDA), else
 * `@tensorflow/tfjs-node` (CPU). Both are optional dependencies whose install downloads libtensorflow,
 * so either may be missing, or present but unloadable (no libtensorflow, a CUDA mismatch). They are
 * looked up from stepwise's own location and from the working directory (a notebook's project).
 */
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import * as path from "node:path";

export const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

export const NATIVE_INSTALL_HINT =
  "Install it with `npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` " +
  "(NVIDIA GPU with CUDA, Linux); the install downloads libtensorflow, so it needs network access to storage.googleapis.com.";

export type LoadResult = { ok: true; detail: string } | { ok: false; reason: string };

/** Where a package resolves from: stepwise's location first, then the working directory. */
export function resolvePackage(name: string, from: string[] = [__dirname, process.cwd()]): string | undefined {
  for (const dir of from) {
    try {
      return createRequire(path.join(dir, "noop.js")).resolve(name);
    } catch {
      // not there; try the next place
    }
  }
  return undefined;
}

/** Loads the first native package that loads and activates the "tensorflow" backend. */
export async function loadNative(): Promise<LoadResult> {
  const reasons: string[] = [];
  for (const name of NATIVE_PACKAGES) {
    const resolved = resolvePackage(name);
    if (resolved === undefined) {
      reasons.push(`${name} is not installed`);
      continue;
    }
    try {
      require(resolved);
    } catch (error) {
      reasons.push(`${name} is installed but failed to load: ${firstLine(error)}`);
      continue;
    }
    if (!tf.findBackend("tensorflow") && !tf.engine().registryFactory["tensorflow"]) {
      reasons.push(`${name} loaded but registered no "tensorflow" backend (is it the same @tensorflow/tfjs ${tf.version.tfjs}?)`);
      continue;
    }
    if (await tf.setBackend("tensorflow")) return { ok: true, detail: name };
    reasons.push(`${name} loaded but its backend failed to initialise`);
  }
  return { ok: false, reason: reasons.join("; ") };
}

/** Whether the active "tensorflow" backend runs on a CUDA GPU (tfjs-node's `isUsingGpuDevice`). */
export function nativeUsesGpu(): boolean {
  const backend = tf.findBackend("tensorflow") as unknown as { isUsingGpuDevice?: boolean } | null;
  return Boolean(backend?.isUsingGpuDevice);
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].trim();
}
