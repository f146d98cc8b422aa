/**
 * Parameter groups: sets of variables with their own hyperparameters (PyTorch's `param_groups`),
 * e.g. a 10× smaller learning rate for a pretrained backbone, a frozen block, or their own
 * accumulation window. Variables are identified by name, so state never depends on the order in
 * which gradients arrive.
 */
import { Hyperparameter } from "./hyper";

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
