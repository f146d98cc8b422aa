/**
 * The kernel's cell compiler (kernel/engine) against tslab's converter, which it replaces and which stays
 * installed as the reference: for the same cells after the same declarations, the same CommonJS, the same
 * declarations carried to the next cell, the same diagnostics, the same last-expression variable. Then what
 * it does differently on purpose: local modules compile to plain CommonJS, a cell run again reuses its
 * compiled code, an edited local module is compiled again, installed declaration files are parsed without
 * their doc comments and get them back for inspect.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Converter as TslabConverter, createConverter } from "tslab/dist/converter";
import { printQuickInfo } from "tslab/dist/inspect";
import { Converter, ConvertResult } from "../../kernel/engine/converter";
import { blankDocComments, restoreDocs } from "../../kernel/engine/docs";
import { ts } from "../../kernel/engine/typescript";
import { currentInstallation } from "../../jupyter/installation";
import { TypeOverlay, overlayInstallation } from "../../kernel/resolution";

let cwd: string;
let previousCwd: string;
let overlay: TypeOverlay;
let ours: Converter;
let theirs: TslabConverter;

before(() => {
  previousCwd = process.cwd();
  cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-engine-")));
  // tslab's converter works in the process's directory
  process.chdir(cwd);
  overlay = overlayInstallation(cwd, currentInstallation());
  ours = new Converter(cwd);
  theirs = createConverter();
});

after(() => {
  theirs?.close();
  overlay?.remove();
  process.chdir(previousCwd);
  fs.rmSync(cwd, { recursive: true, force: true });
});

/** What a conversion gives the executor, comparable between the two compilers. */
function essentials(result: ConvertResult | ReturnType<TslabConverter["convert"]>) {
  return {
    output: result.output,
    declOutput: result.declOutput,
    diagnostics: JSON.parse(JSON.stringify(result.diagnostics)) as unknown,
    lastExpressionVar: result.lastExpressionVar,
    hasToplevelAwait: Boolean(result.hasToplevelAwait),
  };
}

/** Run `cells` in order through both compilers, each carrying its own declarations forward. */
function compareSession(cells: string[]): void {
  let ourDeclarations = "";
  let theirDeclarations = "";
  for (const cell of cells) {
    const mine = ours.convert(ourDeclarations, cell);
    const reference = theirs.convert(theirDeclarations, cell);
    assert.deepEqual(essentials(mine), essentials(reference), `cell: ${cell}`);
    ourDeclarations = mine.declOutput ?? ourDeclarations;
    theirDeclarations = reference.declOutput ?? theirDeclarations;
  }
}

describe("the same results as tslab's converter", () => {
  test("declarations carry over; redeclared values and types replace the earlier ones", () => {
    compareSession([
      "let x = 123;\nconst y = 'foo';\nvar z = true;\nx *= 2;\nlet {a, b: c} = {a: 10, b: 'hello'};",
      "x + y.length + a",
      "function square(n: number): number { return n * n }\nclass Point { constructor(readonly x: number) {} }\ninterface Named { name: string }\ntype Pair = [number, number];",
      "const x = 'now a string';\nconst p = new Point(square(3));\nconst n: Named = { name: x };\nconst pair: Pair = [1, 2];\np",
      "type Point = { x: number; y: number };\nconst q: Point = { x: 1, y: 2 };\nq",
      "interface Named { title: string }\nlet square = 3;\nsquare",
    ]);
  });

  test("imports of Node modules and installed packages, namespace, named and default", () => {
    compareSession([
      'import * as fs from "fs";\nimport { join } from "path";\nimport os from "os";\n[typeof fs.readFileSync, join("a", "b"), typeof os.cpus]',
      'import { readFileSync } from "fs";\nconst fs = 3;\nfs + readFileSync.length',
      'import * as tf from "@tensorflow/tfjs";\nconst t = tf.scalar(2);\nt.shape',
    ]);
  });

  test("type errors: positions, message chains, several errors", () => {
    compareSession([
      "const n: number = 'text';",
      "let a = 1;\nlet b: string = a;\nconst o: { p: { q: number } } = { p: { q: 'x' } };",
      "undefinedName + 1;\nMath.max('a', 2)",
      "const ok = 1;\nok",
    ]);
  });

  test("top-level await, shorthand properties, the last expression's name avoiding the cell's own", () => {
    compareSession([
      "const v = await Promise.resolve(3);\nv * 2",
      "const tsLastExpr = 1;\nconst tsLastExpr0 = 2;\ntsLastExpr + tsLastExpr0",
      "const w = 5;\n({ w, v })",
      "for (const i of [1, 2]) { await Promise.resolve(i) }",
    ]);
  });

  test("inspect shows the same type and documentation, from declarations parsed without their doc comments", () => {
    for (const [code, at] of [['let s = "abc"; s.indexOf("b");', "indexOf("], ["Math.max(1, 2)", "max"], ["new Map<string, number>()", "Map<"], ['import * as fs from "fs"; fs.readFileSync', "readFileSync"]] as const) {
      const position = code.indexOf(at);
      const mine = ours.inspect("", code, position);
      const reference = theirs.inspect("", code, position);
      assert.ok(mine && reference, code);
      assert.equal(printQuickInfo(mine), printQuickInfo(reference), code);
    }
    assert.match(printQuickInfo(ours.inspect("", 'let s = "abc"; s.indexOf("b");', 17) as ts.QuickInfo), /Returns the position of the first occurrence of a substring/);
  });

  test("completions: the same candidates", () => {
    for (const [code, at] of [['"abc".toUpp', 11], ["const learningRate = 1;\nlearningRa", 34], ["Math.", 5]] as const) {
      assert.deepEqual(ours.complete("", code, at).candidates, theirs.complete("", code, at).candidates, code);
    }
  });
});

describe("local modules", () => {
  test("compiled to CommonJS with the cell, once, again after an edit; their type errors name the file", () => {
    const file = path.join(cwd, "geometry.ts");
    fs.writeFileSync(file, "export function hypot(a: number, b: number): number {\n  return Math.sqrt(a * a + b * b);\n}\nconsole.log('loaded');\n");
    const first = ours.convert("", 'import { hypot } from "./geometry";\nhypot(3, 4)');
    assert.deepEqual(first.diagnostics, []);
    assert.deepEqual(first.sideOutputs?.map((s) => path.basename(s.path)), ["geometry.js"]);
    const module = first.sideOutputs?.[0].data ?? "";
    assert.match(module, /exports\.hypot = hypot;/);
    // tslab stored a module's last expression too (exports.tsLastExpr); a module exports only what it declares
    assert.doesNotMatch(module, /tsLastExpr/);
    // imported again: already compiled
    assert.equal(ours.convert(first.declOutput ?? "", 'import { hypot } from "./geometry";\nhypot(6, 8)').sideOutputs, undefined);

    // an edit is seen (size and modification time change)
    fs.writeFileSync(file, "export function hypot(a: number, b: number): number {\n  return Math.hypot(a, b);\n}\nexport const unit = 1;\n");
    const edited = ours.convert(first.declOutput ?? "", 'import { hypot, unit } from "./geometry";\nhypot(unit, unit)');
    assert.deepEqual(edited.diagnostics, []);
    assert.match(edited.sideOutputs?.[0].data ?? "", /Math\.hypot\(a, b\)/);

    fs.writeFileSync(file, "export const broken: number = 'text';\n");
    const failed = ours.convert("", 'import { broken } from "./geometry";\nbroken');
    assert.deepEqual(
      failed.diagnostics.map((d) => [d.fileName, d.start.line, d.messageText]),
      [["geometry.ts", 0, "Type 'string' is not assignable to type 'number'."]],
    );
  });

  test("a module created after a failed import is found when the cell runs again", () => {
    const cell = 'import { later } from "./later";\nlater';
    assert.match(ours.convert("", cell).diagnostics[0]?.messageText ?? "", /Cannot find module '\.\/later'/);
    fs.writeFileSync(path.join(cwd, "later.ts"), "export const later = 42;\n");
    assert.deepEqual(ours.convert("", cell).diagnostics, []);
  });
});

describe("a cell run again", () => {
  test("after the same declarations, reuses its compiled code; after others, compiles again", () => {
    const declarations = ours.convert("", "const base = 2;").declOutput ?? "";
    const first = ours.convert(declarations, "base * 21");
    const again = ours.convert(declarations, "base * 21");
    assert.deepEqual(essentials(again), essentials(first));
    assert.equal(again.sideOutputs, undefined);
    const other = ours.convert(ours.convert(declarations, "const base = 'x';").declOutput ?? "", "base * 21");
    assert.match(other.diagnostics[0]?.messageText ?? "", /The left-hand side of an arithmetic operation/);
  });
});

describe("doc comments of installed declaration files", () => {
  test("blanking keeps every position and line; strings, templates and other comments keep their text", () => {
    const text = [
      "/** doc */ declare const a: 1;",
      'declare const s: "/** not a comment */";',
      "type T = `${string}/**x*/`; /**\r\n * two lines\n */ declare let b: 2;",
      "// /** in a line comment\n/**/ /* block */ declare let c: 3;",
      "type U = `a${`b${1}/**`}c`; /** last */",
    ].join("\n");
    const blanked = blankDocComments(text);
    assert.equal(blanked.length, text.length);
    assert.deepEqual(blanked.match(/\r?\n/g), text.match(/\r?\n/g));
    assert.equal(
      blanked,
      [
        "           declare const a: 1;",
        'declare const s: "/** not a comment */";',
        "type T = `${string}/**x*/`;    \r\n            \n    declare let b: 2;",
        "// /** in a line comment\n/**/ /* block */ declare let c: 3;",
        "type U = `a${`b${1}/**`}c`;            ",
      ].join("\n"),
    );
  });

  test("every installed declaration file of a program with tfjs parses to the same nodes without its doc comments", () => {
    const program = ts.createProgram({
      rootNames: [path.join(cwd, "probe.ts")],
      options: { types: ["node"], lib: ["lib.es2022.d.ts"], moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2022 },
      host: Object.assign(ts.createCompilerHost({}), {
        getSourceFile: (name: string, target: ts.ScriptTarget | ts.CreateSourceFileOptions) =>
          name.endsWith("probe.ts") ? ts.createSourceFile(name, 'import * as tf from "@tensorflow/tfjs";', target) : ts.createSourceFile(name, ts.sys.readFile(name) ?? "", target),
        fileExists: (name: string) => name.endsWith("probe.ts") || ts.sys.fileExists(name),
      }),
    });
    const installed = program.getSourceFiles().filter((f) => f.isDeclarationFile && /node_modules/.test(f.fileName));
    assert.ok(installed.length > 300, `${installed.length} declaration files`);
    for (const file of installed) {
      const bare = ts.createSourceFile(file.fileName, blankDocComments(file.text), file.languageVersion);
      assert.ok(restoreDocs(bare, file.text), file.fileName);
    }
  });
});
