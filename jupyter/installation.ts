/**
 * Where the kernel itself is installed: the stepwise package root (package.json, dist/, kernel/assets) and
 * the node_modules directories its own dependencies resolve from. Notebooks anywhere fall back to these.
 * It sits in jupyter/ because the kernel, its installer and the runner (whose fallback kernelspec points
 * here) all need it, and the runner must not depend on the kernel's internals.
 */
import { readFileSync } from "node:fs";
import Module from "node:module";
import * as path from "node:path";

export interface Installation {
  /** The stepwise package root: holds package.json, dist/ and kernel/assets/. */
  readonly packageRoot: string;
  readonly packageName: string;
  readonly version: string;
  /** node_modules directories the package's own dependencies resolve from, nearest first (Node's lookup order). */
  readonly nodeModules: readonly string[];
  /** kernel/assets: logos and the .d.ts declaring the kernel globals. */
  readonly assetsDir: string;
}

/** The installation this module runs from (dist/jupyter/installation.js → two levels up). */
export function currentInstallation(): Installation {
  return installationAt(path.resolve(__dirname, "..", ".."));
}

export function installationAt(packageRoot: string): Installation {
  const manifestFile = path.join(packageRoot, "package.json");
  let manifest: { name?: unknown; version?: unknown };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
  } catch (error) {
    throw new Error(`stepwise kernel: cannot read its package manifest ${manifestFile}: ${(error as Error).message}`);
  }
  if (typeof manifest.name !== "string" || typeof manifest.version !== "string") {
    throw new Error(`stepwise kernel: ${manifestFile} lacks a name or version`);
  }
  const lookup = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(packageRoot);
  return {
    packageRoot,
    packageName: manifest.name,
    version: manifest.version,
    nodeModules: lookup,
    assetsDir: path.join(packageRoot, "kernel", "assets"),
  };
}

/** The version of an installed package as the kernel resolves it, or "unknown". */
export function packageVersion(name: string, from: Installation): string {
  try {
    const manifest = require(require.resolve(`${name}/package.json`, { paths: [from.packageRoot] })) as { version?: string };
    return manifest.version ?? "unknown";
  } catch {
    return "unknown";
  }
}
