/**
 * tslab's public API in the stepwise kernel: notebooks written for tslab (`import * as tslab from "tslab"`,
 * `tslab.display.html(…)`, `tslab.newDisplay().png(…)`, `tslab.versions`) run unchanged.
 *
 * tslab's public module (tslab/dist/public.js) sends every display through one hook: the exported variable
 * `lastWriteDisplayData` of its jupyter module, which tslab's own kernel sets at each execute request; while it
 * is null, `display.*` throws "Not ready". The stepwise kernel sets that hook once, to its own display path
 * (DisplayHost.publishDisplay, as the global `display` uses), so parent headers, ordering with the streams and
 * the runner's outputs are the kernel's own. Setting tslab's documented hook rather than replacing the methods
 * of its Display objects keeps tslab's behaviour exactly: bytes arrive base64, a `newDisplay()` sends
 * display_data first and update_display_data from its second call on.
 *
 * As in tslab's kernel (its executor hooks `require("tslab")`; its converter reads `<cwd>/node_modules/tslab`
 * from its own package), cells get the kernel's copy of tslab whatever their directory holds (modules.ts),
 * so the module the hook is set on and the declarations cells are checked against are one copy.
 */
import { randomUUID } from "node:crypto";
import * as tslabJupyter from "tslab/dist/jupyter";
import { DisplayHost } from "./display";
import { normalizeBundle } from "./rich";

type WriteDisplayData = typeof tslabJupyter.lastWriteDisplayData;
type DisplayData = Parameters<WriteDisplayData>[0];

/** The file `require("tslab")` loads in cells: tslab's public module of the copy the kernel's engine runs on. */
export const TSLAB_PUBLIC_MODULE = require.resolve("tslab");

/** tslab declares the hook `let`; a namespace import is read-only to the compiler, not at run time. */
const hook = tslabJupyter as { lastWriteDisplayData: WriteDisplayData | null };

/** Route tslab's displays to `host`; returns the function that disconnects them again. */
export function connectTslabDisplay(host: DisplayHost): () => void {
  hook.lastWriteDisplayData = (display: DisplayData, update: boolean | undefined) => {
    // tslab's plain `display` has no id; every display in this kernel gets one (kernel/display.ts)
    const displayId = display.transient.display_id ?? randomUUID();
    // checked now, so a wrong argument throws at the call site as it does for the global `display`
    const rendered = { data: normalizeBundle(display.data, "tslab.display"), metadata: { ...display.metadata } };
    void host.publishDisplay(rendered, displayId, update === true);
  };
  return () => {
    hook.lastWriteDisplayData = null;
  };
}
