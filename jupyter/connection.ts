/**
 * Connection files: how a client tells a kernel where to listen and how to sign.
 * https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { writeFileAtomic } from "../src/util/files";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export const CHANNEL_PORTS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;
export type ChannelPort = (typeof CHANNEL_PORTS)[number];

/** The ZeroMQ endpoint of one channel, e.g. `tcp://127.0.0.1:50123`. */
export function endpoint(info: ConnectionInfo, port: ChannelPort): string {
  return info.transport === "ipc" ? `ipc://${info.ip}-${info[port]}` : `tcp://${info.ip}:${info[port]}`;
}

/** Read and validate a connection file, naming the file and the field in every error. */
export async function readConnectionFile(file: string): Promise<ConnectionInfo> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`connection file ${file}: ${(error as Error).message}`);
  }
  return validateConnectionInfo(raw, file);
}

export function validateConnectionInfo(raw: unknown, source: string): ConnectionInfo {
  if (raw === null || typeof raw !== "object") throw new Error(`connection file ${source}: must be a JSON object`);
  const info = raw as Record<string, unknown>;
  const transport = info.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") {
    throw new Error(`connection file ${source}: transport must be "tcp" or "ipc", got ${JSON.stringify(transport)}`);
  }
  if (typeof info.ip !== "string" || info.ip === "") {
    throw new Error(`connection file ${source}: ip must be a non-empty string`);
  }
  for (const port of CHANNEL_PORTS) {
    const value = info[port];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
      throw new Error(`connection file ${source}: ${port} must be an integer port 0..65535, got ${JSON.stringify(value)}`);
    }
  }
  if (typeof info.key !== "string") throw new Error(`connection file ${source}: key must be a string`);
  const scheme = info.signature_scheme ?? "hmac-sha256";
  if (scheme !== "hmac-sha256") {
    throw new Error(`connection file ${source}: signature_scheme must be "hmac-sha256", got ${JSON.stringify(scheme)}`);
  }
  return { ...(info as unknown as ConnectionInfo), transport, signature_scheme: scheme };
}

/** Ask the OS for `count` distinct free TCP ports on `ip`. */
export async function freePorts(count: number, ip = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, ip, () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** A fresh loopback connection with free ports and a random key. */
export async function newConnectionInfo(kernelName?: string): Promise<ConnectionInfo> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5);
  return {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: randomBytes(32).toString("hex"),
    signature_scheme: "hmac-sha256",
    ...(kernelName ? { kernel_name: kernelName } : {}),
  };
}

/** Write a connection file readable only by its owner (it holds the signing key). */
export async function writeConnectionFile(file: string, info: ConnectionInfo): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(info, null, 2), { mode: 0o600 });
}
