/**
 * `stepwise course build` runs every lesson (cached by content) and builds the offline course site;
 * `stepwise course serve` serves a built site on localhost. Build exit code: 0 when every lesson passed,
 * 1 when any failed (the site is built all the same, the failures marked), 130 on Ctrl-C (site unchanged).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { COURSE_MODES, CourseMode, buildCourse } from "../course/build";
import { LessonRun } from "../course/execute";
import { serveSite } from "../course/serve";
import { createRunProgress } from "../runner/progress";
import { failureReport } from "../runner/report";

interface BuildFlags {
  mode: CourseMode;
  out?: string;
  jobs: number;
  notebooks?: string;
  cache: string;
  quiet?: boolean;
}

const LESSONS_DIR = path.join(__dirname, "..", "..", "notebooks");

/** Where a mode's site goes unless --out says: the full course in out/site, smoke builds beside it. */
export function defaultSiteDir(mode: CourseMode): string {
  return mode === "full" ? path.join("out", "site") : path.join("out", `site-${mode}`);
}

function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be an integer >= 1, got ${JSON.stringify(value)}`);
    return n;
  };
}

function lessonLine(run: LessonRun): string {
  const file = path.relative(process.cwd(), run.lesson.file) || run.lesson.file;
  if (run.status === "failed") {
    return failureReport({ path: file, status: "failed", seconds: run.seconds, codeCells: 0, executedCells: 0, warnings: [], failure: run.failure });
  }
  return run.cached ? `cached ${file} (ran in ${run.seconds.toFixed(1)} s before)` : `passed ${file} (${run.seconds.toFixed(1)} s)`;
}

export function registerCourseCommands(program: Command): void {
  const course = program.command("course").description("run the lessons and build the offline course site");
  course
    .command("build")
    .description("run every lesson through the runner (reusing cached executions) and build the static site")
    .addOption(new Option("--mode <mode>", "full: the real experiments; smoke: seconds per lesson").choices(COURSE_MODES).default("full"))
    .option("-o, --out <dir>", "the site's folder (default: out/site, or out/site-smoke in smoke mode)")
    .option("-j, --jobs <n>", "lessons run in parallel, one kernel each", positiveInteger("--jobs"), 1)
    .option("--notebooks <dir>", "the lessons' folder (default: this package's notebooks/)")
    .option("--cache <dir>", "where executions are cached", path.join("out", "cache"))
    .option("-q, --quiet", "print only failures and where the site is")
    .action(async (flags: BuildFlags) => {
      const out = flags.out ?? defaultSiteDir(flags.mode);
      const progress = createRunProgress(process.stderr, process.stderr.isTTY === true && !flags.quiet);
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) process.exit(128 + os.constants.signals[signal]);
        progress.log(`stepwise course: ${signal}: stopping the lessons; the site stays as it was (${signal} again quits at once)`);
        controller.abort(new Error(signal));
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const started = Date.now();
      let built;
      try {
        built = await buildCourse({
          notebooks: flags.notebooks ?? LESSONS_DIR,
          out,
          cacheDir: flags.cache,
          mode: flags.mode,
          jobs: flags.jobs,
          signal: controller.signal,
          onPlan: (lessons) => {
            progress.log(`stepwise course: ${lessons.length} lessons, ${flags.mode} mode`);
            progress.plan(lessons.map((lesson) => lesson.file));
          },
          onCell: (event) => progress.cell(event),
          onLesson: (run) => progress.finished(run.lesson.file, run.status === "passed" && flags.quiet ? undefined : lessonLine(run)),
        });
      } catch (error) {
        if (controller.signal.aborted) {
          process.stderr.write(`${(error as Error).message}\n`);
          process.exitCode = 128 + os.constants.signals[(controller.signal.reason as Error).message as NodeJS.Signals];
          return;
        }
        throw error;
      } finally {
        progress.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      const failed = built.runs.filter((run) => run.status === "failed").length;
      const cached = built.runs.filter((run) => run.cached).length;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `${built.runs.length} lessons on ${built.backend.name} (${built.backend.device}): ${built.runs.length - failed} passed, ${failed} failed, ${cached} from the cache; ${seconds} s\n` +
          `the course site: ${pathToFileURL(built.index).href}\n`,
      );
      process.exitCode = failed === 0 ? 0 : 1;
    });
  course
    .command("serve")
    .description("serve a built course site on localhost")
    .option("-o, --out <dir>", "the site's folder", defaultSiteDir("full"))
    .option("-p, --port <n>", "the port", positiveInteger("--port"), 8000)
    .action(async (flags: { out: string; port: number }) => {
      await serveSite(flags.out, flags.port);
      process.stdout.write(`serving ${path.resolve(flags.out)} at http://127.0.0.1:${flags.port}/ (Ctrl-C stops)\n`);
    });
}
