/**
 * Iopub messages of one cell into nbformat outputs, as nbclient builds them:
 * - consecutive stream text of the same name merged into one output (as JupyterLab saves it);
 * - `display_data` / `execute_result` appended; one carrying a display_id also replaces the data of every
 *   earlier output with that id, in any cell (nbclient's `_update_display_id`);
 * - `update_display_data` replaces the data of every output with its display_id, appending nothing;
 * - `clear_output` empties the cell's outputs, with `wait` only when the next output arrives;
 * - `error` appended; `execute_input` gives the cell its execution count;
 * - the message dates nbclient records as timing (`metadata.execution["iopub.status.busy"]`, …).
 */
import { JsonObject, Message, parentIdOf } from "../jupyter/messages";
import { CodeCell, DisplayDataOutput, ExecuteResultOutput, Output } from "./nbformat";

/** Where each display_id's outputs live, across the notebook's cells. */
export type DisplayIndex = Map<string, Array<{ cell: CodeCell; index: number }>>;

/** The keys of nbclient's per-cell timing record (`record_timing`), which JupyterLab's execute-time display reads. */
export type TimingKey = "iopub.status.busy" | "iopub.execute_input" | "shell.execute_reply" | "iopub.status.idle";
const TIMING_KEYS: readonly TimingKey[] = ["iopub.status.busy", "iopub.execute_input", "shell.execute_reply", "iopub.status.idle"];

export class OutputCollector {
  private clearPending = false;
  /** The msg_id of the execute_request the messages answer (learned from the first one). */
  requestId: string | undefined;

  constructor(
    private readonly cell: CodeCell,
    private readonly displays: DisplayIndex,
  ) {
    // a re-executed notebook's old timings must not survive; other execution keys (timeout) stay
    const execution = cell.metadata.execution;
    if (execution && typeof execution === "object" && !Array.isArray(execution)) for (const key of TIMING_KEYS) delete execution[key];
  }

  handle(message: Message): void {
    const content = message.content as Record<string, unknown>;
    this.requestId ??= parentIdOf(message);
    switch (message.header.msg_type) {
      case "status":
        if (content.execution_state === "busy") this.recordTime("iopub.status.busy", message.header.date);
        else if (content.execution_state === "idle") this.recordTime("iopub.status.idle", message.header.date);
        break;
      case "execute_input":
        this.recordTime("iopub.execute_input", message.header.date);
        if (typeof content.execution_count === "number") this.cell.execution_count = content.execution_count;
        break;
      case "stream":
        this.stream(content.name === "stderr" ? "stderr" : "stdout", String(content.text ?? ""));
        break;
      case "display_data":
      case "execute_result": {
        const data = (content.data ?? {}) as JsonObject;
        const metadata = (content.metadata ?? {}) as JsonObject;
        const displayId = displayIdOf(content);
        if (displayId) this.updateDisplay(displayId, data, metadata);
        const output =
          message.header.msg_type === "display_data"
            ? ({ output_type: "display_data", data, metadata } satisfies DisplayDataOutput)
            : ({ output_type: "execute_result", execution_count: (content.execution_count as number) ?? null, data, metadata } satisfies ExecuteResultOutput);
        const index = this.push(output);
        if (displayId) {
          const list = this.displays.get(displayId) ?? [];
          list.push({ cell: this.cell, index });
          this.displays.set(displayId, list);
        }
        break;
      }
      case "update_display_data": {
        const displayId = displayIdOf(content);
        if (displayId) this.updateDisplay(displayId, (content.data ?? {}) as JsonObject, (content.metadata ?? {}) as JsonObject);
        break;
      }
      case "error":
        this.push({ output_type: "error", ename: String(content.ename ?? ""), evalue: String(content.evalue ?? ""), traceback: (content.traceback as string[]) ?? [] });
        break;
      case "clear_output":
        if (content.wait) this.clearPending = true;
        else this.clear();
        break;
      default:
        break; // comms: not outputs
    }
  }

  /** Record one of nbclient's timing keys (an ISO date) under the cell's `metadata.execution`. */
  recordTime(key: TimingKey, date: string | undefined): void {
    if (!date) return;
    const existing = this.cell.metadata.execution;
    const execution: JsonObject = existing && typeof existing === "object" && !Array.isArray(existing) ? existing : {};
    execution[key] = date;
    this.cell.metadata.execution = execution;
  }

  private updateDisplay(displayId: string, data: JsonObject, metadata: JsonObject): void {
    for (const target of this.displays.get(displayId) ?? []) {
      const output = target.cell.outputs[target.index];
      if (output && (output.output_type === "display_data" || output.output_type === "execute_result")) {
        output.data = data;
        output.metadata = metadata;
      }
    }
  }

  private stream(name: "stdout" | "stderr", text: string): void {
    if (this.clearPending) this.clear();
    const last = this.cell.outputs[this.cell.outputs.length - 1];
    if (last && last.output_type === "stream" && last.name === name) {
      last.text = (Array.isArray(last.text) ? last.text.join("") : last.text) + text;
    } else {
      this.cell.outputs.push({ output_type: "stream", name, text });
    }
  }

  private push(output: Output): number {
    if (this.clearPending) this.clear();
    this.cell.outputs.push(output);
    return this.cell.outputs.length - 1;
  }

  private clear(): void {
    this.clearPending = false;
    this.cell.outputs.length = 0;
    for (const [id, list] of this.displays) {
      const kept = list.filter((target) => target.cell !== this.cell);
      if (kept.length) this.displays.set(id, kept);
      else this.displays.delete(id);
    }
  }
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const id = (content.transient as { display_id?: unknown } | undefined)?.display_id;
  return typeof id === "string" && id ? id : undefined;
}
