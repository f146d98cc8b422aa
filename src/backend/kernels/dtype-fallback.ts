/**
 * The dtypes tfjs-backend-wasm 4.22 gets wrong, run on tfjs's cpu backend.
 *
 * A sweep of tfjs's ops over float32, int32 and bool inputs against the cpu backend (test/backend/dtypes.test.ts)
 * found kernels whose C++ handles float32 only, or float32 and int32, and fails silently on the rest:
 * - the element-wise math kernels (Abs, Neg, Square, Sign, Relu, Round, Exp, …) on bool: the kernel rejects
 *   the dtype after the output is allocated and returns it unwritten (whatever the heap held); on int32,
 *   Reciprocal writes float bits (2139095040 for 1/0), IsNaN and IsFinite call negative numbers NaN;
 * - Step and LeakyRelu on bool: unwritten outputs;
 * - StridedSlice on int32 and bool (its general path): a float32 result holding the input's bits;
 * - ClipByValue on int32: the float bits of the bounds (−1082130432 for −1);
 * - ResizeNearestNeighbor on int32: a float32 result;
 * - Reverse on bool: a trap (memory access out of bounds) that leaves the module unusable;
 * - Select (tf.where) between bool tensors: a trap;
 * - TopK on bool: unwritten values and indices;
 * - Cumsum and Cumprod on bool: an error where cpu answers;
 * - OneHot to float32 or bool: int32 values whatever the dtype asked for (a float32 one-hot held 1.4e−45, the
 *   bits of int 1), with the on and off values truncated (label smoothing's 0.9 and 0.05 became 0 and 0).
 * Those cases run the cpu backend's kernel on a copy of the inputs, and the outputs are copied back into wasm
 * tensors: slower, for dtypes that training code seldom sends through these kernels, but the right answer.
 * Every other case runs the wasm kernel as before.
 */
import * as tf from "@tensorflow/tfjs";
import type { DataType, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./scope";
import { stridedSliceIsGeneral } from "./slice";

type Inputs = Record<string, TensorInfo>;
type NeedsCpu = (inputs: Inputs, attrs: Record<string, unknown>) => boolean;

const notFloat = (name: string): NeedsCpu => (inputs) => inputs[name] !== undefined && inputs[name].dtype !== "float32";
const isBool = (name: string): NeedsCpu => (inputs) => inputs[name] !== undefined && inputs[name].dtype === "bool";
const outputNotInt = (): NeedsCpu => (_inputs, attrs) => attrs.dtype !== "int32";

/** tfjs-backend-wasm's element-wise math kernels (its `createUnaryKernelConfig`), input `x`. */
const ELEMENTWISE = [
  "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos", "Cosh", "Elu", "Erf", "Exp", "Expm1",
  "Floor", "IsFinite", "IsInf", "IsNan", "Log", "Log1p", "Neg", "Reciprocal", "Relu", "Relu6", "Round", "Rsqrt",
  "Selu", "Sign", "Sin", "Sinh", "Softplus", "Sqrt", "Square", "Tan", "Tanh",
];

/** Which cases of which kernel run on cpu. LogicalNot, the one element-wise kernel made for bool, is not here. */
export const CPU_DTYPE_CASES: ReadonlyArray<readonly [string, NeedsCpu]> = [
  ...ELEMENTWISE.map((name) => [name, notFloat("x")] as const),
  ["Step", notFloat("x")],
  ["LeakyRelu", notFloat("x")],
  // its general path only: a reshape or a contiguous slice (slice.ts) is right for every dtype
  ["StridedSlice", (inputs, attrs) => notFloat("x")(inputs, attrs) && stridedSliceIsGeneral(inputs.x, attrs)],
  ["ClipByValue", notFloat("x")],
  ["ResizeNearestNeighbor", notFloat("images")],
  ["Reverse", isBool("x")],
  ["Select", isBool("t")],
  ["TopK", isBool("x")],
  ["Cumsum", isBool("x")],
  ["Cumprod", isBool("x")],
  ["OneHot", outputNotInt()],
];

/** Runs `kernelName`'s cpu kernel on copies of the wasm inputs; its outputs become wasm tensors. */
export function onCpu(kernelName: string, args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const wasm = args.backend as unknown as WasmBackendLike;
  const cpu = tf.findBackend("cpu") as KernelBackend | null;
  const kernel = tf.getKernel(kernelName, "cpu");
  if (!cpu || !kernel) throw new Error(`stepwise: wasm's ${kernelName} is wrong for these dtypes, and the cpu backend that computes them is not available`);
  const written: TensorInfo[] = [];
  try {
    const inputs: Inputs = {};
    for (const [name, info] of Object.entries(args.inputs as Inputs)) {
      const copy = { dataId: cpu.write(wasm.typedArrayFromHeap(info).slice(), info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
      written.push(copy);
      inputs[name] = copy;
    }
    const result = kernel.kernelFunc({ inputs, backend: cpu, attrs: args.attrs });
    const outputs = Array.isArray(result) ? result : [result];
    written.push(...outputs);
    const back = outputs.map((out) => {
      const made = wasm.makeOutput(out.shape, out.dtype as DataType);
      wasm.typedArrayFromHeap(made).set(cpu.readSync(out.dataId) as ArrayLike<number>);
      return made;
    });
    return Array.isArray(result) ? back : back[0];
  } finally {
    for (const info of written) cpu.disposeData(info.dataId);
  }
}

/** `original` for every case but those `needsCpu` names. */
export function cpuForDtypesConfig(original: KernelConfig, needsCpu: NeedsCpu): KernelConfig {
  const kernelFunc: KernelFunc = (args) =>
    needsCpu(args.inputs as Inputs, args.attrs as Record<string, unknown>) ? onCpu(original.kernelName, args) : original.kernelFunc(args);
  return { ...original, kernelFunc };
}
