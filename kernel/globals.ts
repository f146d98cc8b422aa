/**
 * The globals every cell sees, declared for the compiler in assets/globals.d.ts:
 * `display` (with its helpers), `clear_output`, `input` and `comms`.
 */
import { CommManager } from "./comms";
import { DisplayApi } from "./display";

export interface KernelGlobals {
  display: DisplayApi;
  input(prompt?: string, options?: { password?: boolean }): Promise<string>;
  comms: Pick<CommManager, "registerTarget" | "unregisterTarget" | "open">;
}

export function installGlobals(globals: KernelGlobals): void {
  const comms = {
    registerTarget: globals.comms.registerTarget.bind(globals.comms),
    unregisterTarget: globals.comms.unregisterTarget.bind(globals.comms),
    open: globals.comms.open.bind(globals.comms),
  };
  const values: Record<string, unknown> = {
    display: globals.display,
    clear_output: (wait = false) => globals.display.clear({ wait }),
    input: globals.input,
    comms,
  };
  for (const [name, value] of Object.entries(values)) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
