/**
 * Parameter groups: sets of variables with their own hyperparameters (PyTorch's `param_groups`),
 * e.g. a 10× smaller learning rate for a pretrained backbone, a frozen block, or their own
 * accumulation window. Variables are identified by name, so state never depends on the order in
 * which gradients arrive.
 */
import { Hyperparameter, checkHyperparameter, valueAt } from "./hyper";
import type { HyperValues, HyperparameterSpec } from "./rule";
import { describeValue, requireBoolean, requireInteger } from "../util/validate";

/** Which variables a group holds: variables (tf.Variable, a layer's LayerVariable) or their names, a RegExp on names, or a predicate. */
export type ParamSelector = ReadonlyArray<{ readonly name: string } | string> | RegExp | ((name: string) => boolean);

export interface GroupOptions {
  /** Shown in errors, history and state; default "group1", "group2", … */
  name?: string;
  params: ParamSelector;
  /** No updates and no state for these variables. */
  frozen?: boolean;
  /** This group's accumulation window in micro-batches (layer-wise accumulation); default: the optimizer's. */
  accumulateSteps?: number;
  lr?: Hyperparameter;
  weightDecay?: Hyperparameter;
  /** Any rule hyperparameter (momentum, beta1, eps, …) may be overridden per group. */
  [hyperparameter: string]: Hyperparameter | ParamSelector | string | boolean | undefined;
}

export interface ParamGroup {
  readonly name: string;
  readonly selector: ParamSelector | undefined;
  readonly frozen: boolean;
  readonly accumulateSteps: number | undefined;
  /** Live hyperparameters: lr, weightDecay and the rule's own. */
  readonly hyper: Record<string, Hyperparameter>;
  /** Updates this group has received; schedules are evaluated at this count. */
  updates: number;
}

/**
 * tfjs keeps variable names unique by suffixing `_1`, `_2`, … — a model loaded in the process that saved it
 * gets `dense_Dense1/kernel_1` for a saved `dense_Dense1/kernel`. Names given as strings (as saved configs
 * hold them) match such copies; variables given as objects match exactly.
 */
export function baseVariableName(name: string): string {
  return name.replace(/_\d+$/, "");
}

export function selects(selector: ParamSelector, name: string): boolean {
  if (selector instanceof RegExp) {
    selector.lastIndex = 0;
    return selector.test(name);
  }
  if (typeof selector === "function") return selector(name);
  return selector.some((entry) =>
    typeof entry === "string" ? entry === name || baseVariableName(entry) === baseVariableName(name) : entry.name === name,
  );
}

/** Selectors as JSON: the variable names, or a RegExp's source and flags. Predicates cannot be saved. */
export type SerializedSelector = { names: string[] } | { regexp: string; flags: string };

export function serializeSelector(selector: ParamSelector, group: string): SerializedSelector {
  if (selector instanceof RegExp) return { regexp: selector.source, flags: selector.flags };
  if (typeof selector === "function") {
    throw new Error(
      `parameter group "${group}" selects its variables with a function, which cannot be saved; use a RegExp or a list of variables`,
    );
  }
  return { names: selector.map((entry) => (typeof entry === "string" ? entry : entry.name)) };
}

export function deserializeSelector(selector: SerializedSelector): ParamSelector {
  return "regexp" in selector ? new RegExp(selector.regexp, selector.flags) : selector.names;
}

export const DEFAULT_GROUP = "default";
const GROUP_KEYS = new Set(["name", "params", "frozen", "accumulateSteps"]);

/**
 * An optimizer's groups and their live hyperparameters: lr, weightDecay and those of its stages
 * (`known`), each a number or a schedule of the group's update count, checked when set and when resolved.
 */
export class ParamGroups {
  readonly list: readonly ParamGroup[];
  private readonly byVariable = new Map<string, ParamGroup>();

  constructor(
    private readonly where: string,
    private readonly known: Readonly<Record<string, HyperparameterSpec>>,
    defaults: Record<string, Hyperparameter>,
    options: readonly GroupOptions[],
  ) {
    const base: Record<string, Hyperparameter> = {};
    for (const [key, value] of Object.entries(defaults)) if (value !== undefined) base[key] = this.check(key, value);
    for (const key of this.names()) {
      if (base[key] === undefined) {
        const fallback = key === "weightDecay" ? 0 : known[key]?.default;
        if (fallback === undefined) throw new Error(`${where}: ${key} is required`);
        base[key] = fallback;
      }
    }
    if (!Array.isArray(options)) throw new Error(`${where}: groups must be an array of { params, ... }`);
    const groups = options.map((group, i) => this.build(group, i, base));
    const names = new Set<string>();
    for (const group of groups) {
      if (names.has(group.name)) throw new Error(`${where}: two parameter groups are named "${group.name}"`);
      names.add(group.name);
    }
    groups.push({ name: DEFAULT_GROUP, selector: undefined, frozen: false, accumulateSteps: undefined, hyper: base, updates: 0 });
    this.list = groups;
  }

  /** The hyperparameter names a group has: lr, weightDecay, then the stages'. */
  names(): string[] {
    return [...new Set(["lr", "weightDecay", ...Object.keys(this.known)])];
  }

  get(name: string): ParamGroup {
    const group = this.list.find((g) => g.name === name);
    if (!group) throw new Error(`unknown parameter group "${name}" (groups: ${this.list.map((g) => g.name).join(", ")})`);
    return group;
  }

  /** The group a variable belongs to: the first whose selector matches, else the default group. */
  of(variableName: string): ParamGroup {
    let group = this.byVariable.get(variableName);
    if (!group) {
      group = this.list.find((g) => g.selector !== undefined && selects(g.selector, variableName)) ?? this.get(DEFAULT_GROUP);
      this.byVariable.set(variableName, group);
    }
    return group;
  }

  /** Set hyperparameters (numbers or schedules) in one group or all; they take effect at the next update. */
  set(values: Record<string, Hyperparameter>, groupName?: string): void {
    const targets = groupName === undefined ? this.list : [this.get(groupName)];
    const checked: Record<string, Hyperparameter> = {};
    for (const [key, value] of Object.entries(values)) checked[key] = this.check(key, value);
    for (const group of targets) Object.assign(group.hyper, checked);
  }

  /** The group's hyperparameters at its current update count, checked (schedules can produce bad values). */
  resolve(group: ParamGroup): HyperValues {
    const values: Record<string, number> = {};
    for (const [key, value] of Object.entries(group.hyper)) {
      const resolved = valueAt(value, group.updates);
      const problem = this.problem(key, resolved, true);
      if (problem) {
        const source = typeof value === "number" ? "" : ` (from its ${value.spec.kind} schedule at update ${group.updates})`;
        throw new Error(`${this.where}: ${key} of group "${group.name}" must be ${problem}, got ${resolved}${source}`);
      }
      values[key] = resolved;
    }
    return values;
  }

  private build(group: GroupOptions, i: number, base: Record<string, Hyperparameter>): ParamGroup {
    const where = this.where;
    if (group === null || typeof group !== "object") throw new Error(`${where}: groups[${i}] must be an object`);
    const name = group.name ?? `group${i + 1}`;
    if (typeof name !== "string" || name === "" || name === DEFAULT_GROUP) {
      throw new Error(`${where}: groups[${i}].name must be a non-empty string other than "${DEFAULT_GROUP}", got ${describeValue(name)}`);
    }
    if (!isSelector(group.params)) {
      throw new Error(`${where}: groups[${i}].params must be a list of variables or names, a RegExp, or a predicate`);
    }
    if (group.frozen !== undefined) requireBoolean(where, `groups[${i}].frozen`, group.frozen);
    if (group.accumulateSteps !== undefined) requireInteger(where, `groups[${i}].accumulateSteps`, group.accumulateSteps, 1);
    const hyper = { ...base };
    for (const [key, value] of Object.entries(group)) {
      if (GROUP_KEYS.has(key) || value === undefined) continue;
      hyper[key] = this.check(key, value, `groups[${i}].`);
    }
    return { name, selector: group.params, frozen: group.frozen ?? false, accumulateSteps: group.accumulateSteps, hyper, updates: 0 };
  }

  private check(key: string, value: unknown, prefix = ""): Hyperparameter {
    const known = this.names();
    if (!known.includes(key)) throw new Error(`${this.where}: unknown option "${prefix}${key}" (hyperparameters: ${known.join(", ")})`);
    const checked = checkHyperparameter(this.where, prefix + key, value);
    if (typeof checked === "number") {
      const problem = this.problem(key, checked, false);
      if (problem) throw new Error(`${this.where}: ${prefix}${key} must be ${problem}, got ${checked}`);
    }
    return checked;
  }

  /** lr must be > 0 when given as a number; a schedule may reach 0 (e.g. the end of a cosine). */
  private problem(key: string, value: number, scheduled: boolean): string | undefined {
    if (!Number.isFinite(value)) return "finite";
    if (key === "lr") return scheduled ? (value >= 0 ? undefined : ">= 0") : value > 0 ? undefined : "> 0";
    if (key === "weightDecay") return value >= 0 ? undefined : ">= 0";
    return this.known[key]?.check(value);
  }
}

function isSelector(value: unknown): value is ParamSelector {
  return value instanceof RegExp || typeof value === "function" || Array.isArray(value);
}
