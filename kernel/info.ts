/**
 * How the kernel describes itself in kernel_info_reply: its implementation, banner and `language_info`
 * (the kernelspec the installer writes is jupyter/stepwise-kernelspec.ts).
 *
 * JupyterLab 4 picks the editor language with `findBest(language_info.codemirror_mode ?? {name, mime, ext})`;
 * a string codemirror_mode is looked up by name (case-insensitive, aliases included), so "typescript" selects
 * its TypeScript mode. An object like tslab's `{name: "javascript", typescript: true}` would select plain
 * JavaScript there. Pygments (nbconvert, GitHub) knows the lexer as "typescript".
 */
import { HelpLink, KernelInfoReply, LanguageInfo, PROTOCOL_VERSION } from "../jupyter/messages";
import { Installation, currentInstallation, packageVersion } from "../jupyter/installation";
import { LANGUAGE } from "../jupyter/stepwise-kernelspec";

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
    supported_features: ["iopub_welcome"],
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
