/**
 * The wasm backend multiplies transposed operands (`transposeA`/`transposeB`) through a slow generic loop,
 * about 10× slower than its XNNPACK path, and backpropagation through every dense layer needs exactly those
 * products (xᵀ·dy and dy·Wᵀ). This wrapper transposes explicitly with the backend's own Transpose kernel and
 * then multiplies untransposed, for BatchMatMul and _FusedMatMul alike.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

type KernelArgs = Parameters<KernelFunc>[0];

let installed = false;

export function installWasmMatMulTransposes(): void {
  if (installed) return;
  for (const kernelName of ["BatchMatMul", "_FusedMatMul"]) {
    const original = tf.getKernel(kernelName, "wasm");
    if (!original) continue;
    tf.unregisterKernel(kernelName, "wasm");
    const config: KernelConfig = {
      kernelName,
      backendName: "wasm",
      setupFunc: original.setupFunc, // the original's setup binds its wasm function; it must still run at backend start
      kernelFunc: (args: KernelArgs) => untransposed(args, original.kernelFunc),
    };
    tf.registerKernel(config);
  }
  installed = true;
}

function untransposed(args: KernelArgs, multiply: KernelFunc): TensorInfo | TensorInfo[] {
  const attrs = args.attrs as unknown as MatMulAttrs;
  if (!attrs.transposeA && !attrs.transposeB) return multiply(args);
  const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc;
  const swapLast = (x: TensorInfo): TensorInfo => {
    const rank = x.shape.length;
    const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
    return transpose({ inputs: { x }, backend: args.backend, attrs: { perm } }) as TensorInfo;
  };
  const inputs = { ...args.inputs } as Record<string, TensorInfo>;
  const made: TensorInfo[] = [];
  if (attrs.transposeA) made.push((inputs.a = swapLast(inputs.a)));
  if (attrs.transposeB) made.push((inputs.b = swapLast(inputs.b)));
  try {
    return multiply({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  } finally {
    const backend = args.backend as { disposeData(dataId: object): void };
    for (const info of made) backend.disposeData(info.dataId);
  }
}
