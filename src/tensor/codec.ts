/**
 * Tensors inside JSON state: shape, dtype and the raw little-endian bytes in base64 — exact (no decimal
 * round trip) and compact enough for checkpoints.
 */
import * as tf from "@tensorflow/tfjs";

export interface EncodedTensor {
  shape: number[];
  dtype: "float32" | "int32";
  data: string;
}

export function encodeTensor(tensor: tf.Tensor): EncodedTensor {
  if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
    throw new Error(`cannot encode a ${tensor.dtype} tensor in optimizer state (float32 or int32 only)`);
  }
  const values = tensor.dataSync() as Float32Array | Int32Array;
  return {
    shape: [...tensor.shape],
    dtype: tensor.dtype,
    data: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64"),
  };
}

export function decodeTensor(encoded: EncodedTensor, what: string): tf.Tensor {
  const bytes = Buffer.from(encoded.data, "base64");
  const size = encoded.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== size * 4) {
    throw new Error(`${what}: expected ${size} values for shape [${encoded.shape}], found ${bytes.byteLength / 4}`);
  }
  const copy = new Uint8Array(bytes); // aligned copy
  const values = encoded.dtype === "int32" ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
  return tf.tensor(values, encoded.shape, encoded.dtype);
}
