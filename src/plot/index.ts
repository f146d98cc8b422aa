/** Charts: Plotly figures with their Vega-Lite equivalents, displayable in notebooks with static fallbacks. */
export { Chart } from "./chart";
export { vegaLiteBundle, plotlyBundle, renderVegaLiteSvg, resetPlotlySession } from "./bundles";
export { lineChart, lossCurves, epochMetric, scheduleChart, batchSizeChart, lrRangeChart, trajectoryChart } from "./builders";
export type { LossCurveOptions, NamedHistory } from "./builders";
export { histogram } from "./histogram";
export type { HistogramOptions } from "./histogram";
export { spreadChart, summarizeRuns } from "./spread";
export type { SpreadSeries, RunSummary } from "./spread";
export { sliderChart } from "./slider";
export type { SliderFrame, SliderChartOptions } from "./slider";
export { plotlyToVegaLite } from "./plotly-to-vega";
export type { PlotlyFigure, PlotlyTrace, PlotlyAxis, PlotlyAnnotation, VegaLiteSpec, Series, LineChartOptions, AxisOptions } from "./types";
export { heatmap } from "./heatmap";
export type { HeatmapOptions, HeatmapAxisOptions } from "./heatmap";
export { imageGrid } from "./image-grid";
export type { GridImage, ImageGridOptions } from "./image-grid";
