/**
 * A composition function binary run as a local gRPC server: `<bin> --insecure --address
 * 127.0.0.1:<free port>`, ready once the port accepts connections. It runs supervised: it
 * stops when this process ends, however it ends (SIGKILL included).
 */
import type { ChildProcess } from "node:child_process";
import { freePort } from "../../process.js";
import { connect } from "node:net";
import { UserError } from "../../errors.js";
import { killSupervisedNow, spawnSupervised, stopSupervised } from "../../supervise.js";

export interface FunctionProcess {
  readonly target: string;
  /** The watchdog's process id (the server runs as its child, in a process group of its own). */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
  /** Synchronous kill, for process exit. */
  killNow(): void;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

async function startOnce(bin: string, name: string, port: number, timeoutMs: number): Promise<FunctionProcess> {
  const child: ChildProcess = spawnSupervised(bin, ["--insecure", "--address", `127.0.0.1:${port}`], { stdout: "ignore", graceMs: 3000 });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = signal ?? `code ${code}`;
      resolve();
    });
    child.once("error", (err) => {
      exited = err.message;
      resolve();
    });
  });
  const stop = async () => {
    if (exited === undefined) {
      await stopSupervised(child);
      await exit;
    }
  };
  const started = Date.now();
  for (;;) {
    if (exited !== undefined) throw new UserError(`${name} exited while starting (${exited}): ${stderr.trim().split("\n").slice(-3).join("\n")}`);
    if (await canConnect(port)) break;
    if (Date.now() - started > timeoutMs) {
      await stop();
      throw new UserError(`${name} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s: ${stderr.trim().split("\n").slice(-3).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    target: `127.0.0.1:${port}`,
    pid: child.pid,
    stop,
    killNow: () => {
      if (exited === undefined) killSupervisedNow(child);
    },
  };
}

/** Starts the function on a free loopback port (retrying when another process takes the port first). */
export async function startFunctionProcess(bin: string, name: string, timeoutMs = 15_000): Promise<FunctionProcess> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, name, await freePort(), timeoutMs);
    } catch (err) {
      last = err;
      if (!/address already in use|bind/i.test((err as Error).message)) throw err;
    }
  }
  throw last;
}
