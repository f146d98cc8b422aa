/**
 * The PyTorch reference file (shared/golden/pytorch-reference.json, computed by PyTorch in float64), found
 * beside the checkout as CI and developers have it, or at $STEPWISE_GOLDEN. Read at test time, never copied.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const RELATIVE_PATH = path.join("shared", "golden", "pytorch-reference.json");

export function findGoldenFile(): string {
  const fromEnv = process.env.STEPWISE_GOLDEN;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`STEPWISE_GOLDEN=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, RELATIVE_PATH);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`PyTorch golden file not found: no ${RELATIVE_PATH} in ${__dirname} or above; set STEPWISE_GOLDEN`);
}

export function loadGolden(): { optimizers: unknown[]; schedules: unknown[] } {
  return JSON.parse(fs.readFileSync(findGoldenFile(), "utf8"));
}
