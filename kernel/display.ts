/**
 * The display API cells see as the global `display` (declared for the compiler in assets/globals.d.ts), and
 * the display sink stepwise's library code (training progress, charts) publishes through.
 *
 * Every display gets a display_id, so its handle can replace it in place (`update_display_data`): the
 * handle's `update` takes the same kind of argument as the call that created it.
 */
import { randomUUID } from "node:crypto";
import { DisplayHandle as SinkHandle, DisplaySink, MimeBundle as SinkBundle } from "../src/host";
import { JsonObject } from "../jupyter/messages";
import { BundleInput, Rendered, normalizeBundle, plotlyBundle, renderValue, toJson, vegaLiteBundle } from "./rich";

/** What the kernel does with a rendered display. */
export interface DisplayHost {
  /** Publish display_data (or update_display_data when `update`), after the outputs before it. */
  publishDisplay(rendered: Rendered | Promise<Rendered>, displayId: string, update: boolean): Promise<void>;
  clearOutput(wait: boolean): void;
}

export interface DisplayHandle<T> {
  readonly displayId: string;
  /** Replace the display's content in place; resolves once the update is sent. */
  update(value: T): Promise<void>;
}

export interface ImageOptions {
  width?: number;
  height?: number;
}

export interface PlotlyFigure {
  data: object[];
  layout?: object;
  config?: object;
}

export interface DisplayApi {
  <T>(value: T): DisplayHandle<T>;
  html(html: string): DisplayHandle<string>;
  markdown(markdown: string): DisplayHandle<string>;
  svg(svg: string): DisplayHandle<string>;
  png(png: Uint8Array | string, options?: ImageOptions): DisplayHandle<Uint8Array | string>;
  json(value: unknown): DisplayHandle<unknown>;
  bundle(data: BundleInput, options?: { metadata?: object }): DisplayHandle<BundleInput>;
  plotly(figure: PlotlyFigure): DisplayHandle<PlotlyFigure>;
  vegalite(spec: object): DisplayHandle<object>;
  /** Clear the cell's output; with `wait`, only when the next output arrives (no flicker). */
  clear(options?: { wait?: boolean }): void;
}

/** Marks display handles, so a cell ending in `display(…)` does not also show the handle as its result. */
const HANDLE = Symbol("stepwise.displayHandle");

export function isDisplayHandle(value: unknown): boolean {
  return typeof value === "object" && value !== null && HANDLE in value;
}

export function createDisplayApi(host: DisplayHost): DisplayApi {
  function show<T>(render: (value: T) => Rendered | Promise<Rendered>, value: T, displayId: string = randomUUID()): DisplayHandle<T> {
    // rendering runs now, so bad arguments throw at the call site
    void host.publishDisplay(render(value), displayId, false);
    const handle = { displayId, update: (next: T) => host.publishDisplay(render(next), displayId, true) };
    Object.defineProperty(handle, HANDLE, { value: true });
    return handle;
  }
  const text = (mime: string, what: string) => (value: string): Rendered => {
    if (typeof value !== "string") throw new TypeError(`${what}: expected a string, got ${typeof value}`);
    return { data: { [mime]: value }, metadata: {} };
  };
  const display = (<T>(value: T) => show(renderValue, value)) as DisplayApi;
  display.html = (html) => show(text("text/html", "display.html"), html);
  display.markdown = (markdown) => show(text("text/markdown", "display.markdown"), markdown);
  display.svg = (svg) => show(text("image/svg+xml", "display.svg"), svg);
  display.png = (png, options = {}) =>
    show((image: Uint8Array | string): Rendered => {
      if (typeof image !== "string" && !(image instanceof Uint8Array)) throw new TypeError("display.png: expected bytes (Uint8Array/Buffer) or a base64 string");
      const size: JsonObject = {};
      if (options.width !== undefined) size.width = checkSize(options.width, "width");
      if (options.height !== undefined) size.height = checkSize(options.height, "height");
      return { data: normalizeBundle({ "image/png": image }, "display.png"), metadata: Object.keys(size).length ? { "image/png": size } : {} };
    }, png);
  display.json = (value) => show((v: unknown): Rendered => ({ data: { "application/json": toJson(v, "display.json: value"), "text/plain": JSON.stringify(v, null, 2) }, metadata: {} }), value);
  display.bundle = (data, options = {}) =>
    show((bundle: BundleInput): Rendered => {
      const metadata = options.metadata === undefined ? {} : toJson(options.metadata, "display.bundle: metadata");
      if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new TypeError("display.bundle: metadata must be an object");
      return { data: normalizeBundle(bundle, "display.bundle"), metadata };
    }, data);
  display.plotly = (figure) => show(plotlyBundle, figure);
  display.vegalite = (spec) => show(vegaLiteBundle, spec);
  display.clear = (options = {}) => host.clearOutput(options.wait ?? false);
  return display;
}

/** The sink stepwise's library code (src/host/display-sink.ts) displays through. */
export function createDisplaySink(host: DisplayHost): DisplaySink {
  const render = (bundle: SinkBundle): Rendered => ({ data: normalizeBundle(bundle, "display"), metadata: {} });
  return {
    display(content: SinkBundle, options: { displayId?: string } = {}): SinkHandle {
      const displayId = options.displayId ?? randomUUID();
      void host.publishDisplay(render(content), displayId, false);
      return { displayId, update: (next: SinkBundle) => host.publishDisplay(render(next), displayId, true) };
    },
    clearOutput: (wait: boolean) => host.clearOutput(wait),
  };
}

function checkSize(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`display.png: ${name} must be a positive number of pixels, got ${value}`);
  return value;
}
