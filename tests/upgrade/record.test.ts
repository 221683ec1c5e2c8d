/**
 * The recorder on a real git repository: a temporary repository whose commit holds this package
 * as "the old package" and a small Chainsaw test written here, recorded with the real KCL engine,
 * then checked with the same code the upgrade test uses.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../scripts/lib/errors.js";
import { PACKAGE_DIR } from "../../scripts/lib/paths.js";
import { loadPackage } from "../../scripts/lib/render/index.js";
import { checkFacts } from "../../scripts/lib/upgrade-facts/check.js";
import { recordFacts } from "../../scripts/lib/upgrade-facts/record.js";
import { useEngine } from "../helpers/engine.js";

const engine = useEngine({ workers: 2 });
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "record-facts-"));
  temps.push(d);
  return d;
}

const git = (dir: string, ...args: string[]) =>
  execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { stdio: "pipe" })
    .toString()
    .trim();

/** A repository with package/ (this package) and tests/aws + tests/common written for this test. */
function oldRepository(): { dir: string; commit: string } {
  const dir = tempDir();
  git(dir, "init", "-q");
  cpSync(PACKAGE_DIR, join(dir, "package"), { recursive: true });
  mkdirSync(join(dir, "tests", "aws"), { recursive: true });
  mkdirSync(join(dir, "tests", "common"), { recursive: true });
  const files: Record<string, string> = {
    "tests/aws/chainsaw-test.yaml": `apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: aws
spec:
  template: true
  bindings:
    - name: cluster
      value: eks
  steps:
    - try:
        - apply:
            file: 00-install.yaml
        - assert:
            file: 00-assert.yaml
        - patch:
            file: ../common/apps.yaml
        - assert:
            file: ../common/assert-usage.yaml
            bindings:
              - name: usageName
                value: app-dapr
`,
    "tests/aws/00-install.yaml": `apiVersion: devopstoolkit.ai/v2
kind: Cluster
metadata:
  name: a-team-eks
spec:
  crossplane:
    compositionSelector:
      matchLabels: {provider: aws, cluster: eks}
  parameters:
    nodeSize: small
`,
    "tests/aws/00-assert.yaml": `apiVersion: devopstoolkit.ai/v2
kind: Cluster
metadata:
  name: (join('-', ['a-team', $cluster]))
  namespace: ($namespace)
spec:
  crossplane:
    compositionRef:
      name: cluster-aws
  parameters:
    nodeSize: small
---
apiVersion: helm.m.crossplane.io/v1beta1
kind: ProviderConfig
metadata:
  name: (join('-', ['a-team', $cluster]))
spec:
  credentials:
    source: Secret
---
apiVersion: helm.m.crossplane.io/v1beta1
kind: ProviderConfig
metadata:
  name: (join('-', ['a-team', $cluster]))
spec:
  credentials:
    source: NotWhatItIs
`,
    "tests/common/apps.yaml": `apiVersion: devopstoolkit.ai/v2
kind: Cluster
metadata:
  name: (join('-', ['a-team', $cluster]))
spec:
  parameters:
    apps:
      dapr:
        enabled: true
`,
    "tests/common/assert-usage.yaml": `apiVersion: devopstoolkit.ai/v2
kind: Cluster
metadata:
  name: (join('-', ['a-team', $cluster]))
spec:
  parameters:
    nodeSize: small
  (crossplane.resourceRefs[?name == join('-', ['a-team', $cluster, $usageName, 'usage'])]):
  - kind: Usage
`,
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "old");
  return { dir, commit: git(dir, "rev-parse", "--short", "HEAD") };
}

describe("record-upgrade-facts", () => {
  it("replays apply, patch and assert steps with bindings; records composed names and resolved asserts; judges them on the old render", async () => {
    const repo = oldRepository();
    const casesDir = tempDir();
    writeFileSync(
      join(casesDir, "plain.yaml"),
      "apiVersion: devopstoolkit.ai/v2\nkind: Cluster\nmetadata:\n  name: plain\nspec:\n  parameters:\n    nodeSize: small\n",
    );
    writeFileSync(
      join(casesDir, "broken.yaml"),
      "apiVersion: devopstoolkit.ai/v2\nkind: Cluster\nmetadata:\n  name: broken\nspec:\n  parameters:\n    nodeSize: small\n    apps:\n      nope:\n        enabled: true\n",
    );
    const facts = await recordFacts(engine, { gitDir: repo.dir, commit: repo.commit, repository: "test", casesDir, tests: ["aws"] });

    expect(facts.states.map((s) => s.id)).toEqual(["aws#2", "aws#4", "cases/plain"]);
    // The patch merged into the applied Cluster; the selector of the first apply stayed.
    expect(facts.states[1]!.xr).toMatchObject({
      spec: { crossplane: { compositionSelector: { matchLabels: { provider: "aws" } } }, parameters: { nodeSize: "small", apps: { dapr: { enabled: true } } } },
    });
    expect(facts.states[0]!.composed["a-team-eks-config-helm"]).toEqual({
      apiVersion: "helm.m.crossplane.io/v1beta1",
      kind: "ProviderConfig",
      name: "a-team-eks",
    });
    expect(facts.states[0]!.composed["a-team-eks-app-dapr"]).toBeUndefined();
    expect(facts.states[1]!.composed["a-team-eks-app-dapr"]).toEqual({
      apiVersion: "helm.m.crossplane.io/v1beta1",
      kind: "Release",
      name: "a-team-eks-app-dapr",
    });

    expect(facts.asserts.map((a) => [a.id, a.state])).toEqual([
      ["aws#2 aws/00-assert.yaml#1", "aws#2"],
      ["aws#2 aws/00-assert.yaml#2", "aws#2"],
      ["aws#2 aws/00-assert.yaml#3", "aws#2"],
      ["aws#4 common/assert-usage.yaml#1 (app-dapr)", "aws#4"],
    ]);
    // Bindings and join() are resolved: the facts hold plain values only.
    expect(facts.asserts[0]!.expect).toMatchObject({ metadata: { name: "a-team-eks", namespace: "upgrade-replay" } });
    expect(Object.keys((facts.asserts[3]!.expect as any).spec)).toContain("(crossplane.resourceRefs[?name == 'a-team-eks-app-dapr-usage'])");
    expect(facts.asserts.map((a) => a.oldPackage.length === 0)).toEqual([true, true, false, true]);
    expect(facts.asserts[2]!.oldPackage).toEqual(['.spec.credentials.source: expected "NotWhatItIs", got "Secret"']);
    expect(facts.notRenderable.map((n) => n.case)).toEqual(["broken"]);
    expect(facts.notRenderable[0]!.error).toMatch(/spec\.parameters\.apps\.nope: unknown app/);

    // The same package checked against its own facts: nothing deleted, everything that held holds.
    const report = await checkFacts({ engine, pkg: loadPackage(PACKAGE_DIR), facts });
    expect(report.states.flatMap((s) => [...s.deleted, ...s.changed])).toEqual([]);
    expect(report.asserts.map((a) => a.verdict)).toEqual(["held", "held", "held"]);
    expect(report.notHeldByOld.map((a) => a.verdict)).toEqual(["failed"]);
  });

  it("a directory that is not a git repository, or a commit it lacks: a clear error", async () => {
    const casesDir = tempDir();
    await expect(recordFacts(engine, { gitDir: join(tempDir(), "nope"), commit: "83c2e26", repository: "t", casesDir })).rejects.toThrow(
      /no such git directory/,
    );
    const repo = oldRepository();
    const err = await recordFacts(engine, { gitDir: repo.dir, commit: "0000000", repository: "t", casesDir, tests: ["aws"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(String((err as Error).message)).toMatch(/git -C .* archive .* failed/);
  });
});
