/**
 * Kernels of a recorded step fused where one kernel of the backend gives the bits of several
 * (step-replay.ts runs this on every program it records, after the renaming Identity and Reshape calls
 * are gone). Each fusion spares the replay a dispatch and a pass over a small tensor that the large
 * products of the step have just pushed out of the caches: with micro-batches of 16, the reference MLP's
 * small kernels took 1–14 µs each inside the step against ~1 µs alone.
 *
 *   - a product's bias: _FusedMatMul without a bias or an activation, read only by an Add of a row of
 *     one value per column (a Dense layer whose activation tfjs-layers applies apart, such as softmax),
 *     becomes _FusedMatMul with that bias, whose epilogue adds it as Add does (wasm-matmul.ts);
 *   - a softmax's gradient and its bias's: StepwiseSoftmaxGrad and a Sum of its output over every axis
 *     but the last become StepwiseSoftmaxGradColumnSums, which sums as Sum does (assembly/losses.ts);
 *   - sw.fit's cross-entropy's gradient fed to that: StepwiseCrossEntropyOfProbabilitiesGrad read only by
 *     StepwiseSoftmaxGradColumnSums becomes StepwiseCrossEntropyOfProbabilitiesSoftmaxGrad, one pass
 *     with the same f32 operations and no gradient of the probabilities in memory;
 *   - sw.fit's loss and its count of correct predictions: StepwiseProbabilityPick and StepwiseCountCorrect
 *     of the same probabilities and classes become StepwiseProbabilityPickCount, both in one dispatch;
 *     and Neg read only by a Mean over every axis (the mean of the rows' losses) becomes StepwiseNegMean;
 *   - a result that only renames a tensor nothing else reads (the Reshape of a bias's gradient to its
 *     own shape) is that tensor.
 *
 * So a replay keeps the engine's bits (test/train/step-replay.test.ts compares whole runs), and a fusion
 * applies only where the backend has the fused kernel and the fused-away output has no other reader.
 */
import * as tf from "@tensorflow/tfjs";
import type { DataType } from "@tensorflow/tfjs-core";
import {
  COUNT_CORRECT_KERNEL,
  NEG_MEAN_KERNEL,
  PROBABILITIES_GRAD_KERNEL,
  PROBABILITIES_SOFTMAX_GRAD_KERNEL,
  PROBABILITY_PICK_COUNT_KERNEL,
  PROBABILITY_PICK_KERNEL,
  SOFTMAX_GRAD_COLUMN_SUMS_KERNEL,
  SOFTMAX_GRAD_KERNEL,
} from "./loss-kernels";
import type { Call, Program, Source } from "./step-replay";

type TensorType = { shape: number[]; dtype: DataType };

/** Fuses what it can in `program`, recorded on backend `backendName`, in place. */
export function fuseCalls(program: Program, backendName: string): void {
  fuseBiasIntoProduct(program);
  fuseSoftmaxGradColumnSums(program, backendName);
  fuseProbabilitiesGradIntoSoftmaxGrad(program, backendName);
  fusePickAndCount(program, backendName);
  fuseNegMean(program, backendName);
  renameAliasedResults(program);
}

/** The calls that read each output slot, once per input that reads it. */
function readersOf(program: Program): Map<number, Call[]> {
  const readers = new Map<number, Call[]>();
  for (const call of program.calls) {
    for (const [, source] of call.inputs) {
      if (source?.kind !== "output") continue;
      const list = readers.get(source.slot) ?? [];
      list.push(call);
      readers.set(source.slot, list);
    }
  }
  return readers;
}

function resultSlots(program: Program): Set<number> {
  const { value, metrics, grads } = program.results;
  return new Set([value, ...metrics, ...grads.map(([, slot]) => slot)]);
}

/** The call that makes each output slot. */
function makersOf(program: Program): Map<number, Call> {
  const makers = new Map<number, Call>();
  for (const call of program.calls) for (let j = 0; j < call.outputs.length; j++) makers.set(call.firstSlot + j, call);
  return makers;
}

/** The shape and type of a source, where the program knows them (a batch input's it does not). */
function typeOf(program: Program, makers: Map<number, Call>, source: Source): TensorType | undefined {
  switch (source.kind) {
    case "variable":
      return program.variables[source.index];
    case "constant":
      return source;
    case "output": {
      const maker = makers.get(source.slot);
      return maker?.outputs[source.slot - maker.firstSlot];
    }
    case "input":
      return undefined;
  }
}

function input(call: Call, name: string): Source | null | undefined {
  return call.inputs.find(([inputName]) => inputName === name)?.[1];
}

function sameSource(s: Source | null | undefined, t: Source | null | undefined): boolean {
  if (!s || !t) return false;
  if (s.kind === "output" && t.kind === "output") return s.slot === t.slot;
  if (s.kind === "input" && t.kind === "input") return s.index === t.index;
  if (s.kind === "variable" && t.kind === "variable") return s.name === t.name;
  return s === t;
}

/** Gives slots new numbers in every call's inputs and in the results. */
function renumber(program: Program, renamed: ReadonlyMap<number, number>): void {
  const to = (slot: number) => renamed.get(slot) ?? slot;
  for (const call of program.calls) {
    call.inputs = call.inputs.map(([name, source]) => [name, source?.kind === "output" && renamed.has(source.slot) ? { kind: "output", slot: to(source.slot) } : source]);
  }
  const { value, metrics, grads } = program.results;
  program.results = { value: to(value), metrics: metrics.map(to), grads: grads.map(([name, slot]) => [name, to(slot)]) };
}

/** A call of `kernelName` on this backend, outputs in new slots at the program's end. */
function newCall(program: Program, kernelName: string, backendName: string, inputs: Call["inputs"], attrs: Call["attrs"], outputs: Call["outputs"]): Call | undefined {
  const kernel = tf.getKernel(kernelName, backendName);
  if (!kernel) return undefined;
  const call: Call = { kernelName, kernelFunc: kernel.kernelFunc, inputs, inputsAsArray: false, attrs, firstSlot: program.slots, outputs, returnsArray: outputs.length > 1, releases: [] };
  program.slots += outputs.length;
  return call;
}

function sameType(a: TensorType | undefined, b: TensorType | undefined): boolean {
  return a !== undefined && b !== undefined && a.dtype === b.dtype && tf.util.arraysEqual(a.shape, b.shape);
}

/**
 * Where a call reads its input `name` from a producer that no other call reads and that is no result, and
 * `fuse` gives the kernel, inputs and attributes of one call doing both, that call takes the consumer's place
 * (its outputs and slots, so its readers are unchanged) and the producer goes.
 */
function absorbProducers(
  program: Program,
  name: string,
  fuse: (consumer: Call, producer: Call, typeOfSource: (source: Source) => TensorType | undefined) => Pick<Call, "kernelName" | "kernelFunc" | "inputs" | "attrs"> | undefined,
): void {
  const makers = makersOf(program);
  const readers = readersOf(program);
  const results = resultSlots(program);
  const dropped = new Set<Call>();
  for (const consumer of program.calls) {
    const source = input(consumer, name);
    if (source?.kind !== "output" || results.has(source.slot) || readers.get(source.slot)?.length !== 1) continue;
    const producer = makers.get(source.slot)!;
    if (producer.outputs.length !== 1 || producer.returnsArray || dropped.has(producer)) continue;
    const fused = fuse(consumer, producer, (s) => typeOf(program, makers, s));
    if (!fused) continue;
    Object.assign(consumer, fused);
    dropped.add(producer);
  }
  program.calls = program.calls.filter((call) => !dropped.has(call));
}

/** _FusedMatMul (linear, no bias) read only by an Add of a bias row: _FusedMatMul with that bias, in the Add's place. */
function fuseBiasIntoProduct(program: Program): void {
  absorbProducers(program, "a", (add, product, typeOfSource) => {
    const bias = input(add, "b");
    const activation = (product.attrs.activation as string | undefined) ?? "linear";
    if (add.kernelName !== "Add" || add.inputs.length !== 2 || add.outputs.length !== 1 || add.returnsArray || !bias) return undefined;
    if (product.kernelName !== "_FusedMatMul" || activation !== "linear") return undefined;
    const operands = product.inputs.filter(([, source]) => source !== null);
    if (operands.length !== 2 || !input(product, "a") || !input(product, "b")) return undefined;
    const out = product.outputs[0];
    const columns = out.shape[out.shape.length - 1];
    if (out.dtype !== "float32" || out.shape.length !== 2 || !sameType(add.outputs[0], out) || !sameType(typeOfSource(bias), { shape: [columns], dtype: "float32" })) return undefined;
    // in the Add's place, where the bias is made if it is made in the step
    return { kernelName: product.kernelName, kernelFunc: product.kernelFunc, inputs: [...operands, ["bias", bias]], attrs: product.attrs };
  });
}

/** The axes of a Sum's `axis` attribute over a tensor of `rank`, sorted (every axis where it is absent). */
function axesOf(axis: unknown, rank: number): number[] | undefined {
  if (axis === undefined || axis === null) return [...Array(rank).keys()];
  const list = typeof axis === "number" ? [axis] : Array.isArray(axis) ? (axis as unknown[]) : undefined;
  if (!list || !list.every((a): a is number => Number.isInteger(a) && (a as number) >= -rank && (a as number) < rank)) return undefined;
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

/** StepwiseSoftmaxGrad, and a Sum of its output over every axis but the last: StepwiseSoftmaxGradColumnSums. */
function fuseSoftmaxGradColumnSums(program: Program, backendName: string): void {
  const readers = readersOf(program);
  const renamed = new Map<number, number>();
  const dropped = new Set<Call>();
  program.calls = program.calls.map((gradient) => {
    if (gradient.kernelName !== SOFTMAX_GRAD_KERNEL || gradient.outputs.length !== 1 || gradient.returnsArray) return gradient;
    const dx = gradient.outputs[0];
    const rank = dx.shape.length;
    const leading = [...Array(Math.max(rank - 1, 0)).keys()];
    const sum = readers.get(gradient.firstSlot)?.find(
      (call) =>
        call.kernelName === "Sum" && call.inputs.length === 1 && call.outputs.length === 1 && !call.returnsArray && call.attrs.keepDims !== true &&
        rank >= 2 && tf.util.arraysEqual(axesOf(call.attrs.axis, rank) ?? [], leading) && sameType(call.outputs[0], { shape: [dx.shape[rank - 1]], dtype: dx.dtype }),
    );
    if (!sum || dx.dtype !== "float32") return gradient;
    const fused = newCall(program, SOFTMAX_GRAD_COLUMN_SUMS_KERNEL, backendName, gradient.inputs, {}, [dx, sum.outputs[0]]);
    if (!fused) return gradient;
    renamed.set(gradient.firstSlot, fused.firstSlot).set(sum.firstSlot, fused.firstSlot + 1);
    dropped.add(sum);
    return fused;
  });
  program.calls = program.calls.filter((call) => !dropped.has(call));
  renumber(program, renamed);
}

/** CrossEntropyOfProbabilitiesGrad read only by SoftmaxGradColumnSums, as its dy: one kernel in the latter's place. */
function fuseProbabilitiesGradIntoSoftmaxGrad(program: Program, backendName: string): void {
  const kernel = tf.getKernel(PROBABILITIES_SOFTMAX_GRAD_KERNEL, backendName);
  if (!kernel) return;
  absorbProducers(program, "dy", (softmax, gradient, typeOfSource) => {
    const y = input(softmax, "y");
    if (softmax.kernelName !== SOFTMAX_GRAD_COLUMN_SUMS_KERNEL || softmax.inputs.length !== 2 || !y) return undefined;
    if (gradient.kernelName !== PROBABILITIES_GRAD_KERNEL || gradient.outputs[0].shape.length !== 2 || !sameType(gradient.outputs[0], typeOfSource(y))) return undefined;
    const { lo, hi } = gradient.attrs;
    return { kernelName: PROBABILITIES_SOFTMAX_GRAD_KERNEL, kernelFunc: kernel.kernelFunc, inputs: [...gradient.inputs, ["y", y]], attrs: { lo, hi } };
  });
}

/** Neg read only by a Mean over every axis into a scalar: StepwiseNegMean, in the Mean's place. */
function fuseNegMean(program: Program, backendName: string): void {
  const kernel = tf.getKernel(NEG_MEAN_KERNEL, backendName);
  if (!kernel) return;
  absorbProducers(program, "x", (mean, neg) => {
    const negated = neg.outputs[0];
    const operand = neg.inputs[0]?.[1];
    if (mean.kernelName !== "Mean" || mean.inputs.length !== 1 || mean.outputs.length !== 1 || mean.attrs.keepDims === true || !sameType(mean.outputs[0], { shape: [], dtype: "float32" })) return undefined;
    if (neg.kernelName !== "Neg" || neg.inputs.length !== 1 || !operand || negated.dtype !== "float32") return undefined;
    // an empty mean stays tfjs's (its wasm Mean leaves the output unwritten there)
    if (axesOf(mean.attrs.axis, negated.shape.length)?.length !== negated.shape.length || tf.util.sizeFromShape(negated.shape) === 0) return undefined;
    return { kernelName: NEG_MEAN_KERNEL, kernelFunc: kernel.kernelFunc, inputs: [["x", operand]], attrs: {} };
  });
}

/** StepwiseProbabilityPick and StepwiseCountCorrect of the same probabilities and classes: StepwiseProbabilityPickCount, in the first one's place. */
function fusePickAndCount(program: Program, backendName: string): void {
  const picks = program.calls.filter((call) => call.kernelName === PROBABILITY_PICK_KERNEL && call.outputs.length === 3 && call.returnsArray);
  const renamed = new Map<number, number>();
  for (const pick of picks) {
    const count = program.calls.find(
      (call) =>
        call.kernelName === COUNT_CORRECT_KERNEL && call.outputs.length === 1 && !call.returnsArray && call.inputs.length === 2 &&
        sameSource(input(call, "x"), input(pick, "p")) && sameSource(input(call, "classes"), input(pick, "classes")),
    );
    if (!count || pick.inputs.length !== 2) continue;
    const fused = newCall(program, PROBABILITY_PICK_COUNT_KERNEL, backendName, pick.inputs, pick.attrs, [...pick.outputs, ...count.outputs]);
    if (!fused) continue;
    pick.outputs.forEach((_, j) => renamed.set(pick.firstSlot + j, fused.firstSlot + j));
    renamed.set(count.firstSlot, fused.firstSlot + 3);
    const first = Math.min(program.calls.indexOf(pick), program.calls.indexOf(count));
    program.calls = program.calls.filter((call) => call !== pick && call !== count);
    program.calls.splice(first, 0, fused);
  }
  renumber(program, renamed);
}

/**
 * A result made by a call that only renames a tensor (kept by the elision of aliases, since each result owns
 * its kernel output) whose input is an output no other call reads and no other result is: the result is
 * that output, and the call goes.
 */
function renameAliasedResults(program: Program): void {
  const results = resultSlots(program);
  const readers = readersOf(program);
  const renamed = new Map<number, number>();
  const dropped = new Set<Call>();
  for (const call of program.calls) {
    const source = call.inputs[0]?.[1];
    if (!call.aliases || call.inputs.length !== 1 || source?.kind !== "output" || !results.has(call.firstSlot)) continue;
    if (results.has(source.slot) || readers.get(source.slot)?.length !== 1 || readers.has(call.firstSlot)) continue;
    renamed.set(call.firstSlot, source.slot);
    dropped.add(call);
  }
  program.calls = program.calls.filter((call) => !dropped.has(call));
  renumber(program, renamed);
}
