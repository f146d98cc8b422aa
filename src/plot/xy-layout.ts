/** The Plotly layout of an x–y chart (lines, spreads): title, axis titles and types, size. */
import { LineChartOptions, PlotlyFigure } from "./types";

export function xyLayout(options: LineChartOptions, logX: boolean, logY: boolean): NonNullable<PlotlyFigure["layout"]> {
  return {
    ...(options.title ? { title: { text: options.title } } : {}),
    xaxis: { title: { text: options.x?.title ?? "x" }, type: logX ? "log" : "linear" },
    yaxis: { title: { text: options.y?.title ?? "y" }, type: logY ? "log" : "linear" },
    ...(options.width ? { width: options.width } : {}),
    ...(options.height ? { height: options.height } : {}),
  };
}
