/**
 * Test harness: installs the kernelspec into a temporary Jupyter data directory with the real installer and
 * starts the real kernel process from it (KernelProcess, as a notebook server would), with its working
 * directory in a fresh temporary folder outside the repository.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExecuteOptions, ExecuteOutcome } from "../../jupyter/client";
import { FoundKernelSpec, findKernelSpec } from "../../jupyter/kernelspec";
import { KernelProcess } from "../../jupyter/launcher";
import { Message } from "../../jupyter/messages";
import { installKernelSpec } from "../../kernel/install";

export interface Harness {
  kernel: KernelProcess;
  spec: FoundKernelSpec;
  dataDir: string;
  cwd: string;
  /** Start another kernel from the same spec (a restart), in the same working directory. */
  restart(): Promise<KernelProcess>;
  close(): Promise<void>;
}

export async function startKernel(): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-jupyter-"));
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-notebook-"));
  const env = { JUPYTER_DATA_DIR: dataDir, JUPYTER_RUNTIME_DIR: path.join(dataDir, "runtime") };
  await installKernelSpec({ env });
  const spec = await findKernelSpec("stepwise", [path.join(dataDir, "kernels")]);
  const launch = () => KernelProcess.start(spec, { cwd, env, runtimeDir: env.JUPYTER_RUNTIME_DIR, startupTimeoutMs: 60_000 });
  const kernels: KernelProcess[] = [await launch()];
  return {
    get kernel() {
      return kernels[kernels.length - 1];
    },
    spec,
    dataDir,
    cwd,
    restart: async () => {
      const next = await launch();
      kernels.push(next);
      return next;
    },
    close: async () => {
      for (const kernel of kernels) await kernel.shutdown(3000);
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** Execute with a generous timeout; the timeout guards against hangs, it asserts nothing about speed. */
export function run(kernel: KernelProcess, code: string, options: ExecuteOptions = {}): Promise<ExecuteOutcome> {
  return kernel.client.execute(code, { timeoutMs: Number(process.env.KERNEL_TEST_TIMEOUT_MS ?? 120_000), ...options });
}

/** The iopub messages of an outcome with this type. */
export function ofType<T extends Message["header"]["msg_type"]>(outcome: ExecuteOutcome, type: T): Message<T>[] {
  return outcome.iopub.filter((m) => m.header.msg_type === type) as Message<T>[];
}

/** All stream text of one stream name, concatenated. */
export function streamText(outcome: ExecuteOutcome, name: "stdout" | "stderr" = "stdout"): string {
  return ofType(outcome, "stream")
    .filter((m) => m.content.name === name)
    .map((m) => m.content.text)
    .join("");
}

/** The text/plain of the execute_result, asserting there is exactly one. */
export function resultText(outcome: ExecuteOutcome): string {
  const results = ofType(outcome, "execute_result");
  assert.equal(results.length, 1, `expected one execute_result, got ${results.length}; reply ${JSON.stringify(outcome.reply.content)}`);
  return results[0].content.data["text/plain"] as string;
}

/** Assert the cell succeeded and return its outcome. */
export async function ok(kernel: KernelProcess, code: string, options: ExecuteOptions = {}): Promise<ExecuteOutcome> {
  const outcome = await run(kernel, code, options);
  assert.equal(outcome.reply.content.status, "ok", `cell failed: ${JSON.stringify(outcome.reply.content)}\n${code}`);
  return outcome;
}

/** Running and not a zombie (an orphan's zombie may linger until some reaper collects it). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
