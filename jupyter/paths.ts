/**
 * Jupyter's data directories, resolved by the rules of jupyter_core.paths, so that what we install
 * is what `jupyter kernelspec list` finds and vice versa — without needing Python.
 */
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/** The per-user data directory: $JUPYTER_DATA_DIR, else the platform's default. */
export function jupyterDataDir(env: Env = process.env): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  const home = env.HOME || os.homedir();
  if (process.platform === "darwin") return path.join(home, "Library", "Jupyter");
  if (process.platform === "win32") {
    return env.APPDATA ? path.join(env.APPDATA, "jupyter") : path.join(home, ".jupyter", "data");
  }
  return path.join(env.XDG_DATA_HOME || path.join(home, ".local", "share"), "jupyter");
}

/** Where connection files go: $JUPYTER_RUNTIME_DIR, else `<data dir>/runtime`. */
export function jupyterRuntimeDir(env: Env = process.env): string {
  return env.JUPYTER_RUNTIME_DIR || path.join(jupyterDataDir(env), "runtime");
}

export function systemJupyterPath(env: Env = process.env): string[] {
  if (process.platform === "win32") return env.PROGRAMDATA ? [path.join(env.PROGRAMDATA, "jupyter")] : [];
  return ["/usr/local/share/jupyter", "/usr/share/jupyter"];
}

/**
 * The prefix of the active Python environment (Jupyter's `sys.prefix`), which `--sys-prefix` installs into:
 * $VIRTUAL_ENV or $CONDA_PREFIX when set, else what `python3` reports, else undefined.
 */
export function environmentPrefix(env: Env = process.env): string | undefined {
  if (env.VIRTUAL_ENV) return env.VIRTUAL_ENV;
  if (env.CONDA_PREFIX) return env.CONDA_PREFIX;
  for (const python of ["python3", "python"]) {
    try {
      const prefix = execFileSync(python, ["-c", "import sys; print(sys.prefix)"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 5000,
        env: { ...process.env, ...env },
      }).trim();
      if (prefix) return prefix;
    } catch {
      // no such interpreter: try the next
    }
  }
  return undefined;
}

/**
 * The directories searched for data files, highest priority first, as jupyter_core's `jupyter_path`:
 * $JUPYTER_PATH entries, then the user data dir and the environment's `share/jupyter`
 * (environment first when $JUPYTER_PREFER_ENV_PATH is set), then the system directories.
 */
export function jupyterPath(subdirs: string[] = [], env: Env = process.env, prefix = environmentPrefix(env)): string[] {
  const paths: string[] = [];
  if (env.JUPYTER_PATH) {
    paths.push(...env.JUPYTER_PATH.split(path.delimiter).filter(Boolean).map((p) => p.replace(/[\\/]+$/, "")));
  }
  const system = systemJupyterPath(env);
  const user = [jupyterDataDir(env)];
  const environment = prefix ? [path.join(prefix, "share", "jupyter")].filter((p) => !system.includes(p)) : [];
  const preferEnv = ["1", "true", "yes", "on"].includes((env.JUPYTER_PREFER_ENV_PATH ?? "").toLowerCase());
  paths.push(...(preferEnv ? [...environment, ...user] : [...user, ...environment]), ...system);
  const unique = [...new Set(paths)];
  return subdirs.length ? unique.map((p) => path.join(p, ...subdirs)) : unique;
}
