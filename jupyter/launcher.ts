/**
 * Start a kernel from its kernel spec with a fresh connection file, as jupyter_client's KernelManager does:
 * substitute `{connection_file}` and `{resource_dir}` in argv, spawn, connect a client, wait until ready.
 * Shutdown is polite first (shutdown_request on control), then SIGTERM, then SIGKILL. Like jupyter_client,
 * the kernel gets its own session and JPY_PARENT_PID, so it ends with this process even after a SIGKILL.
 */
import { ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KernelClient } from "./client";
import { ConnectionInfo, newConnectionInfo, writeConnectionFile } from "./connection";
import { FoundKernelSpec } from "./kernelspec";
import { jupyterRuntimeDir } from "./paths";

export interface LaunchOptions {
  /** Working directory of the kernel (a notebook's own folder, as Jupyter does). */
  cwd?: string;
  /** Extra environment variables, on top of this process's and the spec's. */
  env?: Record<string, string>;
  /** Where the connection file goes; default: Jupyter's runtime directory. */
  runtimeDir?: string;
  /** How long to wait for the kernel to answer kernel_info with iopub flowing. */
  startupTimeoutMs?: number;
}

export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class KernelProcess {
  /** Resolves when the process exits, whatever the reason. */
  readonly exited: Promise<KernelExit>;
  private exitState: KernelExit | undefined;
  private stderrTail = "";

  private constructor(
    readonly spec: FoundKernelSpec,
    readonly connection: ConnectionInfo,
    readonly connectionFile: string,
    readonly child: ChildProcess,
    readonly client: KernelClient,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitState = { code, signal };
        client.close(`kernel exited (${signal ? `signal ${signal}` : `code ${code}`})`);
        resolve(this.exitState);
      });
    });
    // the kernel's own stdout/stderr (not cell output, which travels on iopub): keep the tail for reports
    const keep = (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-8192);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  static async start(spec: FoundKernelSpec, options: LaunchOptions = {}): Promise<KernelProcess> {
    const connection = await newConnectionInfo(spec.name);
    const runtimeDir = options.runtimeDir ?? jupyterRuntimeDir();
    const connectionFile = path.join(runtimeDir, `kernel-${randomUUID()}.json`);
    await writeConnectionFile(connectionFile, connection);
    const argv = spec.spec.argv.map((arg) =>
      arg.replace(/\{connection_file\}/g, connectionFile).replace(/\{resource_dir\}/g, spec.resourceDir),
    );
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      // JPY_PARENT_PID: kernels (ipykernel, ours) exit when this process dies without shutting them down
      env: { ...process.env, ...spec.spec.env, ...options.env, JPY_PARENT_PID: String(process.pid) },
      // a session of its own, as jupyter_client starts kernels: a terminal's Ctrl-C reaches only this
      // process, which interrupts and stops its kernels itself
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error) => reject(new Error(`cannot start kernel "${spec.name}" (${argv[0]}): ${error.message}`)));
    });
    await spawned.catch(async (error) => {
      await fs.rm(connectionFile, { force: true });
      throw error;
    });
    const kernel = new KernelProcess(spec, connection, connectionFile, child, KernelClient.connect(connection));
    const timeoutMs = options.startupTimeoutMs ?? 60_000;
    try {
      await Promise.race([
        kernel.client.waitForReady(timeoutMs),
        kernel.exited.then((exit) => {
          throw new Error(`kernel "${spec.name}" exited during start-up (${describeExit(exit)})${kernel.stderrSuffix()}`);
        }),
      ]);
    } catch (error) {
      await kernel.kill();
      throw error;
    }
    return kernel;
  }

  get alive(): boolean {
    return this.exitState === undefined;
  }

  get exitStatus(): KernelExit | undefined {
    return this.exitState;
  }

  /** The last lines the kernel process wrote to its stdout/stderr, for error reports. */
  get log(): string {
    return this.stderrTail;
  }

  /** Interrupt the running cell: SIGINT, or interrupt_request on control when the spec asks for messages. */
  async interrupt(): Promise<void> {
    if (!this.alive) return;
    if (this.spec.spec.interrupt_mode === "message") {
      await this.client.request("interrupt_request", {}, { channel: "control", timeoutMs: 5000 });
    } else {
      this.child.kill("SIGINT");
    }
  }

  /** Ask the kernel to shut down; kill it if it does not exit in time. Always removes the connection file. */
  async shutdown(timeoutMs = 5000): Promise<KernelExit> {
    if (this.alive) {
      try {
        await this.client.request("shutdown_request", { restart: false }, { channel: "control", timeoutMs });
        await Promise.race([this.exited, sleep(timeoutMs, undefined, { ref: false })]);
      } catch {
        // no reply: fall through to the signals
      }
    }
    return this.kill();
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async kill(graceMs = 2000): Promise<KernelExit> {
    if (this.alive) {
      this.child.kill("SIGTERM");
      const exited = await Promise.race([this.exited, sleep(graceMs, undefined, { ref: false })]);
      if (!exited) this.child.kill("SIGKILL");
    }
    const exit = await this.exited;
    this.client.close();
    await fs.rm(this.connectionFile, { force: true });
    return exit;
  }

  private stderrSuffix(): string {
    const tail = this.stderrTail.trim();
    return tail ? `; its output ended with:\n${tail.split("\n").slice(-20).join("\n")}` : "";
  }
}

export function describeExit(exit: KernelExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

