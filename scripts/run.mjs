#!/usr/bin/env node
// Runs a TypeScript entry from scripts/ as compiled JavaScript. The compiled tree (.build/) is
// refreshed with tsc only when a source under scripts/ is newer than the last compile, so a
// command costs one Node start instead of a TypeScript loader on every run.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const stamp = join(root, ".build", ".stamp");

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write("usage: node scripts/run.mjs <entry> [args…]\n");
  process.exit(2);
}
const compiled = join(root, ".build", "scripts", entry + ".js");

// Newest source time, read before compiling: a file saved during the compile stays newer.
const sources = Math.max(newest(join(root, "scripts")), statSync(join(root, "tsconfig.json")).mtimeMs, statSync(join(root, "tsconfig.build.json")).mtimeMs);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources || !existsSync(compiled)) {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: ["ignore", "pipe", "inherit"] });
  } catch (err) {
    // tsc still emits JavaScript when there are type errors; `npm test` (typecheck) fails on them.
    process.stderr.write(String(err.stdout ?? ""));
    process.stderr.write("warning: scripts/ has TypeScript errors (above); running the compiled code anyway.\n");
  }
  writeFileSync(stamp, new Date(sources).toISOString() + "\n");
  // Rounded up to the next millisecond: file times carry fractions that a Date cannot hold.
  const t = new Date(Math.floor(sources) + 1);
  utimesSync(stamp, t, t);
}
if (!existsSync(compiled)) {
  process.stderr.write(`no such command: scripts/${entry}.ts\n`);
  process.exit(2);
}
process.argv = [process.argv[0], join(root, "scripts", entry + ".ts"), ...rest];
await import(pathToFileURL(compiled).href);
