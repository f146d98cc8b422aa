/**
 * The models of shared/peers/torch_bench.py, layer for layer (tfjs is NHWC where PyTorch is NCHW). The last
 * layer ends in a softmax: tfjs-layers' "sparseCategoricalCrossentropy" takes probabilities (it divides the
 * outputs by their sum and takes the log), so softmax + that loss is the cross-entropy of the logits, the same
 * computation as PyTorch's nn.CrossEntropyLoss on the peer's raw outputs.
 */
import * as tf from "@tensorflow/tfjs";

export type ModelName = "mlp" | "cnn";

export function buildModel(name: ModelName): tf.Sequential {
  const seed = 0;
  const init = () => tf.initializers.glorotUniform({ seed });
  if (name === "mlp") {
    return tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 256, activation: "relu", kernelInitializer: init() }),
        tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init() }),
      ],
    });
  }
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: "relu", kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init() }),
    ],
  });
}

/** N random inputs and labels, as the peer script uses (randn inputs, uniform labels). */
export function benchData(name: ModelName, n: number): { x: tf.Tensor; y: tf.Tensor } {
  const x = name === "mlp" ? tf.randomNormal([n, 784], 0, 1, "float32", 1) : tf.randomNormal([n, 28, 28, 1], 0, 1, "float32", 1);
  const y = tf.randomUniform([n], 0, 10, "int32", 2);
  return { x, y };
}
