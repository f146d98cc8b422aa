/**
 * Declaration files parsed in another process (a startup snapshot's, kernel/snapshot) and offered to the cell
 * compiler's hosts (kernel/engine/files.ts): a host takes a seeded file for its exact name, once; a file
 * changed on disk since it was parsed is dropped and parsed anew; only installed declaration files that exist
 * on disk under their own name are offered in the first place.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CellFiles, dropChangedSeeds, normalizeJoin, seedInstalledFiles, seededCount } from "../../kernel/engine/files";
import { ts } from "../../kernel/engine/typescript";

let root: string;
let declarations: string;
let local: string;

before(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-seeds-")));
  declarations = normalizeJoin(root, "node_modules", "pkg", "index.d.ts");
  local = normalizeJoin(root, "local.ts");
  fs.mkdirSync(path.dirname(declarations), { recursive: true });
  fs.writeFileSync(declarations, "/** a doc comment */\nexport declare const answer: number;\n");
  fs.writeFileSync(local, "export const x = 1;\n");
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

test("a seeded declaration file is taken once, for its name; a changed one is parsed anew", () => {
  const first = new CellFiles(root);
  const parsed = first.getSourceFile(declarations, ts.ScriptTarget.ES2022);
  first.getSourceFile(local, ts.ScriptTarget.ES2022);
  first.setText(normalizeJoin(root, "memory.d.ts"), "declare const y: number;");
  first.getSourceFile(normalizeJoin(root, "memory.d.ts"), ts.ScriptTarget.ES2022);
  const offered = first.installedFiles();
  // only the installed declaration file: not the notebook's own file, not an in-memory one
  assert.deepEqual(
    offered.map((entry) => entry.file.fileName),
    [declarations],
  );
  assert.equal(offered[0].file, parsed);
  assert.equal(offered[0].withoutDocs, true, "installed declarations are parsed without their doc comments");

  seedInstalledFiles(offered);
  assert.equal(seededCount(), 1);
  assert.equal(dropChangedSeeds(), 0);
  const second = new CellFiles(root);
  assert.equal(second.getSourceFile(declarations, ts.ScriptTarget.ES2022), parsed, "the seeded file itself");
  assert.equal(seededCount(), 0, "taken by the first host that asked");
  const third = new CellFiles(root);
  const reparsed = third.getSourceFile(declarations, ts.ScriptTarget.ES2022);
  assert.notEqual(reparsed, parsed, "a SourceFile belongs to one host's programs");
  assert.equal(reparsed?.text, parsed?.text);

  // another language version does not take a seed parsed for ES2022
  seedInstalledFiles(offered);
  const older = new CellFiles(root);
  assert.notEqual(older.getSourceFile(declarations, ts.ScriptTarget.ES2015), parsed);

  // a package reinstalled since the seed was parsed: the seed is dropped
  seedInstalledFiles(offered);
  const later = new Date(Date.now() + 5000);
  fs.writeFileSync(declarations, "export declare const answer: string;\n");
  fs.utimesSync(declarations, later, later);
  assert.equal(dropChangedSeeds(), 1);
  const fresh = new CellFiles(root).getSourceFile(declarations, ts.ScriptTarget.ES2022);
  assert.match(fresh?.text ?? "", /answer: string/);
});
