/**
 * A client killed outright (SIGKILL: no shutdown_request, no SIGTERM to its kernels) must not leave its
 * kernels running: the launcher passes JPY_PARENT_PID, and the kernel exits once its parent is gone — ours
 * (kernel/parent-watch.ts), and Debian's ipykernel where installed, which honours the same variable.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installKernelSpec } from "../../kernel/install";
import { watchParent } from "../../kernel/parent-watch";
import { haveIpykernel } from "../runner/fixtures";
import { isRunning } from "./harness";

const LAUNCHER = path.join(__dirname, "..", "..", "jupyter", "launcher");
const KERNELSPEC = path.join(__dirname, "..", "..", "jupyter", "kernelspec");


async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** Starts `kernelName` from `dirs` in a client process, SIGKILLs the client, returns whether the kernel ended. */
async function kernelOutlivesKilledClient(kernelName: string, dirs: string[], env: Record<string, string>): Promise<{ kernelPid: number; ended: boolean }> {
  const script = `
    const { KernelProcess } = require(${JSON.stringify(LAUNCHER)});
    const { findKernelSpec } = require(${JSON.stringify(KERNELSPEC)});
    (async () => {
      const spec = await findKernelSpec(${JSON.stringify(kernelName)}, ${JSON.stringify(dirs)});
      const kernel = await KernelProcess.start(spec, { startupTimeoutMs: 60000, runtimeDir: ${JSON.stringify(env.JUPYTER_RUNTIME_DIR)} });
      process.stdout.write(JSON.stringify({ kernel: kernel.child.pid }) + "\\n");
      setInterval(() => {}, 1000);
    })();
  `;
  const client = spawn(process.execPath, ["-e", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const kernelPid = await new Promise<number>((resolve, reject) => {
    let out = "";
    client.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { kernel: number }).kernel);
    });
    client.once("exit", (code) => reject(new Error(`the client exited (${code}) before starting its kernel`)));
  });
  assert.ok(isRunning(kernelPid), "the kernel runs while its client does");
  client.kill("SIGKILL");
  const ended = await until(() => !isRunning(kernelPid), 15_000);
  if (!ended) process.kill(kernelPid, "SIGKILL"); // leave nothing behind, then fail below
  return { kernelPid, ended };
}

test("watchParent: nothing to watch without JPY_PARENT_PID or when it names another process; fires when the parent changes", async () => {
  assert.equal(watchParent({}, () => assert.fail("no variable: no watch")), undefined);
  assert.equal(watchParent({ JPY_PARENT_PID: "not a pid" }, () => assert.fail()), undefined);
  assert.equal(watchParent({ JPY_PARENT_PID: "4242" }, () => assert.fail(), () => 17), undefined);
  let parent = 4242;
  let fired = false;
  watchParent({ JPY_PARENT_PID: "4242" }, () => (fired = true), () => parent);
  parent = 1; // re-parented: the client died
  assert.ok(await until(() => fired, 5000), "the watch fires once the parent changes");
});

test("our kernel exits when the client that started it is SIGKILLed", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-orphan-"));
  const env = { JUPYTER_DATA_DIR: dataDir, JUPYTER_RUNTIME_DIR: path.join(dataDir, "runtime") };
  try {
    await installKernelSpec({ env });
    const { kernelPid, ended } = await kernelOutlivesKilledClient("stepwise", [path.join(dataDir, "kernels")], env);
    assert.ok(ended, `kernel ${kernelPid} still runs 15 s after its client was killed`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

// the cross-check runs where Debian's ipykernel is installed (.ci/run installs it)
if (haveIpykernel) {
  test("cross-check: Debian's ipykernel, started by the same launcher, also exits with its killed client", async () => {
    const runtime = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-orphan-runtime-"));
    try {
      const { kernelPid, ended } = await kernelOutlivesKilledClient("python3", ["/usr/share/jupyter/kernels"], { JUPYTER_RUNTIME_DIR: runtime });
      assert.ok(ended, `ipykernel ${kernelPid} still runs 15 s after its client was killed`);
    } finally {
      fs.rmSync(runtime, { recursive: true, force: true });
    }
  });
}
