/**
 * The bump journal: before a bump writes anything, every file it may touch is copied to
 * <root>/.cache/bump-journal/ (files/ plus journal.json with their hashes), made complete in a
 * temporary folder and renamed into place, so it exists whole or not at all. A bump that ends
 * (done or rolled back) discards it; one that was killed (SIGKILL, power loss) leaves it, and the
 * next bump, `bump --recover` and `build --check` find it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../errors.js";
import { isProcessAlive } from "../process.js";

/** Every file and folder under the paths a bump touches. */
export interface Snapshot {
  files: Map<string, Buffer>;
  dirs: Set<string>;
}

export const JOURNAL_DIR = ".cache/bump-journal";
const MANIFEST = "journal.json";

export interface JournalInfo {
  pid: number;
  /** ISO time the bump started writing. */
  started: string;
  changes: { variable: string; to: string }[];
  /** sha256 of the kcl/apps.k the bump wrote (to tell a later hand edit apart). */
  written: string;
}

interface Manifest extends JournalInfo {
  format: 1;
  files: { path: string; sha256: string }[];
  dirs: string[];
}

export interface Journal {
  info: JournalInfo;
  snapshot: Snapshot;
}

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

const journalPath = (root: string) => join(root, JOURNAL_DIR);

/** Leftovers of journals being written or discarded by processes that are gone. */
function removeLeftovers(root: string): void {
  const cache = join(root, ".cache");
  if (!existsSync(cache)) return;
  for (const name of readdirSync(cache)) {
    const m = /^bump-journal\.(?:tmp|done)-(\d+)/.exec(name);
    if (m && (Number(m[1]) === process.pid || !isProcessAlive(Number(m[1])))) rmSync(join(cache, name), { recursive: true, force: true });
  }
}

/** Writes the journal of `snapshot` (complete or not at all). Refuses when one is there already. */
export function writeJournal(root: string, snapshot: Snapshot, info: JournalInfo): void {
  removeLeftovers(root);
  const final = journalPath(root);
  if (existsSync(final)) throw new UserError(`an interrupted bump left ${JOURNAL_DIR}; run \`npm run bump -- --recover\` first.`);
  const tmp = join(root, ".cache", `bump-journal.tmp-${process.pid}`);
  try {
    rmSync(tmp, { recursive: true, force: true });
    const manifest: Manifest = { format: 1, ...info, files: [], dirs: [...snapshot.dirs].sort() };
    for (const [rel, content] of snapshot.files) {
      const path = join(tmp, "files", rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      manifest.files.push({ path: rel, sha256: sha256(content) });
    }
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, MANIFEST), JSON.stringify(manifest, null, 1) + "\n");
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    throw new UserError(
      `cannot write the bump journal ${JOURNAL_DIR} (${e.code ?? e.message}${e.path ? ` on ${e.path}` : ""}); nothing was changed. Make ` +
        `${join(root, ".cache")} writable (and check free space), then run the bump again.`,
      { cause: err },
    );
  }
}

/** Removes the journal: renamed away first (atomic), then deleted. */
export function discardJournal(root: string): void {
  const final = journalPath(root);
  if (!existsSync(final)) return;
  const gone = join(root, ".cache", `bump-journal.done-${process.pid}-${Date.now()}`);
  renameSync(final, gone);
  rmSync(gone, { recursive: true, force: true });
}

/** The journal an interrupted bump left, or undefined. A damaged one is a UserError. */
export function readJournal(root: string): Journal | undefined {
  const dir = journalPath(root);
  if (!existsSync(dir)) return undefined;
  const damaged = (why: string) =>
    new UserError(
      `${JOURNAL_DIR} (left by an interrupted bump) is damaged: ${why}. Restore kcl/apps.k, package/ and tests/golden/ with git (git checkout -- kcl/apps.k ` +
        `package tests/golden), then delete ${JOURNAL_DIR}.`,
    );
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as Manifest;
  } catch (err) {
    throw damaged(`${MANIFEST} cannot be read (${(err as Error).message})`);
  }
  if (manifest?.format !== 1 || !Array.isArray(manifest.files) || !Array.isArray(manifest.dirs))
    throw damaged(`${MANIFEST} is not a journal this version reads`);
  const snapshot: Snapshot = { files: new Map(), dirs: new Set(manifest.dirs) };
  for (const f of manifest.files) {
    if (typeof f.path !== "string" || f.path.split("/").includes("..")) throw damaged(`it names the path ${JSON.stringify(f.path)}`);
    let content: Buffer;
    try {
      content = readFileSync(join(dir, "files", f.path));
    } catch {
      throw damaged(`its copy of ${f.path} is missing`);
    }
    if (sha256(content) !== f.sha256) throw damaged(`its copy of ${f.path} does not match its hash`);
    snapshot.files.set(f.path, content);
  }
  const { pid, started, changes, written } = manifest;
  return { info: { pid, started, changes, written }, snapshot };
}

const STEP_FILE = "step.pid";

/** Alive and not a zombie (an orphan whose parent is gone may wait unreaped). */
function running(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return process.platform !== "linux";
  }
}

/** Notes the process of the step now running, so a recovery can stop it if its bump was killed. */
export function recordStep(root: string, pid: number | undefined): void {
  const dir = journalPath(root);
  if (!existsSync(dir)) return;
  if (pid === undefined) rmSync(join(dir, STEP_FILE), { force: true });
  else writeFileSync(join(dir, STEP_FILE), `${pid}\n`);
}

/**
 * Stops the step a killed bump left running (it would go on writing package/ or the goldens):
 * SIGTERM, then SIGKILL after `graceMs`. Only a process that still runs scripts/run.mjs is
 * touched (on Linux its command line is checked, so a reused pid is left alone).
 */
export async function stopRecordedStep(root: string, graceMs = 3000): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(journalPath(root), STEP_FILE), "utf8"), 10);
  } catch {
    return undefined;
  }
  if (!pid || pid === process.pid || !running(pid)) return undefined;
  if (process.platform === "linux") {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("run.mjs")) return undefined;
    } catch {
      return undefined; // gone meanwhile
    }
  }
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return undefined;
  }
  const deadline = Date.now() + graceMs;
  while (running(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (running(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  return pid;
}

/**
 * One sentence about an interrupted bump, for commands that should not go on silently; undefined
 * when there is none or its bump is still running (its own steps run build, check and verify).
 */
export function interruptedBumpNotice(root: string): string | undefined {
  if (!existsSync(journalPath(root))) return undefined;
  let what = "";
  try {
    const j = readJournal(root);
    if (!j || (j.info.pid !== process.pid && isProcessAlive(j.info.pid))) return undefined;
    what = ` (pid ${j.info.pid}, started ${j.info.started}, moving ${j.info.changes.map((c) => `_${c.variable} to ${c.to}`).join(", ")})`;
  } catch (err) {
    return (err as Error).message;
  }
  return (
    `a bump was interrupted${what} and left kcl/apps.k, package/ and tests/golden/ half-written; run \`npm run bump -- --recover\` to put them back as ` +
    `they were before it.`
  );
}
