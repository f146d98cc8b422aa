/**
 * `stepwise run`'s progress on a terminal: one line for the run (notebooks done of all) and one per running
 * notebook (cells done of its code cells), so `--jobs N` shows every kernel's progress. Messages go above
 * the bars. Off a terminal there are no bars, only the messages (CI logs stay readable).
 */
import * as cliProgress from "cli-progress";
import { CellEvent } from "./execute";

export interface RunProgress {
  plan(notebooks: readonly string[]): void;
  cell(event: CellEvent): void;
  /** A notebook finished: drop its bar, count it, and print `message` (if any) above the bars. */
  finished(notebook: string, message?: string): void;
  /** A message above the bars (or on stderr). */
  log(message: string): void;
  stop(): void;
}

export function createRunProgress(stream: NodeJS.WriteStream, enabled: boolean): RunProgress {
  if (!enabled) {
    return {
      plan: () => undefined,
      cell: () => undefined,
      finished: (_notebook, message) => message && stream.write(`${message}\n`),
      log: (message) => stream.write(`${message}\n`),
      stop: () => undefined,
    };
  }
  const bars = new cliProgress.MultiBar(
    { stream, format: "{bar} {value}/{total} {unit} | {label}", hideCursor: true, clearOnComplete: true, autopadding: true, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  let overall: cliProgress.SingleBar | undefined;
  const running = new Map<string, cliProgress.SingleBar>();
  return {
    plan(notebooks) {
      if (notebooks.length > 1) overall = bars.create(notebooks.length, 0, { unit: "notebooks", label: "stepwise run" });
    },
    cell(event) {
      let bar = running.get(event.notebook);
      if (!bar) {
        bar = bars.create(event.total, 0, { unit: "cells", label: event.notebook });
        running.set(event.notebook, bar);
      }
      if (event.phase === "end") bar.update(event.index + 1);
    },
    finished(notebook, message) {
      const bar = running.get(notebook);
      if (bar) bars.remove(bar);
      running.delete(notebook);
      overall?.increment();
      if (message) bars.log(`${message}\n`);
    },
    log: (message) => bars.log(`${message}\n`),
    stop: () => bars.stop(),
  };
}
