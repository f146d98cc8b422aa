/**
 * `stepwise kernel install|snapshot|uninstall|list`: manage the Jupyter kernelspec without Python, and the
 * kernel's start-up snapshot (kernel/snapshot).
 *   stepwise kernel install [--user | --prefix <dir> | --sys-prefix] [--name <name>] [--display-name <text>] [--no-snapshot]
 *   stepwise kernel snapshot
 *   stepwise kernel uninstall [--name <name>]
 *   stepwise kernel list [--json]
 */
import { Command } from "commander";
import { listKernelSpecs } from "../jupyter/kernelspec";
import { DEFAULT_DISPLAY_NAME, DEFAULT_KERNEL_NAME } from "../jupyter/stepwise-kernelspec";
import { InstallLocation, installKernelSpec, kernelSpecsJson, kernelSpecsText, uninstallKernelSpec } from "../kernel/install";
import { snapshotsEnabled } from "../kernel/snapshot/blob";
import { buildSnapshot } from "../kernel/snapshot/build";

interface InstallFlags {
  snapshot: boolean;
  user?: boolean;
  prefix?: string;
  sysPrefix?: boolean;
  name: string;
  displayName: string;
}

export function registerKernelCommands(program: Command): void {
  const kernel = program.command("kernel").description("the TypeScript Jupyter kernel: install, uninstall or list kernelspecs; build its start-up snapshot");

  kernel
    .command("install")
    .description("install the kernelspec where Jupyter finds it (default: the user's Jupyter data directory)")
    .option("--user", "install for the current user (default)")
    .option("--prefix <dir>", "install into <dir>/share/jupyter/kernels")
    .option("--sys-prefix", "install into the active Python environment (sys.prefix)")
    .option("--name <name>", "kernel name", DEFAULT_KERNEL_NAME)
    .option("--display-name <text>", "name shown in the launcher and kernel menus", DEFAULT_DISPLAY_NAME)
    .option("--no-snapshot", "do not build the start-up snapshot now (the first kernel then builds it in the background)")
    .action(async (flags: InstallFlags) => {
      const installed = await installKernelSpec({ location: installLocation(flags), name: flags.name, displayName: flags.displayName });
      process.stdout.write(`Installed kernelspec ${installed.name} in ${installed.directory}\n`);
      if (flags.snapshot && snapshotsEnabled()) await reportSnapshot();
    });

  kernel
    .command("snapshot")
    .description("build the kernel's start-up snapshot for this Node.js into the user's cache: the compiler and the declarations of tfjs and stepwise, parsed ahead")
    .action(async () => {
      if (!snapshotsEnabled()) throw new Error("kernel snapshot: STEPWISE_KERNEL_SNAPSHOT=0 turns snapshots off; unset it to build one");
      if (!(await reportSnapshot())) process.exitCode = 1;
    });

  kernel
    .command("uninstall")
    .description("remove an installed kernelspec (the one Jupyter finds first)")
    .option("--name <name>", "kernel name", DEFAULT_KERNEL_NAME)
    .action(async (flags: { name: string }) => {
      const directory = await uninstallKernelSpec(flags.name);
      process.stdout.write(`Removed ${directory}\n`);
    });

  kernel
    .command("list")
    .description("list the kernelspecs Jupyter finds, as `jupyter kernelspec list`")
    .option("--json", "print JSON, as `jupyter kernelspec list --json`")
    .action(async (flags: { json?: boolean }) => {
      const specs = await listKernelSpecs();
      process.stdout.write(flags.json ? `${JSON.stringify(kernelSpecsJson(specs), null, 2)}\n` : kernelSpecsText(specs));
    });
}

/** Build the snapshot and say what came of it; whether it was built. A failure is reported, not thrown: kernels work without. */
async function reportSnapshot(): Promise<boolean> {
  const outcome = await buildSnapshot();
  if (outcome.built) {
    process.stdout.write(`Built the kernel's start-up snapshot ${outcome.file} (${(outcome.bytes / 1e6).toFixed(0)} MB, ${(outcome.ms / 1000).toFixed(1)} s)\n`);
  } else {
    process.stderr.write(`stepwise: no start-up snapshot (${outcome.reason}); kernels start without one\n`);
  }
  return outcome.built;
}

function installLocation(flags: InstallFlags): InstallLocation {
  const chosen = [flags.user && "--user", flags.prefix !== undefined && "--prefix", flags.sysPrefix && "--sys-prefix"].filter(Boolean);
  if (chosen.length > 1) throw new Error(`kernel install: choose one of --user, --prefix and --sys-prefix, got ${chosen.join(" and ")}`);
  if (flags.prefix !== undefined) return { prefix: flags.prefix };
  if (flags.sysPrefix) return { sysPrefix: true };
  return { user: true };
}
