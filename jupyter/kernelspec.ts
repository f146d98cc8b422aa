/**
 * Kernel specs: `kernels/<name>/kernel.json` under the Jupyter data directories.
 * https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs
 */
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { jupyterPath } from "./paths";
import { JsonObject } from "./messages";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode?: "signal" | "message";
  env?: Record<string, string>;
  metadata?: JsonObject;
}

export interface FoundKernelSpec {
  name: string;
  /** The directory holding kernel.json (and logos). */
  resourceDir: string;
  spec: KernelSpec;
}

/** Kernel names are what jupyter_client accepts: letters, digits, `.`, `_` and `-`. */
export function validateKernelName(name: string): string {
  if (!/^[a-z0-9._-]+$/i.test(name)) {
    throw new Error(`kernel name must use only letters, digits, ".", "_" and "-", got ${JSON.stringify(name)}`);
  }
  return name;
}

export function parseKernelSpec(text: string, file: string): KernelSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`kernel spec ${file}: ${(error as Error).message}`);
  }
  const spec = raw as Partial<KernelSpec> | null;
  if (!spec || typeof spec !== "object") throw new Error(`kernel spec ${file}: must be a JSON object`);
  if (!Array.isArray(spec.argv) || spec.argv.length === 0 || !spec.argv.every((a) => typeof a === "string")) {
    throw new Error(`kernel spec ${file}: argv must be a non-empty array of strings`);
  }
  if (typeof spec.display_name !== "string") throw new Error(`kernel spec ${file}: display_name must be a string`);
  if (typeof spec.language !== "string") throw new Error(`kernel spec ${file}: language must be a string`);
  if (spec.interrupt_mode !== undefined && spec.interrupt_mode !== "signal" && spec.interrupt_mode !== "message") {
    throw new Error(`kernel spec ${file}: interrupt_mode must be "signal" or "message"`);
  }
  return spec as KernelSpec;
}

/** Every installed kernel spec, the first found winning for a name (as `jupyter kernelspec list`). */
export async function listKernelSpecs(searchPath: string[] = jupyterPath(["kernels"])): Promise<FoundKernelSpec[]> {
  const found = new Map<string, FoundKernelSpec>();
  for (const dir of searchPath) {
    let entries: string[];
    try {
      entries = await fs.readdir(dir);
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      const name = entry.toLowerCase();
      const file = path.join(dir, entry, "kernel.json");
      if (found.has(name) || !existsSync(file)) continue;
      found.set(name, { name, resourceDir: path.join(dir, entry), spec: parseKernelSpec(await fs.readFile(file, "utf8"), file) });
    }
  }
  return [...found.values()];
}

/** The kernel spec of that name, or an error listing the ones that are installed. */
export async function findKernelSpec(name: string, searchPath: string[] = jupyterPath(["kernels"])): Promise<FoundKernelSpec> {
  const specs = await listKernelSpecs(searchPath);
  const spec = specs.find((s) => s.name === name.toLowerCase());
  if (!spec) {
    const known = specs.map((s) => s.name).join(", ") || "none";
    throw new Error(`no kernel spec named "${name}" (installed: ${known}; searched ${searchPath.join(", ")})`);
  }
  return spec;
}
