// The watchdog behind scripts/lib/supervise.ts (plain JavaScript: it runs without compiling).
//
//   node supervise-watchdog.mjs <grace-ms> <bin> [args…]
//
// Starts <bin> in a process group of its own and stops that whole group (SIGTERM, then SIGKILL
// after <grace-ms>) as soon as its standard input reaches end of file, which happens however the
// parent ends, SIGKILL included: the parent holds the only write end of that pipe. SIGTERM,
// SIGINT and SIGHUP sent to the watchdog are passed on to the group. The watchdog exits the way
// the program did (same exit code, or the same signal).
import { spawn } from "node:child_process";

const [graceArg, bin, ...args] = process.argv.slice(2);
const grace = Number(graceArg);
if (!bin || !Number.isFinite(grace)) {
  process.stderr.write("usage: node supervise-watchdog.mjs <grace-ms> <bin> [args…]\n");
  process.exit(2);
}

// detached: the program leads a new session and process group, so its own children go with it.
const child = spawn(bin, args, { stdio: ["ignore", "inherit", "inherit"], detached: true });
let exited = false;

function signalGroup(signal) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* the group is already gone */
  }
}

let stopping = false;
function stop(signal) {
  signalGroup(signal);
  if (stopping) return;
  stopping = true;
  // After the grace period the whole group is killed, whatever it did with the signal.
  setTimeout(() => signalGroup("SIGKILL"), grace).unref();
}

process.stdin.on("end", () => stop("SIGTERM"));
process.stdin.on("close", () => stop("SIGTERM"));
process.stdin.on("error", () => stop("SIGTERM"));
process.stdin.resume();

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"];
for (const s of FORWARDED) process.on(s, () => stop(s));

child.on("error", (err) => {
  process.stderr.write(`cannot start ${bin}: ${err.message}\n`);
  process.exit(127);
});

child.on("exit", (code, signal) => {
  exited = true;
  // Whatever the program left in its group goes too.
  signalGroup("SIGKILL");
  process.stdin.destroy();
  if (signal) {
    for (const s of FORWARDED) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    // A signal Node cannot raise on itself (e.g. one it ignores): report it like a shell.
    setTimeout(() => process.exit(128 + 15), 100).unref();
  } else process.exit(code ?? 1);
});

process.on("exit", () => {
  if (!exited) signalGroup("SIGKILL");
});
