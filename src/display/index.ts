/** Displays in notebooks: the kernel's display sink and MIME bundles for charts. */
export { setDisplaySink, getDisplaySink } from "./sink";
export type { DisplaySink, DisplayHandle, MimeBundle } from "./sink";
export { vegaLiteBundle, plotlyBundle, renderVegaLiteSvg, resetPlotlySession, VEGA_LITE_MIME, PLOTLY_MIME } from "./bundles";
