/**
 * Choosing the backend, in fresh Node processes (the choice is process-wide): the default order on this
 * machine, STEPWISE_BACKEND, errors that say why and how to install, wasm threads, and the description.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { allCoresWasmThreads, defaultWasmThreads } from "../../src/backend";

const BACKEND_MODULE = path.join(__dirname, "..", "..", "src", "backend");

/** Run useBestBackend(preferred) in a child process; returns its JSON description or its error. */
function choose(env: Record<string, string>, preferred?: string): { info?: Record<string, unknown>; text?: string; error?: string; output: string } {
  const script = `
    const backend = require(${JSON.stringify(BACKEND_MODULE)});
    const tf = require("@tensorflow/tfjs");
    backend.useBestBackend(${preferred === undefined ? "" : JSON.stringify(preferred)}).then((info) => {
      tf.tidy(() => tf.matMul(tf.ones([4, 4]), tf.ones([4, 4])).dataSync());
      process.stdout.write(JSON.stringify({ info, text: String(info), bundle: info[Symbol.for("Jupyter.display")]() }));
    }, (error) => process.stdout.write(JSON.stringify({ error: error.message })));
  `;
  const child = spawnSync(process.execPath, ["-e", script], {
    env: { ...process.env, STEPWISE_BACKEND: "", STEPWISE_WASM_THREADS: "", STEPWISE_WASM_KERNELS: "", STEPWISE_BLAS: "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const json = child.stdout.slice(child.stdout.indexOf("{"));
  return { ...JSON.parse(json), output: child.stdout.slice(0, child.stdout.indexOf("{")) + child.stderr };
}

describe("useBestBackend", () => {
  test("without a preference: wasm here, saying why native TensorFlow and WebGPU were passed over", () => {
    const { info, text, output } = choose({});
    assert.ok(info, "no backend");
    assert.equal(info.name, "wasm");
    assert.equal(info.simd, true);
    // every core, at most 8, but one on a machine of two cores or fewer
    const cores = os.availableParallelism();
    assert.equal(info.threads, cores <= 2 ? 1 : Math.min(8, cores));
    const skipped = info.skipped as Array<{ name: string; reason: string }>;
    assert.deepEqual(skipped.map((s) => s.name), ["tensorflow", "webgpu"]);
    for (const s of skipped) assert.ok(s.reason.length > 10, `a reason for ${s.name}`);
    assert.match(String(text), /^tfjs 4\.22\.\d+ on wasm \(SIMD on, \d threads?, kernels relaxed-simd \(FMA\)(, products on .+)?\): /);
    assert.equal(output, "", "nothing printed: no tfjs banner, no Dawn warnings");
  });

  test("STEPWISE_BACKEND=cpu is honoured, silently (tfjs's Node banner is gone)", () => {
    const { info, output } = choose({ STEPWISE_BACKEND: "cpu" });
    assert.equal(info?.name, "cpu");
    assert.equal(info?.simd, null);
    assert.doesNotMatch(output, /looks like you are running TensorFlow\.js in Node/);
  });

  test("an argument wins over STEPWISE_BACKEND", () => {
    assert.equal(choose({ STEPWISE_BACKEND: "cpu" }, "wasm").info?.name, "wasm");
  });

  test("a requested backend that cannot load is an error saying why and how to install it; no fallback", () => {
    const native = choose({ STEPWISE_BACKEND: "tensorflow" });
    assert.equal(native.info, undefined);
    assert.match(String(native.error), /^STEPWISE_BACKEND: the tensorflow backend cannot be used: .+/);
    assert.match(String(native.error), /npm install @tensorflow\/tfjs-node/);
    const gpu = choose({}, "webgpu");
    assert.match(String(gpu.error), /^useBestBackend: the webgpu backend cannot be used: .+\. It needs the `webgpu` package/);
  });

  test("an unknown name lists the valid ones", () => {
    assert.equal(choose({ STEPWISE_BACKEND: "tpu" }).error, 'STEPWISE_BACKEND: unknown backend "tpu"; expected one of tensorflow, webgpu, wasm, cpu');
  });

  test("STEPWISE_WASM_THREADS sets XNNPACK's pool; out of range is an error naming the variable", () => {
    // 1 and 2: on any machine, one of them is not the default
    assert.equal(choose({ STEPWISE_WASM_THREADS: "1" }).info?.threads, 1);
    assert.equal(choose({ STEPWISE_WASM_THREADS: "2" }).info?.threads, 2);
    assert.equal(choose({ STEPWISE_WASM_THREADS: "0" }).error, 'STEPWISE_WASM_THREADS must be an integer in [1, 8], got "0"');
  });

  test("the default thread count: every core, at most 8, but one on two cores or fewer", () => {
    const cores = [1, 2, 3, 4, 6, 8, 12, 64];
    assert.deepEqual(cores.map((n) => defaultWasmThreads(n)), [1, 1, 3, 4, 6, 8, 8, 8]);
    assert.deepEqual(cores.map((n) => allCoresWasmThreads(n)), [1, 2, 3, 4, 6, 8, 8, 8]);
  });

  test("stepwise's kernels run the relaxed-SIMD build (fused multiply-add) unless STEPWISE_WASM_KERNELS names one", () => {
    // Node 20's V8 validates relaxed SIMD only behind a flag, which stepwise turns on; Node 21+ has it by default
    assert.equal(choose({}).info?.kernels, "relaxed-simd");
    assert.equal(choose({ STEPWISE_WASM_KERNELS: "simd" }).info?.kernels, "simd");
    assert.equal(choose({ STEPWISE_WASM_KERNELS: "fma" }).error, 'STEPWISE_WASM_KERNELS must be one of relaxed-simd, simd; got "fma"');
    assert.equal(choose({ STEPWISE_BACKEND: "cpu" }).info?.kernels, null);
  });

  test("STEPWISE_BLAS: the machine's BLAS takes the products unless turned off; a library that does not load is an error naming it", () => {
    const found = choose({}).info;
    const off = choose({ STEPWISE_BLAS: "off" }).info;
    assert.equal(off?.blas, null);
    assert.ok((off?.notes as string[]).includes("matrix products on wasm only: turned off by STEPWISE_BLAS=off"), JSON.stringify(off?.notes));
    // with a BLAS found, naming the same library gives the same; without one, the note says why
    if (typeof found?.blas === "string") {
      const file = found.blas.slice(found.blas.lastIndexOf(", ") + 2);
      assert.equal(choose({ STEPWISE_BLAS: file }).info?.blas, found.blas);
      // the one-line text names the library whole (its description less the file), its parentheses closed
      const library = found.blas.slice(0, found.blas.lastIndexOf(", "));
      assert.ok(String(choose({}).text).includes(`, products on ${library}): `), `${choose({}).text} should name ${library}`);
    } else {
      assert.equal(found?.blas, null);
      assert.ok((found?.notes as string[]).some((note) => note.startsWith("matrix products on wasm only: ")), JSON.stringify(found?.notes));
    }
    assert.match(String(choose({ STEPWISE_BLAS: "/nonexistent/libopenblas.so.0" }).error), /^STEPWISE_BLAS=\/nonexistent\/libopenblas\.so\.0: .+It must be the path of a CBLAS library/);
    assert.equal(choose({ STEPWISE_BACKEND: "cpu" }).info?.blas, null);
  });

  test("the description displays as a table (text and HTML) in a notebook", () => {
    const { bundle } = choose({}) as unknown as { bundle: Record<string, string> };
    assert.match(bundle["text/plain"], /^backend {9}wasm\ndevice {10}.+\nwasm {12}SIMD on, \d threads?, kernels relaxed-simd \(FMA\)\n(products {8}.+\n)?tfjs {12}4\.22/);
    assert.match(bundle["text/html"], /^<table class="stepwise-backend"><tr><th[^>]*>backend<\/th><td[^>]*>wasm<\/td><\/tr>/);
  });

  test("stepwise's SIMD kernels attach to the single-threaded build's (unshared) memory as well", () => {
    // gradients of a small CNN (max-pool gradient, filter gradient, bias sums, gathers) on wasm with one
    // thread against cpu, and an Adam step through the fused kernel
    const script = `
      const backend = require(${JSON.stringify(BACKEND_MODULE)});
      const { adam } = require(${JSON.stringify(path.join(__dirname, "..", "..", "src", "optim"))});
      const tf = require("@tensorflow/tfjs");
      const run = () => {
        const x = tf.tensor(Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i)), [2, 8, 8, 3]);
        const w = tf.variable(tf.tensor(Array.from({ length: 3 * 3 * 3 * 8 }, (_, i) => Math.cos(i)), [3, 3, 3, 8]));
        const b = tf.variable(tf.zeros([8]));
        const loss = () => tf.maxPool(tf.relu(tf.add(tf.conv2d(tf.gather(x, [1, 0]), w, 1, "valid"), b)), 2, 2, "valid").square().sum();
        const optimizer = adam({ lr: 0.1 });
        for (let i = 0; i < 3; i++) optimizer.minimize(loss);
        return [...w.dataSync(), ...b.dataSync()];
      };
      backend.useBestBackend("wasm").then(async (info) => {
        const onWasm = run();
        await tf.setBackend("cpu");
        const onCpu = run();
        const worst = Math.max(...onCpu.map((v, i) => Math.abs(v - onWasm[i]) / Math.max(1, Math.abs(v))));
        process.stdout.write(JSON.stringify({ threads: info.threads, kernel: Boolean(tf.getKernel("StepwiseAdamStep", "wasm")), worst }));
      });
    `;
    const child = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, STEPWISE_BACKEND: "", STEPWISE_WASM_THREADS: "1" }, encoding: "utf8", timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.slice(child.stdout.indexOf("{"))) as { threads: number; kernel: boolean; worst: number };
    assert.equal(result.threads, 1);
    assert.ok(result.kernel, "the fused Adam kernel is registered");
    assert.ok(result.worst < 1e-5, `parameters after 3 steps differ from cpu by ${result.worst} (relative)`);
  });
});

