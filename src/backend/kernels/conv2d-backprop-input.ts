/**
 * Conv2DBackpropInput for the wasm backend: the gradient of conv2d with respect to its input,
 *
 *   dx[n, h, w, c] = Σ_{p, q, i, j, o : h = p·sh + i − top, w = q·sw + j − left} dy[n, p, q, o] · W[i, j, c, o],
 *
 * for a 3 × 3 window at stride 1 by the transpose of Winograd's F(m × m, 3 × 3) over the forward
 * convolution's tiles (winograd.ts, where its cost model takes it); otherwise
 * computed as XNNPACK's convolution of the zero-stuffed, padded dy with the filter flipped in space and
 * with its channel axes swapped (see transposed-conv.ts); with stride 1 nothing is stuffed and the
 * convolution's own padding replaces the padded copy. tfjs-backend-wasm 4.22 registers its own
 * Conv2DBackpropInput, a scalar loop about 20x slower on the reference CNN's second layer (bench/kernels.ts);
 * this one replaces it. NCHW tensors are transposed to NHWC and back.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { backpropConvInfo, convGeometry, requireForwardOutputShape, type Conv2DBackpropAttrs } from "./geometry";
import { composed } from "./scope";
import { simdKernels } from "./simd";
import { flippedFilter, stuffAndPad, transposedPads } from "./transposed-conv";
import { inputGradientTile, inputGradientWinograd } from "./winograd";

interface Conv2DBackpropInputAttrs extends Conv2DBackpropAttrs {
  inputShape: [number, number, number, number];
}

export const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const inputAttrs = attrs as unknown as Conv2DBackpropInputAttrs;
  return composed(backend, (scope) => {
    let dy = inputs.dy as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const channelsFirst = inputAttrs.dataFormat === "NCHW";
    const info = backpropConvInfo(inputAttrs.inputShape, filter.shape, inputAttrs);
    requireForwardOutputShape("Conv2DBackpropInput", dy.shape, info);
    if (channelsFirst) dy = scope.transpose(dy, [0, 2, 3, 1]);
    const g = convGeometry(info);
    const kernels = simdKernels(scope.backend);
    const tile = kernels ? inputGradientTile(g, info.outChannels) : undefined;
    if (kernels && tile !== undefined) {
      const dx = inputGradientWinograd(kernels, scope, dy, filter, g, info.outChannels, tile);
      return channelsFirst ? scope.transpose(dx, [0, 3, 1, 2]) : dx;
    }
    const flipped = flippedFilter(scope, filter); // [kh, kw, o, c]
    // stride 1 needs no zero stuffing: the convolution pads dy itself (no padded copy)
    const pads = g.sh === 1 && g.sw === 1 ? transposedPads(g) : undefined;
    const dx = scope.run(
      "Conv2D",
      { x: pads ? dy : stuffAndPad(scope, dy, g), filter: flipped },
      { strides: [1, 1], dilations: [g.dh, g.dw], pad: pads ?? "valid", dataFormat: "NHWC", dimRoundingMode: undefined },
    );
    return channelsFirst ? scope.transpose(dx, [0, 3, 1, 2]) : dx;
  });
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: "Conv2DBackpropInput",
  backendName: "wasm",
  kernelFunc: conv2DBackpropInput,
};
