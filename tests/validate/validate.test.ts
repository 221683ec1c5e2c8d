// npm run validate: the real `crossplane beta validate` against CRDs fetched from the providers'
// Go modules (cached in .cache/crds, shared with `npm run validate`).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { CACHE_DIR, PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { renderCase } from "../../scripts/lib/cases.js";
import { loadPackage, localRenderer } from "../../scripts/lib/render/index.js";
import type { KubeObject, LoadedPackage } from "../../scripts/lib/render/types.js";
import { ensureGoTool, loadPins } from "../../scripts/lib/tools.js";
import { dependsOn, obtainSchemas, type SchemaSet } from "../../scripts/lib/validate/crds.js";
import { caseTargets, formatReport, packageTargets, validateProject, validateTargets, type Target } from "../../scripts/lib/validate/index.js";
import { coverageOf, xrdKinds, type XrdKind } from "../../scripts/lib/validate/schemas.js";
import { copyRepo } from "../helpers/repo.js";

const CRDS = join(CACHE_DIR, "crds");
let engine: KclEngine;
let pkg: LoadedPackage;
let schemas: SchemaSet;
let xrds: XrdKind[];
let crossplane: string;
let aws: Target[];
const temps: string[] = [];

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const crossplaneImage = () => `xpkg.crossplane.io/crossplane/crossplane:${loadPins().crossplane.version}`;

beforeAll(async () => {
  [engine, crossplane] = await Promise.all([createEngine({ workers: 1 }), ensureGoTool("crossplane")]);
  pkg = loadPackage(PACKAGE_DIR);
  schemas = await obtainSchemas({ configuration: pkg.configuration, crossplaneVersion: loadPins().crossplane.version, cacheDir: CRDS });
  xrds = pkg.xrds.flatMap((x) => xrdKinds(x, join(PACKAGE_DIR, "definition.yaml")));
  const rendered = await renderCase(localRenderer(engine), pkg, { case: "aws", file: join(ROOT, "tests", "cases", "aws.yaml") });
  expect(rendered.error).toBeUndefined();
  aws = caseTargets([rendered], ROOT).targets;
});
afterAll(async () => {
  await engine?.close();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

const validate = (targets: Target[]) => validateTargets({ targets, xrds, schemas, crossplane, crossplaneImage: crossplaneImage() });
const find = (kind: string, apiGroup: string) => aws.find((t) => t.object.kind === kind && t.object.apiVersion.startsWith(apiGroup + "/"))!;

describe("CRDs of the packages the Configuration depends on", () => {
  it("obtains provider-helm, provider-kubernetes and Crossplane's own CRDs (required), at versions that satisfy dependsOn", () => {
    for (const name of ["crossplane", "provider-helm", "provider-kubernetes"]) {
      const s = schemas.sources.find((x) => x.package === name);
      expect(s, name).toBeDefined();
      expect(s!.ok, `${name}: ${s!.reason}`).toBe(true);
    }
    const kinds = new Set(schemas.crds.map((c) => `${c.group}/${c.kind}`));
    for (const k of [
      "helm.m.crossplane.io/Release",
      "helm.m.crossplane.io/ProviderConfig",
      "kubernetes.m.crossplane.io/Object",
      "kubernetes.m.crossplane.io/ProviderConfig",
      "protection.crossplane.io/Usage",
    ]) {
      expect(kinds, k).toContain(k);
    }
    const deps = dependsOn(pkg.configuration).map((d) => d.reference.split("/").pop());
    for (const s of schemas.sources.filter((x) => x.package !== "crossplane" && !x.package.startsWith("provider-family-"))) expect(deps).toContain(s.package);
  });

  it("says why a CRD set could not be obtained, and skips (not fails) those resources when the provider is optional", () => {
    const gcp = schemas.sources.find((s) => s.package === "provider-gcp-container");
    expect(gcp?.ok).toBe(false);
    // provider-gcp v2.3.0+ (the /v2 module): every version the constraint allows was refused by the proxy here
    expect(gcp?.reason).toMatch(/^no version satisfying ">=v2\.3\.0" could be fetched: v2\.6\.0: github\.com\/upbound\/provider-gcp\/v2@v2\.6\.0: /);
    const gke: KubeObject = { apiVersion: "container.gcp.m.upbound.io/v1beta1", kind: "Cluster", metadata: { name: "x" } };
    const coverage = coverageOf(gke, xrds, schemas);
    expect(coverage.kind).toBe("skip");
  });

  it("fails clearly for a required provider at a version that cannot be fetched, and remembers the refusal", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "crds-"));
    temps.push(cacheDir);
    const configuration: KubeObject = {
      apiVersion: "meta.pkg.crossplane.io/v1",
      kind: "Configuration",
      metadata: { name: "t" },
      spec: {
        dependsOn: [
          { apiVersion: "pkg.crossplane.io/v1", kind: "Provider", package: "xpkg.crossplane.io/crossplane-contrib/provider-helm", version: "v9.9.9" },
        ],
      },
    };
    const set = await obtainSchemas({ configuration, crossplaneVersion: loadPins().crossplane.version, cacheDir });
    const helm = set.sources.find((s) => s.package === "provider-helm")!;
    expect(helm.ok).toBe(false);
    expect(helm.reason).toMatch(/v9\.9\.9/);
    expect(readdirSync(join(cacheDir, "github.com", "crossplane-contrib")).some((f) => f.endsWith("v9.9.9.unavailable.json"))).toBe(true);
    const release: KubeObject = { apiVersion: "helm.m.crossplane.io/v1beta1", kind: "Release", metadata: { name: "r" } };
    const coverage = coverageOf(release, [], set);
    expect(coverage).toMatchObject({ kind: "error" });
    expect((coverage as { message: string }).message).toMatch(/provider-helm could not be obtained: .*v9\.9\.9/);
  });

  it("says the network is the problem when the Go module proxy cannot be reached", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "crds-"));
    temps.push(cacheDir);
    const configuration: KubeObject = {
      apiVersion: "meta.pkg.crossplane.io/v1",
      kind: "Configuration",
      metadata: { name: "t" },
      spec: { dependsOn: [{ provider: "xpkg.crossplane.io/crossplane-contrib/provider-kubernetes", version: "v1.0.0" }] },
    };
    const before = process.env.GOPROXY;
    process.env.GOPROXY = "off";
    try {
      const set = await obtainSchemas({ configuration, crossplaneVersion: loadPins().crossplane.version, cacheDir });
      const k8s = set.sources.find((s) => s.package === "provider-kubernetes")!;
      expect(k8s.ok).toBe(false);
      expect(k8s.reason).toMatch(/could not be fetched \(network unavailable\?/);
      // a network failure is not remembered as a refusal
      expect(existsSync(join(cacheDir, "github.com", "crossplane-contrib", "provider-kubernetes@v1.0.0.unavailable.json"))).toBe(false);
    } finally {
      if (before === undefined) delete process.env.GOPROXY;
      else process.env.GOPROXY = before;
    }
  });
});

describe("validating rendered resources with crossplane beta validate", () => {
  it("accepts every resource the aws case renders, and the case XR against the XRD", async () => {
    expect(aws.length).toBeGreaterThan(10);
    const result = await validate(aws);
    expect(result.findings).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.valid).toBe(aws.length);
  });

  it("fails a deliberately broken resource with the resource, the field and the message", async () => {
    const good = find("Cluster", "eks.aws.m.upbound.io");
    const broken = clone(good);
    const forProvider = (broken.object.spec as { forProvider: Record<string, unknown> }).forProvider;
    forProvider.region = 42;
    forProvider.notAField = "x";
    const result = await validate([good, broken]);
    expect(result.valid).toBe(1);
    const findings = result.findings.map((f) => ({ origin: f.origin, label: f.label, field: f.field, rule: f.rule }));
    expect(findings).toContainEqual({ origin: "tests/cases/aws.yaml", label: broken.label, field: "spec.forProvider.region", rule: "schema" });
    expect(findings).toContainEqual({ origin: "tests/cases/aws.yaml", label: broken.label, field: "spec.forProvider.notAField", rule: "schema" });
    expect(result.findings.find((f) => f.field === "spec.forProvider.region")!.message).toMatch(/must be of type string/);
    expect(result.findings.find((f) => f.field === "spec.forProvider.notAField")!.message).toMatch(/unknown field/);
  });

  it("fails a CEL rule of the provider's CRD", async () => {
    const broken = clone(find("Cluster", "eks.aws.m.upbound.io"));
    delete (broken.object.spec as { forProvider: Record<string, unknown> }).forProvider.vpcConfig;
    const result = await validate([broken]);
    expect(result.findings.map((f) => f.rule)).toContain("cel");
    expect(result.findings.find((f) => f.rule === "cel")!.message).toMatch(/vpcConfig is a required parameter/);
  });

  it("checks the case XR against the XRD", async () => {
    const xr = clone(aws.find((t) => t.label.endsWith("(the case XR)"))!);
    (xr.object.spec as { parameters: Record<string, unknown> }).parameters.nodeSize = "gigantic";
    const result = await validate([xr]);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ field: "spec.parameters.nodeSize", rule: "schema" });
    expect(result.findings[0]!.message).toMatch(/supported values/);
  });

  it("names the versions a CRD serves when a resource asks for another, and the missing dependency for an unknown group", async () => {
    const wrong = clone(find("VPC", "ec2.aws.m.upbound.io"));
    wrong.object.apiVersion = "ec2.aws.m.upbound.io/v9";
    const release: Target = {
      origin: "x.yaml",
      label: "Release r",
      object: { apiVersion: "helm.m.crossplane.io/v1beta1", kind: "Release", metadata: { name: "r" } },
    };
    const withoutHelm: SchemaSet = {
      ...schemas,
      sources: schemas.sources.filter((s) => s.package !== "provider-helm"),
      crds: schemas.crds.filter((c) => !c.group.startsWith("helm.")),
    };
    const typo: Target = { origin: "x.yaml", label: "Thing t", object: { apiVersion: "helm.m.crossplane.io.typo/v1", kind: "Thing", metadata: { name: "t" } } };
    const result = await validateTargets({ targets: [wrong, release, typo], xrds, schemas: withoutHelm, crossplane, crossplaneImage: crossplaneImage() });
    expect(result.findings.map((f) => f.rule)).toEqual(["schema-source", "schema-source", "schema-source"]);
    expect(result.findings[0]!.message).toMatch(/VPC of ec2\.aws\.m\.upbound\.io has no version v9 .*\(it has v1beta1/);
    expect(result.findings[1]!.message).toMatch(/served by provider-helm, which package\/crossplane\.yaml does not depend on/);
    expect(result.findings[2]!.message).toMatch(/no package the Configuration depends on serves helm\.m\.crossplane\.io\.typo/);
  });

  it("validates the package's own XRD and Compositions against Crossplane's CRDs", async () => {
    const own = packageTargets(pkg, ROOT);
    expect(own.map((t) => t.object.kind)).toEqual(expect.arrayContaining(["CompositeResourceDefinition", "Composition"]));
    const result = await validate(own);
    expect(result.findings).toEqual([]);
    expect(result.valid).toBeGreaterThanOrEqual(own.length);
    // crank also checks each step's function input; function-kcl's input CRD cannot be obtained
    expect(result.skipped.every((s) => s.apiVersion === "krm.kcl.dev/v1alpha1" && /function-kcl/.test(s.reason))).toBe(true);
    const broken = clone(own.find((t) => t.object.kind === "Composition")!);
    (broken.object.spec as Record<string, unknown>).mode = "Sideways";
    const bad = await validate([broken]);
    expect(bad.findings).toContainEqual(expect.objectContaining({ label: broken.label, field: "spec.mode", rule: "schema" }));
  });
});

describe("validateProject (npm run validate)", () => {
  it("reports an invalid example Cluster with its file, the resource, the field and the message", async () => {
    const root = copyRepo({ only: ["package"], prefix: "validate-" }).root;
    temps.push(root);
    mkdirSync(join(root, "examples"));
    const example = readdirSync(join(ROOT, "examples")).find((f) => f.endsWith(".yaml"))!;
    const text = readFileSync(join(ROOT, "examples", example), "utf8");
    const broken = text.replace(/nodeSize: \w+/, "nodeSize: gigantic");
    expect(broken).not.toBe(text);
    writeFileSync(join(root, "examples", example), broken);
    const report = await validateProject({ root, engine, crossplane, crossplaneVersion: loadPins().crossplane.version, cacheDir: CRDS });
    expect(report.counts).toEqual({ cases: 0, examples: 1, package: 4 });
    const { errors, summary } = formatReport(report);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^examples/${example.replace(".", "\\.")}: Cluster \\S+ \\(devopstoolkit\\.ai/v2\\): spec\\.parameters\\.nodeSize: Unsupported value: "gigantic"`,
      ),
    );
    expect(summary.join("\n")).toMatch(/provider-helm +>=\S+ +v\d/);
  });
});
