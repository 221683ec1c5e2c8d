/**
 * Every catchable signal that would end a bump (Ctrl-C, `kill`, a closed terminal or SSH
 * session, Ctrl-\) aborts it instead, so the files are restored before the process exits with
 * 128 + the signal's number. SIGPIPE is not among them: Node ignores it, and the EPIPE/EIO that a
 * closed terminal or pipe causes on stdout/stderr is swallowed here so it cannot crash a bump
 * halfway through. SIGKILL cannot be caught; the journal (./journal.ts) covers it.
 */
import { constants } from "node:os";
import type { Interrupt } from "./apply.js";

export const TERMINATING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

export async function withInterrupts<T>(fn: (signal: AbortSignal) => Promise<T>, onInterrupt: (signal: string) => void = () => {}): Promise<T> {
  const controller = new AbortController();
  const handlers = TERMINATING_SIGNALS.map((name) => {
    const handler = () => {
      if (controller.signal.aborted) return; // already stopping; a second signal changes nothing
      onInterrupt(name);
      const reason: Interrupt = { signal: name, exitCode: 128 + (constants.signals[name] ?? 2) };
      controller.abort(reason);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  const ignore = () => {};
  process.stdout.on("error", ignore);
  process.stderr.on("error", ignore);
  try {
    return await fn(controller.signal);
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
