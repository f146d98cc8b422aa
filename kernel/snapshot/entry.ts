/**
 * The startup snapshot's builder script: `node --snapshot-blob <file> --build-snapshot dist/kernel/snapshot/entry.js`
 * with the plan (build.ts) in STEPWISE_SNAPSHOT_PLAN.
 *
 * It loads the cell compiler and the engine, builds the programs a kernel builds first — the empty one (the
 * compiler's lib, @types/node) and a lesson's first cell (tfjs and stepwise) — and keeps the declaration files
 * they parsed and bound. Node.js then writes the whole heap to the snapshot. A kernel started from it
 * (`node --snapshot-blob <file> -- -f <connection file>`, launch.ts) runs `startFromSnapshot` below: it hands
 * the loaded modules to Node's module loader, offers the parsed files to the engine and starts the kernel as
 * main.js does, without the ~0.7 s of parsing and binding (for ~0.25 s of restoring the heap).
 *
 * While a snapshot is built, Node.js lets a script require only built-in modules (and `node:module` must not
 * be touched until the snapshot is restored), so the compiler and the engine are loaded here by a small
 * CommonJS loader over `vm`, from the files the plan names. Everything else the kernel needs is loaded the
 * usual way after the start.
 *
 * Node.js gives the builder's script `require` alone, no `exports`: build.ts runs this file through a copy
 * that declares one first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import type { Installation } from "../../jupyter/installation";
import type { Converter } from "../engine/converter";
import type { SeededFile } from "../engine/files";
import type { TypeOverlay } from "../resolution";
import type { SnapshotPlan } from "./plan";

interface LoadedModule {
  exports: unknown;
  filename: string;
}

type EngineModule = { Converter: new (cwd: string) => Converter };
type FilesModule = typeof import("../engine/files");
type ResolutionModule = { overlayInstallation(cwd: string, installation: Installation): TypeOverlay };
type HugePagesModule = typeof import("./huge-pages");

/** A CommonJS loader for the few files the snapshot holds: built-ins, the plan's modules and relative paths. */
function createLoader(plan: SnapshotPlan): { load(file: string): unknown; loaded: Map<string, LoadedModule> } {
  const loaded = new Map<string, LoadedModule>();
  function load(file: string): unknown {
    const known = loaded.get(file);
    if (known) return known.exports;
    const module: LoadedModule = { exports: {}, filename: file };
    loaded.set(file, module);
    const source = fs.readFileSync(file, "utf8");
    const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file }) as (
      exports: unknown,
      require: NodeJS.Require,
      module: LoadedModule,
      filename: string,
      dirname: string,
    ) => void;
    const moduleRequire = ((name: string) => {
      if (name.startsWith("node:")) return require(name);
      if (plan.modules[name]) return load(plan.modules[name]);
      if (name.startsWith(".")) return load(withExtension(path.resolve(path.dirname(file), name)));
      // the compiler probes for optional modules (source-map-support, inspector) inside try/catch
      return require(name);
    }) as NodeJS.Require;
    moduleRequire.resolve = ((name: string) => {
      const answer = plan.resolved[name];
      if (answer === undefined) throw new Error(`stepwise kernel snapshot: cannot resolve ${name} from ${file}`);
      return answer;
    }) as NodeJS.RequireResolve;
    wrapper.call(module.exports, module.exports, moduleRequire, module, file, path.dirname(file));
    return module.exports;
  }
  return { load, loaded };
}

function withExtension(file: string): string {
  return file.endsWith(".js") ? file : `${file}.js`;
}

function buildSnapshot(): void {
  const planText = process.env.STEPWISE_SNAPSHOT_PLAN;
  if (!planText) throw new Error("stepwise kernel snapshot: STEPWISE_SNAPSHOT_PLAN is not set (build.ts sets it)");
  const plan = JSON.parse(planText) as SnapshotPlan;
  const { load, loaded } = createLoader(plan);
  const resolution = load(path.join(plan.kernelDist, "resolution.js")) as ResolutionModule;
  const { Converter } = load(path.join(plan.kernelDist, "engine", "converter.js")) as EngineModule;
  const files = load(path.join(plan.kernelDist, "engine", "files.js")) as FilesModule;
  const hugePages = load(path.join(plan.kernelDist, "snapshot", "huge-pages.js")) as HugePagesModule;

  const overlay = resolution.overlayInstallation(plan.cwd, plan.installation);
  let installed: SeededFile[];
  try {
    const converter = new Converter(plan.cwd);
    converter.warm();
    // a cell that fails to check (a package missing) still parsed what it could find
    for (const cell of plan.cells) converter.convert("", cell);
    installed = converter.installedFiles();
    converter.close();
  } finally {
    // the kernel puts its own overlay, for its own working directory
    overlay.remove();
  }
  files.seedInstalledFiles(installed);

  v8.startupSnapshot.setDeserializeMainFunction(() => startFromSnapshot(plan.kernelDist, loaded, files, hugePages));
}

/**
 * The restored process's main: the modules loaded above become the ones Node's loader hands out (one
 * compiler, one engine, whoever requires them), then the kernel starts as main.js starts it.
 */
function startFromSnapshot(kernelDist: string, loaded: Map<string, LoadedModule>, files: FilesModule, hugePages: HugePagesModule): void {
  // the launcher (launch.ts) learns that the snapshot was accepted, and the kernel goes when the launcher goes
  process.send?.({ snapshot: "restored" });
  process.on("disconnect", () => process.exit(0));
  process.channel?.unref();
  // the launcher's GLIBC_TUNABLES back, for the processes cells start (launch.ts added huge-page malloc)
  hugePages.restoreTunables();

  // `node:module` may be used now that the process is restored
  const Module = require("node:module") as typeof import("node:module") & {
    _nodeModulePaths(dir: string): string[];
    _cache: Record<string, unknown>;
  };
  for (const [file, loadedModule] of loaded) {
    const module = new Module(file);
    module.filename = file;
    module.paths = Module._nodeModulePaths(path.dirname(file));
    module.exports = loadedModule.exports;
    module.loaded = true;
    Module._cache[file] = module;
  }
  // Node.js leaves Error.stackTraceLimit out of a snapshot; a cell's traceback needs it (V8's default, or the flag's)
  if (typeof Error.stackTraceLimit !== "number") {
    const flag = /^--stack-trace-limit=(\d+)$/.exec(process.execArgv.find((arg) => arg.startsWith("--stack-trace-limit=")) ?? "");
    Error.stackTraceLimit = flag ? Number(flag[1]) : 10;
  }
  const seeded = files.seededCount();
  const stale = files.dropChangedSeeds();
  const at = process.execArgv.indexOf("--snapshot-blob");
  const file = at >= 0 ? (process.execArgv[at + 1] ?? "") : "";
  const kernelMain = Module.createRequire(path.join(kernelDist, "main.js"))("./main.js") as typeof import("../main");
  kernelMain.startKernel(process.argv.slice(1), { snapshot: { file, seeded, stale } }).catch(kernelMain.reportFatal);
}

if (v8.startupSnapshot.isBuildingSnapshot()) buildSnapshot();
