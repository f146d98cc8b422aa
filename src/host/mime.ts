/**
 * What a display is: a MIME bundle (`{ "text/plain": ..., "image/svg+xml": ..., ... }`), and Deno's display
 * protocol key: an object with a `[JUPYTER_DISPLAY]()` method returning a bundle (or a promise of one)
 * displays as that bundle in stepwise's kernel and in Deno's.
 */
export type MimeBundle = { [mime: string]: unknown };

export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** The chart MIME types stepwise's bundles carry (JupyterLab renders both). */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
