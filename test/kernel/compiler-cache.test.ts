/**
 * The compiler's code cache (kernel/compiler-cache.ts), each case in a fresh Node.js process, since loading
 * the compiler is once per process: a first start writes the cache, a second one has V8 accept it and gets
 * a working compiler that every `require` of the package shares; a damaged cache is rejected and written
 * anew; a cache that cannot be written costs nothing but the time; caches unused for 30 days are removed; a
 * compiler loaded before is left alone.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const CACHE_MODULE = path.resolve(__dirname, "../../kernel/compiler-cache.js");

interface ChildReport {
  state: string;
  cacheFile: string;
  saved: boolean;
  /** `require("@tslab/typescript-for-tslab")` after the load is the module the load registered. */
  shared: boolean;
  /** tslab's converter, which requires the compiler from its own folder, got the same one. */
  sharedWithTslab: boolean;
  /** The compiler works: a cell transpiled by it. */
  transpiled: string;
}

/** Load the compiler in a new process with `cacheDir`; `preload` requires it before the load. */
function loadInChild(cacheDir: string, preload = false): ChildReport {
  const script = `
    ${preload ? 'require("@tslab/typescript-for-tslab");' : ""}
    const { loadCompiler } = require(${JSON.stringify(CACHE_MODULE)});
    const load = loadCompiler();
    const ts = require("@tslab/typescript-for-tslab");
    const registered = require.cache[require.resolve("@tslab/typescript-for-tslab")].exports;
    require("tslab/dist/converter");
    const tslabs = require.cache[require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab/package.json")] })].exports;
    const transpiled = ts.transpileModule("const x: number = 1 as const;", { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
    load.save().then((saved) => {
      process.stdout.write(JSON.stringify({ state: load.state, cacheFile: load.cacheFile, saved, shared: ts === registered, sharedWithTslab: tslabs === ts, transpiled }));
    });
  `;
  const child = spawnSync(process.execPath, ["-e", script], {
    cwd: path.resolve(__dirname, "../.."),
    env: { ...process.env, STEPWISE_CACHE_DIR: cacheDir },
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as ChildReport;
}

let root: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-compiler-cache-"));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("the compiler's code cache", () => {
  test("the first start writes it, private to the user; the next one has V8 accept it and compiles as well", () => {
    const dir = path.join(root, "fresh");
    const first = loadInChild(dir);
    assert.equal(first.state, "missing");
    assert.equal(first.saved, true);
    assert.equal(path.dirname(first.cacheFile), dir);
    assert.ok(fs.statSync(first.cacheFile).size > 100_000, "the cache holds the compiled functions");
    assert.equal(fs.statSync(first.cacheFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(fs.readdirSync(dir), [path.basename(first.cacheFile)], "no temporary file is left");

    const second = loadInChild(dir);
    assert.equal(second.state, "accepted");
    assert.equal(second.saved, false, "an accepted cache is not written again");
    assert.equal(second.cacheFile, first.cacheFile);
    for (const report of [first, second]) {
      assert.ok(report.shared, "require() returns the module the cache loaded");
      assert.ok(report.sharedWithTslab, "tslab's converter shares it");
      assert.equal(report.transpiled.trim(), "const x = 1;");
    }
  });

  test("a damaged cache is rejected by V8 and written anew", () => {
    const dir = path.join(root, "damaged");
    const { cacheFile } = loadInChild(dir);
    const bytes = fs.readFileSync(cacheFile);
    for (let i = 0; i < bytes.length; i += 97) bytes[i] ^= 0x5a;
    fs.writeFileSync(cacheFile, bytes);
    const rejected = loadInChild(dir);
    assert.equal(rejected.state, "rejected");
    assert.equal(rejected.saved, true);
    assert.equal(rejected.transpiled.trim(), "const x = 1;");
    assert.equal(loadInChild(dir).state, "accepted");
  });

  test("a cache directory that cannot be created costs only the time: the compiler loads and works", () => {
    const blocker = path.join(root, "a-file");
    fs.writeFileSync(blocker, "not a directory");
    const report = loadInChild(path.join(blocker, "cache"));
    assert.equal(report.state, "missing");
    assert.equal(report.saved, false);
    assert.equal(report.transpiled.trim(), "const x = 1;");
  });

  test("caches unused for 30 days go when a cache is written or refreshed; recent ones, temporaries under a day and other files stay", () => {
    const dir = path.join(root, "pruned");
    fs.mkdirSync(dir, { mode: 0o700 });
    const daysAgo = (file: string, days: number) => {
      const when = Date.now() / 1000 - days * 86_400;
      fs.utimesSync(file, when, when);
    };
    const place = (name: string, days: number) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, "x");
      daysAgo(file, days);
      return name;
    };
    const cache = (n: number) => `typescript-${String(n).padStart(20, "0")}.v8-code-cache`;
    const unused = place(cache(1), 31);
    const recent = place(cache(2), 29);
    const staleTemporary = place(`.${cache(3)}.0123456789ab.tmp`, 2);
    const freshTemporary = place(`.${cache(4)}.0123456789ab.tmp`, 0.5);
    const notOurs = place("notes.txt", 400);

    const written = loadInChild(dir);
    assert.equal(written.saved, true);
    const current = path.basename(written.cacheFile);
    assert.deepEqual(fs.readdirSync(dir).sort(), [current, recent, freshTemporary, notOurs].sort());

    // a start that finds its cache a day old or more marks it used and removes what has gone unused since
    daysAgo(path.join(dir, recent), 31);
    daysAgo(written.cacheFile, 2);
    const accepted = loadInChild(dir);
    assert.equal(accepted.state, "accepted");
    assert.ok(Date.now() - fs.statSync(written.cacheFile).mtimeMs < 60_000, "the cache's time is refreshed");
    assert.deepEqual(fs.readdirSync(dir).sort(), [current, freshTemporary, notOurs].sort());
    assert.equal(fs.existsSync(path.join(dir, unused)), false);
    assert.equal(fs.existsSync(path.join(dir, staleTemporary)), false);
  });

  test("a compiler already loaded is left alone", () => {
    const dir = path.join(root, "preloaded");
    const report = loadInChild(dir, true);
    assert.equal(report.state, "already-loaded");
    assert.equal(report.saved, false);
    assert.ok(report.shared);
    assert.equal(fs.existsSync(dir), false);
  });
});

describe("where the cache lives", () => {
  test("STEPWISE_CACHE_DIR, else XDG_CACHE_HOME/stepwise, else ~/.cache/stepwise", async () => {
    const { cacheDirectory } = await import(CACHE_MODULE);
    assert.equal(cacheDirectory({ STEPWISE_CACHE_DIR: "/x/y", XDG_CACHE_HOME: "/z" }), "/x/y");
    assert.equal(cacheDirectory({ XDG_CACHE_HOME: "/z", HOME: "/h" }), "/z/stepwise");
    assert.equal(cacheDirectory({ HOME: "/h" }), "/h/.cache/stepwise");
  });
});
