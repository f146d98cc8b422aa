import type { Schedule } from "./schedule";
import { requireInteger } from "../util/validate";

/** The values at steps 0..steps-1, for plotting or inspection. */
export function sample(schedule: Schedule, steps: number): number[] {
  requireInteger("sample", "steps", steps, 0);
  return Array.from({ length: steps }, (_, t) => schedule(t));
}
