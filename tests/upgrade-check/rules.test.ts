// The comparison rules of upgrade-check over small renders: what a deletion takes with it, the
// fields providers cannot change in place (from data/immutable-fields.json), references that
// resolve to the same value, and the XRD rules.
import { describe, expect, it } from "vitest";
import type { ComposedResource, KubeObject, LoadedPackage, RenderResult } from "../../scripts/lib/render/types.js";
import { compareCase } from "../../scripts/lib/upgrade/diff.js";
import { loadImmutableData } from "../../scripts/lib/upgrade/index.js";
import { compareXrds } from "../../scripts/lib/upgrade/xrd.js";

const data = loadImmutableData();

function res(crn: string, object: Omit<KubeObject, "metadata"> & { metadata?: KubeObject["metadata"] }): ComposedResource {
  return { name: crn, ready: "True", object: { metadata: { name: crn }, ...object } as KubeObject };
}
function render(resources: ComposedResource[], composition = "c"): RenderResult {
  const xr = { apiVersion: "example.org/v1", kind: "XR", metadata: { name: "x" } };
  return { xr, resources, composition, stream: [], observedXr: xr, results: [] };
}
const object = (crn: string, manifest: Record<string, unknown>, spec: Record<string, unknown> = {}) =>
  res(crn, { apiVersion: "kubernetes.m.crossplane.io/v1alpha1", kind: "Object", spec: { forProvider: { manifest }, ...spec } });

describe("deletions", () => {
  it("say what goes with the resource in the workload cluster, and when the live resource stays", () => {
    const old = render([
      object("argo", {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: "apps", namespace: "argocd", finalizers: ["resources-finalizer.argocd.argoproj.io"] },
      }),
      object("crd", {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "inferencepools.inference.networking.k8s.io" },
      }),
      object("es", {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: "db", namespace: "prod" },
        spec: { target: { name: "db-secret" } },
      }),
      object("kept", { apiVersion: "v1", kind: "Namespace", metadata: { name: "dev" } }, { managementPolicies: ["Create", "Update", "Observe"] }),
      res("rg", { apiVersion: "azure.m.upbound.io/v1beta1", kind: "ResourceGroup", spec: { deletionPolicy: "Orphan" } }),
    ]);
    const findings = compareCase("case", old, render([]), data);
    const by = Object.fromEntries(findings.map((f) => [f.crn, f]));
    expect(by.argo).toMatchObject({ rule: "deleted", severity: "breaking" });
    expect(by.argo!.message).toContain("Argo CD Application argocd/apps, and its resources finalizer deletes everything it synced");
    expect(by.crd!.message).toContain("CRD inferencepools.inference.networking.k8s.io and every object of it");
    expect(by.es!.message).toContain("ExternalSecret prod/db and the Secret db-secret it owns");
    expect(by.kept).toMatchObject({ rule: "orphaned", severity: "warning" });
    expect(by.kept!.message).toContain("managementPolicies (Create, Update, Observe) lack Delete");
    expect(by.rg).toMatchObject({ rule: "orphaned" });
    expect(by.rg!.message).toContain("deletionPolicy is Orphan");
  });
});

describe("fields providers cannot change in place", () => {
  const aks = (forProvider: Record<string, unknown>) =>
    res("cluster", { apiVersion: "containerservice.azure.m.upbound.io/v1beta1", kind: "KubernetesCluster", metadata: { name: "aks" }, spec: { forProvider } });
  const group = res("rg", { apiVersion: "azure.m.upbound.io/v1beta1", kind: "ResourceGroup", metadata: { name: "aks-rg" }, spec: {} });

  it("dnsPrefix and the default node pool's name (list or object) are breaking, with the reason from the data", () => {
    const f = compareCase(
      "case",
      render([aks({ dnsPrefix: "dot", defaultNodePool: [{ name: "nodepool1" }] })]),
      render([aks({ dnsPrefix: "aks", defaultNodePool: { name: "default" } })]),
      data,
    );
    const immutable = f.filter((x) => x.rule === "immutable-field");
    expect(immutable.map((x) => [x.severity, x.message.split(":")[0]])).toEqual([
      ["breaking", 'spec.forProvider.dnsPrefix "dot" → "aks"'],
      ["breaking", 'spec.forProvider.defaultNodePool.name "nodepool1" → "default"'],
    ]);
    expect(immutable[0]!.message).toContain(data.fields.find((d) => d.path === "spec.forProvider.dnsPrefix")!.reason);
  });

  it("a value now set through a reference that resolves to the same name is no change; one no longer set is a warning", () => {
    const same = compareCase(
      "case",
      render([group, aks({ resourceGroupName: "aks-rg" })]),
      render([group, aks({ resourceGroupNameRef: { name: "aks-rg" } })]),
      data,
    );
    expect(same.filter((x) => x.rule === "immutable-field")).toEqual([]);
    const dropped = compareCase("case", render([aks({ location: "eastus" })]), render([aks({})]), data);
    expect(dropped.filter((x) => x.rule === "immutable-field").map((x) => x.severity)).toEqual(["warning"]);
  });

  it("an EC2 security group's name, and a chart version move as a notice", () => {
    const sg = (name: string) => res("sg", { apiVersion: "ec2.aws.m.upbound.io/v1beta1", kind: "SecurityGroup", spec: { forProvider: { name } } });
    const rel = (version: string) =>
      res("rel", { apiVersion: "helm.m.crossplane.io/v1beta1", kind: "Release", spec: { forProvider: { chart: { name: "cilium", version } } } });
    const f = compareCase("case", render([sg("a"), rel("1.0.0")]), render([sg("b"), rel("1.1.0")]), data);
    expect(f.map((x) => [x.rule, x.severity, x.crn])).toEqual([
      ["immutable-field", "breaking", "sg"],
      ["chart-version", "notice", "rel"],
    ]);
  });
});

describe("XRD rules", () => {
  const pkg = (spec: Record<string, unknown>, labels: Record<string, string> = {}): LoadedPackage => ({
    dir: "p",
    compositions: [],
    documents: [],
    xrds: [
      {
        apiVersion: "apiextensions.crossplane.io/v2",
        kind: "CompositeResourceDefinition",
        metadata: { name: "xrs.example.org", labels },
        spec: {
          group: "example.org",
          names: { kind: "XR" },
          versions: [{ name: "v1", served: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: spec } } } }],
        },
      },
    ],
  });
  it("removed, retyped, narrowed, newly required, default and label changes", () => {
    const before = pkg(
      {
        type: "object",
        properties: { a: { type: "string" }, b: { type: "integer" }, c: { type: "string", enum: ["x", "y"] }, d: { type: "string", default: "1" } },
      },
      { idp: "true" },
    );
    const after = pkg({
      type: "object",
      required: ["e"],
      properties: { b: { type: "string" }, c: { type: "string", enum: ["x"] }, d: { type: "string", default: "2" }, e: { type: "string" } },
    });
    expect(
      compareXrds(before, after)
        .map((f) => `${f.rule} ${f.crn}`)
        .sort(),
    ).toEqual(
      [
        "xrd-label-changed metadata.labels.idp",
        "xrd-field-required v1:spec.e",
        "xrd-field-removed v1:spec.a",
        "xrd-field-retyped v1:spec.b",
        "xrd-enum-narrowed v1:spec.c",
        "xrd-default-changed v1:spec.d",
      ].sort(),
    );
  });
});
