/**
 * Iopub messages of one cell into nbformat outputs, as nbclient builds them: consecutive stream text of the
 * same name merged, `update_display_data` rewriting every output with that display_id (in any cell),
 * `clear_output` (with `wait`: on the next output), results and errors.
 */
import { Message } from "../jupyter/messages";
import { CodeCell, DisplayDataOutput, ExecuteResultOutput, JsonObject, Output } from "./nbformat";

/** Where each display_id's outputs live, across the notebook's cells. */
export type DisplayIndex = Map<string, Array<{ cell: CodeCell; index: number }>>;

export class OutputCollector {
  private clearPending = false;

  constructor(
    private readonly cell: CodeCell,
    private readonly displays: DisplayIndex,
  ) {}

  handle(message: Message): void {
    const content = message.content as Record<string, unknown>;
    switch (message.header.msg_type) {
      case "stream":
        this.stream(content.name === "stderr" ? "stderr" : "stdout", String(content.text ?? ""));
        break;
      case "display_data":
      case "execute_result": {
        const output =
          message.header.msg_type === "display_data"
            ? ({ output_type: "display_data", data: (content.data ?? {}) as JsonObject, metadata: (content.metadata ?? {}) as JsonObject } satisfies DisplayDataOutput)
            : ({ output_type: "execute_result", execution_count: (content.execution_count as number) ?? null, data: (content.data ?? {}) as JsonObject, metadata: (content.metadata ?? {}) as JsonObject } satisfies ExecuteResultOutput);
        const index = this.push(output);
        const displayId = (content.transient as { display_id?: string } | undefined)?.display_id;
        if (displayId) {
          const list = this.displays.get(displayId) ?? [];
          list.push({ cell: this.cell, index });
          this.displays.set(displayId, list);
        }
        break;
      }
      case "update_display_data": {
        const displayId = (content.transient as { display_id?: string } | undefined)?.display_id;
        for (const target of (displayId && this.displays.get(displayId)) || []) {
          const output = target.cell.outputs[target.index] as DisplayDataOutput | undefined;
          if (output && (output.output_type === "display_data" || output.output_type === "execute_result")) {
            output.data = (content.data ?? {}) as JsonObject;
            output.metadata = (content.metadata ?? {}) as JsonObject;
          }
        }
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
        break; // status, execute_input, comms: not outputs
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
