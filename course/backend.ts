/**
 * The backend the lessons will run on, found before they run (it is part of each cache key): the one
 * useBestBackend picks here (or STEPWISE_BACKEND names), probed in a child process so this process
 * loads no tfjs. The kernels make the same choice on the same machine; STEPWISE_BACKEND is not forced on
 * them, so a lesson that shows useBestBackend's report still says why it passed over better backends.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";

export interface BackendChoice {
  name: string;
  device: string;
}

export function resolveBackend(): Promise<BackendChoice> {
  const library = path.join(__dirname, "..", "src", "index.js");
  const script =
    `require(${JSON.stringify(library)}).useBestBackend()` +
    `.then((b) => { process.stdout.write(JSON.stringify({ name: b.name, device: b.device })); process.exit(0); })` +
    `.catch((e) => { process.stderr.write(String(e && e.message || e)); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`course: no backend could be chosen: ${stderr.trim() || error.message}`));
      try {
        resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as BackendChoice);
      } catch {
        reject(new Error(`course: the backend probe printed no answer: ${stdout.slice(0, 200)}`));
      }
    });
  });
}
