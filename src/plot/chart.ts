/**
 * A chart: one Vega-Lite spec and the equivalent Plotly figure, built from the same series.
 *
 * In a notebook a Chart displays through Deno's display protocol (`JUPYTER_DISPLAY`, which
 * stepwise's kernel honours): a bundle with the Vega-Lite spec (JupyterLab renders it natively), the Plotly
 * figure (for clients with Plotly's renderer), an SVG rendered in Node (GitHub, nbviewer, VS Code without
 * scripts) and a text description. `toSpec()` is the Vega-Lite convention Deno's kernel uses.
 *
 * Unlike `plotlyBundle`, a Chart's bundle carries no `text/html`: JupyterLab ranks HTML above Vega-Lite, so
 * the HTML would replace the native Vega-Lite view, and in an untrusted (reopened) notebook it is sanitised
 * to an empty div, where the Vega-Lite spec still renders.
 */
import { JUPYTER_DISPLAY, type MimeBundle, PLOTLY_MIME, VEGA_LITE_MIME } from "../host";
import { renderVegaLiteSvg } from "./bundles";
import { PlotlyFigure, VegaLiteSpec } from "./types";

export class Chart {
  constructor(
    readonly vegaLite: VegaLiteSpec,
    readonly plotly: PlotlyFigure,
    /** One line for text-only viewers, e.g. "loss curves: 3 series, 120 points". */
    readonly description: string,
  ) {}

  toSpec(): VegaLiteSpec {
    return this.vegaLite;
  }

  /** The chart as SVG, rendered by vega in Node. */
  toSVG(): Promise<string> {
    return renderVegaLiteSvg(this.vegaLite);
  }

  async [JUPYTER_DISPLAY](): Promise<MimeBundle> {
    return {
      [VEGA_LITE_MIME]: this.vegaLite,
      [PLOTLY_MIME]: this.plotly,
      "image/svg+xml": await this.toSVG(),
      "text/plain": `<${this.description}>`,
    };
  }

  toString(): string {
    return `<${this.description}>`;
  }
}
