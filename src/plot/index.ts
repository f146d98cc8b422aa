/** Charts: Plotly figures with their Vega-Lite equivalents, displayable in notebooks with static fallbacks. */
export { Chart } from "./chart";
export { lineChart, lossCurves, epochMetric, scheduleChart, batchSizeChart, lrRangeChart, trajectoryChart } from "./builders";
export type { LossCurveOptions, NamedHistory } from "./builders";
export { plotlyToVegaLite } from "./plotly-to-vega";
export type { PlotlyFigure, PlotlyTrace, PlotlyAxis, VegaLiteSpec, Series, LineChartOptions, AxisOptions } from "./types";
