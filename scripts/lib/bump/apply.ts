/**
 * Applies a plan: writes the new literals into kcl/apps.k (only if nobody changed the file since
 * the plan read it), then regenerates the package, updates the goldens and runs verify, each as
 * `node scripts/run.mjs <entry>` in the root being bumped. Any failure or an abort (Ctrl-C) puts
 * kcl/apps.k, package/ and tests/golden/ back byte for byte.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, rmdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { execa } from "execa";
import { UserError } from "../errors.js";
import { readIfExists, writeFileAtomic } from "../fsutil.js";
import { discardJournal, readJournal, recordStep, sha256, stopRecordedStep, writeJournal, JOURNAL_DIR, type Snapshot } from "./journal.js";
import { APPS_FILE, extractPins, replacePinValue } from "./kclfile.js";
import { LAYOUT } from "../paths.js";

export interface Step {
  /** As shown to people: "build", "check --update", "verify". */
  name: string;
  /** scripts/<entry>.ts, run through scripts/run.mjs. */
  entry: string;
  args: string[];
}

export const STEPS: readonly Step[] = [
  { name: "build", entry: "build", args: [] },
  { name: "check --update", entry: "check", args: ["--update"] },
  // --strict: a pin is accepted only after Envoy Gateway's own chart and validator of that version ran.
  { name: "verify", entry: "verify", args: ["--strict"] },
];

/** What a bump may touch; all of it is restored on failure. */
export const TOUCHED = [APPS_FILE, LAYOUT.package, LAYOUT.golden, LAYOUT.e2e];

export interface StepOutcome {
  name: string;
  command: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  output?: string;
  ms: number;
}

export interface ApplyInput {
  root: string;
  /** The text of kcl/apps.k the plan was made from. */
  basedOn: string;
  changes: readonly { variable: string; to: string }[];
  signal?: AbortSignal;
  log?: (line: string) => void;
  steps?: readonly Step[];
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ApplyResult {
  /** Paths relative to the root, sorted. */
  changedFiles: string[];
  steps: StepOutcome[];
}

const _toRel = (root: string, path: string) => relative(root, path).split(sep).join("/");

function walk(root: string, rel: string, snap: Snapshot): void {
  const abs = join(root, rel);
  if (!existsSync(abs)) return;
  const st = lstatSync(abs);
  if (st.isDirectory()) {
    snap.dirs.add(rel);
    for (const name of readdirSync(abs).sort()) walk(root, `${rel}/${name}`, snap);
  } else if (st.isFile()) snap.files.set(rel, readFileSync(abs));
}

export function takeSnapshot(root: string): Snapshot {
  const snap: Snapshot = { files: new Map(), dirs: new Set() };
  for (const rel of TOUCHED) walk(root, rel, snap);
  return snap;
}

/** Puts every touched path back as it was in the snapshot. Returns the paths it rewrote/removed. */
export function restoreSnapshot(root: string, snap: Snapshot, options: { keep?: ReadonlySet<string> } = {}): string[] {
  const now = takeSnapshot(root);
  const restored: string[] = [];
  for (const [rel] of now.files) {
    if (!snap.files.has(rel) && !options.keep?.has(rel)) {
      rmSync(join(root, rel), { force: true });
      restored.push(rel);
    }
  }
  for (const rel of [...now.dirs].sort().reverse()) {
    if (!snap.dirs.has(rel)) {
      try {
        rmdirSync(join(root, rel));
      } catch {
        rmSync(join(root, rel), { recursive: true, force: true });
      }
    }
  }
  for (const [rel, content] of snap.files) {
    if (options.keep?.has(rel)) continue;
    const current = now.files.get(rel);
    if (current === undefined || !current.equals(content)) {
      writeFileAtomic(join(root, rel), content);
      restored.push(rel);
    }
  }
  return restored.sort();
}

function changedBetween(a: Snapshot, b: Snapshot): string[] {
  const out = new Set<string>();
  for (const [rel, content] of a.files) if (!b.files.get(rel)?.equals(content)) out.add(rel);
  for (const rel of b.files.keys()) if (!a.files.has(rel)) out.add(rel);
  return [...out].sort();
}

function tail(text: string, lines: number): string {
  const all = text.replace(/\s+$/, "").split("\n");
  return (all.length > lines ? [`… (${all.length - lines} earlier lines left out)`, ...all.slice(-lines)] : all).join("\n");
}

/** The new text of kcl/apps.k: each change spliced in, everything else byte-identical. */
export function spliceAll(text: string, changes: readonly { variable: string; to: string }[]): string {
  let out = text;
  for (const change of changes) {
    const pin = extractPins(out).pins.find((p) => p.variable === change.variable);
    if (!pin) throw new Error(`_${change.variable} disappeared from ${APPS_FILE}`);
    out = replacePinValue(out, pin, change.to);
  }
  return out;
}

export async function applyPlan(input: ApplyInput): Promise<ApplyResult> {
  const { root, signal } = input;
  const log = input.log ?? (() => {});
  const appsPath = join(root, APPS_FILE);
  const next = spliceAll(input.basedOn, input.changes);
  const before = takeSnapshot(root);
  const onDisk = before.files.get(APPS_FILE);
  if (!onDisk?.equals(Buffer.from(input.basedOn, "utf8"))) {
    throw new UserError(
      `${APPS_FILE} was changed by someone else while bump was resolving versions; nothing was written. Look at the change, then run the bump again.`,
    );
  }
  if (signal?.aborted) throw new UserError("interrupted before anything was written; nothing changed.", { exitCode: interruptExitCode(signal) });
  // Written whole before the first change: a bump killed from here on is recovered from it.
  writeJournal(root, before, { pid: process.pid, started: new Date().toISOString(), changes: input.changes.map((c) => ({ ...c })), written: sha256(next) });
  writeFileAtomic(appsPath, next);
  log(`wrote ${APPS_FILE}`);

  const outcomes: StepOutcome[] = [];
  const rollback = (why: string, exitCode: number): never => {
    const currentApps = readIfExists(appsPath);
    const editedMeanwhile = currentApps !== next;
    const restored = restoreSnapshot(root, before, editedMeanwhile ? { keep: new Set([APPS_FILE]) } : {});
    discardJournal(root);
    const note = editedMeanwhile
      ? `${APPS_FILE} was edited by someone else while the steps ran, so it was left as it is; package/ and tests/golden/ were restored.`
      : `restored kcl/apps.k, package/ and tests/golden/ to what they were${putBack(restored)}.`;
    throw new UserError(`${why}\n${note}`, { exitCode });
  };

  for (const step of input.steps ?? STEPS) {
    const command = `node scripts/run.mjs ${[step.entry, ...step.args].join(" ")}`;
    const entryRel = `scripts/${step.entry}.ts`;
    if (!existsSync(join(root, "scripts", "run.mjs")) || !existsSync(join(root, entryRel))) {
      outcomes.push({ name: step.name, command, status: "skipped", reason: `${entryRel} does not exist yet`, ms: 0 });
      log(`skipped ${step.name}: ${entryRel} does not exist yet`);
      continue;
    }
    if (signal?.aborted) rollback(`interrupted before step \`${step.name}\`${interruptName(signal)}.`, interruptExitCode(signal));
    log(`running ${command}…`);
    const started = performance.now();
    let result;
    try {
      const child = execa(process.execPath, [join(root, "scripts", "run.mjs"), step.entry, ...step.args], {
        cwd: root,
        all: true,
        reject: false,
        stdin: "ignore",
        ...(signal ? { cancelSignal: signal } : {}),
        forceKillAfterDelay: 3000,
        env: { ...(input.env ?? process.env), FORCE_COLOR: "0" },
        extendEnv: false,
      });
      recordStep(root, child.pid);
      result = await child;
      recordStep(root, undefined);
    } catch (err) {
      rollback(`step \`${step.name}\` could not be started (${command}): ${(err as Error).message}`, 1);
    }
    const ms = performance.now() - started;
    const output = String(result!.all ?? "");
    if (signal?.aborted || result!.isCanceled)
      rollback(`interrupted during step \`${step.name}\` (${command})${interruptName(signal)}.`, interruptExitCode(signal));
    if (result!.exitCode !== 0) {
      outcomes.push({ name: step.name, command, status: "failed", output, ms });
      const how = result!.signal ? `killed by ${result!.signal}` : `exit code ${result!.exitCode}`;
      rollback(`step \`${step.name}\` failed (${command}, ${how}):\n${tail(output, 40).replace(/^/gm, "  | ")}`, 1);
    }
    outcomes.push({ name: step.name, command, status: "ok", output, ms });
    log(`${step.name}: ok (${(ms / 1000).toFixed(1)} s)`);
  }
  const changedFiles = changedBetween(before, takeSnapshot(root));
  discardJournal(root);
  return { changedFiles, steps: outcomes };
}

/** One step's outcome for the summary line: "check ok (1.2 s)", "lint skipped (why)". */
export function stepLine(s: StepOutcome): string {
  return s.status === "skipped" ? `${s.name} skipped (${s.reason})` : `${s.name} ${s.status} (${(s.ms / 1000).toFixed(1)} s)`;
}

/** " (3 files put back: a, b, c)" after a rollback, or nothing when nothing was restored. */
function putBack(restored: readonly string[]): string {
  if (!restored.length) return "";
  const more = restored.length > 8 ? `, … ${restored.length - 8} more` : "";
  return ` (${restored.length} file${restored.length === 1 ? "" : "s"} put back: ${restored.slice(0, 8).join(", ")}${more})`;
}

/** What an abort reason says about the signal that caused it (see ./signals.ts). */
export interface Interrupt {
  signal: string;
  exitCode: number;
}

/** 128 + the signal's number when a signal aborted, else 130 (as for Ctrl-C). */
export function interruptExitCode(signal: AbortSignal | undefined): number {
  const reason = signal?.reason as Partial<Interrupt> | undefined;
  return typeof reason?.exitCode === "number" ? reason.exitCode : 130;
}

function interruptName(signal: AbortSignal | undefined): string {
  const reason = signal?.reason as Partial<Interrupt> | undefined;
  return typeof reason?.signal === "string" ? ` by ${reason.signal}` : "";
}

/**
 * Puts back what a killed bump left half-written, from its journal; undefined when there is
 * none. kcl/apps.k is restored only when it still holds what the bump wrote (or the original):
 * an edit made since is kept. The caller holds the bump lock.
 */
export async function recoverInterrupted(root: string): Promise<string[] | undefined> {
  const journal = readJournal(root);
  if (!journal) return undefined;
  const stopped = await stopRecordedStep(root);
  const { info, snapshot } = journal;
  const onDisk = readIfExists(join(root, APPS_FILE));
  const original = snapshot.files.get(APPS_FILE);
  const keepApps = onDisk !== undefined && sha256(onDisk) !== info.written && !original?.equals(Buffer.from(onDisk, "utf8"));
  const restored = restoreSnapshot(root, snapshot, keepApps ? { keep: new Set([APPS_FILE]) } : {});
  discardJournal(root);
  const what = info.changes.map((c) => `_${c.variable} to ${c.to}`).join(", ");
  const lines = [
    `recovered an interrupted bump (pid ${info.pid}, started ${info.started}, moving ${what}) from ${JOURNAL_DIR}: ` +
      (restored.length
        ? `${restored.length} file${restored.length === 1 ? "" : "s"} put back ` +
          `(${restored.slice(0, 8).join(", ")}${restored.length > 8 ? `, … ${restored.length - 8} more` : ""})`
        : "every file was already as before it"),
  ];
  if (stopped) lines.push(`stopped its step, still running as pid ${stopped}, first.`);
  if (keepApps) lines.push(`${APPS_FILE} was edited after the interrupted bump, so it was left as it is; package/ and tests/golden/ were restored.`);
  return lines;
}
