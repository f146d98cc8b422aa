/**
 * Building the course: find the lessons, choose the backend, run each lesson (or reuse its cached
 * execution), and write the site. A failing lesson is part of the site, marked with its error.
 */
import * as path from "node:path";
import { CellEvent, runNotebook } from "../runner/execute";
import { BackendChoice, resolveBackend } from "./backend";
import { ExecutionCache } from "./cache";
import { codeFingerprint } from "./fingerprint";
import { LessonRun, runLessons } from "./execute";
import { Lesson, findLessons } from "./lessons";
import { writeSite } from "./site";

export type CourseMode = "smoke" | "full";
export const COURSE_MODES: readonly CourseMode[] = ["smoke", "full"];

export interface BuildCourseOptions {
  /** The lessons' folder. */
  notebooks: string;
  /** The site's folder (replaced as a whole when the build ends). */
  out: string;
  /** Where executions are cached. */
  cacheDir: string;
  mode: CourseMode;
  jobs: number;
  /** The backend; default: the one useBestBackend chooses on this machine (STEPWISE_BACKEND wins). */
  backend?: BackendChoice;
  signal?: AbortSignal;
  onPlan?: (lessons: readonly Lesson[]) => void;
  onCell?: (event: CellEvent) => void;
  onLesson?: (run: LessonRun) => void;
  /** The runner's runNotebook; tests pass a stand-in. */
  execute?: typeof runNotebook;
}

export interface CourseBuild {
  runs: LessonRun[];
  /** index.html of the site. */
  index: string;
  backend: BackendChoice;
}

export function stepwiseVersion(): string {
  return (require("../../package.json") as { version: string }).version;
}

export async function buildCourse(options: BuildCourseOptions): Promise<CourseBuild> {
  if (!COURSE_MODES.includes(options.mode)) throw new Error(`course: mode must be ${COURSE_MODES.join(" or ")}, got ${JSON.stringify(options.mode)}`);
  if (!Number.isInteger(options.jobs) || options.jobs < 1) throw new Error(`course: jobs must be an integer >= 1, got ${options.jobs}`);
  const lessons = await findLessons(options.notebooks);
  if (lessons.length === 0) throw new Error(`course: no notebooks in ${options.notebooks}`);
  const backend = options.backend ?? (await resolveBackend());
  const version = stepwiseVersion();
  const runs = await runLessons(lessons, {
    parameters: { mode: options.mode },
    // the cache key holds the built code's fingerprint, not only the version
    stepwiseVersion: codeFingerprint(version),
    backend,
    cache: new ExecutionCache(options.cacheDir),
    jobs: options.jobs,
    signal: options.signal,
    onPlan: options.onPlan,
    onCell: options.onCell,
    onLesson: options.onLesson,
    execute: options.execute,
  });
  if (options.signal?.aborted) throw new Error("course: the build was stopped; the site was not changed");
  await writeSite(options.out, runs, { mode: options.mode, stepwiseVersion: version, builtAt: new Date().toISOString() });
  return { runs, index: path.join(path.resolve(options.out), "index.html"), backend };
}
