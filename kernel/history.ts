/**
 * The session's input history, answering history_request as IPython's HistoryManager does for one session:
 * `tail` (the last n), `range` (lines start ≤ line < stop of a session; 0 means the current one) and
 * `search` (a glob over the input — `*`, `?`, `[abc]`, `[!abc]` or `[^abc]` — whole-input and
 * case-sensitive like SQLite's GLOB, optionally `unique` and limited to the last n matches).
 */
import { HistoryEntry, HistoryRequest } from "../jupyter/messages";

/** This kernel keeps one session in memory; it is session 1 (IPython numbers sessions from 1). */
export const CURRENT_SESSION = 1;

interface Line {
  line: number;
  input: string;
  output: string | null;
}

export class History {
  private readonly lines: Line[] = [];

  /** Record a cell's input under its execution count; its text/plain result can follow with `setOutput`. */
  add(line: number, input: string): void {
    this.lines.push({ line, input, output: null });
  }

  setOutput(line: number, output: string): void {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      if (this.lines[i].line === line) {
        this.lines[i].output = output;
        return;
      }
    }
  }

  get length(): number {
    return this.lines.length;
  }

  query(request: HistoryRequest): HistoryEntry[] {
    const entries = this.select(request);
    return entries.map((l): HistoryEntry => (request.output ? [CURRENT_SESSION, l.line, [l.input, l.output]] : [CURRENT_SESSION, l.line, l.input]));
  }

  private select(request: HistoryRequest): Line[] {
    switch (request.hist_access_type) {
      case "tail":
        return request.n > 0 ? this.lines.slice(-request.n) : [];
      case "range": {
        if (request.session !== 0 && request.session !== CURRENT_SESSION) return [];
        const start = request.start ?? 1;
        const stop = request.stop ?? Infinity;
        return this.lines.filter((l) => l.line >= start && l.line < stop);
      }
      case "search": {
        const matcher = globToRegExp(request.pattern ?? "*");
        let found = this.lines.filter((l) => matcher.test(l.input));
        if (request.unique) {
          // keep the latest occurrence of each input, in history order
          const last = new Map(found.map((l, i) => [l.input, i]));
          found = found.filter((l, i) => last.get(l.input) === i);
        }
        return request.n !== undefined && request.n !== null && request.n > 0 ? found.slice(-request.n) : found;
      }
      default:
        throw new Error(`history: hist_access_type must be "tail", "range" or "search", got ${JSON.stringify((request as { hist_access_type: unknown }).hist_access_type)}`);
    }
  }
}

/** SQLite GLOB semantics (which IPython's search uses), plus fnmatch's `[!…]`. */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      source += `[${negate ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = close;
    } else source += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
