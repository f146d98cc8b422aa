import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The package root: the nearest folder above this module holding package.json (the tests run compiled
 * from dist/test/..., the sources sit in test/...; both are below it).
 */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json in ${__dirname} or any folder above it`);
  }
}
