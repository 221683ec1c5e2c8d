/**
 * `npm run check -- --summary`: run as npm runs it in a temporary copy of the repository, with a
 * KCL change that adds, removes and changes composed resources; and the report builder on small
 * hand-made sides for the package-level changes, case status and truncation.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarizeChanges, type SummarySide } from "../../scripts/lib/golden/summary.js";
import { copyRepo, type RepoCopy } from "../helpers/repo.js";

let repo: RepoCopy;

/** The change under test: keda 2.19.0 -> 2.19.1 with a value, keda-add-ons-http dropped, a dashboard ConfigMap added. */
function changeKeda(r: RepoCopy): void {
  r.replace("kcl/apps.k", /^_keda = "2\.19\.0"$/m, '_keda = "2.19.1"');
  r.replace(
    "kcl/apps.k",
    '*([_release("keda", {}), _release("kedaHttp", {})] if _on("keda") else [])',
    '*([_release("keda", {replicaCount = 2}), _appObject("keda-dashboard", {apiVersion = "v1", kind = "ConfigMap", metadata = {name = "keda-dashboard", namespace = "keda"}, data = {a = "b"}})] if _on("keda") else [])',
  );
}

/** The list lines of one case's section. */
function caseLines(markdown: string, name: string): string[] {
  const start = markdown.indexOf(`#### \`${name}\`:`);
  expect(start, `a section for ${name} in:\n${markdown}`).toBeGreaterThanOrEqual(0);
  const rest = markdown.slice(start).split("\n").slice(1);
  const end = rest.findIndex((l) => l.startsWith("#### ") || l.startsWith("<details>"));
  return (end === -1 ? rest : rest.slice(0, end)).filter((l) => l.startsWith("- "));
}

const headings = (markdown: string) => markdown.split("\n").filter((l) => l.startsWith("#### "));

beforeAll(() => {
  repo = copyRepo();
});
afterAll(() => repo?.remove());

describe("npm run check -- --summary on a copy of the repository", () => {
  it("says no changes when the sources render as committed", async () => {
    const r = await repo.run("check", ["--summary"]);
    expect(r.exitCode, String(r.all)).toBe(0);
    expect(r.stdout).toMatch(/^No changes: `package\/` and all \d+ cases render as committed\.$/m);
    expect(headings(String(r.stdout))).toEqual([]);
  }, 120_000);

  it("a KCL change that adds, removes and changes resources gives exactly those lines", async () => {
    changeKeda(repo);
    const out = join(repo.root, "summary.md");
    const r = await repo.run("check", ["--summary", out]);
    expect(r.exitCode, String(r.all)).toBe(0);
    expect(r.stderr).toMatch(/wrote .*summary\.md \(\d+ changes\)/);
    const md = readFileSync(out, "utf8");
    // Only the cases that enable KEDA change.
    expect(headings(md)).toEqual(["#### `all-apps`: 2 added, 2 removed, 1 changed", "#### `app-keda`: 2 added, 2 removed, 1 changed"]);
    for (const [name, xr] of [
      ["app-keda", "apps-keda"],
      ["all-apps", "apps-all"],
    ] as const) {
      expect(caseLines(md, name)).toEqual([
        `- added \`Object\` \`${xr}-app-keda-dashboard\``,
        `- added \`Usage\` \`${xr}-app-keda-dashboard-usage\``,
        `- ⚠️ removed \`Release\` \`${xr}-app-keda-add-ons-http\`: an upgrade deletes this live resource (see \`npm run upgrade-check\`)`,
        `- ⚠️ removed \`Usage\` \`${xr}-app-keda-add-ons-http-usage\`: an upgrade deletes this live resource (see \`npm run upgrade-check\`)`,
        `- changed \`Release\` \`${xr}-app-keda\`: chart keda 2.19.0 → 2.19.1; \`values.replicaCount\` (added)`,
      ]);
      expect(md).toContain(`<details><summary>diff of <code>${xr}-app-keda</code></summary>`);
    }
    expect(md).toContain('-      version: "2.19.0"\n+      version: "2.19.1"');
    expect(md).toContain("- `keda` (https://kedacore.github.io/charts): 2.19.0 → 2.19.1");
    expect(md).toContain("- `keda-add-ons-http` (https://kedacore.github.io/charts): 0.12.2 → no longer installed by any case");
    expect(md).not.toMatch(/XRD field|dependsOn/);
    // Deterministic: the same report again, byte for byte.
    const again = await repo.run("check", ["--summary"]);
    expect(again.stdout).toBe(md.replace(/\n$/, "")); // execa drops the final newline
  }, 180_000);

  it("--base REF compares with a commit's goldens once the change is committed with regenerated goldens", async () => {
    const git = (args: string[]) =>
      execa("git", args, {
        cwd: repo.root,
        env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" },
      });
    // The KCL change (from the test above) committed with the old goldens, then the goldens accepted, as in a pull request.
    await git(["init", "-q"]);
    await git(["add", "kcl", "package", "tests"]);
    await git(["commit", "-qm", "kcl change"]);
    const update = await repo.run("check", ["--update"]);
    expect(update.exitCode, String(update.all)).toBe(0);
    await git(["add", "package", "tests/golden"]);
    await git(["commit", "-qm", "goldens"]);
    // HEAD~1 holds the old goldens with the new KCL; HEAD the new goldens.
    const base = await repo.run("check", ["--summary", "--base", "HEAD~1"]);
    expect(base.exitCode, String(base.all)).toBe(0);
    expect(headings(String(base.stdout))).toEqual(["#### `all-apps`: 2 added, 2 removed, 1 changed", "#### `app-keda`: 2 added, 2 removed, 1 changed"]);
    expect(base.stdout).toContain("From `HEAD~1`'s `package/` and `tests/golden/`");
    const none = await repo.run("check", ["--summary"]);
    expect(none.stdout).toContain("No changes");
    const bad = await repo.run("check", ["--summary", "--base", "no-such-ref"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("--base no-such-ref: no such commit");
  }, 240_000);
});

// ---- the report builder on small inputs ----------------------------------------------------

const xrd = (fields: Record<string, unknown>) => `apiVersion: apiextensions.crossplane.io/v2
kind: CompositeResourceDefinition
metadata: {name: clusters.example.org}
spec:
  names: {kind: Cluster}
  versions:
  - name: v2
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties: ${JSON.stringify(fields)}
`;
const config = (deps: { package: string; version: string }[]) =>
  `apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata: {name: x}\nspec:\n  dependsOn: ${JSON.stringify(deps.map((d) => ({ apiVersion: "pkg.crossplane.io/v1", kind: "Provider", ...d })))}\n`;
const render = (xr: string, resources: { name: string; kind?: string; data?: Record<string, string> }[]) =>
  [
    `---\napiVersion: example.org/v1\nkind: Cluster\nmetadata: {name: ${xr}}\n`,
    ...resources.map(
      (r) =>
        `---\napiVersion: v1\nkind: ${r.kind ?? "ConfigMap"}\nmetadata:\n  name: ${r.name}\n  annotations: {crossplane.io/composition-resource-name: ${r.name}}\ndata: ${JSON.stringify(r.data ?? {})}\n`,
    ),
  ].join("");
const side = (pkg: Record<string, string>, renders: Record<string, string>, failed: Record<string, string> = {}): SummarySide => ({
  package: new Map(Object.entries(pkg)),
  renders: new Map(Object.entries(renders)),
  failed: new Map(Object.entries(failed)),
});

describe("the report", () => {
  it("lists XRD field and dependsOn changes", () => {
    const before = side(
      {
        "definition.yaml": xrd({ size: { type: "string", default: "small" }, old: { type: "boolean" } }),
        "crossplane.yaml": config([
          { package: "p/aws", version: ">=v1" },
          { package: "p/gone", version: ">=v1" },
        ]),
      },
      {},
    );
    const after = side(
      {
        "definition.yaml": xrd({ size: { type: "string", default: "medium" }, fresh: { type: "integer", default: 1 } }),
        "crossplane.yaml": config([
          { package: "p/aws", version: ">=v2" },
          { package: "p/new", version: ">=v0.1" },
        ]),
      },
      {},
    );
    const { markdown, changes } = summarizeChanges(before, after);
    const lines = markdown.split("\n").filter((l) => l.startsWith("- "));
    expect(lines).toEqual([
      "- XRD field added `Cluster v2: spec.fresh` (integer, default 1)",
      "- ⚠️ XRD field removed `Cluster v2: spec.old` (was boolean): Clusters that set it no longer validate",
      '- XRD field changed `Cluster v2: spec.size`: string, default "small" → string, default "medium"',
      "- dependsOn added `p/new` >=v0.1",
      "- dependsOn removed `p/gone` (was >=v1)",
      "- dependsOn `p/aws`: >=v1 → >=v2",
    ]);
    expect(changes).toBe(6);
  });

  it("new, removed and failing cases; unchanged ones are only counted", () => {
    const before = side({}, { kept: render("k", [{ name: "a" }]), gone: render("g", [{ name: "a" }, { name: "b" }]), broken: render("b", [{ name: "a" }]) });
    const after = side(
      {},
      { kept: render("k", [{ name: "a" }]), fresh: render("f", [{ name: "x" }]) },
      { broken: "tests/cases/broken.yaml: step apps: boom\nmore" },
    );
    const { markdown } = summarizeChanges(before, after);
    expect(headings(markdown)).toEqual([
      "#### `broken`: does not render",
      "#### `fresh`: new case, 1 composed resources",
      "#### `gone`: case removed (2 composed resources)",
    ]);
    expect(markdown).toContain("### Cases (3 changed, 1 unchanged)");
    expect(caseLines(markdown, "broken")).toEqual(["- tests/cases/broken.yaml: step apps: boom"]);
  });

  it("past the limits it truncates and says how much it left out", () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `r${String(i).padStart(2, "0")}`, data: { v: "1" } }));
    const before = side({}, { c: render("c", many) });
    const after = side(
      {},
      {
        c: render(
          "c",
          many.map((r) => ({ ...r, data: { v: "2" } })),
        ),
      },
    );
    const listed = summarizeChanges(before, after, { maxItems: 10 }).markdown;
    expect(caseLines(listed, "c")).toHaveLength(11);
    expect(caseLines(listed, "c").at(-1)).toBe("- … and 30 more");
    const cut = summarizeChanges(before, after, { maxChars: 3000 }).markdown;
    expect(cut.length).toBeLessThanOrEqual(3000);
    expect(cut).toMatch(/… report truncated: \d+ more lines\. Run `npm run check -- --summary` for all of it\.\n$/);
    expect(cut.split("<details>").length).toBe(cut.split("</details>").length);
  });
});
