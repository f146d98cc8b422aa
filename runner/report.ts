/** What a person reads after a run: failure reports, the summary table, and JUnit XML for CI systems. */
import * as os from "node:os";
import { NotebookResult } from "./execute";

const KIND_TEXT = {
  error: "a cell raised an error",
  timeout: "a cell timed out",
  "kernel-died": "the kernel died",
  interrupted: "the run was interrupted",
  "missing-exception": "a cell tagged raises-exception raised nothing",
  "invalid-notebook": "the file is not a valid notebook",
  "kernel-start": "the kernel could not start",
  "output-mismatch": "fresh outputs differ from the stored ones",
} as const;

/** Strip ANSI colour codes (IPython's tracebacks) for plain-text reports. */
export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

export function failureReport(result: NotebookResult): string {
  const f = result.failure;
  if (!f) return "";
  const lines = [`FAILED ${result.path}: ${KIND_TEXT[f.kind]}`];
  if (f.cellIndex !== undefined) {
    const about = [f.cellId && `id ${f.cellId}`, f.executionCount !== undefined && `In [${f.executionCount}]`].filter(Boolean).join(", ");
    lines.push(`  cell ${f.cellIndex}${about ? ` (${about})` : ""}:`);
  }
  if (f.sourceHead) lines.push(...f.sourceHead.split("\n").map((l) => `    | ${l}`));
  const headline = `${f.ename}: ${f.evalue}`;
  lines.push(`  ${headline}`);
  const traceback = f.traceback.map(stripAnsi).join("\n").split("\n").filter((l) => l.trim() !== "");
  // most kernels' tracebacks open with the same "ename: evalue" line
  if (traceback[0]?.trim() === headline) traceback.shift();
  if (traceback.length) lines.push(...traceback.slice(-30).map((l) => `    ${l}`));
  if (result.outputPath) lines.push(`  executed notebook (partial): ${result.outputPath}`);
  return lines.join("\n");
}

export function summaryTable(results: readonly NotebookResult[]): string {
  const rows = results.map((r) => [r.status === "passed" ? "passed" : "FAILED", `${r.seconds.toFixed(1)} s`, `${r.executedCells}/${r.codeCells}`, r.path]);
  const header = ["status", "time", "cells", "notebook"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ");
  const passed = results.filter((r) => r.status === "passed").length;
  const total = results.reduce((s, r) => s + r.seconds, 0);
  return [format(header), ...rows.map(format), `${passed} passed, ${results.length - passed} failed, ${total.toFixed(1)} s of notebook time`].join("\n");
}

export interface JunitOptions {
  suiteName?: string;
  /** When the run started; default: now. */
  timestamp?: Date;
  hostname?: string;
}

/**
 * JUnit XML as CI systems read it (Ant's schema): one testsuite for the run, one testcase per notebook
 * (classname: its folder, dotted), a failure carrying "ename: evalue" as its message and the full
 * failure report as its text.
 */
export function junitXml(results: readonly NotebookResult[], options: JunitOptions = {}): string {
  const failures = results.filter((r) => r.status === "failed").length;
  const time = results.reduce((s, r) => s + r.seconds, 0);
  const cases = results.map((r) => {
    const slash = r.path.lastIndexOf("/");
    const attrs = `classname="${xml(slash >= 0 ? r.path.slice(0, slash).replace(/\//g, ".") : "notebooks")}" name="${xml(r.path)}" time="${r.seconds.toFixed(3)}"`;
    if (r.status === "passed") return `  <testcase ${attrs}/>`;
    const f = r.failure;
    const message = f ? `${f.ename}: ${f.evalue}` : "failed";
    return `  <testcase ${attrs}>\n    <failure type="${xml(f?.kind ?? "error")}" message="${xml(message)}">${xml(failureReport(r))}</failure>\n  </testcase>`;
  });
  // Ant's schema: a local date-time without zone
  const timestamp = (options.timestamp ?? new Date()).toISOString().slice(0, 19);
  const hostname = options.hostname ?? os.hostname();
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${results.length}" failures="${failures}" time="${time.toFixed(3)}">`,
    `<testsuite name="${xml(options.suiteName ?? "stepwise run")}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${time.toFixed(3)}" timestamp="${timestamp}" hostname="${xml(hostname)}">`,
    ...cases,
    "</testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

function xml(text: string): string {
  // characters XML 1.0 cannot hold at all are dropped; markup characters are escaped
  return stripAnsi(text)
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
