/**
 * The README's first example is run as written: its TypeScript is compiled and executed against this
 * package, so the example a newcomer copies always works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const root = path.resolve(__dirname, "../../..");

test("the README's first example trains an MLP with AdamW, warm-up + cosine and 4-step accumulation", async () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## A first example"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, "the README has a ```ts block under \"A first example\"");
  const lines = code.split("\n");
  assert.ok(lines.filter((l) => l.trim() && !l.startsWith("import")).length <= 10, "the example is ten lines (plus imports)");
  const logged: unknown[] = [];
  // imports stay at the top; the rest runs inside an async function (top-level await, as in a notebook)
  const imports = lines.filter((l) => l.startsWith("import ")).join("\n");
  const body = lines.filter((l) => !l.startsWith("import ")).join("\n").replace(/console\.log\(/g, "__log(");
  const source = `${imports}\nexport async function run(__log: (v: unknown) => void) {\n${body}\nreturn history;\n}\n`;
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const module = { exports: {} as { run?: (log: (v: unknown) => void) => Promise<{ epochs: { accuracy?: number; steps: number }[] }> } };
  const requireFromRoot = (id: string) => require(require.resolve(id, { paths: [root] }));
  new Function("module", "exports", "require", js)(module, module.exports, requireFromRoot);
  const history = await module.exports.run!((v) => logged.push(v));
  assert.equal(logged.length, 1);
  assert.equal(history.epochs[0].steps, 64);
  assert.ok(history.epochs[0].accuracy! > 0.75, `accuracy ${history.epochs[0].accuracy}`);
});
