/**
 * Child processes that die with their parent. A server started with spawnSupervised() runs
 * under a small watchdog (scripts/lib/supervise-watchdog.mjs) that holds a pipe from this
 * process on its standard input: when this process ends in any way, SIGKILL included, the pipe
 * closes and the watchdog stops the server's whole process group (SIGTERM, then SIGKILL after
 * the grace period). Nothing is left listening after a crash, and a later run starts clean.
 *
 * The returned ChildProcess is the watchdog: its stdout and stderr are the program's, its exit
 * code or signal is the program's, and signalling it (SIGTERM, SIGINT, SIGHUP) signals the
 * program. Stop it with stopSupervised().
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./paths.js";

const WATCHDOG = join(ROOT, "scripts", "lib", "supervise-watchdog.mjs");

export interface SuperviseOptions {
  cwd?: string;
  /** The program's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where the program's stdout and stderr go (default: "pipe" for both). */
  stdout?: "pipe" | "ignore" | "inherit";
  stderr?: "pipe" | "ignore" | "inherit";
  /** How long the program has between SIGTERM and SIGKILL when its parent is gone (default 3000 ms). */
  graceMs?: number;
}

/** Starts bin with args under a watchdog that stops it (and its process group) when this process ends. */
export function spawnSupervised(bin: string, args: readonly string[], options: SuperviseOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [WATCHDOG, String(options.graceMs ?? 3000), bin, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["pipe", options.stdout ?? "pipe", options.stderr ?? "pipe"],
  });
  // The pipe is the lifeline, never written to; an error on it means the watchdog is gone already.
  child.stdin?.on("error", () => {});
  return child;
}

/** Whether the child has ended (exit code or signal known). */
function ended(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Stops a supervised child: SIGTERM to the program, which the watchdog turns into SIGKILL for
 * the whole group after the grace period given to spawnSupervised(); resolves when it has exited.
 * The watchdog itself is killed only if it is still there `patienceMs` later.
 */
export async function stopSupervised(child: ChildProcess, patienceMs = 10_000): Promise<void> {
  if (ended(child) || child.pid === undefined) return;
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), patienceMs);
  await exit;
  clearTimeout(timer);
}

/**
 * Synchronous last resort for process-exit handlers: closes the lifeline (the watchdog then stops
 * the program by itself) and sends SIGTERM.
 */
export function killSupervisedNow(child: ChildProcess): void {
  if (ended(child)) return;
  child.stdin?.destroy();
  child.kill("SIGTERM");
}
