/**
 * Live training progress. In the stepwise kernel, one display (HTML with a text fallback) is created when
 * training starts and updated in place — at most a few times a second — through the display sink the kernel
 * registers; on a terminal, a progress bar on stderr; elsewhere (CI logs, pipes) nothing.
 */
import { SingleBar } from "cli-progress";
import { DisplayHandle, getDisplaySink } from "../host";
import { EpochRecord, History, StepRecord, TrainCallbacks, TrainInfo } from "./types";

export type ProgressMode = "auto" | "none" | "bar" | "display";

const UPDATE_EVERY_MS = 250;

export function progressCallbacks(mode: ProgressMode): TrainCallbacks[] {
  if (mode === "none") return [];
  const sink = getDisplaySink();
  if (mode === "display" || (mode === "auto" && sink)) {
    if (!sink) throw new Error('fit: progress "display" needs a notebook display (run in the stepwise kernel)');
    return [new DisplayProgress()];
  }
  if (mode === "bar" || (mode === "auto" && process.stderr.isTTY)) return [new BarProgress()];
  return [];
}

/** The state both reporters show. */
class ProgressState {
  info: TrainInfo | undefined;
  epoch = 0;
  batchesDone = 0;
  last: StepRecord | undefined;
  lastEpoch: EpochRecord | undefined;
  readonly losses: number[] = [];
  readonly started = performance.now();

  get totalBatches(): number {
    return this.info ? (this.info.epochs - this.info.initialEpoch) * this.info.batchesPerEpoch : 0;
  }

  step(record: StepRecord): void {
    this.last = record;
    this.losses.push(record.loss);
    if (this.info) this.batchesDone = Math.min(this.totalBatches, this.batchesDone + Math.max(1, Math.round(record.items / this.info.batchSize)));
  }
}

class DisplayProgress implements TrainCallbacks {
  private readonly state = new ProgressState();
  private handle: DisplayHandle | undefined;
  private lastUpdate = 0;

  onTrainBegin(info: TrainInfo): void {
    this.state.info = info;
    this.state.epoch = info.initialEpoch;
    this.handle = getDisplaySink()?.display(render(this.state, "running"));
  }

  onEpochBegin(epoch: number): void {
    this.state.epoch = epoch;
  }

  async onStep(record: StepRecord): Promise<void> {
    this.state.step(record);
    const now = performance.now();
    if (now - this.lastUpdate >= UPDATE_EVERY_MS) {
      this.lastUpdate = now;
      await this.handle?.update(render(this.state, "running"));
    }
  }

  async onEpochEnd(record: EpochRecord): Promise<void> {
    this.state.lastEpoch = record;
    this.state.batchesDone = Math.max(this.state.batchesDone, (record.epoch + 1 - (this.state.info?.initialEpoch ?? 0)) * (this.state.info?.batchesPerEpoch ?? 0));
    await this.handle?.update(render(this.state, "running"));
  }

  async onTrainEnd(history: History): Promise<void> {
    await this.handle?.update(render(this.state, history.diverged ? "diverged" : history.stoppedEarly ? "stopped early" : "done"));
  }
}

class BarProgress implements TrainCallbacks {
  private readonly state = new ProgressState();
  private readonly bar = new SingleBar(
    { format: "epoch {epoch} |{bar}| {percentage}% | loss {loss} | lr {lr} | {speed} samples/s | eta {eta_formatted}", hideCursor: true, stream: process.stderr },
  );

  onTrainBegin(info: TrainInfo): void {
    this.state.info = info;
    this.bar.start(this.state.totalBatches, 0, { epoch: `${info.initialEpoch + 1}/${info.epochs}`, loss: "-", lr: "-", speed: "-" });
  }

  onEpochBegin(epoch: number): void {
    this.state.epoch = epoch;
  }

  onStep(record: StepRecord): void {
    this.state.step(record);
    this.bar.update(this.state.batchesDone, {
      epoch: `${record.epoch + 1}/${this.state.info?.epochs ?? "?"}`,
      loss: format(record.loss),
      lr: format(record.lr),
      speed: Math.round(record.samplesPerSecond),
    });
  }

  onTrainEnd(): void {
    this.bar.update(this.state.totalBatches);
    this.bar.stop();
  }
}

function format(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return String(value ?? "-");
  return Math.abs(value) >= 0.01 && Math.abs(value) < 1000 ? value.toFixed(4) : value.toExponential(2);
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A small loss curve as inline SVG (no scripts, so it shows in every front end and in saved notebooks). */
function sparkline(values: number[], width = 240, height = 48): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return "";
  const step = Math.max(1, Math.floor(finite.length / width));
  const points = finite.filter((_, i) => i % step === 0);
  const [min, max] = [Math.min(...points), Math.max(...points)];
  const span = max - min || 1;
  const path = points
    .map((v, i) => `${((i / (points.length - 1)) * width).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`)
    .join(" ");
  return (
    `<svg width="${width}" height="${height}" role="img" aria-label="training loss">` +
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${path}"/></svg>`
  );
}

function render(state: ProgressState, status: string): Record<string, string> {
  const info = state.info;
  const total = state.totalBatches;
  const fraction = total > 0 ? state.batchesDone / total : 0;
  const elapsed = (performance.now() - state.started) / 1000;
  const last = state.last;
  const epoch = state.lastEpoch;
  const epochText = info ? `epoch ${Math.min(state.epoch + 1, info.epochs)}/${info.epochs}` : "";
  const fields: [string, string][] = [
    ["step", String(last?.step ?? 0)],
    ["loss", format(last?.loss)],
    ["lr", format(last?.lr)],
    ["samples/s", last ? String(Math.round(last.samplesPerSecond)) : "-"],
    ...(epoch?.valLoss !== undefined ? ([["val loss", format(epoch.valLoss)]] as [string, string][]) : []),
    ...(epoch?.valAccuracy !== undefined ? ([["val acc", format(epoch.valAccuracy)]] as [string, string][]) : []),
    ["elapsed", `${elapsed.toFixed(1)} s`],
  ];
  const plain = `${status}: ${epochText}, ${Math.round(fraction * 100)}% — ${fields.map(([k, v]) => `${k} ${v}`).join(", ")}`;
  const html =
    `<div class="stepwise-progress" style="font-family: sans-serif; font-size: 13px">` +
    `<div><b>${escape(status)}</b> ${escape(epochText)}</div>` +
    `<div style="background:#eee;width:240px;height:8px;margin:4px 0"><div style="background:#1f77b4;height:8px;width:${(fraction * 240).toFixed(0)}px"></div></div>` +
    `<table style="border-collapse:collapse"><tr>${fields.map(([k]) => `<th style="padding:0 8px;text-align:left">${escape(k)}</th>`).join("")}</tr>` +
    `<tr>${fields.map(([, v]) => `<td style="padding:0 8px">${escape(v)}</td>`).join("")}</tr></table>` +
    sparkline(state.losses) +
    `</div>`;
  return { "text/html": html, "text/plain": plain };
}
