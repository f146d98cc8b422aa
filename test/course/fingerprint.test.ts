/** The code fingerprint in the course's cache key: any change to the built library, kernel or wasm changes it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { codeFingerprint } from "../../course/fingerprint";

test("the fingerprint follows the built code's paths and contents, not source maps or other folders", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-fingerprint-"));
  try {
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    };
    write("src/optim/adam.js", "exports.a = 1;");
    write("kernel/main.js", "k");
    write("wasm/kernels.wasm", "\0asm");
    const first = codeFingerprint("0.1.0", root);
    assert.match(first, /^0\.1\.0\+[0-9a-f]{12}$/);
    assert.equal(codeFingerprint("0.1.0", root), first, "same code, same fingerprint");
    assert.notEqual(codeFingerprint("0.2.0", root), first, "the version is part of it");

    write("src/optim/adam.js.map", "{}");
    write("test/x.test.js", "t");
    assert.equal(codeFingerprint("0.1.0", root), first, "source maps and tests do not count");

    for (const [file, text] of [["src/optim/adam.js", "exports.a = 2;"], ["kernel/main.js", "k2"], ["wasm/kernels.wasm", "\0asm2"]]) {
      const before = codeFingerprint("0.1.0", root);
      write(file, text);
      assert.notEqual(codeFingerprint("0.1.0", root), before, `${file} changed`);
    }
    const moved = codeFingerprint("0.1.0", root);
    fs.renameSync(path.join(root, "kernel/main.js"), path.join(root, "kernel/other.js"));
    assert.notEqual(codeFingerprint("0.1.0", root), moved, "a renamed file changes it");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
