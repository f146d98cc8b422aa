/**
 * Interrupts from the kernel: while a cell runs, the stepwise kernel publishes an AbortSignal under a
 * global symbol and aborts it when the user interrupts; long loops (fit, sweeps) check it at each batch,
 * after yielding to the event loop, and stop with an InterruptedError.
 */
const KEY = Symbol.for("stepwise.abortSignal");

export function currentAbortSignal(): AbortSignal | undefined {
  const value = (globalThis as Record<symbol, unknown>)[KEY];
  return value instanceof AbortSignal ? value : undefined;
}

/** For hosts (the kernel): the signal that the code running now should honour; undefined clears it. */
export function setCurrentAbortSignal(signal: AbortSignal | undefined): void {
  (globalThis as Record<symbol, unknown>)[KEY] = signal;
}
