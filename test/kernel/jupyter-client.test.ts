/**
 * Cross-check with an independent client: Debian's jupyter_client (Python) finds the kernelspec our
 * installer wrote, starts the kernel from it and talks to it. Registered where /usr/bin/python3 has
 * jupyter_client (CI installs it: .ci/run); the project's own tests need no Python.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installKernelSpec } from "../../kernel/install";

const PYTHON = "/usr/bin/python3";
const haveJupyterClient = fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import jupyter_client"]).status === 0;

/** Start the kernel with jupyter_client's KernelManager, run cells, print what the client saw as JSON. */
const CLIENT_SCRIPT = String.raw`
import json, sys
from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name="stepwise", startup_timeout=60)
try:
    info = kc.kernel_info(reply=True, timeout=30)["content"]
    def run(code):
        outputs = []
        reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: outputs.append({"type": m["msg_type"], "content": m["content"]}))
        return {"reply": reply["content"], "outputs": outputs}
    result = {
        "info": info,
        "value": run("const xs = [1, 2, 3];\nxs.map((x) => x * 2)"),
        "error": run('throw new TypeError("boom")'),
        "printed": run('console.log("hello from TypeScript")'),
    }
    print(json.dumps(result))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)
`;

interface Seen {
  type: string;
  content: Record<string, unknown>;
}
interface Cell {
  reply: Record<string, unknown>;
  outputs: Seen[];
}

if (haveJupyterClient) {
  describe("jupyter_client (Python) as the client", () => {
    let dataDir: string;
    let cwd: string;
    let env: NodeJS.ProcessEnv;
    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-jupyter-"));
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-notebook-"));
      // only the temporary data directory: the user's own kernelspecs must not interfere
      env = { ...process.env, JUPYTER_DATA_DIR: dataDir, JUPYTER_PATH: dataDir, JUPYTER_RUNTIME_DIR: path.join(dataDir, "runtime") };
      await installKernelSpec({ env });
    });
    after(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    test("`jupyter kernelspec list` finds the kernelspec our installer wrote", () => {
      const listed = spawnSync(PYTHON, ["-m", "jupyter_client.kernelspecapp", "list", "--json"], { env, encoding: "utf8" });
      assert.equal(listed.status, 0, listed.stderr);
      const specs = JSON.parse(listed.stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: { language: string; argv: string[] } }> };
      const ours = specs.kernelspecs.stepwise;
      assert.ok(ours, `stepwise missing from ${listed.stdout}`);
      assert.equal(ours.resource_dir, path.join(dataDir, "kernels", "stepwise"));
      assert.equal(ours.spec.language, "typescript");
      assert.ok(ours.spec.argv.includes("{connection_file}"));
    });

    test("KernelManager starts the kernel; results, errors and streams arrive as the spec says", () => {
      const ran = spawnSync(PYTHON, ["-c", CLIENT_SCRIPT], { env, cwd, encoding: "utf8", timeout: 180_000 });
      assert.equal(ran.status, 0, `${ran.stderr}\n${ran.stdout}`);
      const seen = JSON.parse(ran.stdout.trim().split("\n").pop() ?? "{}") as { info: Record<string, unknown>; value: Cell; error: Cell; printed: Cell };

      assert.equal(seen.info.status, "ok");
      assert.equal((seen.info.language_info as { name: string }).name, "typescript");

      assert.equal(seen.value.reply.status, "ok");
      const result = seen.value.outputs.find((o) => o.type === "execute_result");
      assert.ok(result, JSON.stringify(seen.value.outputs));
      assert.equal((result.content.data as Record<string, string>)["text/plain"], "[ 2, 4, 6 ]");
      assert.equal(result.content.execution_count, seen.value.reply.execution_count);

      assert.equal(seen.error.reply.status, "error");
      assert.equal(seen.error.reply.ename, "TypeError");
      assert.equal(seen.error.reply.evalue, "boom");
      const error = seen.error.outputs.find((o) => o.type === "error");
      assert.ok(error, JSON.stringify(seen.error.outputs));
      assert.deepEqual([error.content.ename, error.content.evalue], ["TypeError", "boom"]);
      assert.ok(Array.isArray(error.content.traceback) && error.content.traceback.length > 0);

      const streams = seen.printed.outputs.filter((o) => o.type === "stream");
      assert.deepEqual(streams.map((s) => s.content), [{ name: "stdout", text: "hello from TypeScript\n" }]);
    });
  });
}
