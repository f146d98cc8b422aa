/**
 * How the kernel describes itself: kernel_info_reply, the kernelspec the installer writes, and the notebook
 * metadata (`kernelspec` + `language_info`) that makes JupyterLab open a notebook with this kernel and
 * highlight its cells as TypeScript.
 *
 * JupyterLab 4 picks the editor language with `findBest(language_info.codemirror_mode ?? {name, mime, ext})`;
 * a string codemirror_mode is looked up by name (case-insensitive, aliases included), so "typescript" selects
 * its TypeScript mode. An object like tslab's `{name: "javascript", typescript: true}` would select plain
 * JavaScript there. Pygments (nbconvert, GitHub) knows the lexer as "typescript".
 */
import * as path from "node:path";
import { HelpLink, KernelInfoReply, LanguageInfo, PROTOCOL_VERSION } from "../jupyter/messages";
import { KernelSpec } from "../jupyter/kernelspec";
import { Installation, currentInstallation, packageVersion } from "./installation";

export const DEFAULT_KERNEL_NAME = "stepwise";
export const DEFAULT_DISPLAY_NAME = "TypeScript (stepwise)";
export const LANGUAGE = "typescript";

/** The TypeScript the kernel compiles with (tslab's fork), read without loading the compiler. */
export function typescriptVersion(installation: Installation = currentInstallation()): string {
  return packageVersion("@tslab/typescript-for-tslab", installation);
}

export function languageInfo(installation: Installation = currentInstallation()): LanguageInfo {
  return {
    name: LANGUAGE,
    version: typescriptVersion(installation),
    mimetype: "text/typescript",
    file_extension: ".ts",
    codemirror_mode: "typescript",
    pygments_lexer: "typescript",
    nbconvert_exporter: "script",
  };
}

export const HELP_LINKS: HelpLink[] = [
  { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
  { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
  { text: "Node.js API", url: "https://nodejs.org/docs/latest-v20.x/api/" },
];

export function kernelInfo(installation: Installation = currentInstallation()): KernelInfoReply {
  const language = languageInfo(installation);
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "stepwise",
    implementation_version: installation.version,
    language_info: language,
    banner:
      `stepwise ${installation.version} — TypeScript ${language.version} on Node.js ${process.versions.node} ` +
      `(engine: tslab ${packageVersion("tslab", installation)})\n` +
      "display(value), display.html/markdown/svg/png/json/bundle/plotly/vegalite, await input(prompt), comms",
    debugger: false,
    help_links: HELP_LINKS,
  };
}

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
export function kernelSpec(options: KernelSpecOptions = {}): KernelSpec {
  const installation = options.installation ?? currentInstallation();
  return {
    argv: [options.nodePath ?? process.execPath, path.join(installation.packageRoot, "dist", "kernel", "main.js"), "-f", "{connection_file}"],
    display_name: options.displayName ?? DEFAULT_DISPLAY_NAME,
    language: LANGUAGE,
    interrupt_mode: process.platform === "win32" ? "message" : "signal",
    metadata: { debugger: false, stepwise_version: installation.version },
  };
}

export interface NotebookMetadata {
  kernelspec: { name: string; display_name: string; language: string };
  language_info: LanguageInfo;
}

/** The `metadata` a notebook for this kernel carries (nbformat 4): `kernelspec` and `language_info`. */
export function notebookMetadata(options: { name?: string; displayName?: string } = {}): NotebookMetadata {
  return {
    kernelspec: { name: options.name ?? DEFAULT_KERNEL_NAME, display_name: options.displayName ?? DEFAULT_DISPLAY_NAME, language: LANGUAGE },
    language_info: languageInfo(),
  };
}
