/**
 * One execution of a cell, and what interrupting it means.
 *
 * An interrupt aborts the run's AbortSignal (stepwise's `fit()` stops at its next batch), rejects the
 * awaiting cell at once, and stops the work the cell left behind: the run is tracked through the cell's
 * asynchronous continuations (AsyncLocalStorage), and once the interrupted cell has been given up (it did not
 * end on its own within the grace period, or it ended) timer callbacks scheduled by its run are dropped, so a loop like `while (true) await new Promise(r => setTimeout(r, 10))` ends instead of
 * running on in the background. Timers of cells that finished normally (a user's `setInterval`) keep going.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { promisify } from "node:util";

/** The error an interrupted cell reports (Python's KeyboardInterrupt). */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
}

export class CellRun {
  private readonly controller = new AbortController();
  private rejectInterruption!: (error: Error) => void;
  /** Rejects when the run is interrupted; never resolves. */
  readonly interruption: Promise<never>;

  constructor(readonly label: string) {
    this.interruption = new Promise<never>((_, reject) => (this.rejectInterruption = reject));
    this.interruption.catch(() => undefined);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  private givenUp = false;

  /** The interrupted cell has been reported; work it left behind stops (its timers are dropped). */
  abandon(): void {
    this.givenUp = true;
  }

  /**
   * Interrupted and reported. Until then its timers still fire, so an AbortSignal-aware loop that yields
   * through a timer (stepwise's fit) can reach its next check and end with its own error.
   */
  get abandoned(): boolean {
    return this.givenUp;
  }

  interrupt(how: string): void {
    if (this.interrupted) return;
    const error = new InterruptedError(`${this.label} was interrupted (${how})`);
    this.controller.abort(error);
    this.rejectInterruption(error);
  }
}

const storage = new AsyncLocalStorage<CellRun>();

/** Run `fn` (and everything it schedules) as part of `run`. */
export function runInCell<T>(run: CellRun, fn: () => T): T {
  return storage.run(run, fn);
}

type Scheduler = (callback: (...args: unknown[]) => void, ...rest: unknown[]) => unknown;

/**
 * Wrap the global setTimeout/setInterval/setImmediate so callbacks scheduled by a run that has been
 * interrupted are not called (intervals are cleared). Returns the function that restores the originals.
 */
export function guardTimers(): () => void {
  const target = globalThis as unknown as Record<string, Scheduler & { [key: symbol]: unknown }>;
  const clearers: Record<string, (handle: unknown) => void> = {
    setTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    setInterval: (h) => clearInterval(h as NodeJS.Timeout),
    setImmediate: (h) => clearImmediate(h as NodeJS.Immediate),
  };
  const originals: Record<string, Scheduler> = {};
  for (const name of Object.keys(clearers)) {
    const original = target[name];
    originals[name] = original;
    const guarded = function (this: unknown, callback: (...args: unknown[]) => void, ...rest: unknown[]): unknown {
      const run = storage.getStore();
      if (!run || typeof callback !== "function") return original.call(this, callback, ...rest);
      let handle: unknown;
      const wrapped = function (this: unknown, ...args: unknown[]) {
        if (run.abandoned) {
          clearers[name](handle);
          return;
        }
        return callback.apply(this, args);
      };
      handle = original.call(this, wrapped, ...rest);
      return handle;
    } as Scheduler & { [key: symbol]: unknown };
    // util.promisify(setTimeout) and friends keep working
    const custom = original[promisify.custom];
    if (custom !== undefined) guarded[promisify.custom] = custom;
    target[name] = guarded;
  }
  return () => {
    for (const [name, original] of Object.entries(originals)) target[name] = original as Scheduler & { [key: symbol]: unknown };
  };
}
