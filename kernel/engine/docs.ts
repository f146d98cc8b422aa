/**
 * Doc comments of installed declaration files, read only when asked for.
 *
 * Half of the time to parse the declarations a kernel starts with (TypeScript's lib, @types/node) goes to
 * their `/** … *\/` doc comments, which TypeScript parses into JSDoc nodes with every file. Type checking a
 * TypeScript file does not read them (JSDoc types count in JavaScript files only; `@deprecated` only makes
 * suggestions, which the kernel does not report). So installed declaration files are parsed with their doc
 * comments blanked out — same length, same lines, so every position stays — and when an inspect request
 * shows a symbol's documentation, its files get their JSDoc back (`restoreDocs`).
 */
import { ts } from "./typescript";

const SLASH = 0x2f;
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const BACKTICK = 0x60;
const DOLLAR = 0x24;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * `text` with every doc comment (`/**` … `*\/`, not `/**\/`) replaced by spaces, line breaks kept. Strings,
 * template literals (types like `` `${string}px` ``) and other comments are skipped, so a `/**` inside them
 * stays. Declaration files hold no regular expressions. (A plain loop over character codes: it reads
 * megabytes at start-up.)
 */
export function blankDocComments(text: string): string {
  const n = text.length;
  const chunks: string[] = [];
  let from = 0;
  // brace depth of each template `${` being read; code outside templates when empty
  const templates: number[] = [];
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === SLASH) {
      const next = text.charCodeAt(i + 1);
      if (next === SLASH) {
        i = text.indexOf("\n", i);
        if (i < 0) break;
      } else if (next === STAR) {
        const end = text.indexOf("*/", i + 2);
        const close = end < 0 ? n : end + 2;
        if (text.charCodeAt(i + 2) === STAR && close - i > 4) {
          chunks.push(text.slice(from, i), blank(text, i, close));
          from = close;
        }
        i = close - 1;
      }
    } else if (c === QUOTE || c === DOUBLE_QUOTE) {
      i = stringEnd(text, i + 1, c);
    } else if (c === BACKTICK) {
      i = templateTextEnd(text, i + 1);
      if (text.charCodeAt(i) === OPEN_BRACE) {
        templates.push(depth);
        depth = 0;
      }
    } else if (c === OPEN_BRACE) {
      depth++;
    } else if (c === CLOSE_BRACE) {
      if (depth > 0 || templates.length === 0) depth--;
      else {
        // the end of a `${…}`: back to the template's text
        depth = templates.pop() ?? 0;
        i = templateTextEnd(text, i + 1);
        if (text.charCodeAt(i) === OPEN_BRACE) {
          templates.push(depth);
          depth = 0;
        }
      }
    }
  }
  if (chunks.length === 0) return text;
  chunks.push(text.slice(from));
  return chunks.join("");
}

/** Spaces in place of `text` from `start` to `end`, line breaks kept. */
function blank(text: string, start: number, end: number): string {
  let out = "";
  let from = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE || c === RETURN) {
      out += " ".repeat(i - from) + text[i];
      from = i + 1;
    }
  }
  return out + " ".repeat(end - from);
}

/** The index of the quote ending a string that starts at `i` (or of the line end, unterminated). */
function stringEnd(text: string, i: number, quote: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === quote || c === NEWLINE) return i;
  }
  return i;
}

/** The index of the backtick ending template text that starts at `i`, or of the `{` of a `${` in it. */
function templateTextEnd(text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === BACKTICK) return i;
    else if (c === DOLLAR && text.charCodeAt(i + 1) === OPEN_BRACE) return i + 1;
  }
  return i;
}

/**
 * Give `file` (parsed from `blankDocComments(original)`) the JSDoc of `original`, as if it had been parsed
 * from it. The two parses have the same nodes at the same positions; false (nothing changed) if not.
 */
export function restoreDocs(file: ts.SourceFile, original: string): boolean {
  const documented = ts.createSourceFile(file.fileName, original, file.languageVersion);
  const pairs: Array<[ts.Node, ts.Node]> = [];
  if (!pairUp(file, documented, pairs)) return false;
  for (const [bare, full] of pairs) {
    const docs = (full as DocumentedNode).jsDoc;
    if (!docs) continue;
    for (const doc of docs) setParents(doc, bare);
    (bare as DocumentedNode).jsDoc = docs;
    // tags looked up before (none then) are cached on the node
    (bare as DocumentedNode).jsDocCache = undefined;
  }
  // the doc comments' text, for what reads comments from the file (links in docs)
  (file as { text: string }).text = original;
  return true;
}

interface DocumentedNode {
  jsDoc?: ts.JSDoc[];
  jsDocCache?: readonly ts.JSDocTag[];
}

function childrenOf(node: ts.Node): ts.Node[] {
  const children: ts.Node[] = [];
  ts.forEachChild(
    node,
    (child) => void children.push(child),
    (list) => void children.push(...list),
  );
  return children;
}

function pairUp(bare: ts.Node, full: ts.Node, pairs: Array<[ts.Node, ts.Node]>): boolean {
  if (bare.kind !== full.kind || bare.pos !== full.pos || bare.end !== full.end) return false;
  pairs.push([bare, full]);
  const a = childrenOf(bare);
  const b = childrenOf(full);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!pairUp(a[i], b[i], pairs)) return false;
  return true;
}

function setParents(node: ts.Node, parent: ts.Node): void {
  (node as { parent: ts.Node }).parent = parent;
  ts.forEachChild(
    node,
    (child) => setParents(child, node),
    (list) => list.forEach((child) => setParents(child, node)),
  );
}
