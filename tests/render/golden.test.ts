/**
 * Golden files: mismatches give a unified diff and an .actual.yaml, --update accepts (never
 * for a failed case), stale goldens are reported; and `npm run check` on a copy of the repo.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { compareGoldens, goldenText } from "../../scripts/lib/golden/index.js";
import { runCheck } from "../../scripts/lib/golden/check.js";
import { createEngine, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { renderCases } from "../../scripts/lib/cases.js";
import { loadPackage, type RenderedCase } from "../../scripts/lib/render/index.js";
import { displayPath } from "../../scripts/lib/paths.js";
import { copyRepo, type RepoCopy } from "../helpers/repo.js";
import { WIDGETS } from "./helpers.js";

let engine: KclEngine;
let cases: RenderedCase[];
let dir: string;
beforeAll(async () => {
  engine = await createEngine({ workers: 2 });
  cases = await renderCases(engine, loadPackage(join(WIDGETS, "package")), join(WIDGETS, "cases"));
});
afterAll(async () => engine?.close());
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const golden = (c: RenderedCase) => join(dir, `${c.case}.yaml`);
const fresh = () => (dir = mkdtempSync(join(tmpdir(), "golden-")));

describe("compareGoldens", () => {
  it("matches goldens written from the same render, leaving nothing behind", () => {
    fresh();
    for (const c of cases) writeFileSync(golden(c), goldenText(c)!);
    writeFileSync(join(dir, `${cases[0]!.case}.actual.yaml`), "old");
    const report = compareGoldens(cases, dir, { root: dir });
    expect(report.ok).toBe(true);
    expect(report.outcomes.map((o) => o.status)).toEqual(cases.map(() => "match"));
    expect(readdirSync(dir).filter((f) => f.endsWith(".actual.yaml"))).toEqual([]);
  });

  it("gives a unified diff and writes <case>.actual.yaml for a mismatch", () => {
    fresh();
    const c = cases[0]!;
    const want = goldenText(c)!;
    const edited = want.replace("kind: ConfigMap", "kind: Secret");
    expect(edited).not.toBe(want);
    writeFileSync(golden(c), edited);
    const report = compareGoldens([c], dir, { root: dir });
    expect(report.ok).toBe(false);
    const o = report.outcomes[0]!;
    expect(o.status).toBe("mismatch");
    expect(o.patch).toContain(`--- a/${c.case}.yaml`);
    expect(o.patch).toContain("-kind: Secret");
    expect(o.patch).toContain("+kind: ConfigMap");
    expect(readFileSync(join(dir, `${c.case}.actual.yaml`), "utf8")).toBe(want);
    expect(readFileSync(golden(c), "utf8")).toBe(edited);
  });

  it("reports a missing golden and a stale one", () => {
    fresh();
    writeFileSync(join(dir, "gone.yaml"), "---\n");
    const report = compareGoldens([cases[0]!], dir, { root: dir });
    expect(report.outcomes[0]!.status).toBe("missing");
    expect(report.stale).toEqual(["gone.yaml"]);
    expect(report.ok).toBe(false);
  });

  it("updates goldens, removes stale ones, and never writes one for a failed case", () => {
    fresh();
    writeFileSync(join(dir, "gone.yaml"), "---\n");
    const failed: RenderedCase = { case: "broken", file: "broken.yaml", error: "broken.yaml: the XR has no kind" };
    writeFileSync(join(dir, "broken.yaml"), "keep me\n");
    const report = compareGoldens([...cases, failed], dir, { root: dir, update: true });
    expect(report.ok).toBe(false);
    expect(report.outcomes.find((o) => o.case === "broken")!.status).toBe("failed");
    expect(readFileSync(join(dir, "broken.yaml"), "utf8")).toBe("keep me\n");
    for (const c of cases) expect(readFileSync(golden(c), "utf8")).toBe(goldenText(c));
    expect(existsSync(join(dir, "gone.yaml"))).toBe(false);
  });
});

describe("npm run check on a copy of the repository", () => {
  let repo: RepoCopy;
  afterEach(() => repo?.remove());

  it("is green as committed, then fails with a diff for a changed golden and accepts it with --update", async () => {
    dir = mkdtempSync(join(tmpdir(), "unused-"));
    repo = copyRepo();
    const clean = await runCheck(engine, { root: repo.root });
    expect(clean.messages.filter((m) => /FAIL|DIFF|STALE|MISSING/.test(m))).toEqual([]);
    expect(clean.exitCode).toBe(0);

    const [first] = readdirSync(join(repo.root, "tests", "golden")).filter((f) => !f.endsWith(".actual.yaml"));
    const path = join("tests", "golden", first!);
    const committed = repo.read(path);
    repo.write(path, committed.replace(/^kind: /m, "kind: Changed"));
    const changed = await runCheck(engine, { root: repo.root });
    expect(changed.exitCode).toBe(1);
    expect(changed.patches.join("")).toContain(`+++ b/${path}`);
    expect(repo.read(path.replace(/\.yaml$/, ".actual.yaml"))).toBe(committed);

    const updated = await runCheck(engine, { root: repo.root, update: true });
    expect(updated.exitCode).toBe(0);
    expect(repo.read(path)).toBe(committed);
    expect(existsSync(join(repo.root, path.replace(/\.yaml$/, ".actual.yaml")))).toBe(false);
  });

  it("--update leaves the golden of a case that fails to render alone and exits 1", async () => {
    dir = mkdtempSync(join(tmpdir(), "unused-"));
    repo = copyRepo();
    const [first] = readdirSync(join(repo.root, "tests", "cases")).filter((f) => !f.includes(".observed."));
    const casePath = join("tests", "cases", first!);
    const goldenPath = join("tests", "golden", first!);
    const before = repo.read(goldenPath);
    repo.replace(casePath, /^kind: Cluster$/m, "");
    const r = await runCheck(engine, { root: repo.root, update: true });
    expect(r.exitCode).toBe(1);
    expect(r.messages.join("\n")).toContain(`FAIL ${displayPath(join(repo.root, casePath))}: the XR has no kind`);
    expect(repo.read(goldenPath)).toBe(before);
  });

  it("counts a golden without a case in the summary it fails with", async () => {
    dir = mkdtempSync(join(tmpdir(), "unused-"));
    repo = copyRepo();
    repo.write(join("tests", "golden", "orphan.yaml"), repo.read(join("tests", "golden", "aws.yaml")));
    const r = await runCheck(engine, { root: repo.root });
    expect(r.exitCode).toBe(1);
    const summary = r.messages.at(-1)!;
    expect(summary).toMatch(/^check failed: 0 of \d+ cases differ or fail, 1 golden file has no case\./);
    expect(r.messages).toContain("STALE tests/golden/orphan.yaml: no case tests/cases/orphan.yaml renders it; delete it or run the update");
  });
});
