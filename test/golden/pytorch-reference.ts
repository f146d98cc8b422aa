/**
 * The PyTorch reference values (test/golden/pytorch-reference.json, computed by PyTorch in float64 by
 * scripts/golden/pytorch_reference.py), read from the package's own test/golden folder, or from
 * $STEPWISE_GOLDEN when set (to check another file, e.g. one just regenerated).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../package-root";

/** The file's path inside the package. */
export const GOLDEN_RELATIVE_PATH = path.join("test", "golden", "pytorch-reference.json");

/** $STEPWISE_GOLDEN if set, else the package's test/golden/pytorch-reference.json. */
export function findGoldenFile(): string {
  const fromEnv = process.env.STEPWISE_GOLDEN;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`STEPWISE_GOLDEN=${fromEnv} does not exist; unset it to use ${GOLDEN_RELATIVE_PATH}`);
    return fromEnv;
  }
  const file = path.join(packageRoot(), GOLDEN_RELATIVE_PATH);
  if (!fs.existsSync(file)) {
    throw new Error(`PyTorch golden file ${file} is missing; restore it from git, or regenerate it with scripts/golden/pytorch_reference.py`);
  }
  return file;
}

/** The golden file's two lists of cases (each test file checks the fields of its own cases). */
export function loadGolden(): { optimizers: unknown[]; schedules: unknown[] } {
  const file = findGoldenFile();
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as { optimizers?: unknown; schedules?: unknown };
  if (!Array.isArray(data.optimizers) || data.optimizers.length === 0) throw new Error(`${file}: no non-empty "optimizers" list`);
  if (!Array.isArray(data.schedules) || data.schedules.length === 0) throw new Error(`${file}: no non-empty "schedules" list`);
  return { optimizers: data.optimizers, schedules: data.schedules };
}
