/**
 * How a checked cell becomes the CommonJS code the executor runs (tslab's transformers, plus the module
 * transform in the same emit):
 * - names declared by earlier cells are read through `exports` (`x` → `exports.x`): every cell's top-level
 *   names live on one shared `exports` object;
 * - the last expression statement is stored in an exported variable, so the executor can show its value;
 * - imports and exports become `require` and `exports.x` (TypeScript's CommonJS transformer, run after the
 *   ES module emit; tslab re-parsed the emitted JavaScript with `transpileModule` for that, which cost more
 *   than checking a short cell);
 * - the cell's declaration output drops the `export { … }` that listed its names.
 */
import { transformModule, ts } from "./typescript";

const LAST_EXPRESSION_PREFIX = "tsLastExpr";

/**
 * @param checker the checker of the program holding the cell
 * @param declarations the file holding the earlier cells' declarations
 * @param locals the cell's top-level names (the last-expression variable must not collide with them)
 * @param onLastExpression receives the name of the variable holding the last expression
 */
export function cellTransformers(
  checker: ts.TypeChecker,
  declarations: ts.SourceFile,
  locals: ReadonlySet<string>,
  onLastExpression: (name: string) => void,
): ts.CustomTransformers {
  const nullContext = ts.getNullTransformationContext();

  function lastExpressionName(): string {
    if (!locals.has(LAST_EXPRESSION_PREFIX)) return LAST_EXPRESSION_PREFIX;
    for (let i = 0; ; i++) if (!locals.has(`${LAST_EXPRESSION_PREFIX}${i}`)) return `${LAST_EXPRESSION_PREFIX}${i}`;
  }

  function readThroughExports(node: ts.Node): ts.Node {
    if (!ts.isIdentifier(node)) return ts.visitEachChild(node, readThroughExports, nullContext);
    if (node.parent && ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) return node;
    const declaredBefore = (checker.getSymbolAtLocation(node)?.declarations ?? []).some((d) => d.getSourceFile() === declarations);
    return declaredBefore ? ts.factory.createPropertyAccessExpression(ts.factory.createIdentifier("exports"), node) : node;
  }

  const storeLastExpression = (): ts.Transformer<ts.SourceFile> => (file) => {
    const visited = ts.visitEachChild(file, readThroughExports, nullContext);
    const statements = visited.statements;
    for (let i = statements.length - 1; i >= 0; i--) {
      const statement = statements[i];
      if (ts.isExportDeclaration(statement)) continue;
      if (!ts.isExpressionStatement(statement)) break;
      const name = lastExpressionName();
      const store = ts.factory.createVariableStatement(
        [ts.factory.createModifier(ts.SyntaxKind.ExportKeyword)],
        ts.factory.createVariableDeclarationList([ts.factory.createVariableDeclaration(name, undefined, undefined, statement.expression)], ts.NodeFlags.Const),
      );
      onLastExpression(name);
      return ts.factory.updateSourceFile(visited, [...statements.slice(0, i), store, ...statements.slice(i + 1)]);
    }
    return visited;
  };

  const dropExportLists = (): ts.Transformer<ts.SourceFile | ts.Bundle> => (node) => {
    if (!ts.isSourceFile(node)) return node;
    return ts.factory.updateSourceFile(node, node.statements.filter((s) => !ts.isExportDeclaration(s)));
  };

  return {
    after: [storeLastExpression, transformModule],
    afterDeclarations: [dropExportLists],
  };
}
