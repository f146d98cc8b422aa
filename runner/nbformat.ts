/**
 * Notebooks on disk: nbformat 4 types, reading with validation against the nbformat v4.5 JSON schema
 * (vendored in schema/), and the upgrade nbformat applies to 4.0–4.4 notebooks (random cell ids).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import Ajv04 from "ajv-draft-04";
import type { ValidateFunction } from "ajv";
import { JsonObject } from "../jupyter/messages";
export type MultilineString = string | string[];

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: MultilineString;
}
export interface DisplayDataOutput {
  output_type: "display_data";
  data: JsonObject;
  metadata: JsonObject;
  transient?: JsonObject;
}
export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: JsonObject;
  metadata: JsonObject;
}
export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CodeCell {
  cell_type: "code";
  id: string;
  metadata: JsonObject;
  source: MultilineString;
  outputs: Output[];
  execution_count: number | null;
}
export interface TextCell {
  cell_type: "markdown" | "raw";
  id: string;
  metadata: JsonObject;
  source: MultilineString;
  attachments?: JsonObject;
}
export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: JsonObject & {
    kernelspec?: { name: string; display_name: string; language?: string };
    language_info?: JsonObject & { name: string };
  };
  cells: Cell[];
}

/** A file that is not a valid notebook: the report names the file and what is wrong. */
export class NotebookFormatError extends Error {
  override readonly name = "NotebookFormatError";
}

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!validator) {
    const schemaPath = path.join(__dirname, "..", "..", "runner", "schema", "nbformat.v4.5.schema.json");
    const schema = JSON.parse(require("node:fs").readFileSync(schemaPath, "utf8")) as object;
    validator = new Ajv04({ strict: false, allErrors: false }).compile(schema);
  }
  return validator;
}

export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** Tags of a cell (metadata.tags), as strings. */
export function tagsOf(cell: Cell): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** Parse and validate notebook JSON; 4.0–4.4 notebooks get cell ids and become 4.5, as nbformat upgrades them. */
export function parseNotebook(text: string, file: string): Notebook {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new NotebookFormatError(`${file}: not a notebook: invalid JSON (${(error as Error).message})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new NotebookFormatError(`${file}: not a notebook: the top level is not a JSON object`);
  const nb = data as { nbformat?: unknown; nbformat_minor?: unknown; cells?: unknown };
  if (nb.nbformat !== 4) {
    throw new NotebookFormatError(`${file}: nbformat ${JSON.stringify(nb.nbformat)} is not supported; the runner reads nbformat 4 (convert with \`jupyter nbconvert --to notebook\`)`);
  }
  if (typeof nb.nbformat_minor === "number" && nb.nbformat_minor < 5 && Array.isArray(nb.cells)) {
    const used = new Set<string>();
    for (const cell of nb.cells as Array<{ id?: string }>) {
      if (cell && typeof cell === "object" && cell.id === undefined) {
        let id: string;
        do id = crypto.randomBytes(4).toString("hex");
        while (used.has(id));
        cell.id = id;
        used.add(id);
      }
    }
    nb.nbformat_minor = 5;
  }
  const validate = schemaValidator();
  if (!validate(data)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath ? first.instancePath : "(top level)";
    throw new NotebookFormatError(`${file}: not a valid nbformat 4.5 notebook: ${where} ${first?.message ?? "is invalid"}`);
  }
  return data as Notebook;
}

export async function readNotebook(file: string): Promise<Notebook> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw new NotebookFormatError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseNotebook(text, file);
}

/** Notebook JSON as Jupyter writes it: one-space indent, sorted keys, trailing newline. */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(sortKeys(nb), null, 1)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
