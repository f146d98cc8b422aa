/** The headless notebook runner: library API (the CLI is `stepwise run`). */
export { runNotebook } from "./execute";
export type { RunNotebookOptions, NotebookResult, CellFailure, FailureKind, CellEvent } from "./execute";
export { runNotebooks, outputPathOf, DEFAULT_OUTPUT_DIR } from "./run";
export type { RunNotebooksOptions } from "./run";
export { collectNotebooks, parseShard, shardOf } from "./collect";
export type { CollectedNotebook } from "./collect";
export { parseNotebook, readNotebook, serializeNotebook, NotebookFormatError } from "./nbformat";
export type { Notebook, Cell, CodeCell, Output } from "./nbformat";
export { injectParameters, parameterSource, parameterWarnings, parseParameterValue } from "./parameters";
export { failureReport, summaryTable, junitXml } from "./report";
export type { JunitOptions } from "./report";
export { sanitize } from "./check-outputs";
export { createRunProgress } from "./progress";
export type { RunProgress } from "./progress";
