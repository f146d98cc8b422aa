/**
 * Ending with the process that started us, as ipykernel does: a Jupyter client that launches a kernel
 * passes its pid in JPY_PARENT_PID; if that client dies without shutting the kernel down (SIGKILL, a
 * crashed CI job), the kernel is re-parented and would otherwise run on, orphaned, holding its ports.
 */

/** How often the parent is checked. */
export const PARENT_POLL_MS = 1000;

/**
 * Exits via `onOrphaned` once this process's parent is no longer the one named by JPY_PARENT_PID (its pid
 * as a decimal string). Nothing to watch without the variable, or when it does not name our parent now.
 * The timer never keeps the process alive.
 */
export function watchParent(env: NodeJS.ProcessEnv, onOrphaned: () => void, currentParent: () => number = () => process.ppid): NodeJS.Timeout | undefined {
  const parent = Number(env.JPY_PARENT_PID);
  if (!Number.isInteger(parent) || parent <= 1 || currentParent() !== parent) return undefined;
  const timer = setInterval(() => {
    if (currentParent() !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, PARENT_POLL_MS);
  timer.unref();
  return timer;
}
