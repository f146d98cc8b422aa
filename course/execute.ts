/**
 * Running the lessons for the site: each lesson's cache key, the cached execution where one matches, and a
 * run through the project's runner (in its own kernel, `jobs` at a time) where none does.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CellEvent, CellFailure, NotebookResult, runNotebook } from "../runner/execute";
import { JsonValue } from "../jupyter/messages";
import { Notebook } from "../runner/nbformat";
import { BackendChoice } from "./backend";
import { ExecutionCache, cacheKey, canonicalJson } from "./cache";
import { Lesson, emptyNotebook } from "./lessons";

export interface LessonRun {
  lesson: Lesson;
  status: "passed" | "failed";
  /** Seconds the execution took (when it ran, for a cached one). */
  seconds: number;
  cached: boolean;
  backend: string;
  device: string;
  finishedAt: string;
  /** The executed notebook; for a notebook that could not even be read, its source. */
  notebook: Notebook;
  failure?: CellFailure;
}

export interface RunLessonsOptions {
  parameters: Record<string, JsonValue>;
  stepwiseVersion: string;
  backend: BackendChoice;
  cache: ExecutionCache;
  jobs: number;
  signal?: AbortSignal;
  onPlan?: (lessons: readonly Lesson[]) => void;
  onCell?: (event: CellEvent) => void;
  onLesson?: (run: LessonRun) => void;
  /** The runner's runNotebook; tests pass a stand-in. */
  execute?: typeof runNotebook;
}

export async function runLessons(lessons: readonly Lesson[], options: RunLessonsOptions): Promise<LessonRun[]> {
  const execute = options.execute ?? runNotebook;
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "stepwise-course-"));
  options.onPlan?.(lessons);
  const runs: LessonRun[] = new Array(lessons.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lessons.length && !options.signal?.aborted) {
      const lesson = lessons[next++];
      const source = await fs.readFile(lesson.file, "utf8");
      const key = cacheKey({ source, parameters: options.parameters, stepwiseVersion: options.stepwiseVersion, backend: options.backend });
      const hit = await options.cache.lookup(lesson.slug, key);
      let run: LessonRun;
      if (hit) {
        run = { lesson, status: "passed", seconds: hit.seconds, cached: true, backend: hit.backend, device: hit.device, finishedAt: hit.finishedAt, notebook: hit.notebook };
      } else {
        const result: NotebookResult = await execute(lesson.file, {
          parameters: options.parameters,
          outputPath: path.join(scratch, `${lesson.slug}.ipynb`),
          signal: options.signal,
          onCell: options.onCell,
        });
        run = {
          lesson,
          status: result.status,
          seconds: result.seconds,
          cached: false,
          backend: options.backend.name,
          device: options.backend.device,
          finishedAt: new Date().toISOString(),
          notebook: result.notebook ?? emptyNotebook(),
          failure: result.failure,
        };
        if (run.status === "passed") {
          await options.cache.store(lesson.slug, { key, variant: canonicalJson({ parameters: options.parameters, backend: { ...options.backend } }), seconds: run.seconds, backend: run.backend, device: run.device, finishedAt: run.finishedAt, notebook: run.notebook });
        }
      }
      runs[lessons.indexOf(lesson)] = run;
      options.onLesson?.(run);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.jobs, lessons.length) }, worker));
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return runs.filter((run): run is LessonRun => run !== undefined);
}
