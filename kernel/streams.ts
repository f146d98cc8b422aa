/**
 * Capture of `process.stdout` / `process.stderr` (and so `console.*`) for the notebook. The kernel's own
 * log lines keep going to the real stderr, which the process that launched it reads.
 */
import { StringDecoder } from "node:string_decoder";

export type StreamName = "stdout" | "stderr";

export interface CapturedStreams {
  /** Write to the real stderr, bypassing the capture (kernel diagnostics). */
  log(text: string): void;
  restore(): void;
}

/**
 * Route writes to `sink`; when it returns false (no request to attribute the text to) the text goes to the
 * real stream as before.
 */
export function captureStreams(sink: (name: StreamName, text: string) => boolean): CapturedStreams {
  const streams = { stdout: process.stdout, stderr: process.stderr } as const;
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ["stdout", "stderr"] as const) {
    const stream = streams[name];
    const original = originals[name];
    const decoder = new StringDecoder("utf8");
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const done = typeof encoding === "function" ? encoding : callback;
      const text =
        typeof chunk === "string"
          ? chunk
          : chunk instanceof Uint8Array
            ? decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
            : String(chunk);
      if (!sink(name, text)) return (original as (...args: unknown[]) => boolean).call(stream, chunk, encoding, callback);
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    } as typeof stream.write;
  }
  return {
    log: (text) => void originals.stderr.call(process.stderr, text.endsWith("\n") ? text : `${text}\n`),
    restore: () => {
      process.stdout.write = originals.stdout;
      process.stderr.write = originals.stderr;
    },
  };
}
