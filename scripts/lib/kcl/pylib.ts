/** KCL engine backed by long-lived workers around the native KCL library (kcl-lib). */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

import { join } from "node:path";
import { ROOT } from "../paths.js";
import { relativeTo } from "./wire.js";
import { parseKclError, parseKclJson, type KclEngine, type KclRunRequest, type KclYamlOutput } from "./engine.js";
import { toWire, type WireRequest } from "./wire.js";

interface Pending {
  resolve: (out: KclYamlOutput) => void;
  reject: (err: Error) => void;
  workDir: string;
}

const WORKER = join(ROOT, "scripts", "lib", "kcl", "worker.py");

class Worker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private buffer = "";
  private stderr = "";
  private exited: Error | undefined;

  constructor(python: string, libDir: string) {
    this.child = spawn(python, ["-u", WORKER, libDir], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => this.onData(chunk));
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.child.on("error", (err) => this.fail(err));
    this.child.on("exit", (code, signal) =>
      this.fail(new Error(`KCL worker exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim()}` : ""}`)),
    );
    this.child.stdin.on("error", () => {});
    this.idle();
  }

  get load(): number {
    return this.pending.size;
  }

  send(id: number, request: WireRequest): Promise<KclYamlOutput> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, workDir: request.workDir });
      this.busy();
      this.child.stdin.write(JSON.stringify({ id, ...request }) + "\n");
    });
  }

  private onData(chunk: string) {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { id: number; ok: boolean; json?: string; yaml?: string; error?: string };
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.idle();
      if (msg.ok) {
        try {
          p.resolve({ documents: parseKclJson(msg.json ?? ""), yaml: msg.yaml ?? "" });
        } catch (err) {
          p.reject(err as Error);
        }
      } else p.reject(parseKclError(msg.error ?? "", (file) => relativeTo(p.workDir, file)));
    }
  }

  private fail(err: Error) {
    this.exited ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  // A worker with nothing to do must not keep Node alive.
  private idle() {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stderr as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }
  private busy() {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
  }

  close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    // Waiting for the exit must keep Node alive: an idle (unref'd) worker that is still starting
    // would otherwise let the event loop drain first, and Node exits with 13 (unsettled await).
    this.child.ref();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
      this.child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin.end();
    });
  }
}

export class PylibEngine implements KclEngine {
  /** Started on the first run, so a command whose every result is cached starts no process. */
  private started: Worker[] | undefined;
  private nextId = 1;
  private readonly count: number;
  readonly description: string;

  constructor(
    private readonly python: string,
    private readonly libDir: string,
    version: string,
    workers = 1,
  ) {
    this.count = Math.max(1, workers);
    this.description = `kcl-lib ${version} (${this.count} worker${this.count > 1 ? "s" : ""})`;
  }

  private get workers(): Worker[] {
    this.started ??= Array.from({ length: this.count }, () => new Worker(this.python, this.libDir));
    return this.started;
  }

  async run(request: KclRunRequest): Promise<unknown[]> {
    return (await this.send(toWire(request))).documents;
  }

  runYaml(request: KclRunRequest): Promise<KclYamlOutput> {
    return this.send({ ...toWire(request), yaml: true });
  }

  private send(wire: WireRequest): Promise<KclYamlOutput> {
    const worker = this.workers.reduce((a, b) => (b.load < a.load ? b : a));
    return worker.send(this.nextId++, wire);
  }

  async close(): Promise<void> {
    await Promise.all((this.started ?? []).map((w) => w.close()));
  }
}
