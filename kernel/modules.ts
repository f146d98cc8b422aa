/**
 * The `require` cells run with. Bare specifiers resolve from the notebook's working directory first (its own
 * node_modules and every one above it, as Node does), then from the kernel's installation — `stepwise` is the
 * package itself, tfjs its dependency — matching the compiler's view (kernel/resolution.ts).
 * Local `.ts` files a cell imports are compiled with it ("side outputs", kernel/engine) and loaded from memory.
 * `tslab` is always the kernel's own copy, the one its display hook is set on (kernel/tslab.ts).
 */
import Module from "node:module";
import * as path from "node:path";
import { Installation } from "../jupyter/installation";
import { TSLAB_PUBLIC_MODULE } from "./tslab";

export interface SideOutput {
  /** Absolute path of the emitted `.js` file (next to its `.ts` source). */
  path: string;
  /** CommonJS code. */
  data: string;
}

interface InternalModule {
  filename: string;
  paths: string[];
  exports: unknown;
  require: NodeJS.Require;
  _compile(code: string, filename: string): void;
}
type ModuleConstructor = new (id: string, parent?: unknown) => InternalModule;
const InternalModule = Module as unknown as ModuleConstructor & { _nodeModulePaths(from: string): string[] };

export class CellModules {
  /** The `require` of code typed into cells. */
  readonly require: NodeJS.Require;
  private readonly sideOutputs = new Map<string, string>();
  private readonly loaded = new Map<string, InternalModule>();
  private readonly kernelRequire: NodeJS.Require;

  constructor(
    readonly cwd: string,
    readonly installation: Installation,
  ) {
    this.kernelRequire = Module.createRequire(path.join(installation.packageRoot, "package.json"));
    this.require = this.requireFrom(path.join(cwd, "__cell__.js"));
  }

  /** Newly compiled local modules replace their previous versions (a re-import loads the new code). */
  update(outputs: readonly SideOutput[]): void {
    for (const output of outputs) {
      const file = path.normalize(output.path);
      this.loaded.delete(file);
      this.sideOutputs.set(file, output.data);
    }
  }

  private requireFrom(filename: string): NodeJS.Require {
    const local = Module.createRequire(filename);
    const dir = path.dirname(filename);
    const resolve = ((id: string, options?: { paths?: string[] }) => {
      if (id === "tslab") return TSLAB_PUBLIC_MODULE;
      try {
        return local.resolve(id, options);
      } catch (error) {
        if (!isBareSpecifier(id) || (error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
        try {
          return this.kernelRequire.resolve(id, options);
        } catch {
          throw error;
        }
      }
    }) as NodeJS.RequireResolve;
    resolve.paths = (id: string) => local.resolve.paths(id);
    const require = ((id: string) => {
      const side = this.loadSideModule(dir, id);
      if (side) return side.exports;
      return local(resolve(id));
    }) as NodeJS.Require;
    require.resolve = resolve;
    require.cache = local.cache;
    require.main = local.main;
    require.extensions = local.extensions;
    return require;
  }

  private loadSideModule(dir: string, id: string): InternalModule | undefined {
    if (!id.startsWith("./") && !id.startsWith("../") && !path.isAbsolute(id)) return undefined;
    let file = path.resolve(dir, id);
    if (path.extname(file) === "") file += ".js";
    const cached = this.loaded.get(file);
    if (cached) return cached;
    const code = this.sideOutputs.get(file);
    if (code === undefined) return undefined;
    const module = new InternalModule(file);
    module.filename = file;
    module.paths = InternalModule._nodeModulePaths(path.dirname(file));
    module.require = this.requireFrom(file);
    // registered before running, so import cycles see the partial exports as Node's loader does
    this.loaded.set(file, module);
    try {
      module._compile(code, file);
    } catch (error) {
      this.loaded.delete(file);
      throw error;
    }
    return module;
  }
}

function isBareSpecifier(id: string): boolean {
  return !id.startsWith(".") && !path.isAbsolute(id) && !id.startsWith("node:");
}
