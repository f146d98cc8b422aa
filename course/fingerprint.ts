/**
 * A fingerprint of the code the lessons run: stepwise's version plus a hash of its built library, kernel and
 * wasm module. A cached execution is reused only by the same code, so editing the library without a version
 * bump (the everyday case in this repository) re-runs the lessons instead of showing stale results.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The folders of the build (beside this file's `dist/course`) whose contents the lessons depend on. */
const BUILT_PARTS = ["src", "kernel", "wasm"];

export function codeFingerprint(version: string, distRoot: string = path.join(__dirname, "..")): string {
  const hash = crypto.createHash("sha256");
  for (const part of BUILT_PARTS) {
    for (const file of filesUnder(path.join(distRoot, part))) {
      hash.update(path.relative(distRoot, file)).update("\0").update(fs.readFileSync(file)).update("\0");
    }
  }
  return `${version}+${hash.digest("hex").slice(0, 12)}`;
}

/** Files below `dir` in a stable order; a missing folder has none. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(full) : entry.isFile() && !entry.name.endsWith(".map") ? [full] : [];
    });
}
