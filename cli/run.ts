/**
 * `stepwise run <notebooks or folders...>`: execute notebooks headlessly through their Jupyter kernels.
 * Exit code 0 only when every notebook passes, 1 when any fails, 128 + the signal number when stopped by a
 * signal (130 for Ctrl-C: the running kernels are stopped and the partial notebooks written first).
 */
import { Command, InvalidArgumentError } from "commander";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { JsonValue } from "../jupyter/messages";
import { parseShard } from "../runner/collect";
import { NotebookResult } from "../runner/execute";
import { createRunProgress } from "../runner/progress";
import { checkParameterName, parseParameterValue } from "../runner/parameters";
import { failureReport, junitXml, summaryTable } from "../runner/report";
import { DEFAULT_OUTPUT_DIR, runNotebooks } from "../runner/run";
import { writeFileAtomic } from "../src/util/files";

/** `-p NAME VALUE` pairs, taken out of argv before commander parses it (commander has no two-value options). */
let parameterPairs: Array<[string, JsonValue]> = [];

interface RunFlags {
  kernel?: string;
  paramsFile?: string;
  outputDir?: string;
  inplace?: boolean;
  timeout?: number;
  notebookTimeout?: number;
  startupTimeout: number;
  allowErrors?: boolean;
  jobs: number;
  shard?: { index: number; count: number };
  junit?: string;
  checkOutputs?: boolean;
  quiet?: boolean;
}

function seconds(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number of seconds > 0, got ${JSON.stringify(value)}`);
    return n;
  };
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("execute notebooks headlessly through their Jupyter kernels (papermill-style parameters, timeouts, JUnit)")
    .argument("<paths...>", "notebooks, or folders to search for .ipynb files")
    .option("-k, --kernel <name>", "kernelspec to use instead of each notebook's own")
    .option("--params-file <file>", "JSON file of parameters (-p values win)")
    .option("-o, --output-dir <dir>", `where executed notebooks go (default: ${DEFAULT_OUTPUT_DIR}/): a named notebook at its top, a folder's notebooks at their paths below that folder`)
    .option("--inplace", "write executed notebooks over their sources")
    .option("-t, --timeout <seconds>", "per-cell timeout (a cell's metadata.execution.timeout wins)", seconds("--timeout"))
    .option("--notebook-timeout <seconds>", "timeout for each whole notebook", seconds("--notebook-timeout"))
    .option("--startup-timeout <seconds>", "time a kernel gets to start", seconds("--startup-timeout"), 60)
    .option("--allow-errors", "keep executing after a cell fails")
    .option("-j, --jobs <n>", "notebooks run in parallel, one kernel each", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--jobs must be an integer >= 1, got ${JSON.stringify(v)}`);
      return n;
    }, 1)
    .option("--shard <I/N>", "run only shard I of N (deterministic, for CI matrices)", (v) => {
      try {
        return parseShard(v);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    })
    .option("--junit <file>", "write a JUnit XML report")
    .option("--check-outputs", "fail when fresh text outputs differ from the stored ones (volatile parts sanitised)")
    .option("-q, --quiet", "print only failures and the summary")
    .addHelpText("after", "\nParameters, as papermill:\n  -p, --parameter NAME VALUE  set a parameter (repeatable); VALUE is JSON when it parses (3, 0.1, true, [1,2], \"x\"), else a string\n")
    .action(async (paths: string[], flags: RunFlags, command: Command) => {
      const parameters = await collectParameters(command, flags);
      // bars only on a terminal; CI logs get one line per notebook (or, with --quiet, only failures)
      const progress = createRunProgress(process.stderr, process.stderr.isTTY === true && !flags.quiet);
      // Ctrl-C or a cancelled CI job: stop the kernels and write the partial notebooks; a second signal quits at once
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) process.exit(128 + os.constants.signals[signal]);
        progress.log(`stepwise run: ${signal}: stopping the kernels and writing partial notebooks (${signal} again quits at once)`);
        controller.abort(new Error(signal));
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      let results: NotebookResult[];
      let planned = 0;
      const startedAt = new Date();
      try {
        results = await runNotebooks(paths, {
          kernel: flags.kernel,
          parameters,
          outputDir: flags.outputDir,
          inplace: flags.inplace,
          cellTimeout: flags.timeout,
          notebookTimeout: flags.notebookTimeout,
          startupTimeout: flags.startupTimeout,
          allowErrors: flags.allowErrors,
          jobs: flags.jobs,
          shard: flags.shard,
          checkOutputs: flags.checkOutputs,
          signal: controller.signal,
          onPlan: (notebooks) => {
            planned = notebooks.length;
            progress.plan(notebooks);
          },
          onCell: (event) => progress.cell(event),
          onNotebook: (result: NotebookResult) => {
            const lines = result.warnings.map((warning) => `warning: ${result.path}: ${warning}`);
            if (result.status === "failed") lines.push(`${failureReport(result)}\n`);
            else if (!flags.quiet) lines.push(`passed ${result.path} (${result.seconds.toFixed(1)} s)`);
            progress.finished(result.path, lines.length ? lines.join("\n") : undefined);
          },
        });
      } finally {
        progress.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (results.length === 0) process.stderr.write("no notebooks to run\n");
      else process.stdout.write(`${summaryTable(results)}\n`);
      if (flags.junit) {
        await fs.mkdir(path.dirname(path.resolve(flags.junit)), { recursive: true });
        await writeFileAtomic(flags.junit, junitXml(results, { timestamp: startedAt }));
      }
      if (results.length < planned) process.stderr.write(`${planned - results.length} of ${planned} notebooks not run: the run was interrupted\n`);
      const stoppedBy = controller.signal.aborted ? (controller.signal.reason as Error).message : undefined;
      process.exitCode = stoppedBy ? 128 + os.constants.signals[stoppedBy as NodeJS.Signals] : results.every((r) => r.status === "passed") ? 0 : 1;
    });
}

async function collectParameters(command: Command, flags: RunFlags): Promise<Record<string, JsonValue>> {
  const parameters: Record<string, JsonValue> = {};
  if (flags.paramsFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fs.readFile(flags.paramsFile, "utf8"));
    } catch (error) {
      command.error(`--params-file ${flags.paramsFile}: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) command.error(`--params-file ${flags.paramsFile}: must hold a JSON object of name: value`);
    Object.assign(parameters, parsed);
  }
  for (const [name, value] of parameterPairs) parameters[name] = value;
  for (const name of Object.keys(parameters)) {
    try {
      checkParameterName(name);
    } catch (error) {
      command.error(`-p: ${(error as Error).message}`);
    }
  }
  return parameters;
}

/** For `run`: take the `-p NAME VALUE` pairs out of argv (node, script, "run", ...) and keep them for the action. */
export function takeParameterPairs(argv: string[]): string[] {
  if (argv[2] !== "run") return argv;
  const { argv: rest, pairs } = extractParameterPairs(argv);
  parameterPairs = pairs;
  return rest;
}

export function extractParameterPairs(argv: string[]): { argv: string[]; pairs: Array<[string, JsonValue]> } {
  const rest: string[] = [];
  const pairs: Array<[string, JsonValue]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-p" || arg === "--parameter") {
      const name = argv[i + 1];
      const value = argv[i + 2];
      if (name === undefined || value === undefined) throw new InvalidArgumentError(`${arg} takes a name and a value: ${arg} NAME VALUE`);
      pairs.push([name, parseParameterValue(value)]);
      i += 2;
    } else {
      rest.push(arg);
    }
  }
  return { argv: rest, pairs };
}
