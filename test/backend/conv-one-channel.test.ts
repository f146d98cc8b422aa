/**
 * The forward convolution of a one-channel input (a grayscale first layer) on wasm: where every window lies
 * inside the image and the output channels come in sixteens, assembly/index.ts runs it two positions × 16
 * channels at a time (conv2dOneChannelInside), and it must make the same sums in the same order as conv2d's
 * general 4 × 8 tiles: the same bits.
 *
 * The reference is the same layer with 8 more output channels, whose count is then no multiple of 16, so it
 * runs on the general tiles: its first channels must equal the layer's bit for bit. Both are also held to
 * the property test's tolerance of tfjs's cpu backend. Over random layers (a fixed seed): kernel sizes,
 * strides and dilations, images down to one output column, odd rows (whose last position is computed with
 * the one before it), 16 to 48 channels, with and without bias and ReLU; and layers with "same" padding,
 * whose windows reach outside and keep the general tiles (where their padding comes out 0, as with a 1 × 1
 * kernel, they take the one-channel tiles too).
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose, normals, seeded, setUpWasm, valuesOn } from "./helpers";
import { RELATIVE_TOLERANCE } from "./kernel-property";
import type { Rng } from "../../src/data";

before(setUpWasm);

interface Layer {
  n: number;
  height: number;
  width: number;
  kh: number;
  kw: number;
  strides: [number, number];
  dilations: [number, number];
  o: number;
  pad: "valid" | "same";
  epilogue: "none" | "bias" | "bias+relu" | "relu";
}

function drawLayer(random: Rng, pad: Layer["pad"]): Layer {
  const kh = 1 + random.int(5);
  const kw = 1 + random.int(5);
  const dilated = random.int(4) === 0;
  const dilations: [number, number] = dilated ? [1 + random.int(2), 1 + random.int(2)] : [1, 1];
  // tfjs takes strides above 1 or dilations above 1, not both
  const strides: [number, number] = dilated ? [1, 1] : [1 + random.int(3), 1 + random.int(3)];
  const extent = (k: number, d: number) => (k - 1) * d + 1;
  return {
    n: 1 + random.int(4),
    height: extent(kh, dilations[0]) + random.int(12),
    width: extent(kw, dilations[1]) + random.int(12),
    kh,
    kw,
    strides,
    dilations,
    o: 16 * (1 + random.int(3)),
    pad,
    epilogue: (["none", "bias", "bias+relu", "relu"] as const)[random.int(4)],
  };
}

function describeLayer(l: Layer): string {
  return `[${l.n},${l.height},${l.width},1] * ${l.kh}x${l.kw}x${l.o} strides ${l.strides} dilations ${l.dilations} ${l.pad} ${l.epilogue}`;
}

/** The layer's output with `outChannels` filters (the first `layer.o` of them are the layer's own). */
function convolve(layer: Layer, x: Float32Array, filter: Float32Array, bias: Float32Array, outChannels: number): tf.Tensor {
  const xt = tf.tensor4d(x, [layer.n, layer.height, layer.width, 1]);
  const ft = tf.tensor4d(filter, [layer.kh, layer.kw, 1, outChannels]);
  const common = { x: xt, filter: ft, strides: layer.strides, pad: layer.pad, dilations: layer.dilations };
  if (layer.epilogue === "none") return tf.conv2d(xt, ft, layer.strides, layer.pad, "NHWC", layer.dilations);
  const withBias = layer.epilogue !== "relu";
  const activation = layer.epilogue.endsWith("relu") ? "relu" : "linear";
  return tf.fused.conv2d({ ...common, bias: withBias ? tf.tensor1d(bias.subarray(0, outChannels)) : undefined, activation });
}

/** The first `channels` of each position's channels in `values`, laid out [positions, stride]. */
function firstChannels(values: Float32Array, stride: number, channels: number): Float32Array {
  const positions = values.length / stride;
  const out = new Float32Array(positions * channels);
  for (let p = 0; p < positions; p++) out.set(values.subarray(p * stride, p * stride + channels), p * channels);
  return out;
}

async function check(layer: Layer, random: Rng): Promise<void> {
  const what = describeLayer(layer);
  const wide = layer.o + 8;
  // filters laid out [kh, kw, 1, wide]: the layer's own are the first o of each tap's
  const wideFilter = normals(random, layer.kh * layer.kw * wide);
  const filter = firstChannels(wideFilter, wide, layer.o);
  const wideBias = normals(random, wide);
  const x = normals(random, layer.n * layer.height * layer.width);
  const [own, general] = await valuesOn("wasm", () => [
    convolve(layer, x, filter, wideBias, layer.o),
    convolve(layer, x, wideFilter, wideBias, wide),
  ]);
  assert.deepEqual(own, firstChannels(general, wide, layer.o), `${what}: the bits of the general tiles`);
  const [cpu] = await valuesOn("cpu", () => convolve(layer, x, filter, wideBias, layer.o));
  assertClose(own, cpu, RELATIVE_TOLERANCE, `${what}: against cpu`);
}

describe("a convolution of a one-channel input on wasm", () => {
  test("windows inside the image: two positions × 16 channels at a time, the bits of the general tiles", async () => {
    const random = seeded(61);
    let oddRows = 0;
    let oneColumn = 0;
    for (let i = 0; i < 60; i++) {
      const layer = drawLayer(random, "valid");
      const outWidth = Math.ceil((layer.width - ((layer.kw - 1) * layer.dilations[1] + 1) + 1) / layer.strides[1]);
      if (outWidth % 2 === 1) oddRows++;
      if (outWidth === 1) oneColumn++;
      await check(layer, random);
    }
    assert.ok(oddRows > 5 && oneColumn > 0, `the space reached odd rows (${oddRows}) and single columns (${oneColumn})`);
  });

  test('"same" padding: the same bits as the general tiles, and within tolerance of cpu', async () => {
    const random = seeded(62);
    for (let i = 0; i < 20; i++) await check(drawLayer(random, "same"), random);
  });
});
