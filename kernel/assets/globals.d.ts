/**
 * Globals of the stepwise TypeScript kernel, available in every notebook cell:
 * `display` (rich output, updatable in place), `clear_output`, `input` (stdin) and `comms`.
 */

declare namespace Jupyter {
  type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
  type JsonObject = { [key: string]: JsonValue };

  /**
   * MIME type → data. Text types take strings; JSON types (`application/json`, `*+json`) take objects;
   * binary types (`image/png`…) take bytes or a base64 string.
   */
  type MimeBundle = { [mime: string]: unknown };

  /** A shown output that can be replaced in place (update_display_data). */
  interface DisplayHandle<T> {
    readonly displayId: string;
    /** Replace the output with `value`, rendered as the call that created the handle renders it. */
    update(value: T): Promise<void>;
  }

  interface ImageOptions {
    /** Displayed width in pixels. */
    width?: number;
    /** Displayed height in pixels. */
    height?: number;
  }

  /** A Plotly figure: traces, layout and config as plotly.js takes them. */
  interface PlotlyFigure {
    data: object[];
    layout?: object;
    config?: object;
  }

  interface Display {
    /**
     * Show a value as a cell's last expression shows it: objects with a `[Symbol.for("Jupyter.display")]()`
     * method (Deno's display protocol) return their own bundle, objects with `toSpec()` show as Vega-Lite,
     * tensors show dtype, shape and values, anything else a readable text.
     */
    <T>(value: T): DisplayHandle<T>;
    html(html: string): DisplayHandle<string>;
    markdown(markdown: string): DisplayHandle<string>;
    svg(svg: string): DisplayHandle<string>;
    png(png: Uint8Array | string, options?: ImageOptions): DisplayHandle<Uint8Array | string>;
    /** JSON, shown by JupyterLab's JSON viewer, with a pretty-printed text fallback. */
    json(value: unknown): DisplayHandle<unknown>;
    /** Several representations at once; the front end shows the richest it supports. */
    bundle(data: MimeBundle, options?: { metadata?: object }): DisplayHandle<MimeBundle>;
    /** A Plotly figure (`application/vnd.plotly.v1+json`) with fallbacks. */
    plotly(figure: PlotlyFigure): DisplayHandle<PlotlyFigure>;
    /** A Vega-Lite v5 specification (`application/vnd.vegalite.v5+json`) with fallbacks. */
    vegalite(spec: object): DisplayHandle<object>;
    /** Clear the cell's output; with `wait`, only once the next output arrives (no flicker). */
    clear(options?: { wait?: boolean }): void;
  }

  interface CommMessage {
    data: JsonObject;
    metadata: JsonObject;
    buffers: Uint8Array[];
  }

  /** One end of a comm: a channel of JSON messages with a front-end counterpart (widgets use these). */
  interface Comm {
    readonly commId: string;
    readonly targetName: string;
    readonly closed: boolean;
    send(data?: object, metadata?: object, buffers?: Uint8Array[]): void;
    close(data?: object): void;
    onMsg(handler: (data: JsonObject, message: CommMessage) => void | Promise<void>): void;
    onClose(handler: (data: JsonObject, message: CommMessage) => void | Promise<void>): void;
  }

  interface Comms {
    /** Handle comms the front end opens for `targetName`. */
    registerTarget(targetName: string, handler: (comm: Comm, data: JsonObject, message: CommMessage) => void | Promise<void>): void;
    unregisterTarget(targetName: string): void;
    /** Open a comm from the kernel; the front end routes it to its handler for `targetName`. */
    open(targetName: string, data?: object, metadata?: object, buffers?: Uint8Array[]): Comm;
  }
}

/** Rich output: `display(value)`, `display.html(…)`, `display.plotly(figure)`… Each returns an updatable handle. */
declare const display: Jupyter.Display;

/** Clear the cell's output (IPython's name); with `wait`, once the next output arrives. */
declare function clear_output(wait?: boolean): void;

/**
 * Ask the user for a line of text (the front end shows an input box). Needs a client that allows stdin;
 * elsewhere (headless runs) it fails with a clear error instead of waiting.
 */
declare function input(prompt?: string, options?: { password?: boolean }): Promise<string>;

/** Comms with the front end: register targets, open comms. */
declare const comms: Jupyter.Comms;
