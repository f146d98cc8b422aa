/**
 * Installing the kernelspec without Python: `kernels/<name>/` with kernel.json and the logos, in the
 * directories `jupyter kernelspec list` reads (jupyter/paths.ts follows jupyter_core's rules).
 *
 * - user (default): `<jupyter data dir>/kernels` ($JUPYTER_DATA_DIR, else the platform's default);
 * - prefix P: `P/share/jupyter/kernels`, as `jupyter kernelspec install --prefix`;
 * - sys-prefix: the active Python environment's prefix ($VIRTUAL_ENV, $CONDA_PREFIX or python3's sys.prefix).
 * The directory is written next to its destination and renamed into place, so a reader never sees half a spec.
 */
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { FoundKernelSpec, KernelSpec, listKernelSpecs, validateKernelName } from "../jupyter/kernelspec";
import { environmentPrefix, jupyterDataDir, jupyterPath } from "../jupyter/paths";
import { Installation, currentInstallation } from "../jupyter/installation";
import { DEFAULT_KERNEL_NAME, stepwiseKernelSpec } from "../jupyter/stepwise-kernelspec";
import { writeFileAtomic } from "../src/util/files";

export const LOGO_FILES = ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"] as const;

export type InstallLocation = { user: true } | { prefix: string } | { sysPrefix: true };

export interface InstallOptions {
  location?: InstallLocation;
  /** Kernel name (the directory under kernels/); default "stepwise". Lower-cased, as jupyter_client does. */
  name?: string;
  displayName?: string;
  env?: Readonly<Record<string, string | undefined>>;
  installation?: Installation;
}

export interface Installed {
  name: string;
  directory: string;
  spec: KernelSpec;
}

/** The kernels/ directory a location stands for. */
export function kernelsDirectory(location: InstallLocation = { user: true }, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if ("prefix" in location) {
    if (!location.prefix) throw new Error("kernel install: --prefix needs a directory");
    return path.join(path.resolve(location.prefix), "share", "jupyter", "kernels");
  }
  if ("sysPrefix" in location) {
    const prefix = environmentPrefix(env);
    if (!prefix) {
      throw new Error(
        "kernel install: --sys-prefix needs a Python environment (set VIRTUAL_ENV or CONDA_PREFIX, or have python3 on PATH); " +
          "use --user or --prefix <dir> instead",
      );
    }
    return path.join(prefix, "share", "jupyter", "kernels");
  }
  return path.join(jupyterDataDir(env), "kernels");
}

export async function installKernelSpec(options: InstallOptions = {}): Promise<Installed> {
  const name = validateKernelName(options.name ?? DEFAULT_KERNEL_NAME).toLowerCase();
  const installation = options.installation ?? currentInstallation();
  const kernels = kernelsDirectory(options.location, options.env);
  const directory = path.join(kernels, name);
  const spec = stepwiseKernelSpec({ displayName: options.displayName, installation });
  const mainScript = spec.argv[1];
  if (!existsSync(mainScript)) throw new Error(`kernel install: ${mainScript} does not exist; build stepwise first (npm run build)`);

  await fs.mkdir(kernels, { recursive: true });
  const staging = path.join(kernels, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  await fs.mkdir(staging);
  try {
    for (const logo of LOGO_FILES) await fs.copyFile(path.join(installation.assetsDir, logo), path.join(staging, logo));
    await writeFileAtomic(path.join(staging, "kernel.json"), `${JSON.stringify(spec, null, 2)}\n`);
    await replaceDirectory(staging, directory);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { name, directory, spec };
}

/** Remove the kernelspec `name` where Jupyter finds it first; returns its directory. */
export async function uninstallKernelSpec(name: string = DEFAULT_KERNEL_NAME, searchPath: string[] = jupyterPath(["kernels"])): Promise<string> {
  const wanted = validateKernelName(name).toLowerCase();
  const found = (await listKernelSpecs(searchPath)).find((spec) => spec.name === wanted);
  if (!found) {
    throw new Error(`kernel uninstall: no kernelspec named "${wanted}" (searched ${searchPath.join(", ")})`);
  }
  await fs.rm(found.resourceDir, { recursive: true, force: true });
  return found.resourceDir;
}

/** `jupyter kernelspec list --json`'s shape. */
export function kernelSpecsJson(specs: readonly FoundKernelSpec[]): { kernelspecs: Record<string, { resource_dir: string; spec: KernelSpec }> } {
  return { kernelspecs: Object.fromEntries(specs.map((s) => [s.name, { resource_dir: s.resourceDir, spec: s.spec }])) };
}

/** `jupyter kernelspec list`'s text: a header, then name and directory, aligned. */
export function kernelSpecsText(specs: readonly FoundKernelSpec[]): string {
  if (specs.length === 0) return "No kernels available\n";
  const width = Math.max(...specs.map((s) => s.name.length));
  return `Available kernels:\n${specs.map((s) => `  ${s.name.padEnd(width)}    ${s.resourceDir}`).join("\n")}\n`;
}

/** Move `staging` to `target`, replacing an existing directory with as short a gap as renames allow. */
async function replaceDirectory(staging: string, target: string): Promise<void> {
  const old = `${target}.${randomBytes(6).toString("hex")}.old`;
  let moved = false;
  if (existsSync(target)) {
    await fs.rename(target, old);
    moved = true;
  }
  try {
    await fs.rename(staging, target);
  } catch (error) {
    if (moved) await fs.rename(old, target);
    throw error;
  }
  if (moved) await fs.rm(old, { recursive: true, force: true });
}
