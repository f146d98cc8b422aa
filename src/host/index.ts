/**
 * The hooks a host (stepwise's kernel) sets and the library reads: where displays go, the signal that
 * interrupts the running cell, and what a display is. Lowest layer: imports nothing else of stepwise.
 */
export { setDisplaySink, getDisplaySink } from "./display-sink";
export type { DisplaySink, DisplayHandle } from "./display-sink";
export { currentAbortSignal, setCurrentAbortSignal } from "./abort-signal";
export { JUPYTER_DISPLAY, PLOTLY_MIME, VEGA_LITE_MIME } from "./mime";
export type { MimeBundle } from "./mime";
