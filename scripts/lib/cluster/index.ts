/**
 * `npm run cluster -- up|down|status|env`: a local Kubernetes control plane (etcd,
 * kube-apiserver, Crossplane core) with the package installed, its functions served on loopback
 * and the provider simulator, all run by one supervisor process (supervisor.ts) whose state
 * lives in .cache/cluster/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.js";
import { ROOT } from "../paths.js";
import { isProcessAlive } from "../process.js";
import { Kube } from "./kube.js";
import { DEFAULT_STATE_DIR, readState, runs, type ClusterState } from "./state.js";
import type { InstallReport } from "./install.js";

export { DEFAULT_STATE_DIR } from "./state.js";
export type { ClusterState } from "./state.js";

import type { Log } from "../tools.js";

export interface UpOptions {
  stateDir?: string;
  /** Keep the control plane tied to this process: it stops when this process ends, however it ends. */
  tied?: boolean;
  withPackage?: boolean;
  log?: Log;
  /** Deadline for the whole start-up (default 20 minutes when a binary may still need building, which `up` cannot know). */
  timeoutMs?: number;
}

export interface ControlPlane {
  state: ClusterState;
  /** Whether a running control plane was reused. */
  reused: boolean;
  kubeconfig: string;
  install?: InstallReport;
  kube(): Kube;
  /** Stops it (only when this process started it tied; a reused or detached one stays). */
  stop(): Promise<void>;
}

function supervisorScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith(".js") ? join(here, "..", "supervisor-main.js") : join(ROOT, ".build", "scripts", "lib", "cluster", "supervisor-main.js");
}

const STOP_ORDER = ["crossplane", "function-auto-ready", "kube-apiserver", "etcd"];

function supervisorAlive(state: ClusterState): boolean {
  return isProcessAlive(state.supervisorPid) && runs(state.supervisorPid, "node") && readCmdline(state.supervisorPid).includes("supervisor-main");
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills what a dead supervisor left behind (each pid only if it still runs the binary recorded for it), then removes the folder. */
export async function cleanupStale(dir: string, log: Log): Promise<void> {
  const state = readState(dir);
  const left = (state?.processes ?? []).filter((p) => runs(p.pid, p.bin)).sort((a, b) => STOP_ORDER.indexOf(a.name) - STOP_ORDER.indexOf(b.name));
  for (const p of left) {
    log(`stopping ${p.name} (pid ${p.pid}) left behind by a control plane that is no longer supervised`);
    process.kill(p.pid, "SIGTERM");
    const deadline = Date.now() + 8000;
    while (runs(p.pid, p.bin) && Date.now() < deadline) await sleep(100);
    if (runs(p.pid, p.bin)) process.kill(p.pid, "SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
}

function accessOf(state: ClusterState): Kube {
  const kc = JSON.parse(readFileSync(state.kubeconfig, "utf8")) as {
    clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
    users: { user: { token: string } }[];
  };
  return new Kube({
    server: kc.clusters[0]!.cluster.server,
    ca: Buffer.from(kc.clusters[0]!.cluster["certificate-authority-data"], "base64").toString(),
    token: kc.users[0]!.user.token,
  });
}

function installReport(dir: string): InstallReport | undefined {
  const p = join(dir, "install.json");
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as InstallReport) : undefined;
}

function tail(file: string, n = 12): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-n).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Starts a control plane (or reuses the one running in the state folder) and waits until it is ready. */
export async function up(options: UpOptions = {}): Promise<ControlPlane> {
  const dir = options.stateDir ?? DEFAULT_STATE_DIR;
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const existing = readState(dir);
  if (existing) {
    if (supervisorAlive(existing) && (existing.phase === "ready" || existing.phase === "starting")) {
      log(`a control plane is ${existing.phase === "ready" ? "running" : "starting"} in ${dir} (supervisor pid ${existing.supervisorPid}); reusing it`);
      const state = await waitReady(dir, existing.supervisorPid, undefined, timeoutMs, log);
      return handle(dir, state, true, undefined);
    }
    log(
      `removing a stale control plane state in ${dir} ` +
        `(${existing.phase === "failed" ? `it failed: ${existing.error?.split("\n")[0]}` : `its supervisor ${existing.supervisorPid} is gone`})`,
    );
    await cleanupStale(dir, log);
  } else if (existsSync(dir)) {
    log(`removing ${dir}: a control plane folder without state.json (an interrupted start)`);
    rmSync(dir, { recursive: true, force: true });
  }
  const args = [supervisorScript(), "--state", dir, ...(options.tied ? [] : ["--detached"]), ...(options.withPackage === false ? ["--no-package"] : [])];
  if (!existsSync(args[0]!)) throw new UserError(`${args[0]} does not exist: run \`npm run tools -- --compile-only\` to compile scripts/`);
  const child = spawn(process.execPath, args, { stdio: [options.tied ? "pipe" : "ignore", "ignore", "ignore"], detached: true, cwd: ROOT });
  if (!options.tied) child.unref();
  const state = await waitReady(dir, child.pid!, child, timeoutMs, log);
  return handle(dir, state, false, options.tied ? child : undefined);
}

async function waitReady(dir: string, pid: number, child: ChildProcess | undefined, timeoutMs: number, log: Log): Promise<ClusterState> {
  const deadline = Date.now() + timeoutMs;
  let lastStep = "";
  for (;;) {
    const state = readState(dir);
    if (state?.step && state.step !== lastStep) {
      lastStep = state.step;
      log(`control plane: ${lastStep}`);
    }
    if (state?.phase === "ready") return state;
    if (state?.phase === "failed") {
      throw new UserError(`the control plane did not start: ${state.error}\n(supervisor log: ${join(dir, "supervisor.log")}; it cleaned up after itself)`);
    }
    if (!isProcessAlive(pid) || child?.exitCode != null) {
      throw new UserError(
        `the control plane's supervisor (pid ${pid}) ended before it was ready; last lines of ` +
          `${join(dir, "supervisor.log")}:\n${tail(join(dir, "supervisor.log"))}`,
      );
    }
    if (Date.now() > deadline) {
      process.kill(pid, "SIGTERM");
      throw new UserError(
        `the control plane was not ready within ${timeoutMs / 1000} s (waiting for: ${lastStep || "the supervisor to start"}); it was stopped. See ` +
          `${join(dir, "supervisor.log")}`,
      );
    }
    await sleep(100);
  }
}

function handle(dir: string, state: ClusterState, reused: boolean, child: ChildProcess | undefined): ControlPlane {
  const install = installReport(dir);
  return {
    state,
    reused,
    kubeconfig: state.kubeconfig,
    ...(install ? { install } : {}),
    kube: () => accessOf(state),
    async stop() {
      if (!child) return;
      const exited = child.exitCode != null ? Promise.resolve() : new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Stops the control plane of the state folder: its supervisor stops the servers (apiserver before etcd); what is left is killed by PID. */
export async function down(options: { stateDir?: string; log?: Log } = {}): Promise<boolean> {
  const dir = options.stateDir ?? DEFAULT_STATE_DIR;
  const log = options.log ?? (() => {});
  const state = readState(dir);
  if (!state) {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    return false;
  }
  if (supervisorAlive(state)) {
    process.kill(state.supervisorPid, "SIGTERM");
    const deadline = Date.now() + 40_000;
    while (isProcessAlive(state.supervisorPid) && Date.now() < deadline) await sleep(100);
    if (isProcessAlive(state.supervisorPid)) {
      log(`the supervisor (pid ${state.supervisorPid}) did not stop within 40 s; killing it`);
      process.kill(state.supervisorPid, "SIGKILL");
    }
  }
  await cleanupStale(dir, log);
  return true;
}

export interface StatusReport {
  running: boolean;
  state?: ClusterState;
  processes: { name: string; pid: number; alive: boolean }[];
  apiserver?: string;
}

export async function status(options: { stateDir?: string } = {}): Promise<StatusReport> {
  const dir = options.stateDir ?? DEFAULT_STATE_DIR;
  const state = readState(dir);
  if (!state) return { running: false, processes: [] };
  const processes = state.processes.map((p) => ({ name: p.name, pid: p.pid, alive: runs(p.pid, p.bin) }));
  let apiserver: string | undefined;
  if (state.phase === "ready") {
    try {
      const r = await accessOf(state).raw("GET", "/readyz", undefined, undefined, 3000);
      apiserver = r.status === 200 ? "ready" : `HTTP ${r.status}`;
    } catch (err) {
      apiserver = (err as Error).message;
    }
  }
  return { running: supervisorAlive(state) && state.phase === "ready", state, processes, ...(apiserver ? { apiserver } : {}) };
}

export function envLines(state: ClusterState): string[] {
  return [`export KUBECONFIG=${state.kubeconfig}`];
}
