/**
 * `--check-outputs`, as nbval does: fresh text outputs must equal the stored ones once volatile parts are
 * sanitised (timings, memory addresses, dates, tensor ids, samples/s). Rich outputs (images, charts) are
 * not compared: their bytes change with renderer versions.
 */
import { CodeCell, Notebook, Output, sourceText } from "./nbformat";

const SANITIZERS: Array<[RegExp, string]> = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?/g, "<DATE>"],
  [/\b0x[0-9a-fA-F]+\b/g, "<ADDRESS>"],
  [/\b\d+(\.\d+)?\s?(ns|µs|us|ms|s|sec|seconds|min)\b/g, "<DURATION>"],
  [/\b\d+(\.\d+)?\s?(samples|items|steps)\/s\b/g, "<RATE>"],
  [/\b(Tensor|tensor|id)\s*[#:]?\s*\d+\b/g, "$1 <ID>"],
];

export function sanitize(text: string): string {
  return SANITIZERS.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text).replace(/[ \t]+$/gm, "");
}

/** The comparable text of a cell's outputs: streams and text/plain, sanitised. */
function comparable(outputs: readonly Output[]): string[] {
  return outputs.flatMap((o) => {
    if (o.output_type === "stream") return [`${o.name}: ${sanitize(sourceText(o.text))}`];
    if (o.output_type === "error") return [`error: ${o.ename}: ${sanitize(o.evalue)}`];
    const plain = o.data["text/plain"];
    return plain === undefined ? [] : [`${o.output_type}: ${sanitize(sourceText(plain as string | string[]))}`];
  });
}

/** The first cell whose fresh outputs differ from the stored ones (matched by cell id), or undefined. */
export function firstOutputMismatch(stored: Notebook, fresh: Notebook): { cellId: string; cellIndex: number; expected: string; actual: string } | undefined {
  const storedById = new Map(stored.cells.filter((c): c is CodeCell => c.cell_type === "code").map((c) => [c.id, c]));
  for (const [cellIndex, cell] of fresh.cells.entries()) {
    if (cell.cell_type !== "code") continue;
    const before = storedById.get(cell.id);
    if (!before || before.outputs.length === 0) continue; // nothing stored to compare with
    const expected = comparable(before.outputs).join("\n");
    const actual = comparable(cell.outputs).join("\n");
    if (expected !== actual) return { cellId: cell.id, cellIndex, expected, actual };
  }
  return undefined;
}
