// Clusters that are incomplete or wrong: the steps produce the right resources or stop with a
// message that names the field, never a failure deep inside KCL.
import { describe, expect, it } from "vitest";
import { KclError } from "../../scripts/lib/kcl/index.js";
import { kclSourceName } from "../../scripts/lib/render/pipeline.js";
import { useEngine } from "../helpers/engine.js";
import { clusterXR, composition, kclSteps, objects, readPackageFile, releaseOf, releases, runComposition, appUsages, type Obj } from "./pipeline.js";

const engine = useEngine();

const CLOUDS = ["aws", "google", "azure"] as const;

async function failure(promise: Promise<unknown>): Promise<KclError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected the step to fail").toBeInstanceOf(KclError);
  return err as KclError;
}

describe.each(CLOUDS)("cluster-%s", (cloud) => {
  const comp = () => composition(`cluster-${cloud}`);

  it("renders a Cluster without spec.parameters.apps: ProviderConfigs and namespaces, no app", async () => {
    // With the XRD's defaults (as the API server and `npm run render` apply them) and without
    // (as `crossplane render` hands the XR over unless given --xrd).
    const runs = [{ nodeSize: "small" }, { nodeSize: "small", apps: null }, undefined].flatMap((parameters) =>
      [true, false].map((xrdDefaults) => ({ parameters, xrdDefaults })),
    );
    for (const { parameters, xrdDefaults } of runs) {
      const r = await runComposition(engine, comp(), clusterXR(cloud, parameters as Obj | undefined), {}, { xrdDefaults });
      const charts = releases(r).map((x) => x.spec.forProvider.chart.name);
      // Cilium is the network plugin of AKS and GKE from the start, as in dot-kubernetes.
      expect(charts).toEqual(cloud === "aws" ? [] : ["cilium"]);
      expect(objects(r).map((o) => o.spec.forProvider.manifest.kind)).toEqual(["Namespace", "Namespace"]);
      expect(appUsages(r)).toHaveLength(releases(r).length + objects(r).length);
      expect(r.resources.has("a-team-config-helm") && r.resources.has("a-team-config-kubernetes")).toBe(true);
    }
  });

  it("treats null fields as unset", async () => {
    const r = await runComposition(
      engine,
      comp(),
      clusterXR(cloud, { nodeSize: "small", gpu: null, namespaces: null, apps: { argocd: null, traefik: { enabled: true } } }),
    );
    expect(releases(r).map((x) => x.spec.forProvider.chart.name)).toContain("traefik");
    expect(releaseOf(r, "argo-cd")).toBeUndefined();
  });

  it("rejects an unknown app key, naming it and the known apps", async () => {
    const err = await failure(runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", apps: { envoygateway: { enabled: true } } })));
    expect(err.file).toBe(kclSourceName(`cluster-${cloud}`, "apps"));
    expect(err.kclMessage).toContain("spec.parameters.apps.envoygateway: unknown app");
    expect(err.kclMessage).toContain("envoyGateway");
  });

  it("rejects an app that is not an object", async () => {
    const err = await failure(runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", apps: { argocd: true } })));
    expect(err.kclMessage).toContain("spec.parameters.apps.argocd: expected an object with the field enabled");
  });

  it("uses the default GPU node size when gpu.enabled comes without gpu.nodeSize, and rejects a gpu that is not an object", async () => {
    const small = await runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", gpu: { enabled: true, nodeSize: "small" } }));
    const defaulted = await runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", gpu: { enabled: true } }));
    expect([...defaulted.resources.entries()]).toEqual([...small.resources.entries()]);
    const err = await failure(runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", gpu: true })));
    expect(err.file).toBe(kclSourceName(`cluster-${cloud}`, "cluster"));
    expect(err.kclMessage).toContain("spec.parameters.gpu must be an object");
  });

  it("rejects an unknown node size, listing the sizes", async () => {
    let err = await failure(runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "huge" })));
    expect(err.kclMessage).toContain("spec.parameters.nodeSize: 'huge' is not one of small, medium, large");
    err = await failure(runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", gpu: { enabled: true, nodeSize: "xl" } })));
    expect(err.kclMessage).toContain("spec.parameters.gpu.nodeSize: 'xl' is not one of small, medium, large");
  });

  it("says which fields a secret store and an ExternalSecret need", async () => {
    let err = await failure(runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", apps: { externalSecrets: { enabled: true, store: true } } })));
    expect(err.kclMessage).toMatch(new RegExp(`spec.parameters.apps.externalSecrets.store on ${cloud}: set `));
    err = await failure(
      runComposition(
        engine,
        comp(),
        clusterXR(cloud, { nodeSize: "small", apps: { externalSecrets: { enabled: true, secrets: [{ fromSecret: "a", toSecret: "a" }] } } }),
      ),
    );
    expect(err.kclMessage).toContain("spec.parameters.apps.externalSecrets.secrets[0]: fromSecret, toSecret and toNamespace are required");
  });

  it("rejects namespaces that are not a list of names", async () => {
    const err = await failure(runComposition(engine, comp(), clusterXR(cloud, { nodeSize: "small", namespaces: "dev" })));
    expect(err.kclMessage).toContain("spec.parameters.namespaces must be a list of namespace names");
  });

  it("explains a pipeline the apps step cannot work in (no cluster step before it)", async () => {
    const apps = kclSteps(comp()).find((s) => s.step === "apps")!;
    const run = (params: Obj) => engine.run({ sources: [{ filename: "apps.k", code: apps.source }], options: { params } });
    const xr = clusterXR(cloud, { nodeSize: "small" });
    let err = await failure(run({ ...apps.params, oxr: xr, dcds: {} }));
    expect(err.kclMessage).toMatch(/step apps \(\w+\): expected exactly one desired .* from the cluster step, found 0/);
    err = await failure(run({ ...apps.params, oxr: {}, dcds: {} }));
    expect(err.kclMessage).toContain("params.oxr has no metadata.name");
    err = await failure(run({ oxr: xr }));
    expect(err.kclMessage).toContain("params.provider must be aws, google or azure");
  });
});

describe("a Cluster without a composition selector", () => {
  it("gets cluster-aws, the XRD's default composition, and renders there", async () => {
    const xrd = readPackageFile("definition.yaml")[0]!;
    expect(xrd.spec.defaultCompositionRef).toEqual({ name: "cluster-aws" });
    const xr = clusterXR("aws", { nodeSize: "small", apps: { envoyGateway: { enabled: true } } });
    delete xr.spec.crossplane;
    const r = await runComposition(engine, composition(xrd.spec.defaultCompositionRef.name), xr);
    expect(r.resources.has("ekscluster")).toBe(true);
    expect(releaseOf(r, "gateway-helm")).toBeDefined();
  });
});
