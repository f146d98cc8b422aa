/**
 * Parameters as papermill does them: values from `-p NAME VALUE` (a JSON value when it parses as JSON,
 * else the string) or a params file, injected as a new cell tagged `injected-parameters` right after the
 * cell tagged `parameters` (or first, when there is none), written in the kernel's language.
 */
import * as crypto from "node:crypto";
import { JsonValue } from "../jupyter/messages";
import { Cell, CodeCell, Notebook, sourceText, tagsOf } from "./nbformat";

export type Parameters = Record<string, JsonValue>;

const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `-p NAME VALUE`: JSON when it parses (numbers, booleans, null, lists, objects, "quoted"), else the raw string. */
export function parseParameterValue(raw: string): JsonValue {
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    return raw;
  }
}

export function checkParameterName(name: string): string {
  if (!NAME.test(name)) throw new Error(`parameter name ${JSON.stringify(name)} is not a valid identifier (letters, digits, _ and $, not starting with a digit)`);
  return name;
}

/** Source of the injected cell for the notebook's language. */
export function parameterSource(language: string, parameters: Parameters): string {
  const lines = Object.entries(parameters).map(([name, value]) => {
    checkParameterName(name);
    switch (language) {
      case "typescript":
      case "javascript":
        // a later declaration of the same name replaces the parameters cell's (as in the stepwise kernel and tslab);
        // `let`, as parameters cells declare them: a `const` would narrow the type to the literal, and code such
        // as `mode !== "smoke"` after `const mode = "full"` would no longer compile
        return `let ${name} = ${JSON.stringify(value)};`;
      case "python":
        return `${name} = ${pythonLiteral(value)}`;
      default:
        throw new Error(`parameters: no translator for the kernel language "${language}" (supported: typescript, javascript, python)`);
    }
  });
  const comment = language === "python" ? "# Parameters" : "// Parameters";
  return [comment, ...lines].join("\n");
}

function pythonLiteral(value: JsonValue): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number" || typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v)}`).join(", ")}}`;
}

/**
 * Insert the injected-parameters cell (replacing one from an earlier run, as papermill does). Returns the
 * notebook unchanged when there are no parameters.
 */
export function injectParameters(nb: Notebook, parameters: Parameters, language: string): Notebook {
  if (Object.keys(parameters).length === 0) return nb;
  const cells = nb.cells.filter((cell) => !tagsOf(cell).includes("injected-parameters"));
  const injected: CodeCell = {
    cell_type: "code",
    id: crypto.randomBytes(4).toString("hex"),
    metadata: { tags: ["injected-parameters"] },
    source: parameterSource(language, parameters),
    outputs: [],
    execution_count: null,
  };
  const at = cells.findIndex((cell: Cell) => tagsOf(cell).includes("parameters"));
  cells.splice(at + 1, 0, injected);
  return { ...nb, cells };
}

/**
 * What papermill warns about before a run: a notebook without a cell tagged `parameters` (the values are
 * injected first instead), and passed names the parameters cell never assigns — usually a typo, which
 * would otherwise run the notebook silently with its defaults. A name counts as declared when the cell
 * assigns it (`let n = 1`, `const n: number = 1`, `a = 1, n = 2`, Python's `n = 1` / `n: int = 1`).
 */
export function parameterWarnings(nb: Notebook, parameters: Parameters): string[] {
  const names = Object.keys(parameters);
  if (names.length === 0) return [];
  const cell = nb.cells.find((c) => tagsOf(c).includes("parameters"));
  if (!cell) return ["the notebook has no cell tagged \"parameters\"; the parameters are injected before the first cell"];
  const source = sourceText(cell.source);
  return names
    .filter((name) => !new RegExp(`(^|[^\\w$.])${name.replace(/\$/g, "\\$")}\\s*(:[^=;\\n]*)?=(?!=)`, "m").test(source))
    .map((name) => `passed unknown parameter ${JSON.stringify(name)}: the parameters cell does not assign it`);
}
