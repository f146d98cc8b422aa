/**
 * The hook for live displays: the kernel registers a sink; library code (training progress, charts)
 * displays through it and updates in place. Stored on a global symbol, so duplicate copies of the module
 * share it.
 */
import type { MimeBundle } from "./mime";

export interface DisplayHandle {
  readonly displayId: string;
  update(content: MimeBundle): Promise<void>;
}

export interface DisplaySink {
  display(content: MimeBundle, options?: { displayId?: string }): DisplayHandle;
  clearOutput?(wait: boolean): void;
}

const KEY = Symbol.for("stepwise.displaySink");

export function setDisplaySink(sink: DisplaySink | undefined): void {
  (globalThis as Record<symbol, unknown>)[KEY] = sink;
}

export function getDisplaySink(): DisplaySink | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as DisplaySink | undefined;
}
