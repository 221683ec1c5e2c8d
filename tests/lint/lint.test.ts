// npm run lint: the real actionlint and chainsaw over the repository's files and over broken copies.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainsawTests, lintChainsawTests, lintWorkflows, workflowFiles } from "../../scripts/lib/lint/index.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { ensureGoTool } from "../../scripts/lib/tools.js";
import { copyRepo } from "../helpers/repo.js";

let actionlint: string;
let chainsaw: string;
let root: string;
beforeAll(async () => {
  [actionlint, chainsaw] = await Promise.all([ensureGoTool("actionlint"), ensureGoTool("chainsaw")]);
  root = copyRepo({ only: [".github", "tests/e2e"], prefix: "lint-" }).root;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("workflows", () => {
  it("has the test, release and chart-update workflows, and actionlint accepts them", async () => {
    expect(workflowFiles(ROOT)).toEqual([".github/workflows/release.yaml", ".github/workflows/test.yaml", ".github/workflows/update-charts.yaml"]);
    const r = await lintWorkflows(actionlint, ROOT);
    expect(r.lines).toHaveLength(1);
    expect(r.ok).toBe(true);
  });

  it("keeps the release honest: tests first, least privilege, pinned actions, no commits back", () => {
    const release = readFileSync(join(ROOT, ".github/workflows/release.yaml"), "utf8");
    expect(release).toMatch(/uses: \.\/\.github\/workflows\/test\.yaml/);
    expect(release).toMatch(/needs: test/);
    expect(release).toMatch(/^permissions:\n {2}contents: read$/m);
    expect(release).not.toMatch(/git (add|commit|push)/);
    for (const file of workflowFiles(ROOT)) {
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const m of text.matchAll(/uses: ([^\s#]+)/g)) {
        if (m[1]!.startsWith("./")) continue;
        expect(m[1], `${file}: ${m[1]}`).toMatch(/@[0-9a-f]{40}$/); // with its version in a comment: tests/lint/workflows.test.ts
      }
    }
  });

  it("reports the file, line and problem of a broken workflow, including script injection", async () => {
    const file = ".github/workflows/broken.yaml";
    writeFileSync(
      join(root, file),
      [
        "on: pull_request",
        "permissions: {}",
        "jobs:",
        "  greet:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        '      - run: echo "${{ github.event.pull_request.title }}"',
        "      - run: echo ${{ steps.nope.outputs.x }}",
        "",
      ].join("\n"),
    );
    try {
      const r = await lintWorkflows(actionlint, root, [file]);
      expect(r.ok).toBe(false);
      const text = r.lines.join("\n");
      expect(text).toMatch(/broken\.yaml:7:\d+: .*github\.event\.pull_request\.title.*potentially untrusted/);
      expect(text).toMatch(/broken\.yaml:8:\d+: property "nope" is not defined/);
    } finally {
      rmSync(join(root, file));
    }
  });
});

describe("chainsaw lint", () => {
  it("accepts every generated end-to-end test", async () => {
    const tests = chainsawTests(ROOT);
    expect(tests.length).toBeGreaterThanOrEqual(3);
    const r = await lintChainsawTests(chainsaw, ROOT, tests);
    expect(r.lines.join("\n")).not.toMatch(/tests\/e2e/);
    expect(r.ok).toBe(true);
  });

  it("names the test file and the schema problem of a broken test", async () => {
    const dir = join(root, "tests", "e2e", "broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "chainsaw-test.yaml"), "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n  name: broken\nspec:\n  stepz: []\n");
    const r = await lintChainsawTests(chainsaw, root, ["tests/e2e/broken/chainsaw-test.yaml"]);
    expect(r.ok).toBe(false);
    expect(r.lines[0]).toBe("tests/e2e/broken/chainsaw-test.yaml:");
    expect(r.lines.join("\n")).toMatch(/stepz|steps/);
  });
});
