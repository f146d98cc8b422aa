/**
 * Type resolution that does not depend on the working directory.
 *
 * The cell compiler resolves modules and type roots from the notebook's directory, so a notebook
 * outside a Node project would see neither tfjs nor stepwise (nor, without tslab's own copy, `console`). The kernel
 * keeps the real working directory — relative reads and local `.ts` imports work — and overlays its own
 * installation on the filesystem the compiler sees: a virtual `node_modules` at the root of the working
 * directory's drive. TypeScript's Node resolution walks from the working directory up to that root, so every
 * real `node_modules` on the way wins and the kernel's packages are the last fallback — the same order the
 * cells' `require` uses at run time (kernel/modules.ts). Under the virtual `@types` the kernel adds `node`
 * and `stepwise-kernel` (kernel/assets/globals.d.ts: `display`, `input`, `comms`…).
 *
 * The overlay wraps methods of the shared `ts.sys` of `@tslab/typescript-for-tslab`, which the cell
 * compiler's files (kernel/engine/files.ts) read through.
 */
import * as ts from "@tslab/typescript-for-tslab";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { Installation } from "../jupyter/installation";

/** The type package under the virtual `@types` that declares the kernel globals. */
export const GLOBALS_TYPES_NAME = "stepwise-kernel";
const GLOBALS_FILE = "globals.d.ts";

type System = typeof ts.sys;

/** TypeScript's file names use forward slashes on every platform. */
function normalize(file: string): string {
  return file.replace(/\\/g, "/");
}

export interface TypeOverlay {
  /** The virtual `node_modules` directory, e.g. `/node_modules`. */
  readonly virtualNodeModules: string;
  /** The real path a virtual path stands for, or undefined when it is not under the overlay. */
  realPathOf(file: string): string | undefined;
  /** Put the original `ts.sys` methods back. */
  remove(): void;
}

/**
 * Install the overlay on `sys` (default: the shared `ts.sys`) for a cell compiler working in `cwd`. Must run
 * before the compiler is created: it computes the type roots once.
 */
export function overlayInstallation(cwd: string, installation: Installation, sys: System = ts.sys): TypeOverlay {
  const root = normalize(path.parse(path.resolve(cwd)).root);
  const virtualNodeModules = normalize(path.join(root, "node_modules"));
  const virtualTypes = `${virtualNodeModules}/@types`;
  const ownNodeModules = installation.nodeModules.map(normalize).filter((dir) => dir !== virtualNodeModules);
  const packageDirs = new Map<string, string | undefined>();

  /** The kernel's copy of a package: stepwise itself, the globals, or the first in its node_modules lookup. */
  function packageDir(name: string): string | undefined {
    if (packageDirs.has(name)) return packageDirs.get(name);
    let dir: string | undefined;
    if (name === installation.packageName) dir = normalize(installation.packageRoot);
    else if (name === `@types/${GLOBALS_TYPES_NAME}`) dir = normalize(installation.assetsDir);
    else dir = ownNodeModules.map((nodeModules) => `${nodeModules}/${name}`).find(isDirectory);
    packageDirs.set(name, dir);
    return dir;
  }

  function realPathOf(file: string): string | undefined {
    const normalized = normalize(file);
    if (!normalized.startsWith(`${virtualNodeModules}/`)) return undefined;
    const parts = normalized.slice(virtualNodeModules.length + 1).split("/").filter(Boolean);
    const nameLength = parts[0]?.startsWith("@") ? 2 : 1;
    if (parts.length < nameLength) return undefined;
    const name = parts.slice(0, nameLength).join("/");
    const dir = packageDir(name);
    if (!dir) return undefined;
    const inner = parts.slice(nameLength);
    if (name === `@types/${GLOBALS_TYPES_NAME}`) {
      // the globals package holds exactly one declaration file, seen as its index.d.ts
      if (inner.length === 0) return dir;
      return inner.length === 1 && inner[0] === "index.d.ts" ? `${dir}/${GLOBALS_FILE}` : undefined;
    }
    return [dir, ...inner].join("/");
  }

  const original = {
    fileExists: sys.fileExists,
    directoryExists: sys.directoryExists,
    readFile: sys.readFile,
    readDirectory: sys.readDirectory,
    getDirectories: sys.getDirectories,
    realpath: sys.realpath,
  };

  sys.fileExists = (file) => {
    if (original.fileExists(file)) return true;
    const real = realPathOf(file);
    return real !== undefined && original.fileExists(real);
  };
  sys.directoryExists = (dir) => {
    if (original.directoryExists(dir)) return true;
    const normalized = normalize(dir).replace(/\/+$/, "");
    if (normalized === virtualNodeModules || normalized === virtualTypes) return true;
    const real = realPathOf(normalized);
    return real !== undefined && original.directoryExists(real);
  };
  sys.readFile = (file, encoding) => {
    const text = original.readFile(file, encoding);
    if (text !== undefined) return text;
    const real = realPathOf(file);
    return real === undefined ? undefined : original.readFile(real, encoding);
  };
  sys.getDirectories = (dir) => {
    const normalized = normalize(dir).replace(/\/+$/, "");
    const own = original.directoryExists(dir) ? original.getDirectories(dir) : [];
    if (normalized === virtualTypes) {
      // automatic type inclusion: only node and the kernel globals, not every @types the kernel depends on
      const extra = [GLOBALS_TYPES_NAME, ...(packageDir("@types/node") ? ["node"] : [])];
      return [...new Set([...own, ...extra])];
    }
    const real = realPathOf(normalized);
    return real !== undefined && original.directoryExists(real) ? [...new Set([...own, ...original.getDirectories(real)])] : own;
  };
  sys.readDirectory = (dir, extensions, exclude, include, depth) => {
    const real = original.directoryExists(dir) ? undefined : realPathOf(dir);
    if (real === undefined) return original.readDirectory(dir, extensions, exclude, include, depth);
    const base = normalize(dir).replace(/\/+$/, "");
    return original.readDirectory(real, extensions, exclude, include, depth).map((file) => base + normalize(file).slice(real.length));
  };
  sys.realpath = (file) => {
    const real = original.fileExists(file) || original.directoryExists(file) ? undefined : realPathOf(file);
    const target = real ?? file;
    return original.realpath ? original.realpath(target) : target;
  };
  return {
    virtualNodeModules,
    realPathOf,
    remove: () => Object.assign(sys, original),
  };
}

function isDirectory(dir: string): boolean {
  try {
    return existsSync(dir) && statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
