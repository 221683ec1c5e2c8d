/** The state folder of a local control plane: where it lives and what it records. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../paths.js";
import { writeFileAtomic } from "../fsutil.js";

export const DEFAULT_STATE_DIR = join(CACHE_DIR, "cluster");

/** One process the supervisor started. */
export interface ServerProcess {
  name: string;
  pid: number;
  /** The binary, to recognise the process by /proc/PID/cmdline before stopping it. */
  bin: string;
}

export interface ClusterState {
  /** starting → ready, or failed (with error); stopping while down runs. */
  phase: "starting" | "ready" | "failed" | "stopping";
  /** What the supervisor is doing now (while starting). */
  step?: string;
  error?: string;
  supervisorPid: number;
  /** Whether the control plane lives on after the process that started it (npm run cluster -- up). */
  detached: boolean;
  startedAt: string;
  readyAt?: string;
  /** Milliseconds from the supervisor's start to ready. */
  readyMs?: number;
  server?: string;
  kubeconfig: string;
  processes: ServerProcess[];
  ports: Record<string, number>;
}

export const statePath = (dir: string) => join(dir, "state.json");

export function readState(dir: string): ClusterState | undefined {
  const p = statePath(dir);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

export function writeState(dir: string, state: ClusterState): void {
  writeFileAtomic(statePath(dir), JSON.stringify(state, null, 2) + "\n");
}

/** Whether pid is alive and runs bin (a recycled pid of another program is not ours). */
export function runs(pid: number, bin: string): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return cmd.some((arg) => arg === bin || arg.endsWith("/" + bin.split("/").pop()!));
  } catch {
    return false;
  }
}
