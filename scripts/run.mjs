#!/usr/bin/env node
// Runs a TypeScript entry from scripts/ as compiled JavaScript. The compiled tree is refreshed
// with tsc only when a source under scripts/ is newer than the last compile, so a command costs
// one Node start instead of a TypeScript loader on every run.
//
// Commands may run side by side while a source changes, so a compile never touches a tree that
// someone may be reading: under a lock (.build/.lock) tsc writes a new tree into
// .build/versions/<id>/, and the symbolic link .build/scripts is then switched to it with one
// rename. A command resolves the link once, when it starts, and imports everything from that
// version. A version the link no longer points to is removed ten minutes after it was replaced.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const build = join(root, ".build");
const link = join(build, "scripts");
const versions = join(build, "versions");
const lock = join(build, ".lock");
const KEEP_OLD_MS = 10 * 60 * 1000;

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** The compiled tree's stamp time (the newest source it was compiled from), or -1. */
function stampTime() {
  try {
    return statSync(join(link, ".stamp")).mtimeMs;
  } catch {
    return -1;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Takes the compile lock: a directory holding the owner's pid, put in place with one rename so
 * that it never exists without its pid. A lock whose owner is gone is moved away and removed.
 */
function acquireLock() {
  mkdirSync(build, { recursive: true });
  const mine = `${lock}.${process.pid}`;
  for (let waited = 0; ; waited += 50) {
    rmSync(mine, { recursive: true, force: true });
    mkdirSync(mine);
    writeFileSync(join(mine, "pid"), String(process.pid));
    try {
      renameSync(mine, lock);
      return;
    } catch (err) {
      rmSync(mine, { recursive: true, force: true });
      if (err.code !== "EEXIST" && err.code !== "ENOTEMPTY") throw err;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(join(lock, "pid"), "utf8")) || 0;
    } catch {
      /* released in the meantime */
    }
    if (holder && !alive(holder)) {
      breakLock(holder);
      continue;
    }
    if (waited > 0 && waited % 10_000 === 0) process.stderr.write(`waiting for another command compiling scripts/ (pid ${holder || "?"}, lock ${lock})\n`);
    sleep(50);
  }
}

/** Moves a dead owner's lock away; a lock that turns out to be someone else's by then is put back. */
function breakLock(deadPid) {
  const aside = `${lock}.stale.${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // moved or released by another command
  }
  let pid = 0;
  try {
    pid = Number(readFileSync(join(aside, "pid"), "utf8")) || 0;
  } catch {
    /* unreadable: stale */
  }
  if (pid !== deadPid && pid && alive(pid)) {
    try {
      renameSync(aside, lock);
      return;
    } catch {
      /* another lock took its place: the owner finds its lock gone at release, harmless */
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

function releaseLock() {
  // Moved away first: removing in place could race with the next owner's rename.
  const gone = `${lock}.released.${process.pid}`;
  try {
    renameSync(lock, gone);
  } catch {
    return;
  }
  rmSync(gone, { recursive: true, force: true });
}

function compile(sources) {
  const id = `${Date.now()}-${process.pid}`;
  const out = join(versions, id);
  mkdirSync(out, { recursive: true });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", out], { stdio: ["ignore", "pipe", "inherit"] });
  } catch (err) {
    // tsc still emits JavaScript when there are type errors; `npm test` (typecheck) fails on them.
    process.stderr.write(String(err.stdout ?? ""));
    process.stderr.write("warning: scripts/ has TypeScript errors (above); running the compiled code anyway.\n");
  }
  const stamp = join(out, "scripts", ".stamp");
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, new Date(sources).toISOString() + "\n");
  // Rounded up to the next millisecond: file times carry fractions that a Date cannot hold.
  const t = new Date(Math.floor(sources) + 1);
  utimesSync(stamp, t, t);
  // One rename switches every later reader to the new tree; earlier readers keep the old one.
  const next = join(build, `.scripts-${process.pid}`);
  rmSync(next, { force: true });
  symlinkSync(join("versions", id, "scripts"), next);
  let current;
  try {
    current = lstatSync(link);
  } catch {
    /* first compile */
  }
  // A tree from before versions existed is a real directory: move it aside first.
  if (current && !current.isSymbolicLink()) {
    renameSync(link, join(versions, `old-${id}`));
    rmSync(join(build, ".stamp"), { force: true });
  }
  // The version being replaced is kept ten minutes from now: commands started from it may
  // still import modules lazily.
  if (current?.isSymbolicLink()) {
    try {
      const previous = dirname(realpathSync(link));
      const now = new Date();
      utimesSync(previous, now, now);
    } catch {
      /* its tree is gone already */
    }
  }
  renameSync(next, link);
  removeOldVersions(id);
}

function removeOldVersions(keep) {
  for (const name of readdirSync(versions)) {
    if (name === keep) continue;
    const p = join(versions, name);
    try {
      if (Date.now() - statSync(p).mtimeMs > KEEP_OLD_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      /* removed by another command */
    }
  }
}

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write("usage: node scripts/run.mjs <entry> [args…]\n");
  process.exit(2);
}

// Newest source time, read before compiling: a file saved during the compile stays newer.
const sources = Math.max(newest(join(root, "scripts")), statSync(join(root, "tsconfig.json")).mtimeMs, statSync(join(root, "tsconfig.build.json")).mtimeMs);
if (stampTime() < sources) {
  acquireLock();
  try {
    // Another command may have compiled these sources while this one waited.
    if (stampTime() < sources) compile(sources);
  } finally {
    releaseLock();
  }
}
let compiled;
try {
  // Resolved once: every module of this command comes from the same compiled tree.
  compiled = realpathSync(join(link, entry + ".js"));
} catch {
  compiled = undefined;
}
if (!compiled || !existsSync(compiled)) {
  process.stderr.write(`no such command: scripts/${entry}.ts\n`);
  process.exit(2);
}
process.argv = [process.argv[0], join(root, "scripts", entry + ".ts"), ...rest];
await import(pathToFileURL(compiled).href);
