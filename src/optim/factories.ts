/**
 * The optimizers by name, with PyTorch's defaults: each is a short alias over stages (optax's `alias.py`),
 * `nonFinite ─▶ clip ─▶ weight decay ─▶ rule ─▶ ema`, built from the options every optimizer shares
 * (`CommonOptions`). `chain()` builds any other chain. Each returns a stepwise `Optimizer`, which is also a
 * `tf.Optimizer` for `model.compile`. Every scalar hyperparameter may be a number or a schedule.
 */
import { AccumulateOptions } from "./accumulation";
import { GroupOptions } from "./groups";
import { Hyperparameter } from "./hyper";
import { Optimizer } from "./optimizer";
import { UpdateRule } from "./rule";
import { adagradRule, adamRule, adamaxRule, lionRule, nadamRule, rmspropRule, scheduleFreeAdamwRule, sgdRule } from "./rules";
import { SerializedOptimizerConfig, configFromSpec } from "./spec";
import { Stage } from "./stage";
import { ClipOptions, EmaOptions, NonFinitePolicy, WeightDecayMode, clip as clipStage, ema as emaStage, nonFiniteCheck, ruleStage, weightDecay } from "./stages";
import { requireBoolean, requireOneOf } from "../util/validate";

/** Options every optimizer takes. */
export interface CommonOptions {
  lr?: Hyperparameter;
  /** Weight decay λ; how it acts is `weightDecayMode`. */
  weightDecay?: Hyperparameter;
  /** "l2": g ← g + λθ (PyTorch's weight_decay); "decoupled": θ ← θ − lr·λ·θ (AdamW, Lion). */
  weightDecayMode?: WeightDecayMode;
  /** Parameter groups with their own hyperparameters; variables in no group form the "default" group. */
  groups?: GroupOptions[];
  clip?: ClipOptions;
  /** Gradient accumulation: one update per `steps` micro-batches, exactly averaged by item count. */
  accumulate?: AccumulateOptions;
  /** Keep an exponential moving average of the weights. */
  ema?: EmaOptions;
  /** Non-finite gradients throw (naming the parameter) or skip the update; default "error". */
  nonFinite?: NonFinitePolicy;
}

/** Options of `chain()`: the hyperparameters of the default group, groups and accumulation. */
export interface ChainOptions {
  lr?: Hyperparameter;
  weightDecay?: Hyperparameter;
  groups?: GroupOptions[];
  accumulate?: AccumulateOptions;
  /** Shown in errors; default: the rule's name. */
  name?: string;
  /** The stages' own hyperparameters (beta1, momentum, …). */
  [hyperparameter: string]: Hyperparameter | GroupOptions[] | AccumulateOptions | string | undefined;
}

/**
 * An optimizer from any chain of stages, e.g. Adam with gradient clipping and a weight average:
 * `chain([nonFiniteCheck(), clip({ globalNorm: 1 }), ruleStage(adamRule()), ema({ decay: 0.999 })], { lr: 1e-3 })`.
 */
export function chain(stages: readonly Stage[], options: ChainOptions = {}): Optimizer {
  const { groups, accumulate, name, ...hyper } = options;
  return new Optimizer({
    stages,
    hyper: hyper as Record<string, Hyperparameter>, // checked by the Optimizer, which names unknown options
    ...(groups === undefined ? {} : { groups }),
    ...(accumulate === undefined ? {} : { accumulate }),
    ...(name === undefined ? {} : { name }),
  });
}

/** Rebuild an optimizer saved by `toJSONConfig()` (fresh state: load it with `loadState`). */
export function optimizerFromSpec(spec: SerializedOptimizerConfig): Optimizer {
  return new Optimizer(configFromSpec(spec));
}

/** The standard chain of a rule with the shared options: nonFinite ─▶ clip ─▶ decay ─▶ rule ─▶ ema. */
function build(rule: UpdateRule, options: CommonOptions & Record<string, unknown>, defaults: { lr?: number; weightDecayMode?: WeightDecayMode }, flagKeys: string[]): Optimizer {
  const where = rule.name;
  if (options === null || typeof options !== "object") throw new Error(`${where}: options must be an object`);
  const { groups, clip, accumulate, ema, nonFinite, weightDecayMode, ...rest } = options;
  const mode = requireOneOf(where, "weightDecayMode", weightDecayMode ?? defaults.weightDecayMode ?? "l2", ["l2", "decoupled"]);
  const stages = standardStages(rule, { clip, ema, nonFinite }, weightDecay(mode));
  const hyper: Record<string, Hyperparameter> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (flagKeys.includes(key) || value === undefined) continue;
    hyper[key] = value as Hyperparameter; // checked by the Optimizer, which names unknown options
  }
  if (hyper.lr === undefined && defaults.lr !== undefined) hyper.lr = defaults.lr;
  return new Optimizer({ stages, hyper, groups: groups ?? [], ...(accumulate === undefined ? {} : { accumulate }) });
}

/** The shared options as stages around `rule`: nonFinite ─▶ clip? ─▶ decay? ─▶ rule ─▶ ema?. */
function standardStages(rule: UpdateRule, shared: Pick<CommonOptions, "clip" | "ema" | "nonFinite">, decay: Stage | undefined): Stage[] {
  const where = rule.name;
  return [
    nonFiniteCheck(shared.nonFinite ?? "error", where),
    ...(shared.clip === undefined ? [] : [clipStage(shared.clip, where)]),
    ...(decay === undefined ? [] : [decay]),
    ruleStage(rule),
    ...(shared.ema === undefined ? [] : [emaStage(shared.ema)]),
  ];
}

function flag(where: string, name: string, value: unknown): boolean {
  return value === undefined ? false : requireBoolean(where, name, value);
}

export interface SgdOptions extends CommonOptions {
  lr: Hyperparameter;
  momentum?: Hyperparameter;
  dampening?: Hyperparameter;
  nesterov?: boolean;
}

/** Stochastic gradient descent, with optional momentum, dampening and Nesterov momentum (torch.optim.SGD). */
export function sgd(options: SgdOptions): Optimizer {
  return build(sgdRule({ nesterov: flag("sgd", "nesterov", options?.nesterov) }), { ...options }, {}, ["nesterov"]);
}

export interface MomentumOptions extends CommonOptions {
  lr: Hyperparameter;
  momentum?: Hyperparameter;
  dampening?: Hyperparameter;
}

/** Heavy-ball momentum (SGD with momentum 0.9 unless given). */
export function momentum(options: MomentumOptions): Optimizer {
  return build(sgdRule(), { momentum: 0.9, ...options }, {}, []);
}

/** Nesterov momentum (SGD with nesterov, momentum 0.9 unless given). */
export function nesterov(options: Omit<MomentumOptions, "dampening">): Optimizer {
  return build(sgdRule({ nesterov: true }), { momentum: 0.9, ...options }, {}, []);
}

export interface AdagradOptions extends CommonOptions {
  lrDecay?: Hyperparameter;
  eps?: Hyperparameter;
  initialAccumulator?: number;
}

/** AdaGrad (torch.optim.Adagrad; lr 0.01). */
export function adagrad(options: AdagradOptions = {}): Optimizer {
  return build(adagradRule({ initialAccumulator: options.initialAccumulator }), { ...options }, { lr: 1e-2 }, ["initialAccumulator"]);
}

export interface RmspropOptions extends CommonOptions {
  alpha?: Hyperparameter;
  eps?: Hyperparameter;
  momentum?: Hyperparameter;
  centered?: boolean;
}

/** RMSProp (torch.optim.RMSprop; lr 0.01, alpha 0.99). */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  return build(rmspropRule({ centered: flag("rmsprop", "centered", options.centered) }), { ...options }, { lr: 1e-2 }, ["centered"]);
}

export interface AdamOptions extends CommonOptions {
  beta1?: Hyperparameter;
  beta2?: Hyperparameter;
  eps?: Hyperparameter;
  amsgrad?: boolean;
}

/** Adam (torch.optim.Adam; lr 0.001, betas 0.9/0.999, eps 1e-8); `amsgrad: true` for AMSGrad. */
export function adam(options: AdamOptions = {}): Optimizer {
  return build(adamRule({ amsgrad: flag("adam", "amsgrad", options.amsgrad) }), { ...options }, { lr: 1e-3 }, ["amsgrad"]);
}

/** AMSGrad: Adam with the running maximum of the second moment. */
export function amsgrad(options: Omit<AdamOptions, "amsgrad"> = {}): Optimizer {
  return build(adamRule({ amsgrad: true }), { ...options }, { lr: 1e-3 }, []);
}

/** AdamW: Adam with decoupled weight decay (torch.optim.AdamW; weight decay 0.01). */
export function adamw(options: AdamOptions = {}): Optimizer {
  return build(
    adamRule({ amsgrad: flag("adamw", "amsgrad", options.amsgrad) }),
    { weightDecay: 1e-2, ...options },
    { lr: 1e-3, weightDecayMode: "decoupled" },
    ["amsgrad"],
  );
}

export interface AdamaxOptions extends CommonOptions {
  beta1?: Hyperparameter;
  beta2?: Hyperparameter;
  eps?: Hyperparameter;
}

/** Adamax (torch.optim.Adamax; lr 0.002). */
export function adamax(options: AdamaxOptions = {}): Optimizer {
  return build(adamaxRule(), { ...options }, { lr: 2e-3 }, []);
}

export interface NadamOptions extends AdamaxOptions {
  momentumDecay?: Hyperparameter;
  /** Reproduce PyTorch < 2.0, which double-counted μₜ in the momentum product (pytorch/pytorch#92699). */
  legacyPytorch113?: boolean;
}

/** NAdam (torch.optim.NAdam as of PyTorch 2; lr 0.002, momentum decay 0.004). */
export function nadam(options: NadamOptions = {}): Optimizer {
  const legacyPytorch113 = flag("nadam", "legacyPytorch113", options.legacyPytorch113);
  return build(nadamRule({ legacyPytorch113 }), { ...options }, { lr: 2e-3 }, ["legacyPytorch113"]);
}

export interface LionOptions extends CommonOptions {
  beta1?: Hyperparameter;
  beta2?: Hyperparameter;
}

/** Lion (Chen et al. 2023; lr 1e-4, betas 0.9/0.99, decoupled weight decay). */
export function lion(options: LionOptions = {}): Optimizer {
  return build(lionRule(), { ...options }, { lr: 1e-4, weightDecayMode: "decoupled" }, []);
}

export interface ScheduleFreeAdamwOptions extends Omit<CommonOptions, "weightDecayMode"> {
  beta1?: Hyperparameter;
  beta2?: Hyperparameter;
  eps?: Hyperparameter;
}

/**
 * Schedule-Free AdamW (Defazio et al. 2024; PyTorch's `schedulefree.AdamWScheduleFree`, lr 0.0025): no decay
 * schedule needed (warm-up is the lr schedule). It trains at y and evaluates at the average x: evaluate inside
 * `withAveragedWeights`. Its rule applies weight decay itself, at y, so the chain has no decay stage:
 * `nonFinite ─▶ clip ─▶ rule ─▶ ema`.
 */
export function scheduleFreeAdamw(options: ScheduleFreeAdamwOptions = {}): Optimizer {
  const where = "scheduleFreeAdamw";
  if (options === null || typeof options !== "object") throw new Error(`${where}: options must be an object`);
  if ("weightDecayMode" in options) throw new Error(`${where}: weightDecayMode is not an option: the rule decays at y itself`);
  const { groups, clip, accumulate, ema, nonFinite, ...hyper } = options;
  const stages = standardStages(scheduleFreeAdamwRule(), { clip, ema, nonFinite }, undefined);
  return chain(stages, { lr: 2.5e-3, ...hyper, ...(groups === undefined ? {} : { groups }), ...(accumulate === undefined ? {} : { accumulate }) });
}
