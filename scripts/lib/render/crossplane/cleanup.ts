/**
 * Synchronous clean-up that runs however the process ends: normal exit, an uncaught error,
 * or SIGINT/SIGTERM/SIGHUP (Ctrl-C). After cleaning up on a signal the signal is raised
 * again, so the process still ends the way it would have.
 */
const handlers = new Set<() => void>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function runAll(): void {
  for (const h of [...handlers]) {
    try {
      h();
    } catch {
      /* best effort: the process is ending */
    }
  }
  handlers.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  detach();
  process.kill(process.pid, signal);
}

function onExit(): void {
  runAll();
}

let attached = false;
function attach(): void {
  if (attached) return;
  attached = true;
  process.on("exit", onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}
function detach(): void {
  if (!attached) return;
  attached = false;
  process.off("exit", onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers fn (synchronous) to run when the process ends; returns a function that unregisters it. */
export function onProcessExit(fn: () => void): () => void {
  handlers.add(fn);
  attach();
  return () => {
    handlers.delete(fn);
    if (handlers.size === 0) detach();
  };
}
