/**
 * A training step replayed without tfjs's engine.
 *
 * Under a gradient tape every op pays tfjs-core's bookkeeping: tensors tracked and scoped, tape nodes
 * recorded, inputs and outputs cloned for the backward pass, the tape filtered and walked back. For the
 * reference MLP at batch 16 that was about 40 % of the forward and backward passes: 596 µs through the
 * engine, 363 µs replayed (the same kernels, the same results; 1,655 against 1,320 µs at batch 64).
 *
 * A step of a model made of tfjs-layers' own layers, with a named loss, runs the same kernels with the same
 * attributes every time, on new data. `StepReplay` records the kernels one step runs through the backend's
 * registry (the forward pass, the tape's saves, the backward pass) as a program, and then runs that program
 * instead: each kernel function called with its recorded attributes on this step's inputs (the batch's
 * tensors), the variables as they are now, constants made during the step, and the program's own
 * intermediates, each released after its last use (an Identity or a Reshape that only shares its input's
 * buffer under the same shape, as the tape's saves do, is left out: its readers read the input). The kernel
 * functions and their inputs are the engine's, except where one kernel of the backend gives the bits of
 * several (replay-fusion.ts: a softmax head's bias, its gradients, sw.fit's loss and correct count), so the
 * loss, the metrics (fit's correct count, model.fit's metrics) and every gradient are the engine's bit for
 * bit. `fit` (fit.ts) and `model.fit` with a stepwise optimizer (model-fit-replay.ts) replay so.
 *
 * A program replaces the engine only once it is known to be the step:
 *   - nothing in a recording escaped the kernels: no variable was written (BatchNormalization's moving
 *     statistics), no tensor's values were read outside a kernel (a branch in JS could depend on them), and
 *     every result is a kernel's output (not a tensor made in JS from values computed beside the kernels);
 *   - two recordings, on different batches, are the same program: the same kernels, attributes and inputs,
 *     and the same values in every tensor made during the step (a dropout mask differs, and so does any
 *     value computed in JS from the data).
 * Until then, and for a batch of another shape (the last of an epoch), the step runs through the engine;
 * a refused program is never tried again. Only the host-memory backends replay (cpu and wasm, whose kernels
 * run to completion when called), and never while tfjs profiles or debugs.
 *
 * A replayed step then calls the kernel functions the engine would call (but those renamings and fusions), in its order, on the same inputs;
 * no kernel function reads the engine's state (those that choose kernels by the tape's state are gradient
 * functions, which run while recording), and the state kernels keep themselves (how often a matrix was a
 * product's operand, wasm-matmul.ts) moves as it would through the engine. A replay is not checked against
 * the engine by running both: that would count those products twice and could change the engine's later
 * choices. test/train/step-replay.test.ts compares whole runs with and without replay instead.
 *
 * With gradient accumulation, a replay offers each gradient its program makes by a BatchMatMul that nothing
 * else reads (a Dense layer's xᵀ·dy) to the optimizer's gradient sink instead of running that kernel: where
 * the backend can, the product is computed straight into the accumulation window's sum, with the bits the
 * kernel and the addition would give (src/accumulate/accumulator.ts); test/accumulate/product-sink.test.ts
 * compares whole runs with and without it.
 */
import * as tf from "@tensorflow/tfjs";
import type { DataType, KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import type { GradientSink } from "../accumulate";
import { fuseCalls } from "./replay-fusion";
import { ReplayReport } from "./types";

/** A step's results: the loss, the metrics beside it (fit's correct count, model.fit's metrics) and the gradients by variable name. */
export interface StepResult {
  value: tf.Scalar;
  metrics: tf.Tensor[];
  grads: tf.NamedTensorMap;
}

const REPLAY_BACKENDS = new Set(["cpu", "wasm"]);

/** Kernels that return their one input's buffer, shape and type when asked for no change: the tape's saves, a reshape to the same shape. */
const RENAMING_KERNELS = new Set(["Identity", "Reshape"]);

/** Where a kernel's input comes from when a program runs. */
export type Source =
  | { kind: "input"; index: number }
  | { kind: "variable"; name: string; index: number }
  // written to the backend for each run and released after it, so that a program holds no backend memory
  | { kind: "constant"; shape: number[]; dtype: DataType; values: tf.TypedArray; bytes: Uint8Array }
  | { kind: "output"; slot: number };

export interface Call {
  kernelName: string;
  kernelFunc: KernelFunc;
  inputs: Array<[string, Source | null]>;
  inputsAsArray: boolean;
  attrs: NamedAttrMap;
  firstSlot: number;
  outputs: Array<{ shape: number[]; dtype: DataType }>;
  returnsArray: boolean;
  /** Slots whose last use is this call, released after it. */
  releases: number[];
  /**
   * The variable whose gradient this call's output is, and that gradient's position among the step's,
   * where a sink may take it instead: a BatchMatMul whose one output is that gradient and nobody's input.
   */
  gradient?: { name: string; position: number };
  /** The call returned its one input's buffer under the same shape and type (an Identity or a Reshape that shares it). */
  aliases?: boolean;
}

export interface Program {
  backend: KernelBackend;
  calls: Call[];
  /** The variables the program reads, as they were when it was recorded. */
  variables: Array<{ name: string; shape: number[]; dtype: DataType }>;
  slots: number;
  results: { value: number; metrics: number[]; grads: Array<[string, number]> };
}

type Refusal = string;

/** Per batch shape: a first program to confirm by a second recording, a confirmed one, or a refusal. */
type Entry = { state: "recorded"; program: Program } | { state: "ready"; program: Program } | { state: "refused"; reason: Refusal };

/**
 * Runs `step` through the engine until a recorded program is confirmed for the shapes of the batch's
 * tensors, then replays it. `step` must be a function of the batch's tensors (`inputsOf`) and the variables
 * alone (a step of a model of tfjs-layers' layers and a named loss); dispose() forgets the programs.
 */
export class StepReplay<B> {
  private readonly entries = new Map<string, Entry>();
  private replayed = 0;
  private refusal: Refusal | undefined;

  constructor(
    private readonly step: (batch: B) => StepResult,
    /** The tensors of a batch that the step reads: the program's inputs, in this order (null: none there). */
    private readonly inputsOf: (batch: B) => ReadonlyArray<tf.Tensor | null>,
    /** Why this step cannot be replayed at all (not a model of known layers, a loss function, ...). */
    refusal?: string,
  ) {
    this.refusal = refusal;
  }

  /**
   * The step on `batch`. A replayed step hands each gradient that its program computes as a matrix product
   * (a Dense layer's xᵀ·dy) to `sink` first, once the loss is known to be finite: the gradients the sink
   * takes are missing from the result (they went into the sink's accumulation windows).
   */
  run(batch: B, sink?: GradientSink): StepResult {
    if (this.refusal !== undefined) return this.step(batch);
    const backendName = tf.getBackend();
    const engine = tf.engine();
    if (!REPLAY_BACKENDS.has(backendName)) return this.refuse(`the ${backendName} backend is not replayed (only cpu and wasm)`, batch);
    if (engine.state.profiling || tf.env().getBool("DEBUG")) return this.step(batch);
    const inputs = this.inputsOf(batch);
    const key = `${backendName} ${inputs.map((t) => (t === null ? "null" : `${t.dtype}[${t.shape}]`)).join(" ")}`;
    const entry = this.entries.get(key);
    if (entry?.state === "refused") return this.step(batch);
    if (entry && entry.program.backend !== engine.backend) {
      // the backend was set up again: its kernels are other functions now
      this.entries.delete(key);
      return this.run(batch);
    }
    if (entry?.state === "ready") {
      const replayed = replay(entry.program, inputs, sink);
      this.replayed += 1;
      return replayed;
    }
    const recorded = record(engine.backend, backendName, inputs, () => this.step(batch));
    if (recorded.refusal !== undefined) {
      this.entries.set(key, { state: "refused", reason: recorded.refusal });
      return recorded.result;
    }
    const program = recorded.program!;
    if (!entry) {
      this.entries.set(key, { state: "recorded", program });
      return recorded.result;
    }
    const difference = programDifference(entry.program, program);
    this.entries.set(key, difference === undefined ? { state: "ready", program: entry.program } : { state: "refused", reason: `two steps ran different programs (${difference})` });
    return recorded.result;
  }

  report(): ReplayReport {
    if (this.replayed > 0) return { microBatches: this.replayed };
    const refused = this.refusal ?? [...this.entries.values()].find((e): e is Extract<Entry, { state: "refused" }> => e.state === "refused")?.reason;
    return refused === undefined ? { microBatches: 0 } : { microBatches: 0, refused };
  }

  dispose(): void {
    this.entries.clear();
  }

  private refuse(reason: Refusal, batch: B): StepResult {
    this.refusal = reason;
    return this.step(batch);
  }
}

/** Runs `step` through the engine, recording the kernels it runs on `inputs` as a program (or why it cannot be one). */
function record(backend: KernelBackend, backendName: string, inputs: ReadonlyArray<tf.Tensor | null>, step: () => StepResult): { result: StepResult; program?: Program; refusal?: Refusal } {
  const present = inputs.filter((t): t is tf.Tensor => t !== null);
  if (new Set(present.map((t) => t.dataId)).size !== present.length) return { result: step(), refusal: "two of the batch's tensors are one tensor" };
  if (Object.prototype.hasOwnProperty.call(backend, "readSync") || Object.prototype.hasOwnProperty.call(backend, "read")) {
    return { result: step(), refusal: "the backend's reads are replaced already" };
  }
  const sources = new Sources();
  inputs.forEach((t, index) => t !== null && sources.set(t, { kind: "input", index }));
  // a variable given another's value (setWeights) shares its data until one is updated: a program reading
  // that data could not tell which one it read, so reading it refuses the recording
  const shared = new Map<object, string>();
  for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
    const other = sources.sharing(variable.dataId);
    if (other) shared.set(variable.dataId, `${other.kind === "variable" ? `variable ${other.name}` : "a tensor of the batch"} and variable ${name} share their data`);
    sources.set(variable, { kind: "variable", name, index: -1 }); // numbered when first read
  }
  const variables: Program["variables"] = [];
  const calls: Call[] = [];
  let slots = 0;
  let escape: Refusal | undefined;
  let depth = 0;
  const readSync = backend.readSync.bind(backend);

  const sourceOf = (info: TensorInfo): Source => {
    const ambiguity = shared.get(info.dataId);
    if (ambiguity !== undefined) throw new Error(ambiguity);
    const known = sources.get(info);
    if (known?.kind === "variable" && known.index < 0) {
      known.index = variables.length;
      variables.push({ name: known.name, shape: info.shape.slice(), dtype: info.dtype });
    }
    if (known) return known;
    // made during the step outside the kernels (the gradient's seed, a constant), or before it: kept by value
    const values = (readSync(info.dataId) as tf.TypedArray).slice();
    const constant: Source = { kind: "constant", shape: info.shape.slice(), dtype: info.dtype, values, bytes: new Uint8Array(values.buffer.slice(0)) };
    sources.set(info, constant);
    return constant;
  };

  const wrapped: Array<[KernelConfig, KernelFunc]> = [];
  for (const config of tf.getKernelsForBackend(backendName)) {
    const kernelFunc = config.kernelFunc;
    wrapped.push([config, kernelFunc]);
    config.kernelFunc = (args) => {
      if (depth > 0 || escape !== undefined) return kernelFunc(args);
      const inputsAsArray = Array.isArray(args.inputs);
      let inputs: Array<[string, Source | null]>;
      try {
        inputs = Object.entries(args.inputs).map(([name, info]) => [name, info == null ? null : sourceOf(info)]);
      } catch (error) {
        escape = `an input of ${config.kernelName} cannot be replayed: ${(error as Error).message}`;
        return kernelFunc(args);
      }
      depth++;
      let out: TensorInfo | TensorInfo[];
      try {
        out = kernelFunc(args);
      } finally {
        depth--;
      }
      const outs = Array.isArray(out) ? out : [out];
      const aliases = RENAMING_KERNELS.has(config.kernelName) && !Array.isArray(out) && inputs.length === 1 && sharesView(out, Object.values(args.inputs)[0]);
      calls.push({
        kernelName: config.kernelName,
        kernelFunc,
        inputs,
        inputsAsArray,
        attrs: args.attrs ?? {},
        firstSlot: slots,
        outputs: outs.map((o) => ({ shape: o.shape.slice(), dtype: o.dtype })),
        returnsArray: Array.isArray(out),
        releases: [],
        ...(aliases ? { aliases } : {}),
      });
      for (const o of outs) sources.set(o, { kind: "output", slot: slots++ });
      return out;
    };
  }
  const variableProto = tf.Variable.prototype as unknown as { assign: (value: tf.Tensor) => void };
  const assign = variableProto.assign;
  variableProto.assign = function (this: tf.Variable, value: tf.Tensor) {
    escape ??= `variable ${this.name} was written during the step (e.g. BatchNormalization's moving statistics)`;
    return assign.call(this, value);
  };
  // reads are watched through properties of the backend object itself, which shadow its class's methods
  const readHooks = backend as unknown as { readSync: (dataId: object) => unknown; read: (dataId: object) => unknown };
  const read = readHooks.read;
  // a kernel may read its inputs so (the cpu backend's do); a read outside the kernels is the step's own
  readHooks.readSync = (dataId) => {
    if (depth === 0) escape ??= "a tensor's values were read during the step";
    return readSync(dataId);
  };
  readHooks.read = (dataId) => {
    if (depth === 0) escape ??= "a tensor's values were read during the step";
    return read.call(backend, dataId);
  };

  let result: StepResult;
  try {
    result = step();
  } finally {
    for (const [config, kernelFunc] of wrapped) config.kernelFunc = kernelFunc;
    variableProto.assign = assign;
    delete (readHooks as Partial<typeof readHooks>).readSync;
    delete (readHooks as Partial<typeof readHooks>).read;
  }
  const refuse = (refusal: Refusal) => ({ result, refusal });
  if (escape !== undefined) return refuse(escape);
  const slotOf = (t: tf.Tensor): number | undefined => {
    const source = sources.get(t);
    return source?.kind === "output" ? source.slot : undefined;
  };
  const value = slotOf(result.value);
  const metrics = result.metrics.map(slotOf);
  const grads = Object.entries(result.grads).map(([name, t]): [string, number | undefined] => [name, slotOf(t)]);
  if (value === undefined || metrics.some((slot) => slot === undefined) || grads.some(([, slot]) => slot === undefined)) {
    return refuse("a result of the step was not made by a kernel (a value computed in JS beside them)");
  }
  const resultSlots = [value, ...metrics, ...grads.map(([, slot]) => slot)];
  // each result becomes a tensor of its own, which owns its kernel output
  if (new Set(resultSlots).size !== resultSlots.length) return refuse("two results of the step are one kernel output");
  const program: Program = {
    backend,
    calls,
    variables,
    slots,
    results: { value, metrics: metrics as number[], grads: grads as Array<[string, number]> },
  };
  elideAliases(program);
  fuseCalls(program, backendName);
  planReleases(program);
  markTakeable(program);
  return { result, program };
}

/** Marks the calls whose output a gradient sink may take: a gradient made by a BatchMatMul and read by no call. */
function markTakeable(program: Program): void {
  const read = new Set<number>();
  for (const call of program.calls) for (const [, source] of call.inputs) if (source?.kind === "output") read.add(source.slot);
  const bySlot = new Map(program.calls.map((call) => [call.firstSlot, call]));
  program.results.grads.forEach(([name, slot], position) => {
    const call = bySlot.get(slot);
    if (call?.kernelName === "BatchMatMul" && call.outputs.length === 1 && !call.returnsArray && !read.has(slot)) call.gradient = { name, position };
  });
}

/**
 * Where each tensor of a recording came from, by its data and its shape: a reshape (or an identity) returns
 * its input's data under another shape, and a kernel reading the data under the input's shape read the input.
 */
class Sources {
  private readonly byData = new Map<object, Array<{ shape: number[]; dtype: DataType; source: Source }>>();

  set(info: TensorInfo, source: Source): void {
    const views = this.byData.get(info.dataId) ?? [];
    views.unshift({ shape: info.shape.slice(), dtype: info.dtype, source });
    this.byData.set(info.dataId, views);
  }

  /** The latest source of this data with this shape and type. */
  get(info: TensorInfo): Source | undefined {
    return this.byData.get(info.dataId)?.find((view) => view.dtype === info.dtype && tf.util.arraysEqual(view.shape, info.shape))?.source;
  }

  /** Any source of this data, whatever its shape. */
  sharing(dataId: object): Source | undefined {
    return this.byData.get(dataId)?.[0]?.source;
  }
}

function sharesView(a: TensorInfo, b: TensorInfo | null | undefined): boolean {
  return b != null && a.dataId === b.dataId && a.dtype === b.dtype && tf.util.arraysEqual(a.shape, b.shape);
}

/**
 * Drops the calls that only give their input a second name (an Identity sharing its input's buffer, as the
 * tape saves each op's inputs and outputs: 13 of the reference MLP's 31 calls, or a Reshape to the same
 * shape, as tfjs-core's gradient of a broadcast Add makes two), their readers reading the input
 * itself: a replay skips their dispatch and the reference each adds and releases. A result keeps its call,
 * since each result tensor owns its kernel output.
 */
function elideAliases(program: Program): void {
  const results = slotsOfResults(program);
  const aliasOf = new Map<number, Source>();
  const kept: Call[] = [];
  for (const call of program.calls) {
    // readers of an elided call's output read its input (itself resolved, so chains of aliases collapse)
    const inputs = call.inputs.map(([name, source]): [string, Source | null] => [name, source?.kind === "output" ? aliasOf.get(source.slot) ?? source : source]);
    const input = inputs[0]?.[1];
    if (call.aliases && input && !results.has(call.firstSlot)) aliasOf.set(call.firstSlot, input);
    else kept.push({ ...call, inputs });
  }
  program.calls = kept;
}

/** The slots of the step's results: the loss, the metrics and the gradients. */
function slotsOfResults(program: Program): Set<number> {
  return new Set([program.results.value, ...program.results.metrics, ...program.results.grads.map(([, slot]) => slot)]);
}

/** Each slot is released after its last use; results are kept; a slot never used is released where it is made. */
function planReleases(program: Program): void {
  const lastUse = new Array<number>(program.slots).fill(-1);
  program.calls.forEach((call, at) => {
    for (const [, source] of call.inputs) if (source?.kind === "output") lastUse[source.slot] = at;
  });
  const kept = slotsOfResults(program);
  program.calls.forEach((call, at) => {
    for (let j = 0; j < call.outputs.length; j++) {
      const slot = call.firstSlot + j;
      if (kept.has(slot)) continue;
      const releaseAt = lastUse[slot] >= 0 ? lastUse[slot] : at;
      program.calls[releaseAt].releases.push(slot);
    }
  });
}

/**
 * Runs `program` on `batchInputs`: its results as tensors the engine tracks (the caller disposes them), but
 * the gradients `sink` took (StepReplay.run).
 */
function replay(program: Program, batchInputs: ReadonlyArray<tf.Tensor | null>, sink: GradientSink | undefined): StepResult {
  const backend = program.backend;
  const registered = tf.engine().registeredVariables;
  const variables = program.variables.map(({ name, shape, dtype }) => {
    const variable = registered[name];
    if (!variable || !tf.util.arraysEqual(variable.shape, shape) || variable.dtype !== dtype) {
      throw new Error(`stepwise: the replayed step reads variable ${name}, which is gone or changed shape`);
    }
    return variable;
  });
  const slots = new Array<TensorInfo | undefined>(program.slots);
  const constants = new Map<Source, TensorInfo>();
  const inputOf = (source: Source): TensorInfo => {
    switch (source.kind) {
      case "input":
        return batchInputs[source.index]!; // recorded from a tensor there, and the key holds where the nulls are
      case "variable":
        return variables[source.index];
      case "constant": {
        let info = constants.get(source);
        if (!info) {
          info = { dataId: backend.write(source.values.slice(), source.shape, source.dtype), shape: source.shape, dtype: source.dtype };
          constants.set(source, info);
        }
        return info;
      }
      case "output":
        return slots[source.slot]!;
    }
  };
  const taken = new Set<string>();
  // a step whose loss is not finite adds nothing (fit skips it), so the sink takes nothing before it is known
  let finiteLoss: boolean | undefined;
  const lossIsFinite = (): boolean => {
    const loss = slots[program.results.value];
    if (loss === undefined) return false;
    finiteLoss ??= Number.isFinite((backend.readSync(loss.dataId) as tf.TypedArray)[0]);
    return finiteLoss;
  };
  try {
    for (const call of program.calls) {
      const inputs: Record<string, TensorInfo | null> | Array<TensorInfo | null> = call.inputsAsArray ? [] : {};
      for (const [name, source] of call.inputs) (inputs as Record<string, TensorInfo | null>)[name] = source === null ? null : inputOf(source);
      const named = inputs as Record<string, TensorInfo>;
      const attrs = call.attrs as { transposeA?: boolean; transposeB?: boolean };
      const gradient = sink && call.gradient;
      if (gradient && lossIsFinite() && sink.take(gradient.name, { a: named.a, b: named.b, transposeA: attrs.transposeA === true, transposeB: attrs.transposeB === true }, gradient.position)) {
        taken.add(gradient.name);
      } else {
        const out = call.kernelFunc({ inputs: named, attrs: call.attrs, backend });
        if (call.returnsArray) (out as TensorInfo[]).forEach((info, j) => (slots[call.firstSlot + j] = info));
        else slots[call.firstSlot] = out as TensorInfo;
      }
      for (const slot of call.releases) {
        release(backend, slots[slot]!);
        slots[slot] = undefined;
      }
    }
  } catch (error) {
    for (const info of slots) if (info) release(backend, info);
    throw error;
  } finally {
    // a kernel output that aliases a constant (a reshape) holds a reference of its own
    for (const info of constants.values()) backend.disposeData(info.dataId);
  }
  const engine = tf.engine();
  const wrap = <T extends tf.Tensor>(slot: number): T => {
    const info = slots[slot]!;
    return (isEngineTensor(info) ? info : engine.makeTensorFromTensorInfo(info, backend)) as T;
  };
  const { results } = program;
  return {
    value: wrap<tf.Scalar>(results.value),
    metrics: results.metrics.map((slot) => wrap(slot)),
    grads: Object.fromEntries(results.grads.filter(([name]) => !taken.has(name)).map(([name, slot]) => [name, wrap(slot)])),
  };
}

/**
 * Whether a kernel returned a tensor the engine already tracks: the cpu backend's kernels make their
 * outputs through the engine (its makeOutput), the wasm backend's return bare TensorInfos.
 */
function isEngineTensor(info: TensorInfo): info is tf.Tensor {
  return info instanceof tf.Tensor;
}

function release(backend: KernelBackend, info: TensorInfo): void {
  if (isEngineTensor(info)) info.dispose();
  else backend.disposeData(info.dataId);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Where two programs differ, or undefined when they are the same. */
function programDifference(a: Program, b: Program): string | undefined {
  if (a.calls.length !== b.calls.length) return `${a.calls.length} against ${b.calls.length} kernels`;
  for (let i = 0; i < a.calls.length; i++) {
    const [p, q] = [a.calls[i], b.calls[i]];
    const where = `kernel ${i + 1}, ${p.kernelName}`;
    if (p.kernelName !== q.kernelName || p.kernelFunc !== q.kernelFunc) return `${where} against ${q.kernelName}`;
    if (attrsKey(p.attrs) !== attrsKey(q.attrs)) return `${where}: its attributes`;
    if (p.inputsAsArray !== q.inputsAsArray || p.returnsArray !== q.returnsArray || p.inputs.length !== q.inputs.length) return `${where}: its inputs`;
    for (let j = 0; j < p.inputs.length; j++) {
      const [[name, s], [otherName, t]] = [p.inputs[j], q.inputs[j]];
      if (name !== otherName || !sameSource(s, t)) return `${where}: input ${name}`;
    }
    if (JSON.stringify(p.outputs) !== JSON.stringify(q.outputs)) return `${where}: its outputs`;
  }
  if (JSON.stringify(a.results) !== JSON.stringify(b.results)) return "the results come from other kernels";
  return undefined;
}

function sameSource(s: Source | null, t: Source | null): boolean {
  if (s === null || t === null) return s === t;
  switch (s.kind) {
    case "input":
      return t.kind === "input" && t.index === s.index;
    case "variable":
      return t.kind === "variable" && t.name === s.name;
    case "output":
      return t.kind === "output" && t.slot === s.slot;
    case "constant":
      return t.kind === "constant" && t.dtype === s.dtype && tf.util.arraysEqual(t.shape, s.shape) && bytesEqual(t.bytes, s.bytes);
  }
}

/** Attributes as a string that tells every value apart (NaN, ±Infinity and −0 included). */
function attrsKey(attrs: NamedAttrMap): string {
  return JSON.stringify(attrs, (_key, value: unknown) => {
    if (typeof value === "number") return Object.is(value, -0) ? "-0" : `n${value}`;
    if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (v) => `n${v}`);
    return value;
  });
}

