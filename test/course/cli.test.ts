/** `stepwise course`'s option errors: each names the option and what it accepts, before anything runs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

const CLI = path.join(__dirname, "..", "..", "..", "bin", "stepwise.js");

function stepwise(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: os.tmpdir(), timeout: 60_000 });
  return { status: result.status, stderr: result.stderr };
}

test("course build refuses an unknown mode, naming the choices", () => {
  const { status, stderr } = stepwise("course", "build", "--mode", "fast");
  assert.equal(status, 1);
  assert.match(stderr, /--mode <mode>' argument 'fast' is invalid\. Allowed choices are smoke, full/);
});

test("course build refuses --jobs that is not a positive integer", () => {
  for (const jobs of ["0", "1.5", "two"]) {
    const { status, stderr } = stepwise("course", "build", "--jobs", jobs);
    assert.equal(status, 1);
    assert.match(stderr, /--jobs must be an integer >= 1/);
  }
});

test("course build names a lessons folder it cannot read", () => {
  const { status, stderr } = stepwise("course", "build", "--notebooks", "/nonexistent/lessons", "--out", path.join(os.tmpdir(), "never"));
  assert.equal(status, 1);
  assert.match(stderr, /cannot read the lessons folder \/nonexistent\/lessons/);
});

test("course serve without a built site says how to build one", () => {
  const { status, stderr } = stepwise("course", "serve", "--out", "/nonexistent/site");
  assert.equal(status, 1);
  assert.match(stderr, /no site in \/nonexistent\/site; build it first with `stepwise course build --out \/nonexistent\/site`/);
});
