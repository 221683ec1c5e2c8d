// The pure parts of the control plane's e2e: which kinds it installs, which manifests it judges,
// how conformance projects a live spec.
import { describe, expect, it } from "vitest";
import { composedKinds } from "../../scripts/lib/cluster/install.js";
import { isManagedKind } from "../../scripts/lib/cluster/simulator.js";
import { goldenManifests } from "../../scripts/lib/e2e/admission.js";
import { chartCrdSources } from "../../scripts/lib/e2e/chart-crds.js";
import { project } from "../../scripts/lib/e2e/conformance.js";
import { ROOT } from "../../scripts/lib/paths.js";

describe("control plane e2e inputs", () => {
  it("installs every composed kind of the golden files, once", () => {
    const kinds = composedKinds(ROOT).map((k) => `${k.apiVersion} ${k.kind}`);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).toContain("eks.aws.m.upbound.io/v1beta1 Cluster");
    expect(kinds).toContain("kubernetes.m.crossplane.io/v1alpha1 Object");
    expect(kinds).toContain("protection.crossplane.io/v1beta1 Usage");
    expect(kinds).not.toContain("devopstoolkit.ai/v2 Cluster"); // the XR is not composed
  });

  it("treats ProviderConfigs as no managed resources (the simulator gives them no Ready)", () => {
    expect(isManagedKind("ProviderConfig")).toBe(false);
    expect(isManagedKind("ProviderConfigUsage")).toBe(false);
    expect(isManagedKind("Release")).toBe(true);
  });

  it("judges each distinct Object manifest once, with the cases that compose it", () => {
    const manifests = goldenManifests(ROOT);
    const keys = manifests.map((m) => `${m.manifest.kind}/${m.manifest.metadata?.name}/${m.manifest.metadata?.namespace ?? ""}`);
    expect(keys).toContain("CustomResourceDefinition/inferencepools.inference.networking.k8s.io/");
    expect(keys.some((k) => k.startsWith("Namespace/"))).toBe(true);
    const pool = manifests.find((m) => m.manifest.metadata?.name === "inferencepools.inference.networking.k8s.io")!;
    expect(pool.cases).toContain("all-apps");
  });

  it("takes the Gateway API CRDs from the gateway-helm chart of the pinned Envoy Gateway", () => {
    const gw = chartCrdSources({ envoyGateway: "v1.7.0" }).find((s) => s.groups.includes("gateway.networking.k8s.io"))!;
    expect(gw).toMatchObject({ module: "github.com/envoyproxy/gateway", version: "v1.7.0", paths: ["charts/gateway-helm/crds"] });
  });

  it("compares a live spec on the fields the render sets (the rest are defaults)", () => {
    const want = { a: 1, b: { c: [{ d: 2 }] } };
    const live = { a: 1, x: "default", b: { c: [{ d: 3, e: true }], y: 0 } };
    expect(project(live, want)).toEqual({ a: 1, b: { c: [{ d: 3 }] } });
    expect(project([1, 2], [1])).toEqual([1, 2]);
  });
});
