/**
 * The kernel's startup snapshot (kernel/snapshot), end to end through the real kernelspec and launcher, with
 * the snapshot built into a temporary cache:
 * - a kernel starts from it and answers cells exactly as a kernel started without one: results, type errors
 *   in tfjs's and stepwise's types (whose declaration files come parsed from the snapshot), completions;
 * - the launcher passes SIGINT on (a busy cell is interrupted), and killing the launcher ends the kernel;
 * - a damaged snapshot is refused: the kernel starts without it, the file is removed and marked so that it is
 *   not built again;
 * - a build waits for no other build (the lock), and the flags a kernel passes on leave out `-e` code.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findKernelSpec } from "../../jupyter/kernelspec";
import { KernelProcess } from "../../jupyter/launcher";
import { installKernelSpec } from "../../kernel/install";
import { nodeFlags, snapshotFile } from "../../kernel/snapshot/blob";
import { KEEP_OTHERS, UNUSED_DAYS, buildSnapshot, removeUnused } from "../../kernel/snapshot/build";
import { restoreTunables, withHugePageMalloc } from "../../kernel/snapshot/huge-pages";
import { isRunning, ok, resultText, run, streamText } from "./harness";

const STEPWISE_CLI = path.resolve(__dirname, "../../../bin/stepwise.js");

let root: string;
let cacheDir: string;
let env: Record<string, string>;
let cwd: string;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-snapshot-"));
  cacheDir = path.join(root, "cache");
  cwd = path.join(root, "notebook");
  fs.mkdirSync(cwd);
  env = {
    STEPWISE_CACHE_DIR: cacheDir,
    JUPYTER_DATA_DIR: path.join(root, "jupyter"),
    JUPYTER_RUNTIME_DIR: path.join(root, "jupyter", "runtime"),
  };
  await installKernelSpec({ env });
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function startKernel(extra: Record<string, string> = {}): Promise<KernelProcess> {
  const spec = await findKernelSpec("stepwise", [path.join(env.JUPYTER_DATA_DIR, "kernels")]);
  return KernelProcess.start(spec, { cwd, env: { ...env, ...extra }, runtimeDir: env.JUPYTER_RUNTIME_DIR, startupTimeoutMs: 60_000 });
}

function snapshotPath(): string {
  return snapshotFile({ ...process.env, ...env });
}

/**
 * Whether the kernel process runs from a snapshot, what it was told about it (kernel/main.ts), and the glibc
 * tunables cells see (the launcher adds huge-page malloc for the kernel's start, huge-pages.ts).
 */
const START_CELL = `console.log(JSON.stringify({ fromSnapshot: process.execArgv.includes("--snapshot-blob"), start: require(${JSON.stringify(
  path.resolve(__dirname, "../../kernel/main.js"),
)}).kernelStart ?? null, tunables: Object.entries(process.env).filter(([name]) => name.includes("GLIBC_TUNABLES")) }))`;

interface StartReport {
  fromSnapshot: boolean;
  start: { file: string; seeded: number; stale: number } | null;
  tunables: Array<[string, string]>;
}

/** The GLIBC_TUNABLES this test's kernels are given (this process's own, if any). */
function clientTunables(): Array<[string, string]> {
  return process.env.GLIBC_TUNABLES === undefined ? [] : [["GLIBC_TUNABLES", process.env.GLIBC_TUNABLES]];
}

async function startReport(kernel: KernelProcess): Promise<StartReport> {
  return JSON.parse(streamText(await ok(kernel, START_CELL))) as StartReport;
}

/** Cells whose answers must not depend on how the kernel started: results, type errors, completions. */
const CELLS = [
  'import * as tf from "@tensorflow/tfjs";\nimport * as sw from "stepwise";\ntypeof sw.adam',
  "const t: tf.Tensor2D = tf.tensor1d([1, 2]);",
  'const o = sw.adam({ lr: "fast" });',
  "tf.tensor2d([[1, 2], [3, 4]]).shape",
  "const n: number = 1;\nn + 41",
  'import { readFileSync } from "node:fs";\nconst x: Buffer = readFileSync;',
];

async function answers(kernel: KernelProcess): Promise<string[]> {
  const out: string[] = [];
  for (const cell of CELLS) {
    const outcome = await run(kernel, cell);
    const content = outcome.reply.content as { status: string; evalue?: string };
    const result = outcome.iopub.find((m) => m.header.msg_type === "execute_result");
    out.push(`${content.status} ${content.evalue ?? ""} ${result ? JSON.stringify((result.content as { data: unknown }).data) : ""}`);
  }
  const completion = await kernel.client.request("complete_request", { code: "tf.tensor", cursor_pos: 9 }, { timeoutMs: 60_000 });
  out.push(JSON.stringify((completion.content as { matches: string[] }).matches.slice(0, 20)));
  return out;
}

describe("kernel startup snapshot", () => {
  test("a kernel starts from the snapshot and answers as a kernel started without one", async () => {
    // built as a user builds it: `stepwise kernel snapshot`
    const cli = spawnSync(process.execPath, [STEPWISE_CLI, "kernel", "snapshot"], { cwd, env: { ...process.env, ...env }, encoding: "utf8", timeout: 300_000 });
    assert.equal(cli.status, 0, cli.stderr);
    const built = { file: snapshotPath() };
    assert.match(cli.stdout, new RegExp(`Built the kernel's start-up snapshot ${built.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(\\d+ MB`));
    assert.ok(fs.statSync(built.file).size > 1e6);

    const fromSnapshot = await startKernel();
    const without = await startKernel({ STEPWISE_KERNEL_SNAPSHOT: "0" });
    const tunables = "glibc.malloc.trim_threshold=262144";
    const withTunables = await startKernel({ GLIBC_TUNABLES: tunables });
    try {
      const report = await startReport(fromSnapshot);
      assert.equal(report.fromSnapshot, true);
      assert.equal(report.start?.file, built.file);
      // the compiler's lib, @types/node, tfjs's and stepwise's declarations: hundreds of files
      assert.ok((report.start?.seeded ?? 0) > 300, `seeded ${report.start?.seeded}`);
      assert.equal(report.start?.stale, 0);
      // cells see the environment the client gave the kernel, whatever the launcher added for the start
      assert.deepEqual(report.tunables, clientTunables());
      assert.deepEqual(await startReport(without), { fromSnapshot: false, start: null, tunables: clientTunables() });
      const userTunables = await startReport(withTunables);
      assert.equal(userTunables.fromSnapshot, true);
      assert.deepEqual(userTunables.tunables, [["GLIBC_TUNABLES", tunables]]);

      const expected = await answers(without);
      assert.deepEqual(await answers(fromSnapshot), expected);
      // the cells above do fail where they should: the comparison is not between two empty lists
      assert.match(expected[1], /^error .*Tensor2D/);
      assert.match(expected[2], /^error .*string/);
      assert.match(expected[3], /\[ 2, 2 \]/);
    } finally {
      await fromSnapshot.shutdown(3000);
      await without.shutdown(3000);
      await withTunables.shutdown(3000);
    }
  });

  test("the launcher passes SIGINT on, and the kernel ends with the launcher", async () => {
    assert.ok(fs.existsSync(snapshotPath()), "the first test built the snapshot");
    const kernel = await startKernel();
    try {
      assert.equal((await startReport(kernel)).fromSnapshot, true);
      const kernelPid = Number(resultText(await ok(kernel, "process.pid")));
      assert.notEqual(kernelPid, kernel.child.pid, "the kernel runs in the launcher's child");

      const busy = run(kernel, "while (true) {}");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await kernel.interrupt();
      const interrupted = await busy;
      assert.equal(interrupted.reply.content.status, "error");
      assert.equal(resultText(await ok(kernel, "1 + 1")), "2", "the kernel serves after the interrupt");

      kernel.child.kill("SIGKILL");
      const deadline = Date.now() + 10_000;
      while (isRunning(kernelPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(isRunning(kernelPid), false, "the kernel outlived its launcher");
    } finally {
      await kernel.shutdown(1000).catch(() => undefined);
    }
  });

  test("a damaged snapshot is refused, removed and not built again; the kernel starts without it", async () => {
    const file = snapshotPath();
    const whole = fs.readFileSync(file);
    // what a full disk would leave: the first megabyte
    fs.writeFileSync(file, whole.subarray(0, 1 << 20));
    const kernel = await startKernel();
    try {
      assert.deepEqual(await startReport(kernel), { fromSnapshot: false, start: null, tunables: clientTunables() });
      assert.equal(resultText(await ok(kernel, "1 + 1")), "2");
      assert.equal(fs.existsSync(file), false, "the damaged snapshot was removed");
      assert.ok(fs.existsSync(`${file}.refused`), "and marked as refused");
      const again = await buildSnapshot(cwd, { ...process.env, ...env });
      assert.equal(again.built, false);
      assert.match(again.built ? "" : again.reason, /refused/);
    } finally {
      await kernel.shutdown(3000);
      fs.rmSync(`${file}.refused`, { force: true });
    }
  });

  test("one build at a time: a build finding another's lock leaves the snapshot alone", async () => {
    const file = snapshotPath();
    fs.writeFileSync(`${file}.lock`, "");
    try {
      const outcome = await buildSnapshot(cwd, { ...process.env, ...env });
      assert.equal(outcome.built, false);
      assert.match(outcome.built ? "" : outcome.reason, /another build holds/);
      assert.equal(fs.existsSync(file), false);
    } finally {
      fs.rmSync(`${file}.lock`, { force: true });
    }
  });

  test("`kernel snapshot` refuses to build when snapshots are turned off", () => {
    const cli = spawnSync(process.execPath, [STEPWISE_CLI, "kernel", "snapshot"], { cwd, env: { ...process.env, ...env, STEPWISE_KERNEL_SNAPSHOT: "0" }, encoding: "utf8" });
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /STEPWISE_KERNEL_SNAPSHOT=0 turns snapshots off/);
  });

  test("old snapshots go: unused for 30 days, or beyond the most recently used few; so do builders' leftovers", () => {
    const dir = fs.mkdtempSync(path.join(root, "prune-"));
    const name = (i: number) => `kernel-${String(i).padStart(20, "0")}.snapshot`;
    const day = 24 * 3600 * 1000;
    const files: Record<string, number> = {
      [name(0)]: 40 * day, // the current one: kept whatever its age
      [name(1)]: 1 * day,
      [name(2)]: 2 * day,
      [name(3)]: 3 * day,
      [name(4)]: 4 * day,
      [name(5)]: (UNUSED_DAYS + 1) * day,
      [`${name(6)}.refused`]: (UNUSED_DAYS + 1) * day,
      [`${name(7)}.refused`]: 1 * day,
      [`.${name(8)}.0a1b2c3d4e5f.tmp`]: 2 * day,
      [`.${name(9)}.0a1b2c3d4e5f.tmp`]: 0,
      "typescript-00000000000000000000.v8-code-cache": 400 * day,
      "notes.txt": 400 * day,
    };
    for (const [file, age] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, file), "");
      const when = new Date(Date.now() - age);
      fs.utimesSync(path.join(dir, file), when, when);
    }
    removeUnused(dir, path.join(dir, name(0)));
    assert.equal(KEEP_OTHERS, 2);
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      `.${name(9)}.0a1b2c3d4e5f.tmp`,
      name(0),
      name(1),
      name(2),
      `${name(7)}.refused`,
      "notes.txt",
      "typescript-00000000000000000000.v8-code-cache",
    ].sort());
  });

  test("the flags passed on to a kernel and its builder leave out what to run", () => {
    assert.deepEqual(nodeFlags(["--max-old-space-size=4096", "-e", "code()", "--snapshot-blob", "f", "--no-warnings", "--eval=x", "--build-snapshot", "--test-reporter=spec"]), [
      "--max-old-space-size=4096",
      "--no-warnings",
    ]);
    assert.deepEqual(nodeFlags([]), []);
  });

  test("the kernel's start asks glibc for huge-page malloc, keeping the user's tunables, and puts them back", () => {
    const user = { PATH: "/bin", GLIBC_TUNABLES: "glibc.malloc.trim_threshold=1" };
    const started = withHugePageMalloc(user);
    assert.equal(started.GLIBC_TUNABLES, "glibc.malloc.trim_threshold=1:glibc.malloc.hugetlb=1");
    assert.equal(started.PATH, "/bin");
    assert.equal(user.GLIBC_TUNABLES, "glibc.malloc.trim_threshold=1", "the launcher's own environment is left alone");
    restoreTunables(started);
    assert.deepEqual(started, user);

    const none = withHugePageMalloc({ PATH: "/bin" });
    assert.equal(none.GLIBC_TUNABLES, "glibc.malloc.hugetlb=1");
    restoreTunables(none);
    assert.deepEqual(none, { PATH: "/bin" });

    // the user's own choice of this tunable wins
    const chosen = { GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" };
    assert.equal(withHugePageMalloc(chosen), chosen);
    // a process the launcher did not start has nothing to put back
    const untouched = { GLIBC_TUNABLES: "glibc.malloc.trim_threshold=1" };
    restoreTunables(untouched);
    assert.deepEqual(untouched, { GLIBC_TUNABLES: "glibc.malloc.trim_threshold=1" });
  });
});
