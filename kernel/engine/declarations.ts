/**
 * The declarations that carry over to the next cell: the earlier cells' declarations the current cell did not
 * redeclare (tslab's rules, unchanged). A name the cell redeclares as a value drops the earlier value, one it
 * redeclares as a type drops the earlier type; a class or enum whose type was redeclared but whose value
 * lives on stays as `let name: any`. The cell's own declarations come from its declaration emit.
 *
 * The declarations file is not modified: statements that keep only some of their names are rebuilt.
 */
import { localsOf, ts } from "./typescript";

interface Kept {
  value: boolean;
  type: boolean;
}

/** What of an earlier declaration survives the cell's declaration `redeclared` of the same name. */
function survives(checker: ts.TypeChecker, redeclared: ts.Symbol | undefined): Kept {
  const kept = { value: true, type: true };
  if (!redeclared) return kept;
  const symbol = redeclared.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(redeclared) : redeclared;
  if (symbol.flags & ts.SymbolFlags.Value) kept.value = false;
  if (symbol.flags & ts.SymbolFlags.Type) kept.type = false;
  return kept;
}

/** The remaining declarations of `declarations` after the cell `cell`, printed as a declaration file's text. */
export function remainingDeclarations(checker: ts.TypeChecker, cell: ts.SourceFile, declarations: ts.SourceFile): string {
  const cellLocals = localsOf(cell);
  const keep = new Map<ts.Statement, Set<ts.__String>>();
  const valueNames = new Set<ts.__String>();
  const anyVars = new Set<ts.__String>();
  const addName = (statement: ts.Statement, name: ts.__String) => {
    const names = keep.get(statement) ?? new Set<ts.__String>();
    names.add(name);
    keep.set(statement, names);
  };

  localsOf(declarations).forEach((symbol, name) => {
    const kept = survives(checker, cellLocals.get(name));
    if (!kept.type && !kept.value) return;
    for (const declaration of symbol.declarations ?? []) {
      let node: ts.Node = declaration;
      while (node.parent !== declarations) node = node.parent;
      const statement = node as ts.Statement;
      if (ts.isVariableStatement(statement)) {
        if (kept.value) {
          addName(statement, name);
          anyVars.delete(name);
          valueNames.add(name);
        }
      } else if (ts.isTypeAliasDeclaration(statement)) {
        if (kept.type) addName(statement, name);
      } else if (ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) {
        if (kept.type) {
          // a class whose value was redeclared is forgotten
          if (kept.value) addName(statement, name);
        } else if (statement.name && !valueNames.has(statement.name.escapedText)) {
          anyVars.add(statement.name.escapedText);
        }
      } else if (ts.isImportDeclaration(statement)) {
        keepImportedName(checker, symbol, kept, statement, name, { addName, anyVars, valueNames });
      } else if (ts.isFunctionDeclaration(statement)) {
        if (kept.value) addName(statement, name);
      } else if (ts.isInterfaceDeclaration(statement)) {
        if (kept.type) addName(statement, name);
      }
    }
  });

  const statements: ts.Statement[] = [];
  for (const statement of declarations.statements) {
    const names = keep.get(statement);
    if (!names) continue;
    if (ts.isVariableStatement(statement)) statements.push(keepNamesInVariableStatement(statement, names));
    else if (ts.isImportDeclaration(statement)) statements.push(keepNamesInImport(statement, names));
    else statements.push(statement);
  }
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const printed = printer.printFile(ts.factory.updateSourceFile(declarations, statements));
  return printed + [...anyVars].map((name) => `let ${ts.unescapeLeadingUnderscores(name)}: any;\n`).join("");
}

function keepImportedName(
  checker: ts.TypeChecker,
  symbol: ts.Symbol,
  kept: Kept,
  statement: ts.ImportDeclaration,
  name: ts.__String,
  into: { addName: (statement: ts.Statement, name: ts.__String) => void; anyVars: Set<ts.__String>; valueNames: Set<ts.__String> },
): void {
  if (kept.type && kept.value) {
    into.addName(statement, name);
    return;
  }
  const aliased = checker.getAliasedSymbol(symbol);
  if (!kept.value) {
    // only the type survives: keep the import unless it imported a value, now overwritten
    if (aliased.flags & ts.SymbolFlags.Value) return;
    if (aliased.flags !== 0) into.addName(statement, name);
    return;
  }
  // only the value survives
  if (aliased.flags & ts.SymbolFlags.Type) {
    // overwritten with a new type; the value lives on untyped
    if (aliased.flags & ts.SymbolFlags.Value && !into.valueNames.has(aliased.escapedName)) into.anyVars.add(aliased.escapedName);
    return;
  }
  into.addName(statement, name);
}

function keepNamesInVariableStatement(statement: ts.VariableStatement, names: ReadonlySet<ts.__String>): ts.VariableStatement {
  const list = statement.declarationList;
  const declarations = list.declarations.filter((d) => ts.isIdentifier(d.name) && names.has(d.name.escapedText));
  if (declarations.length === list.declarations.length) return statement;
  return ts.factory.updateVariableStatement(statement, statement.modifiers, ts.factory.updateVariableDeclarationList(list, declarations));
}

/** The import reduced to the bindings named in `names` (at least one of them is there). */
export function keepNamesInImport(statement: ts.ImportDeclaration, names: ReadonlySet<ts.__String>): ts.ImportDeclaration {
  const clause = statement.importClause;
  if (!clause) throw new Error("an import without bindings declares no names");
  const name = clause.name && names.has(clause.name.escapedText) ? clause.name : undefined;
  let bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) {
    if (!names.has(bindings.name.escapedText)) bindings = undefined;
  } else if (bindings) {
    const elements = bindings.elements.filter((element) => names.has(element.name.escapedText));
    bindings = elements.length === 0 ? undefined : elements.length === bindings.elements.length ? bindings : ts.factory.updateNamedImports(bindings, elements);
  }
  if (!name && !bindings) throw new Error("no name of the import is kept");
  if (name === clause.name && bindings === clause.namedBindings) return statement;
  return ts.factory.updateImportDeclaration(
    statement,
    statement.modifiers,
    ts.factory.updateImportClause(clause, clause.isTypeOnly, name, bindings),
    statement.moduleSpecifier,
    statement.assertClause,
  );
}
