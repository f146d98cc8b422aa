/** The startup snapshot's plan and what a kernel restored from it learns (entry.ts, build.ts, main.ts). */
import type { Installation } from "../../jupyter/installation";

/** What the builder needs to know, from the process that asked for the snapshot (build.ts). */
export interface SnapshotPlan {
  /** dist/kernel of the stepwise the snapshot is for. */
  kernelDist: string;
  /** Bare module names the engine requires, and the files they resolve to (the compiler). */
  modules: Record<string, string>;
  /** `require.resolve` answers the engine needs (tslab's package.json). */
  resolved: Record<string, string>;
  installation: Installation;
  /** The folder the first programs are built in, as a kernel's working directory. */
  cwd: string;
  /** The cells compiled after the first program, whose imports' declarations are kept. */
  cells: string[];
}

/** What the restored kernel is told about its start (main.ts shows it to tests and the bench). */
export interface SnapshotStart {
  file: string;
  /** Declaration files offered parsed to the engine. */
  seeded: number;
  /** Parsed files dropped because their file changed since the snapshot was built. */
  stale: number;
}
