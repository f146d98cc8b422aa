/**
 * Works around a defect of tslab's cell transform, which the kernel's compiler keeps (kernel/engine/
 * transformers.ts, so cells compile as under tslab): it rewrites references to earlier cells' variables as
 * `exports.name`, but misses shorthand properties, so `{ seed }` after a cell declaring `seed` throws
 * "seed is not defined" at run time. Expanding every shorthand property `{ x }` to `{ x: x }` (and
 * `{ x = d }` in assignment patterns to `{ x: x = d }`) means the same in JavaScript and turns `x` into an
 * ordinary reference, which the transform does wrap. Only the lines holding shorthand properties change
 * (their columns in diagnostics shift by the inserted text).
 */
import * as ts from "@tslab/typescript-for-tslab";

export function expandShorthandProperties(code: string): string {
  if (!code.includes("{")) return code;
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const insertions: Array<{ at: number; text: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isShorthandPropertyAssignment(node)) {
      insertions.push({ at: node.name.getEnd(), text: `: ${node.name.text}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (insertions.length === 0) return code;
  let result = code;
  for (const { at, text } of insertions.sort((a, b) => b.at - a.at)) result = result.slice(0, at) + text + result.slice(at);
  return result;
}
