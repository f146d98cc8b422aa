/**
 * Our own kernel as Jupyter sees it: its kernelspec name, display name, language and kernel.json. The
 * installer (kernel/install.ts) writes this spec, and the runner falls back to it when no "stepwise"
 * kernelspec is installed, so it lives here, below both, rather than in the kernel.
 */
import * as path from "node:path";
import { Installation, currentInstallation } from "./installation";
import { KernelSpec } from "./kernelspec";

export const DEFAULT_KERNEL_NAME = "stepwise";
export const DEFAULT_DISPLAY_NAME = "TypeScript (stepwise)";
export const LANGUAGE = "typescript";

export interface KernelSpecOptions {
  displayName?: string;
  installation?: Installation;
  /** The Node.js that runs the kernel; default: the one running this code. */
  nodePath?: string;
}

/**
 * The kernel.json content. Interrupts: "signal" where POSIX signals exist, because only SIGINT can break a
 * cell stuck in synchronous code (vm's breakOnSigint) — a message cannot be read while the event loop is
 * blocked; the kernel still answers interrupt_request on control. On Windows jupyter_client emulates
 * signals with a Win32 event Node cannot wait on, so there the spec asks for messages.
 */
export function stepwiseKernelSpec(options: KernelSpecOptions = {}): KernelSpec {
  const installation = options.installation ?? currentInstallation();
  return {
    argv: [options.nodePath ?? process.execPath, path.join(installation.packageRoot, "dist", "kernel", "main.js"), "-f", "{connection_file}"],
    display_name: options.displayName ?? DEFAULT_DISPLAY_NAME,
    language: LANGUAGE,
    interrupt_mode: process.platform === "win32" ? "message" : "signal",
    metadata: { debugger: false, stepwise_version: installation.version },
  };
}
