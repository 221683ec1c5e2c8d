/**
 * render and verify refuse an XR its XRD forbids, as the API server would: each violation with
 * its field path (schema via crossplane beta validate, the name rule of custom resources), and
 * the XRD itself carries the name rule as CEL so offline validation refuses the same names.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { ensureGoTool, loadPins } from "../../scripts/lib/tools.js";
import { crankValidate } from "../../scripts/lib/validate/crank.js";
import { displayPath } from "../../scripts/lib/paths.js";

const dir = mkdtempSync(join(tmpdir(), "xr-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AWS = readFileSync(join(ROOT, "tests", "cases", "aws.yaml"), "utf8");
const NAME = "name: a-team-eks";
const run = (entry: string, args: string[]) => execa(process.execPath, [join(ROOT, "scripts", "run.mjs"), entry, ...args], { cwd: ROOT, reject: false });

function xrFile(name: string, edit: (text: string) => string): string {
  const text = edit(AWS);
  if (text === AWS) throw new Error(`test setup: the edit for ${name} changed nothing`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

const NAME_RULE = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`;
const PROBES: { name: string; edit: (t: string) => string; violations: string[] }[] = [
  {
    name: "negative",
    edit: (t) => t.replace("    minNodeCount: 3", "    minNodeCount: -5"),
    violations: ["spec.parameters.minNodeCount: Invalid value: -5: spec.parameters.minNodeCount in body should be greater than or equal to 0"],
  },
  {
    name: "string-bool",
    edit: (t) => t.replace("    minNodeCount: 3", '    minNodeCount: 3\n    apps: {traefik: {enabled: "yes"}}'),
    violations: [
      'spec.parameters.apps.traefik.enabled: Invalid value: "string": spec.parameters.apps.traefik.enabled in body must be of type boolean: "string"',
    ],
  },
  { name: "name-64", edit: (t) => t.replace(NAME, `name: ${"a".repeat(64)}`), violations: ["metadata.name: Too long: may not be more than 63 bytes"] },
  {
    name: "name-254",
    edit: (t) => t.replace(NAME, `name: ${"a".repeat(254)}`),
    violations: [
      `metadata.name: Invalid value: "${"a".repeat(20)}…": must be no more than 253 characters`,
      "metadata.name: Too long: may not be more than 63 bytes",
    ],
  },
  { name: "upper", edit: (t) => t.replace(NAME, "name: A-Team"), violations: [`metadata.name: Invalid value: "A-Team": ${NAME_RULE}`] },
  { name: "unicode", edit: (t) => t.replace(NAME, "name: clüster"), violations: [`metadata.name: Invalid value: "clüster": ${NAME_RULE}`] },
  { name: "dots", edit: (t) => t.replace(NAME, "name: -bad..name-"), violations: [`metadata.name: Invalid value: "-bad..name-": ${NAME_RULE}`] },
];

describe("an XR the XRD forbids", () => {
  for (const probe of PROBES) {
    it(`is refused by render with each violation's path: ${probe.name}`, async () => {
      const file = xrFile(probe.name, probe.edit);
      const r = await run("render", [file]);
      expect(r.exitCode, String(r.stderr)).toBe(1);
      expect(r.stdout).toBe("");
      const [head, ...violations] = String(r.stderr).trimEnd().split("\n");
      expect(head).toMatch(
        new RegExp(
          `^error: ${displayPath(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: Cluster\\.devopstoolkit\\.ai ".*" is invalid against the package's XRD \\(the API server would refuse it\\):$`,
        ),
      );
      expect(violations.map((v) => v.trim())).toEqual(probe.violations);
    });
  }

  it("is one case's finding in verify; the other cases are still checked", async () => {
    const cases = mkdtempSync(join(dir, "cases-"));
    writeFileSync(join(cases, "aws.yaml"), AWS);
    writeFileSync(join(cases, "negative.yaml"), PROBES[0]!.edit(AWS));
    const r = await run("verify", ["--cases", cases, "--json"]);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(String(r.stdout)) as { cases: string[]; findings: { rule: string; case?: string; message: string }[] };
    expect(report.cases).toEqual(["aws", "negative"]);
    expect(report.findings.map((f) => [f.rule, f.case])).toEqual([["case-render", "negative"]]);
    expect(report.findings[0]!.message).toContain(PROBES[0]!.violations[0]);
  });

  it("the XRD states the API server's name rule as CEL, so crossplane beta validate refuses such names", async () => {
    const crossplane = await ensureGoTool("crossplane");
    const xr = (name: string) => ({
      apiVersion: "devopstoolkit.ai/v2",
      kind: "Cluster",
      metadata: { name, namespace: "a" },
      spec: { parameters: { nodeSize: "small" } },
    });
    const verdicts = await crankValidate({
      crossplane,
      extensions: [join(PACKAGE_DIR, "definition.yaml")],
      resources: [xr("A-Team"), xr("-bad..name-"), xr("a-team.eks"), xr("a-team")],
      crossplaneImage: `xpkg.crossplane.io/crossplane/crossplane:${loadPins().crossplane.version}`,
    });
    expect(verdicts.map((v) => v.status)).toEqual(["invalid", "invalid", "valid", "valid"]);
    for (const v of verdicts.slice(0, 2))
      expect(v.errors).toEqual([{ rule: "cel", message: expect.stringMatching(/^Invalid value: metadata\.name must be a lowercase RFC 1123 subdomain/) }]);
  });
});
