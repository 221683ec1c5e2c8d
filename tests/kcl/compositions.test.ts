// The compositions' KCL steps, run with the real KCL engine on example Clusters of every cloud.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useEngine } from "../helpers/engine.js";
import { ROOT } from "../../scripts/lib/paths.js";
import {
  chartPins,
  clusterXR,
  composition,
  compositions,
  kclSteps,
  loadYaml,
  objects,
  ofKind,
  releaseOf,
  releases,
  runComposition,
  usages,
  appUsages,
  providerConfigUsages,
  type Obj,
  type Rendered,
} from "./pipeline.js";

const engine = useEngine();

const CLOUDS = ["aws", "google", "azure"] as const;
type Cloud = (typeof CLOUDS)[number];
const ALL_APPS = ["crossplane", "openfunction", "dapr", "traefik", "nvidia", "vllm", "keda", "envoyGateway", "prometheus", "argocd", "externalSecrets"];

const render = (cloud: Cloud, parameters: Obj | undefined, observed?: Record<string, Obj>) =>
  runComposition(engine, composition(`cluster-${cloud}`), clusterXR(cloud, parameters), observed);

/** The params of the composition's apps step: which MR is the cluster, which writes the kubeconfig. */
const appsParams = (cloud: Cloud): Obj => kclSteps(composition(`cluster-${cloud}`)).find((s) => s.step === "apps")!.params;

function clusterMR(r: Rendered, cloud: Cloud): Obj {
  const { apiVersion, kind } = appsParams(cloud).clusterResource;
  const found = ofKind(r, apiVersion, kind);
  expect(found, `${cloud}: exactly one ${kind}`).toHaveLength(1);
  return found[0]!;
}

describe("composition structure", () => {
  it("has cluster-aws, cluster-google and cluster-azure, each a pipeline: provider KCL, apps KCL, function-auto-ready", () => {
    const comps = compositions();
    expect(comps.map((c) => c.metadata.name).sort()).toEqual(["cluster-aws", "cluster-azure", "cluster-google"]);
    const labels = { aws: "eks", google: "gke", azure: "aks" };
    for (const cloud of CLOUDS) {
      const c = composition(`cluster-${cloud}`);
      expect(c.metadata.labels).toEqual({ provider: cloud, cluster: labels[cloud] });
      expect(c.spec.compositeTypeRef).toEqual({ apiVersion: "devopstoolkit.ai/v2", kind: "Cluster" });
      expect(c.spec.mode).toBe("Pipeline");
      const steps = c.spec.pipeline as Obj[];
      expect(steps.map((s) => s.functionRef.name)).toEqual([
        "crossplane-contrib-function-kcl",
        "crossplane-contrib-function-kcl",
        "crossplane-contrib-function-auto-ready",
      ]);
      // The step sources are the kcl/ files, embedded verbatim.
      expect(steps[0]!.input.spec.source).toBe(readFileSync(join(ROOT, "kcl", `${cloud}.k`), "utf8"));
      expect(steps[1]!.input.spec.source).toBe(readFileSync(join(ROOT, "kcl", "apps.k"), "utf8"));
      expect(steps[1]!.input.spec.params.provider).toBe(cloud);
    }
  });

  it("embeds no placeholder tokens and no local imports in the step sources", () => {
    for (const c of compositions()) {
      for (const step of kclSteps(c)) {
        // dot-kubernetes replaced tokens such as CLUSTER_API_VERSION in the text; nothing here is templated.
        expect(step.source, `${c.metadata.name}/${step.step}`).not.toMatch(/\b(?:CLUSTER|PROVIDER|COMPOSITE|XR)_[A-Z_]+\b|\{\{|\$\{/);
        const imports = [...step.source.matchAll(/^import\s+(\S+)/gm)].map((m) => m[1]);
        for (const i of imports)
          expect(["regex", "base64", "json", "yaml", "math", "datetime", "units", "crypto"], `${c.metadata.name}/${step.step} imports ${i}`).toContain(i);
      }
    }
  });
});

describe.each(CLOUDS)("cluster-%s", (cloud) => {
  const pins = chartPins();

  for (const envoyGateway of [false, true]) {
    it(`installs gateway-helm, ai-gateway-crds-helm and ai-gateway-helm exactly when envoyGateway.enabled is ${envoyGateway}`, async () => {
      const r = await render(cloud, { nodeSize: "small", apps: { envoyGateway: { enabled: envoyGateway } } });
      for (const chart of ["gateway-helm", "ai-gateway-crds-helm", "ai-gateway-helm"]) {
        const release = releaseOf(r, chart);
        if (!envoyGateway) {
          expect(release, chart).toBeUndefined();
          continue;
        }
        expect(release, chart).toBeDefined();
        // Addressed as dot-kubernetes addressed them: chart URL, version without the tag's "v".
        expect(release!.spec.forProvider.chart).toEqual({
          name: chart,
          url: `oci://docker.io/envoyproxy/${chart}`,
          version: pins.get(chart)!.replace(/^v/, ""),
        });
        expect(release!.spec.forProvider.namespace).toBe(chart === "gateway-helm" ? "envoy-gateway-system" : "envoy-ai-gateway-system");
        expect(release!.metadata.name).toBe(`a-team-app-${chart}`);
        expect(release!.metadata.annotations["crossplane.io/external-name"]).toBe(chart);
        expect(release!.spec.managementPolicies).toEqual(["Create", "Update", "Observe"]);
        expect(release!.spec.rollbackLimit).toBe(3);
      }
      const inline = objects(r).map((o) => `${o.spec.forProvider.manifest.kind}/${o.spec.forProvider.manifest.metadata.name}`);
      const gated = [
        "GatewayClass/eg",
        "Gateway/eg",
        "CustomResourceDefinition/inferencepools.inference.networking.k8s.io",
        "CustomResourceDefinition/inferenceobjectives.inference.networking.x-k8s.io",
      ];
      for (const g of gated) expect(inline.includes(g), g).toBe(envoyGateway);
      // GKE's own HTTP load balancing gives way to Envoy Gateway.
      // (left as the cluster has it otherwise, as dot-kubernetes does).
      if (cloud === "google") expect(clusterMR(r, cloud).spec.forProvider.addonsConfig?.httpLoadBalancing.disabled).toBe(envoyGateway ? true : undefined);
    });
  }

  it("configures Envoy Gateway's extension manager for the AI Gateway controller the same render installs", async () => {
    const r = await render(cloud, { nodeSize: "small", apps: { envoyGateway: { enabled: true } } });
    const gateway = releaseOf(r, "gateway-helm")!;
    const controller = releaseOf(r, "ai-gateway-helm")!;
    const eg = gateway.spec.forProvider.values.config.envoyGateway;
    expect(eg.extensionApis.enableBackend).toBe(true);
    const em = eg.extensionManager;
    expect(em.hooks.xdsTranslator.translation).toEqual({
      listener: { includeAll: true },
      route: { includeAll: true },
      cluster: { includeAll: true },
      secret: { includeAll: true },
    });
    expect(em.hooks.xdsTranslator.post).toEqual(["Translation", "Cluster", "Route"]);
    // The extension server is the controller Service in the ai-gateway-helm Release's namespace.
    const service = controller.spec.forProvider.values.controller.fullnameOverride;
    expect(service).toBe("ai-gateway-controller");
    expect(em.service).toEqual({ fqdn: { hostname: `${service}.${controller.spec.forProvider.namespace}.svc.cluster.local`, port: 1063 } });
    expect(em.service.fqdn.hostname).toBe("ai-gateway-controller.envoy-ai-gateway-system.svc.cluster.local");
    // The AI Gateway controller looks for Envoy Gateway where the gateway-helm Release installs it.
    expect(controller.spec.forProvider.values.envoyGateway.namespace).toBe(gateway.spec.forProvider.namespace);
    // backendResources names the InferencePool API that the inline CRD serves.
    expect(em.backendResources).toEqual([{ group: "inference.networking.k8s.io", kind: "InferencePool", version: "v1" }]);
    const crd = objects(r)
      .map((o) => o.spec.forProvider.manifest)
      .find((m) => m.kind === "CustomResourceDefinition" && m.spec.names.kind === "InferencePool")!;
    expect(crd.spec.group).toBe(em.backendResources[0].group);
    expect(crd.spec.versions.filter((v: Obj) => v.served).map((v: Obj) => v.name)).toContain(em.backendResources[0].version);
    const objective = objects(r)
      .map((o) => o.spec.forProvider.manifest)
      .find((m) => m.kind === "CustomResourceDefinition" && m.spec.names.kind === "InferenceObjective")!;
    expect(objective.spec.group).toBe("inference.networking.x-k8s.io");
    expect(objective.spec.versions.map((v: Obj) => v.name)).toEqual(["v1alpha2"]);
    const gatewayObj = objects(r)
      .map((o) => o.spec.forProvider.manifest)
      .find((m) => m.kind === "Gateway")!;
    expect(gatewayObj.spec.gatewayClassName).toBe("eg");
    expect(gatewayObj.spec.listeners).toEqual([{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "All" } } }]);
  });

  it("protects every Release and Object with exactly one Usage of the cluster MR, with every app enabled", async () => {
    const apps: Obj = Object.fromEntries(ALL_APPS.map((a) => [a, { enabled: true }]));
    apps.argocd = { enabled: true, repoURL: "https://github.com/example/apps", host: "argocd.example.com" };
    apps.externalSecrets = {
      enabled: true,
      store: true,
      googleCredentialsKey: "google-creds",
      awsAccessKeyIDKey: "aws-id",
      awsSecretAccessKeyKey: "aws-secret",
      azureVaultUrl: "https://vault.example.com",
      secrets: [{ fromSecret: "db", toSecret: "db", toNamespace: "production" }],
    };
    const r = await render(cloud, { nodeSize: "small", apps, creds: { name: "creds", keys: ["google-creds", "aws-id", "aws-secret"] } });
    const cluster = clusterMR(r, cloud);
    const guarded = [...releases(r), ...objects(r)];
    expect(guarded.length).toBeGreaterThan(30);
    const all = [...r.resources.values()];
    for (const res of guarded) {
      const mine = appUsages(r).filter((u) => u.spec.by.resourceRef.name === res.metadata.name && u.spec.by.kind === res.kind);
      expect(mine, `Usage of ${res.kind} ${res.metadata.name}`).toHaveLength(1);
      expect(mine[0]!.spec.by.apiVersion).toBe(res.apiVersion);
      expect(mine[0]!.spec.of).toEqual({ apiVersion: cluster.apiVersion, kind: cluster.kind, resourceRef: { name: cluster.metadata.name } });
      expect(mine[0]!.metadata.name).toBe(`${res.metadata.name}-usage`);
    }
    expect(appUsages(r)).toHaveLength(guarded.length);
    // Every composed resource and every inline manifest has a real apiVersion and kind.
    for (const o of [...all, ...objects(r).map((x) => x.spec.forProvider.manifest)]) {
      expect(o.apiVersion, JSON.stringify(o.metadata)).toMatch(/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\/)?v\d+(?:(?:alpha|beta)\d+)?$/);
      expect(o.kind, JSON.stringify(o.metadata)).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    }
    // Every Usage points at resources of this render.
    for (const u of usages(r)) {
      for (const end of [u.spec.of, u.spec.by]) {
        expect(
          all.filter((o) => o.apiVersion === end.apiVersion && o.kind === end.kind && o.metadata.name === end.resourceRef.name),
          JSON.stringify(end),
        ).toHaveLength(1);
      }
    }
    // Every chart of the catalogue is installed with the pinned version.
    for (const rel of releases(r)) {
      const chart = rel.spec.forProvider.chart;
      if (chart.url?.startsWith("oci://")) expect(chart.version, chart.name).toBe(pins.get(chart.name)!.replace(/^v/, ""));
      else if (chart.url) expect(chart.url).toBe(pins.get("_openfunction"));
      else expect(chart.version, chart.name).toBe(pins.get(chart.name));
    }
    const charts = releases(r).map((x) => x.spec.forProvider.chart.name ?? x.spec.forProvider.chart.url);
    expect(new Set(charts).size).toBe(charts.length);
    // The weak points of dot-kubernetes stay fixed.
    const manifests = objects(r).map((o) => o.spec.forProvider.manifest);
    const externalSecrets = manifests.filter((m) => m.kind === "ExternalSecret" || m.kind === "ClusterSecretStore");
    expect(externalSecrets.map((m) => m.kind).sort()).toEqual(["ClusterSecretStore", "ExternalSecret"]);
    for (const m of externalSecrets) expect(m.apiVersion).toBe("external-secrets.io/v1");
    expect(JSON.stringify(releaseOf(r, "argo-cd"))).not.toMatch(/argocdServerAdminPassword|\$2[aby]\$/);
    expect(releaseOf(r, "cilium") !== undefined).toBe(cloud !== "aws");
    expect(manifests.some((m) => m.kind === "PodMonitor")).toBe(true);
  });

  it("creates the cluster, node pool and network dot-kubernetes created, with the kubeconfig secret <xr>-cluster", async () => {
    const r = await render(cloud, { nodeSize: "medium" });
    const count = (apiVersion: string, kind: string) => ofKind(r, apiVersion, kind).length;
    const cluster = clusterMR(r, cloud);
    expect(cluster.metadata.name).toBe("a-team");
    if (cloud === "aws") {
      const eks = "eks.aws.m.upbound.io/v1beta1";
      const ec2 = "ec2.aws.m.upbound.io/v1beta1";
      const iam = "iam.aws.m.upbound.io/v1beta1";
      expect([count(eks, "Cluster"), count(eks, "ClusterAuth"), count(eks, "NodeGroup"), count(eks, "Addon")]).toEqual([1, 1, 1, 1]);
      expect(ofKind(r, eks, "Addon")[0]!.spec.forProvider.addonName).toBe("aws-ebs-csi-driver");
      expect(ofKind(r, eks, "NodeGroup")[0]!.spec.forProvider.instanceTypes).toEqual(["t3.medium"]);
      expect(ofKind(r, ec2, "VPC").map((v) => v.spec.forProvider.cidrBlock)).toEqual(["10.0.0.0/16"]);
      expect(ofKind(r, ec2, "Subnet").map((s) => s.spec.forProvider.availabilityZone)).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
      for (const kind of ["InternetGateway", "RouteTable", "Route", "MainRouteTableAssociation", "SecurityGroup"]) expect(count(ec2, kind), kind).toBe(1);
      expect(count(ec2, "RouteTableAssociation")).toBe(3);
      expect(ofKind(r, ec2, "SecurityGroupRule").map((s) => s.spec.forProvider.type)).toEqual(["egress"]);
      expect(ofKind(r, iam, "Role").map((x) => x.metadata.annotations)).toHaveLength(2);
      expect(count(iam, "RolePolicyAttachment")).toBeGreaterThanOrEqual(5);
      // dot-kubernetes's composition resource names.
      for (const name of [
        "ekscluster",
        "eksnodegroup",
        "clusterAuth",
        "vpc-nodepool",
        "subnet-nodepool-1a",
        "subnet-nodepool-1b",
        "subnet-nodepool-1c",
        "addonEbs",
        "iamrole-controlplane",
        "iamrole-nodegroup",
      ]) {
        expect(r.resources.has(name), name).toBe(true);
      }
      expect(ofKind(r, eks, "ClusterAuth")[0]!.spec.writeConnectionSecretToRef).toEqual({ name: "a-team-cluster" });
    } else if (cloud === "google") {
      const gke = "container.gcp.m.upbound.io/v1beta1";
      expect([count(gke, "Cluster"), count(gke, "NodePool")]).toEqual([1, 1]);
      expect(ofKind(r, gke, "NodePool")[0]!.spec.forProvider.nodeConfig.machineType).toBe("e2-standard-4");
      expect(cluster.spec.writeConnectionSecretToRef).toEqual({ name: "a-team-cluster" });
      for (const name of ["a-team-cluster", "a-team-nodepool"]) expect(r.resources.has(name), name).toBe(true);
    } else {
      const aks = "containerservice.azure.m.upbound.io/v1beta1";
      expect(count("azure.m.upbound.io/v1beta1", "ResourceGroup")).toBe(1);
      expect(count(aks, "KubernetesCluster")).toBe(1);
      expect(count(aks, "KubernetesClusterNodePool")).toBe(0);
      expect(cluster.spec.forProvider.defaultNodePool.vmSize).toBe("Standard_D3_v2");
      expect(cluster.spec.forProvider.networkProfile.networkPlugin).toBe("none");
      expect(cluster.spec.writeConnectionSecretToRef).toEqual({ name: "a-team-cluster" });
      expect(r.resources.has("a-team-cluster")).toBe(true);
    }
    // In-cluster access: provider-helm and provider-kubernetes ProviderConfigs named after the XR,
    // reading the kubeconfig the cluster step writes.
    const kubeconfig = appsParams(cloud).kubeconfigResource;
    const secret = ofKind(r, kubeconfig.apiVersion, kubeconfig.kind)[0]!.spec.writeConnectionSecretToRef.name;
    for (const [apiVersion, crn] of [
      ["helm.m.crossplane.io/v1beta1", "a-team-config-helm"],
      ["kubernetes.m.crossplane.io/v1alpha1", "a-team-config-kubernetes"],
    ] as const) {
      const pc = r.resources.get(crn)!;
      expect(pc.apiVersion).toBe(apiVersion);
      expect(pc.kind).toBe("ProviderConfig");
      expect(pc.metadata.name).toBe("a-team");
      expect(pc.spec.credentials).toEqual({ source: "Secret", secretRef: { name: secret, namespace: "team-a", key: "kubeconfig" } });
      // GKE's kubeconfig carries no user: the providers authenticate as a Google service account.
      expect(pc.spec.identity?.type).toBe(cloud === "google" ? "GoogleApplicationCredentials" : undefined);
    }
    for (const rel of [...releases(r), ...objects(r)]) expect(rel.spec.providerConfigRef).toEqual({ kind: "ProviderConfig", name: "a-team" });
    // The namespaces default: dev and production.
    expect(
      objects(r)
        .map((o) => o.spec.forProvider.manifest)
        .filter((m) => m.kind === "Namespace")
        .map((m) => m.metadata.name),
    ).toEqual(["dev", "production"]);
  });

  it("resolves every reference and selector between managed resources to resources of the same render", async () => {
    const r = await render(cloud, { nodeSize: "small", gpu: { enabled: true } });
    const all = [...r.resources.values()];
    const names = new Set(all.map((o) => o.metadata.name));
    const refs: string[] = [];
    const selectors: Obj[] = [];
    const walk = (v: unknown, key: string) => {
      if (Array.isArray(v)) return v.forEach((x) => walk(x, key));
      if (!v || typeof v !== "object") return;
      const o = v as Obj;
      if (/Refs?$/.test(key) && typeof o.name === "string") refs.push(o.name);
      if (/Selector$/.test(key)) selectors.push(o);
      for (const [k, x] of Object.entries(o)) walk(x, k);
    };
    for (const res of all) walk(res.spec?.forProvider, "forProvider");
    // dot-kubernetes's resources find each other through selectors on the controller reference.
    expect(refs.length + selectors.length).toBeGreaterThan(0);
    for (const ref of refs) expect(names.has(ref), ref).toBe(true);
    for (const sel of selectors) {
      expect(sel.matchControllerRef, JSON.stringify(sel)).toBe(true);
      const labels = Object.entries((sel.matchLabels ?? {}) as Record<string, string>);
      expect(all.filter((o) => labels.every(([k, v]) => o.metadata.labels?.[k] === v)).length, JSON.stringify(sel)).toBeGreaterThan(0);
    }
  });

  it("keeps the cluster until the in-cluster ProviderConfigs are gone, with dot-kubernetes's Usages", async () => {
    const r = await render(cloud, { nodeSize: "small" });
    const expected =
      cloud === "aws" ? ["cluster-auth-helm", "cluster-auth-kubernetes", "cluster-helm", "cluster-kubernetes"] : ["cluster-helm", "cluster-kubernetes"];
    const found = providerConfigUsages(r);
    expect(found.map((u) => u.metadata.name).sort()).toEqual(expected.map((s) => `a-team-${s}-usage`));
    for (const u of found) {
      expect([...r.resources].find(([, o]) => o === u)![0]).toBe(u.metadata.name);
      // Marked ready (krm.kcl.dev/ready, which function-kcl turns into the resource's readiness), as dot-kubernetes does:
      // the XR never waits for them.
      expect(r.ready.get(u.metadata.name), u.metadata.name).toBe("True");
      const all = [...r.resources.values()];
      const of = all.filter((o) => o.apiVersion === u.spec.of.apiVersion && o.kind === u.spec.of.kind && o.metadata.name === u.spec.of.resourceRef.name);
      const by = all.filter((o) => o.apiVersion === u.spec.by.apiVersion && o.kind === u.spec.by.kind && o.metadata.name === u.spec.by.resourceRef.name);
      expect([of.length, by.length], u.metadata.name).toEqual([1, 1]);
    }
  });

  it("adds a tainted GPU node pool only with gpu.enabled, small when gpu.nodeSize is not given", async () => {
    const without = await render(cloud, { nodeSize: "small" });
    const withGpu = await render(cloud, { nodeSize: "small", gpu: { enabled: true } });
    const large = await render(cloud, { nodeSize: "small", gpu: { enabled: true, nodeSize: "large", minNodeCount: 2, maxNodeCount: 4 } });
    const pools = (r: Rendered) =>
      [...r.resources.values()].filter(
        (o) => ["NodeGroup", "NodePool", "KubernetesClusterNodePool"].includes(o.kind) && JSON.stringify(o).includes("nvidia.com/gpu"),
      );
    expect(pools(without)).toHaveLength(0);
    expect(pools(withGpu)).toHaveLength(1);
    expect(pools(large)).toHaveLength(1);
    const gpuType = (o: Obj): string => o.spec.forProvider.instanceTypes?.[0] ?? o.spec.forProvider.nodeConfig?.machineType ?? o.spec.forProvider.vmSize;
    const expected = { aws: ["g5.xlarge", "p4d.24xlarge"], google: ["n1-standard-4", "a2-highgpu-8g"], azure: ["Standard_NC4as_T4_v3", "Standard_ND96asr_v4"] }[
      cloud
    ];
    expect([gpuType(pools(withGpu)[0]!), gpuType(pools(large)[0]!)]).toEqual(expected);
    if (cloud === "google") {
      expect(pools(withGpu)[0]!.spec.forProvider.nodeConfig.guestAccelerator[0]).toMatchObject({ type: "nvidia-tesla-t4", count: 1 });
      expect(pools(large)[0]!.spec.forProvider.nodeConfig.guestAccelerator[0]).toMatchObject({ count: 8 });
    }
    const scaling = JSON.stringify(pools(large)[0]!.spec.forProvider);
    expect(scaling).toMatch(/"min(?:Size|NodeCount|Count)":2/);
    expect(scaling).toMatch(/"max(?:Size|NodeCount|Count)":4/);
  });

  it("writes the Cluster's status from the observed cluster and node pool", async () => {
    const first = await render(cloud, { nodeSize: "small" });
    // Named after the Cluster before anything is observed, as in dot-kubernetes.
    expect(first.status).toEqual({ clusterName: "a-team" });
    const cluster = clusterMR(first, cloud);
    const clusterCrn = [...first.resources].find(([, o]) => o === cluster)![0];
    const pool = [...first.resources].find(([, o]) => ["NodeGroup", "NodePool"].includes(o.kind))?.[0];
    const ready = (reason: string) => ({ conditions: [{ type: "Ready", status: reason === "Available" ? "True" : "False", reason }] });
    const observed: Record<string, Obj> = {
      [clusterCrn]: {
        ...cluster,
        metadata: { ...cluster.metadata, annotations: { "crossplane.io/external-name": "a-team" } },
        status: { ...ready("Available"), atProvider: { clusterIpv4Cidr: "10.52.0.0/14" } },
      },
    };
    if (pool) observed[pool] = { ...first.resources.get(pool), status: ready("Creating") };
    const r = await render(cloud, { nodeSize: "small" }, observed);
    expect(r.status.clusterName).toBe("a-team");
    expect(r.status.controlPlaneStatus).toBe("Available");
    expect(r.status.nodePoolStatus).toBe(pool ? "Creating" : "Available");
    if (cloud === "google") {
      // Cilium on GKE is composed from the start (as in dot-kubernetes) and routes natively over
      // the cluster's pod range once it is known.
      expect(r.status.clusterIpv4Cidr).toBe("10.52.0.0/14");
      expect(r.status.field1).toBe("10.52.0.0/14");
      expect(releaseOf(first, "cilium")!.spec.forProvider.set).toContainEqual({ name: "ipv4NativeRoutingCIDR" });
      expect(releaseOf(r, "cilium")!.spec.forProvider.set).toContainEqual({ name: "ipv4NativeRoutingCIDR", value: "10.52.0.0/14" });
      expect(releaseOf(r, "cilium")!.spec.forProvider.chart.version).toBe(pins.get("cilium"));
    }
  });
});

describe("the example Clusters in examples/", () => {
  const examples = ["aws.yaml", "google.yaml", "azure.yaml", "envoy-gateway-gpu.yaml"];

  it.each(examples)("%s renders with the composition its labels select", async (file) => {
    const xr = loadYaml(join("examples", file));
    const provider = xr.spec?.crossplane?.compositionSelector?.matchLabels?.provider ?? "aws";
    const r = await runComposition(engine, composition(`cluster-${provider}`), xr);
    expect(appUsages(r).length).toBe(releases(r).length + objects(r).length);
    if (file.startsWith("envoy-gateway")) {
      expect(releaseOf(r, "ai-gateway-helm")).toBeDefined();
      expect([...r.resources.values()].some((o) => JSON.stringify(o).includes("nvidia.com/gpu"))).toBe(true);
    }
  });
});
