/**
 * `npm run bump` stopped by signals, as a closed terminal, `kill`, Ctrl-C, Ctrl-\ or the OOM
 * killer would stop it: every catchable terminating signal restores the files like Ctrl-C, SIGPIPE
 * changes nothing, and after SIGKILL the journal lets the next bump (or --recover) put everything
 * back; `build --check` reports it meanwhile.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { takeSnapshot } from "../../scripts/lib/bump/apply.js";
import { extractPins } from "../../scripts/lib/bump/kclfile.js";
import { recoverBump } from "../../scripts/lib/bump/index.js";
import { interruptedBumpNotice, JOURNAL_DIR, sha256, writeJournal } from "../../scripts/lib/bump/journal.js";
import { lockPath } from "../../scripts/lib/bump/lock.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { makeFullRoot, makeRoot, readApps, removeTemps, startHelmRepos, tempDir, tree, type StaticServer, type StubStep } from "./helpers.js";

const execFileAsync = promisify(execFile);
const KEDA = ["2.19.0", "2.19.1", "2.20.0"];
let repo: StaticServer;
let env: Record<string, string>;

beforeAll(async () => {
  repo = await startHelmRepos({ keda: { keda: KEDA } });
  env = { CHART_SOURCE_OVERRIDES: `https://kedacore.github.io/charts=${repo.url}/keda` };
});

afterAll(async () => {
  await repo?.close();
  removeTemps();
});

/** Running and not a zombie (an orphan may wait unreaped). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => { stdout: string; stderr: string };
}

function startBump(root: string, args: string[]): Running {
  const child = spawn(process.execPath, [join(ROOT, "scripts", "run.mjs"), "bump", "--root", root, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitForFile(path: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!existsSync(path) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  expect(existsSync(path), `${path} (the step never started)`).toBe(true);
}

/** A checkout whose build step writes half a package, says it is ready, then sleeps. */
function slowRoot(sleepMs = 60_000): { root: string; ready: string } {
  const ready = join(tempDir("bump-ready-"), "ready");
  const steps: Record<string, StubStep> = {
    build: { write: { "package/compositions.yaml": "half-built\n{{apps}}", "tests/golden/partial.yaml": "x\n" }, readyFile: ready, sleepMs },
    verify: {},
  };
  return { root: makeRoot({ steps }), ready };
}

const kedaPin = (root: string) => extractPins(readApps(root)).pins.find((p) => p.variable === "keda")!.value;
const NEWEST = semver.maxSatisfying(KEDA, "*")!;

describe("a catchable signal during a step restores every file, like Ctrl-C", () => {
  for (const name of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const) {
    it(`${name}: exit ${128 + constants.signals[name]}, kcl/apps.k, package/ and tests/golden/ as before, no lock, no journal, the step stopped`, async () => {
      const { root, ready } = slowRoot();
      const before = tree(root);
      const bump = startBump(root, ["keda", "*"]);
      await waitForFile(ready, bump.child);
      expect(kedaPin(root)).toBe(NEWEST);
      if (name === "SIGHUP") {
        // The terminal is gone: whatever the bump prints now fails with EPIPE.
        bump.child.stdout!.destroy();
        bump.child.stderr!.destroy();
      }
      bump.child.kill(name);
      const { code } = await bump.exited;
      expect(code).toBe(128 + constants.signals[name]);
      if (name !== "SIGHUP") expect(bump.output().stderr).toContain(`interrupted during step \`build\` (node scripts/run.mjs build) by ${name}.`);
      expect(tree(root)).toEqual(before);
      expect(existsSync(lockPath(root))).toBe(false);
      expect(existsSync(join(root, JOURNAL_DIR))).toBe(false);
      expect(isRunning(Number(readFileSync(ready, "utf8")))).toBe(false);
    });
  }

  it("SIGHUP while the registry is being asked: exit 129, nothing written", async () => {
    const root = makeRoot({ steps: { build: {}, verify: {} } });
    const before = tree(root);
    let asked!: () => void;
    const requested = new Promise<void>((r) => (asked = r));
    let release!: () => void;
    repo.onRequest = () => {
      asked();
      return new Promise<void>((r) => (release = r));
    };
    try {
      const bump = startBump(root, ["keda", "*"]);
      await requested;
      bump.child.kill("SIGHUP");
      const { code } = await bump.exited;
      expect(code).toBe(129);
      expect(bump.output().stderr).toContain("interrupted while resolving versions; nothing was written.");
      expect(tree(root)).toEqual(before);
      expect(existsSync(lockPath(root))).toBe(false);
    } finally {
      repo.onRequest = undefined;
      release?.();
    }
  });

  it("SIGPIPE changes nothing: Node ignores it, the bump completes", async () => {
    const { root, ready } = slowRoot(1500);
    const bump = startBump(root, ["keda", "*"]);
    await waitForFile(ready, bump.child);
    bump.child.kill("SIGPIPE");
    const { code } = await bump.exited;
    expect(code).toBe(0);
    expect(kedaPin(root)).toBe(NEWEST);
    expect(readFileSync(join(root, "package", "compositions.yaml"), "utf8")).toBe(`half-built\n${readApps(root)}`);
    expect(existsSync(join(root, JOURNAL_DIR))).toBe(false);
  });
});

describe("after SIGKILL, the journal puts everything back", () => {
  async function killedBump(): Promise<{ root: string; before: Record<string, string>; stepPid: number; bumpPid: number }> {
    const { root, ready } = slowRoot();
    const before = tree(root);
    const bump = startBump(root, ["keda", "*"]);
    await waitForFile(ready, bump.child);
    bump.child.kill("SIGKILL");
    await bump.exited;
    const stepPid = Number(readFileSync(ready, "utf8"));
    // What SIGKILL leaves: the new pin, a half-built package, a stale lock, the step still running.
    expect(kedaPin(root)).toBe(NEWEST);
    expect(readFileSync(join(root, "package", "compositions.yaml"), "utf8")).toMatch(/^half-built\n/);
    expect(existsSync(lockPath(root))).toBe(true);
    expect(isRunning(stepPid)).toBe(true);
    return { root, before, stepPid, bumpPid: bump.child.pid! };
  }

  it("`bump --recover` stops the orphaned step and restores every file; --list reports the journal until then", async () => {
    const { root, before, stepPid, bumpPid } = await killedBump();
    expect(interruptedBumpNotice(root)).toMatch(
      new RegExp(
        `^a bump was interrupted \\(pid ${bumpPid}, started \\S+, moving _keda to ${NEWEST.replace(/\./g, "\\.")}\\) .*run \`npm run bump -- --recover\``,
      ),
    );
    const list = await execFileAsync(process.execPath, [join(ROOT, "scripts", "run.mjs"), "bump", "--list", "--root", root], {
      env: { ...process.env, ...env },
    }).catch((e: { code: number; stdout: string }) => e);
    expect((list as { code?: number }).code).toBe(1);
    expect((list as { stdout: string }).stdout).toContain("problem: a bump was interrupted");

    const recover = startBump(root, ["--recover"]);
    const { code } = await recover.exited;
    expect(recover.output().stderr).toBe("");
    expect(code).toBe(0);
    expect(recover.output().stdout).toContain(`recovered an interrupted bump (pid ${bumpPid}`);
    expect(recover.output().stdout).toContain(`stopped its step, still running as pid ${stepPid}, first.`);
    expect(isRunning(stepPid)).toBe(false);
    expect(tree(root)).toEqual(before);
    expect(existsSync(join(root, JOURNAL_DIR))).toBe(false);
    expect(existsSync(lockPath(root))).toBe(false);
    expect(interruptedBumpNotice(root)).toBeUndefined();

    const again = startBump(root, ["--recover"]);
    expect((await again.exited).code).toBe(0);
    expect(again.output().stdout).toBe("nothing to recover: no interrupted bump left a journal\n");
  });

  it("the next bump recovers first, then bumps from the restored files", async () => {
    const { root, before, stepPid } = await killedBump();
    const apps = Buffer.from(before["kcl/apps.k"]!, "base64").toString();
    // The next bump's own build step is quick.
    const steps = JSON.parse(readFileSync(join(root, ".bump-test-steps.json"), "utf8")) as Record<string, StubStep>;
    steps.build = { write: { "package/compositions.yaml": "built\n{{apps}}" } };
    writeFileSync(join(root, ".bump-test-steps.json"), JSON.stringify(steps));
    const bump = startBump(root, ["keda", "2.19.x"]);
    const { code } = await bump.exited;
    expect(bump.output().stderr).toContain("recovered an interrupted bump");
    expect(code).toBe(0);
    expect(isRunning(stepPid)).toBe(false);
    const want = semver.maxSatisfying(KEDA, "2.19.x")!;
    expect(readApps(root)).toBe(apps.replace(/^(_keda\s*=\s*")[^"]*"/m, `$1${want}"`));
    expect(existsSync(join(root, "tests", "golden", "partial.yaml"))).toBe(false);
    expect(readFileSync(join(root, "package", "compositions.yaml"), "utf8")).toBe(`built\n${readApps(root)}`);
    expect(existsSync(join(root, JOURNAL_DIR))).toBe(false);
  });

  it("a kcl/apps.k edited by hand after the kill is kept; package/ and tests/golden/ are restored", async () => {
    const root = makeRoot();
    const before = tree(root);
    const written = readApps(root).replace(/^(_keda\s*=\s*")[^"]*"/m, `$1${NEWEST}"`);
    writeJournal(root, takeSnapshot(root), {
      pid: 999_999_999,
      started: "2026-01-01T00:00:00.000Z",
      changes: [{ variable: "keda", to: NEWEST }],
      written: sha256(written),
    });
    const edited = written + "# a hand edit after the kill\n";
    writeFileSync(join(root, "kcl", "apps.k"), edited);
    writeFileSync(join(root, "package", "compositions.yaml"), "half-built\n");
    const lines = await recoverBump({ root });
    expect(lines.join("\n")).toContain("kcl/apps.k was edited after the interrupted bump, so it was left as it is; package/ and tests/golden/ were restored.");
    expect(readApps(root)).toBe(edited);
    const { "kcl/apps.k": _apps, ...rest } = before;
    const { "kcl/apps.k": _now, ...restNow } = tree(root);
    expect(restNow).toEqual(rest);
  });

  it("a damaged journal is reported with what to do, and nothing is touched", async () => {
    const root = makeRoot();
    writeJournal(root, takeSnapshot(root), {
      pid: 999_999_999,
      started: "2026-01-01T00:00:00.000Z",
      changes: [{ variable: "keda", to: NEWEST }],
      written: "0".repeat(64),
    });
    writeFileSync(join(root, JOURNAL_DIR, "files", "kcl", "apps.k"), "truncated");
    writeFileSync(join(root, "package", "compositions.yaml"), "half-built\n");
    const now = tree(root);
    await expect(recoverBump({ root })).rejects.toThrow(
      ".cache/bump-journal (left by an interrupted bump) is damaged: its copy of kcl/apps.k does not match its hash. Restore kcl/apps.k, package/ and tests/golden/ with git",
    );
    expect(tree(root)).toEqual(now);
  });

  it("`npm run build -- --check` fails while a killed bump's journal is there, naming --recover", async () => {
    const root = makeFullRoot();
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((r) => dead.once("exit", r));
    writeJournal(root, takeSnapshot(root), {
      pid: dead.pid!,
      started: "2026-01-01T00:00:00.000Z",
      changes: [{ variable: "keda", to: "2.20.0" }],
      written: "0".repeat(64),
    });
    const r = await execFileAsync(process.execPath, [join(root, "scripts", "run.mjs"), "build", "--check"], { cwd: root, timeout: 120_000 }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((r as { code?: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toContain(
      `error: a bump was interrupted (pid ${dead.pid}, started 2026-01-01T00:00:00.000Z, moving _keda to 2.20.0) and left kcl/apps.k, package/ and tests/golden/ half-written; run \`npm run bump -- --recover\``,
    );
  });
});
