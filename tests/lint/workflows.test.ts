/**
 * The GitHub workflows: every action pinned by a full commit SHA with its version in a comment
 * (what Renovate's helpers:pinGitHubActionDigests keeps current), the chart-update workflow
 * committing only what a bump regenerates with least privilege, the test workflow's pull-request
 * summary, and the Renovate regeneration configured for the same paths and the commands the README
 * tells bot admins to allow. (actionlint runs in npm run lint.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { workflowFiles } from "../../scripts/lib/lint/index.js";
import { ROOT } from "../../scripts/lib/paths.js";

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; if?: string; env?: Record<string, string> };
type Job = { uses?: string; steps?: Step[]; permissions?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const workflow = (file: string) => parse(read(file)) as Workflow;
/** The paths a chart update may commit. */
const UPDATE_PATHS = ["kcl/apps.k", "package/", "tests/golden/", "tests/e2e/"];

describe("every workflow", () => {
  const files = workflowFiles(ROOT);

  it("includes the chart-update workflow", () => {
    expect(files).toEqual(expect.arrayContaining([".github/workflows/update-charts.yaml", ".github/workflows/test.yaml", ".github/workflows/release.yaml"]));
  });

  it("pins every action by a full 40-hex commit SHA with the version in a comment", () => {
    let pinned = 0;
    for (const file of files) {
      const lines = read(file).split("\n");
      const usesLines = lines.filter((l) => /^\s*(-\s+)?uses:/.test(l));
      // Every `uses` YAML sees is on one of these lines (nothing hides in flow style).
      const parsed = Object.values(workflow(file).jobs)
        .flatMap((j) => [j.uses, ...(j.steps ?? []).map((s) => s.uses)])
        .filter((u): u is string => !!u);
      expect(usesLines, file).toHaveLength(parsed.length);
      for (const line of usesLines) {
        const value = line.replace(/^\s*(-\s+)?uses:\s*/, "");
        if (value.startsWith("./")) continue;
        expect(value, `${file}: ${line.trim()}`).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
        pinned++;
      }
    }
    expect(pinned).toBeGreaterThan(10);
  });

  it("never stages everything (git add . / -A / --all, git commit -a)", () => {
    for (const file of files) {
      const runs = Object.values(workflow(file).jobs).flatMap((j) => (j.steps ?? []).map((s) => s.run ?? ""));
      for (const run of runs) expect(run, file).not.toMatch(/git\s+add\s+(\.|-A|--all)(\s|$)|git\s+commit\s+(-\w*a|--all)/m);
    }
  });
});

describe("update-charts.yaml", () => {
  const wf = workflow(".github/workflows/update-charts.yaml");
  const [job] = Object.values(wf.jobs);
  const steps = job!.steps!;

  it("runs weekly and on demand, with no permissions but the update job's contents and pull-requests write", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.permissions).toEqual({});
    expect(Object.keys(wf.jobs)).toHaveLength(1);
    expect(job!.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    expect(steps.find((s) => s.uses?.startsWith("actions/checkout@"))!.with).toMatchObject({ "persist-credentials": false });
  });

  it("runs npm ci, bump --all, npm test, the summary, then opens the pull request, in that order", () => {
    const order = ["npm ci", "npm run -s bump -- ", "npm test", "npm run -s check -- --summary --base HEAD"].map((cmd) =>
      steps.findIndex((s) => s.run?.includes(cmd)),
    );
    expect(
      order.every((i) => i >= 0),
      JSON.stringify(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(steps.find((s) => s.run?.includes("npm run -s bump -- "))!.run).toContain("args=(--all --markdown)");
    const pr = steps.findIndex((s) => s.uses?.startsWith("peter-evans/create-pull-request@"));
    expect(pr).toBeGreaterThan(order.at(-1)!);
  });

  it("commits only kcl/apps.k, package/, tests/golden/ and tests/e2e/", () => {
    const pr = steps.find((s) => s.uses?.startsWith("peter-evans/create-pull-request@"))!;
    const paths = String(pr.with!["add-paths"])
      .split(/[\n,]/)
      .map((p) => p.trim())
      .filter(Boolean);
    expect(paths).toEqual(UPDATE_PATHS);
    expect(pr.with!["body-path"]).toBe("${{ runner.temp }}/body.md");
    // No other step commits or pushes.
    for (const s of steps) expect(s.run ?? "", s.name).not.toMatch(/\bgit\s+(add|commit|push)\b/);
  });
});

describe("test.yaml", () => {
  it("writes the --summary report into the job summary on pull requests", () => {
    const steps = Object.values(workflow(".github/workflows/test.yaml").jobs).flatMap((j) => j.steps ?? []);
    const summary = steps.find((s) => s.run?.includes("check -- --summary"))!;
    expect(summary).toBeDefined();
    expect(summary.if).toContain("github.event_name == 'pull_request'");
    expect(summary.run).toContain('"$GITHUB_STEP_SUMMARY"');
    expect(summary.env?.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
  });
});

describe("renovate.json", () => {
  const config = JSON.parse(read("renovate.json")) as {
    extends: string[];
    packageRules: { matchManagers?: string[]; postUpgradeTasks?: { commands: string[]; fileFilters: string[]; executionMode: string } }[];
  };
  const rule = config.packageRules.find((r) => r.postUpgradeTasks)!;

  it("regenerates what a chart pin moves, in the same paths the update workflow commits", () => {
    expect(config.extends).toContain("helpers:pinGitHubActionDigests");
    expect(rule.matchManagers).toEqual(["custom.regex"]);
    expect(rule.postUpgradeTasks!.fileFilters).toEqual(UPDATE_PATHS.filter((p) => p.endsWith("/")).map((p) => `${p}**`));
    expect(rule.postUpgradeTasks!.commands).toEqual(["npm ci", "npm run build", "npm run check -- --update", "npm run lint -- --fix --e2e"]);
  });

  it("every command is allowed by the allowedPostUpgradeCommands the README gives bot admins", () => {
    const readme = read("README.md");
    const block = /```json\n\s*(\{\s*"allowedPostUpgradeCommands"[\s\S]*?)```/.exec(readme);
    expect(block, "README: a ```json block with allowedPostUpgradeCommands").not.toBeNull();
    const allowed = (JSON.parse(block![1]!) as { allowedPostUpgradeCommands: string[] }).allowedPostUpgradeCommands.map((r) => new RegExp(r));
    for (const command of rule.postUpgradeTasks!.commands)
      expect(
        allowed.some((r) => r.test(command)),
        command,
      ).toBe(true);
    // And nothing more than these commands.
    for (const r of allowed)
      expect(
        rule.postUpgradeTasks!.commands.some((c) => r.test(c)),
        String(r),
      ).toBe(true);
  });
});
