/**
 * `npm run render` on bad input: every failure is one clear message naming the file (and the
 * step, and the KCL file:line for KCL errors), exit code 1, never a stack trace.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../scripts/lib/paths.js";
import { displayPath } from "../../scripts/lib/paths.js";
import { gadget, tempPackage, WIDGETS, type TempPackage } from "./helpers.js";

const run = (args: string[]) => execa(process.execPath, [join(ROOT, "scripts", "run.mjs"), "render", ...args], { cwd: ROOT, reject: false });
const rel = (p: string) => displayPath(p);
const relRe = (p: string) => displayPath(p).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let pkg: TempPackage;
const KCL = `_x = option("params").oxr
items = [{apiVersion = "v1", kind = "ConfigMap", metadata.name = "cm", data.color = _x.spec.color}]
assert _x.spec.color != "black", "spec.color black is not allowed"
`;
beforeAll(() => {
  pkg = tempPackage(
    [
      { name: "gadget-basic", labels: { size: "s" }, steps: [{ step: "check", kcl: KCL }, { step: "ready" }] },
      { name: "gadget-other", labels: { size: "m" }, steps: [{ step: "only", kcl: `items = []` }] },
    ],
    { defaultComposition: "gadget-basic" },
  );
});
afterAll(() => pkg?.remove());

function expectCleanFailure(r: { exitCode?: number; stderr: unknown; stdout: unknown }) {
  expect(r.exitCode).toBe(1);
  expect(String(r.stdout)).toBe("");
  const err = String(r.stderr);
  expect(err.startsWith("error: ")).toBe(true);
  expect(err).not.toMatch(/\n\s+at /);
  expect(err).not.toMatch(/internal error/);
  return err.trim();
}

describe("npm run render", () => {
  it("prints the stream for a good XR, exit 0", async () => {
    const r = await run([join(WIDGETS, "cases", "basic.yaml"), "--package", join(WIDGETS, "package")]);
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout).startsWith("---\napiVersion: example.org/v1alpha1\n")).toBe(true);
  });

  it("an XR file that is not YAML: file:line:col", async () => {
    const f = pkg.file("bad.yaml", "apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: [g1\n");
    const err = expectCleanFailure(await run([f, "--package", pkg.dir]));
    expect(err).toMatch(new RegExp(`^error: ${relRe(f)}:\\d+:\\d+: not valid YAML: `));
  });

  it("an XR without kind", async () => {
    const f = pkg.file("nokind.yaml", [{ apiVersion: "example.org/v1", metadata: { name: "g1" } }]);
    expect(expectCleanFailure(await run([f, "--package", pkg.dir]))).toBe(
      `error: ${rel(f)}: the XR has no kind; add the composite resource's kind, e.g. \`kind: Cluster\``,
    );
  });

  it("an XR that matches no composition", async () => {
    const f = pkg.file("nomatch.yaml", [gadget("g1", { spec: { crossplane: { compositionSelector: { matchLabels: { size: "xl" } } } } })]);
    const err = expectCleanFailure(await run([f, "--package", pkg.dir]));
    expect(err).toContain(`${rel(f)}: no composition for example.org/v1 Gadget matches spec.crossplane.compositionSelector.matchLabels {size=xl}`);
    expect(err).toContain("gadget-basic [size=s], gadget-other [size=m]");
  });

  it("an XR of a type the package does not compose names the mismatch, not the selector", async () => {
    const aws = readFileSync(join(ROOT, "tests", "cases", "aws.yaml"), "utf8");
    const v1 = pkg.file("v1.yaml", aws.replace("apiVersion: devopstoolkit.ai/v2", "apiVersion: devopstoolkit.ai/v1"));
    const v1err = expectCleanFailure(await run([v1]));
    expect(v1err).toBe(
      `error: ${rel(v1)}: the XR has apiVersion "devopstoolkit.ai/v1", kind "Cluster", but the XRD clusters.devopstoolkit.ai serves Cluster as devopstoolkit.ai/v2 and the package composes Cluster only at devopstoolkit.ai/v2; set apiVersion: devopstoolkit.ai/v2`,
    );
    const kind = pkg.file("kind.yaml", aws.replace(/^kind: Cluster$/m, "kind: Clusters"));
    const kindErr = expectCleanFailure(await run([kind]));
    expect(kindErr).toBe(
      `error: ${rel(kind)}: the XR has apiVersion "devopstoolkit.ai/v2", kind "Clusters", but the package composes apiVersion: devopstoolkit.ai/v2, kind: Cluster; fix the XR's apiVersion and kind (apiVersion: devopstoolkit.ai/v2, kind: Cluster)`,
    );
    for (const e of [v1err, kindErr]) expect(e).not.toMatch(/compositionSelector/);
  });

  it("an XR that names a missing composition (and --composition naming one)", async () => {
    const f = pkg.file("missing.yaml", [gadget("g1", { spec: { crossplane: { compositionRef: { name: "gadget-gone" } } } })]);
    expect(expectCleanFailure(await run([f, "--package", pkg.dir]))).toContain(
      `${rel(f)}: spec.crossplane.compositionRef names composition "gadget-gone", but the package has no composition of that name`,
    );
    const g = pkg.file("g.yaml", [gadget("g1")]);
    expect(expectCleanFailure(await run([g, "--package", pkg.dir, "--composition", "nope"]))).toContain(`${rel(g)}: --composition names composition "nope"`);
  });

  it("an observed resource the composition does not create", async () => {
    const f = pkg.file("obs.yaml", [gadget("g1", { spec: { crossplane: { compositionRef: { name: "gadget-basic" } } } })]);
    const o = pkg.file("obs.observed.yaml", [
      { apiVersion: "v1", kind: "Secret", metadata: { name: "s", annotations: { "crossplane.io/composition-resource-name": "stray" } } },
    ]);
    const err = expectCleanFailure(await run([f, "--package", pkg.dir, "--observed", o]));
    expect(err).toBe(
      `error: ${rel(f)}: observed resource "stray" (Secret/s in ${rel(o)}) is not one composition gadget-basic creates; fix its crossplane.io/composition-resource-name annotation or remove it (the composition creates: cm)`,
    );
  });

  it("a KCL runtime error in a step: case file, step, and the package file and line of the KCL source", async () => {
    const f = pkg.file("black.yaml", [gadget("g1", { spec: { color: "black" } })]);
    const err = expectCleanFailure(await run([f, "--package", pkg.dir]));
    const compositions = readFileSync(join(pkg.dir, "compositions.yaml"), "utf8").split("\n");
    const line = compositions.findIndex((l) => l.includes("assert _x.spec.color")) + 1;
    expect(line).toBeGreaterThan(0);
    expect(err).toMatch(
      new RegExp(
        `^error: ${relRe(f)}: composition gadget-basic, step "check" \\(function-kcl\\): ${relRe(join(pkg.dir, "compositions.yaml"))}:${line}:\\d+ \\(line 3 of the step's KCL source\\): .*spec.color black is not allowed`,
      ),
    );
  });

  it("applies the XRD default before the step runs (the same XR without color passes)", async () => {
    const f = pkg.file("default.yaml", [gadget("g1")]);
    const r = await run([f, "--package", pkg.dir]);
    expect(r.exitCode).toBe(0);
    const cm = String(r.stdout)
      .split("---\n")
      .map((d) => parse(d) as { kind?: string; data?: { color: string } })
      .find((d) => d?.kind === "ConfigMap");
    expect(cm?.data?.color).toBe("red");
  });

  it("a usage error exits 2 with the usage text", async () => {
    const r = await run([]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain("usage: npm run render");
  });
});
