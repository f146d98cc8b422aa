import { UpdateRule } from "../rule";
import { adagradRule } from "./adagrad";
import { adamRule } from "./adam";
import { adamaxRule } from "./adamax";
import { lionRule } from "./lion";
import { nadamRule } from "./nadam";
import { rmspropRule } from "./rmsprop";
import { scheduleFreeAdamwRule } from "./schedule-free-adamw";
import { sgdRule } from "./sgd";

export { adagradRule, adamRule, adamaxRule, lionRule, nadamRule, rmspropRule, scheduleFreeAdamwRule, sgdRule };

type Flags = Record<string, boolean | number>;

const RULES: Record<string, (flags: Flags) => UpdateRule> = {
  sgd: (f) => sgdRule({ nesterov: f.nesterov === true }),
  adagrad: (f) => adagradRule({ initialAccumulator: typeof f.initialAccumulator === "number" ? f.initialAccumulator : 0 }),
  rmsprop: (f) => rmspropRule({ centered: f.centered === true }),
  adam: (f) => adamRule({ amsgrad: f.amsgrad === true }),
  adamax: () => adamaxRule(),
  nadam: (f) => nadamRule({ legacyPytorch113: f.legacyPytorch113 === true }),
  lion: () => lionRule(),
  scheduleFreeAdamw: () => scheduleFreeAdamwRule(),
};

/** The rule saved under `name` with `flags` (for configs saved with a model). */
export function ruleFromConfig(name: string, flags: Flags): UpdateRule {
  const make = RULES[name];
  if (!make) throw new Error(`unknown update rule "${name}" (known: ${Object.keys(RULES).join(", ")})`);
  return make(flags);
}
