/** The process tree as Linux shows it in /proc: what a test needs to prove nothing was left running. */
import { readdirSync, readFileSync } from "node:fs";
import { isProcessAlive } from "../../scripts/lib/process.js";

interface ProcInfo {
  pid: number;
  ppid: number;
  command: string;
}

function readProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ")".
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const state = rest[0];
      if (state === "Z") continue; // a zombie has exited already
      const command = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      out.push({ pid: Number(name), ppid: Number(rest[1]), command });
    } catch {
      /* the process ended while being read */
    }
  }
  return out;
}

/** Every live descendant of pid (children, their children, …). */
export function descendants(pid: number): ProcInfo[] {
  const procs = readProcs();
  const found: ProcInfo[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next = procs.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Waits (up to timeoutMs) until none of these processes is alive; returns the ones still alive. */
export async function waitGone(pids: readonly number[], timeoutMs = 15_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  const living = () => pids.filter((p) => isProcessAlive(p) && !isZombie(p));
  while (living().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return living();
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Waits until predicate holds for the descendants of pid; returns them. */
export async function waitForDescendants(pid: number, predicate: (procs: ProcInfo[]) => boolean, timeoutMs = 30_000): Promise<ProcInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = descendants(pid);
    if (predicate(d)) return d;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the processes under ${pid}; found: ${d.map((p) => p.command).join("; ") || "none"}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
