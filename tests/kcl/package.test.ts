// The package around the compositions: generated files up to date, the XRD's public API, dependsOn,
// and the app catalogue (package/README.md) against what the compositions really install.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { diffAgainstDisk, generatePackage } from "../../scripts/lib/build.js";
import { readCatalogue, type CatalogueEntry } from "../../scripts/lib/catalogue.js";
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
  readPackageFile,
  releases,
  runComposition,
  type Obj,
  type Rendered,
} from "./pipeline.js";

const engine = useEngine();

const CLOUDS = ["aws", "google", "azure"] as const;
// The apps of dot-kubernetes's Cluster API.
const APPS = ["crossplane", "openfunction", "dapr", "traefik", "nvidia", "vllm", "keda", "envoyGateway", "prometheus", "argocd", "externalSecrets"];

const xrd = () => readPackageFile("definition.yaml")[0]!;
const parametersSchema = (): Obj => xrd().spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.parameters;

/** Every app enabled, with what its optional parts need. */
const everything = (): Obj => ({
  nodeSize: "small",
  gpu: { enabled: true },
  creds: { name: "creds", keys: ["key", "id", "secret"] },
  apps: {
    ...Object.fromEntries(APPS.map((a) => [a, { enabled: true }])),
    argocd: { enabled: true, repoURL: "https://github.com/example/apps" },
    externalSecrets: {
      enabled: true,
      store: true,
      googleCredentialsKey: "key",
      awsAccessKeyIDKey: "id",
      awsSecretAccessKeyKey: "secret",
      azureVaultUrl: "https://v.example.com",
      secrets: [{ fromSecret: "a", toSecret: "a", toNamespace: "dev" }],
    },
  },
});

describe("npm run build", () => {
  it("package/ matches what kcl/ generates (npm run build -- --check is clean)", async () => {
    const drift = diffAgainstDisk(await generatePackage(engine));
    expect(drift.map((d) => d.patch).join("\n")).toBe("");
  });
});

describe("the XRD", () => {
  it("keeps dot-kubernetes's Cluster API", () => {
    const d = xrd();
    expect(d.apiVersion).toBe("apiextensions.crossplane.io/v2");
    expect(d.metadata.name).toBe("clusters.devopstoolkit.ai");
    expect(d.spec).toMatchObject({
      group: "devopstoolkit.ai",
      names: { kind: "Cluster", plural: "clusters" },
      scope: "Namespaced",
      defaultCompositionRef: { name: "cluster-aws" },
    });
    expect(d.spec.versions.map((v: Obj) => [v.name, v.served, v.referenceable])).toEqual([["v2", true, true]]);
    const v = d.spec.versions[0];
    expect(v.schema.openAPIV3Schema.properties.spec.required).toEqual(["parameters"]);
    const p = parametersSchema();
    expect(p.required).toEqual(["nodeSize"]);
    expect(p.properties.version.type).toBe("string");
    expect(p.properties.nodeSize).toMatchObject({ enum: ["small", "medium", "large"], default: "small" });
    expect(p.properties.minNodeCount).toMatchObject({ type: "integer", default: 1 });
    expect(p.properties.namespaces.default).toEqual(["dev", "production"]);
    const gpu = p.properties.gpu.properties;
    expect([gpu.enabled.default, gpu.nodeSize.default, gpu.minNodeCount.default, gpu.maxNodeCount.default]).toEqual([false, "small", 1, 10]);
    expect(Object.keys(p.properties.apps.properties).sort()).toEqual([...APPS].sort());
    for (const app of APPS) expect(p.properties.apps.properties[app].properties.enabled, app).toMatchObject({ type: "boolean", default: false });
    expect(Object.keys(p.properties.apps.properties.argocd.properties)).toEqual(
      expect.arrayContaining(["host", "repoURL", "destinationNamespace", "sourcePath"]),
    );
    const eso = p.properties.apps.properties.externalSecrets.properties;
    expect(Object.keys(eso)).toEqual(
      expect.arrayContaining(["store", "googleCredentialsKey", "awsAccessKeyIDKey", "awsSecretAccessKeyKey", "azureVaultUrl", "secrets"]),
    );
    expect(Object.keys(eso.secrets.items.properties).sort()).toEqual(["fromSecret", "toNamespace", "toSecret", "type"]);
    expect(eso.secrets.items.properties.type.default).toBe("Opaque");
    expect(p.properties.creds.properties.namespace.default).toBe("crossplane-system");
    expect(Object.keys(p.properties.creds.properties).sort()).toEqual(["keys", "name", "namespace"]);
    const status = v.schema.openAPIV3Schema.properties.status.properties;
    expect(Object.keys(status)).toEqual(expect.arrayContaining(["clusterName", "controlPlaneStatus", "nodePoolStatus", "clusterIpv4Cidr"]));
    expect(v.additionalPrinterColumns.map((c: Obj) => [c.name, c.jsonPath])).toEqual([
      ["clusterName", ".status.clusterName"],
      ["controlPlane", ".status.controlPlaneStatus"],
      ["nodePool", ".status.nodePoolStatus"],
    ]);
  });

  it("accepts every example in examples/", () => {
    const files = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const xr = loadYaml(join("examples", f));
      expect([xr.apiVersion, xr.kind], f).toEqual(["devopstoolkit.ai/v2", "Cluster"]);
      expect(schemaErrors(parametersSchema(), xr.spec.parameters, "spec.parameters"), f).toEqual([]);
    }
  });
});

/** The few OpenAPI rules the XRD uses: types, enums, required, known properties. */
function schemaErrors(schema: Obj, value: unknown, path: string): string[] {
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
  if (schema.type !== type) return [`${path}: expected ${schema.type}, got ${type}`];
  if (schema.enum && !schema.enum.includes(value)) return [`${path}: ${String(value)} is not one of ${schema.enum.join(", ")}`];
  if (type === "array") return (value as unknown[]).flatMap((v, i) => schemaErrors(schema.items, v, `${path}[${i}]`));
  if (type !== "object") return [];
  const o = value as Obj;
  return [
    ...(schema.required ?? []).filter((k: string) => !(k in o)).map((k: string) => `${path}.${k}: required`),
    ...Object.entries(o).flatMap(([k, v]) =>
      schema.properties?.[k] ? schemaErrors(schema.properties[k], v, `${path}.${k}`) : [`${path}.${k}: unknown field`],
    ),
  ];
}

describe("crossplane.yaml", () => {
  const config = () => readPackageFile("crossplane.yaml")[0]!;
  const packages = (kind: string) => (config().spec.dependsOn as Obj[]).filter((d) => d.kind === kind).map((d) => d.package as string);

  it("is a Configuration for Crossplane v2 with a version constraint on every dependency", () => {
    const c = config();
    expect([c.apiVersion, c.kind]).toEqual(["meta.pkg.crossplane.io/v1", "Configuration"]);
    expect(c.spec.crossplane.version).toMatch(/^>=v2\./);
    for (const d of c.spec.dependsOn as Obj[]) {
      expect(d.apiVersion).toBe("pkg.crossplane.io/v1");
      expect(d.version, d.package).toMatch(/^>=v\d+\.\d+\.\d+$/);
    }
  });

  it("depends on every function the compositions call, under the name Crossplane gives it", () => {
    // Crossplane names a dependency after its repository: a/b/c -> b-c.
    const names = packages("Function").map((p) => p.split("/").slice(1).join("-"));
    const used = new Set(compositions().flatMap((c) => (c.spec.pipeline as Obj[]).map((s) => s.functionRef.name as string)));
    expect([...used].sort()).toEqual(["crossplane-contrib-function-auto-ready", "crossplane-contrib-function-kcl"]);
    for (const fn of used) expect(names, fn).toContain(fn);
  });

  it("depends on a provider for every API group the compositions create", async () => {
    const providers = packages("Provider").map((p) => p.split("/").pop()!);
    expect(providers).toEqual(expect.arrayContaining(["provider-helm", "provider-kubernetes"]));
    // <service>.<cloud>.m.upbound.io comes from provider-<cloud>-<service>; azure.m.upbound.io
    // from the Azure family provider; <name>.m.crossplane.io from provider-<name>.
    const providerOf = (group: string): string | undefined => {
      if (group === "protection.crossplane.io") return "crossplane";
      if (group === "azure.m.upbound.io") return "provider-family-azure";
      const upbound = /^(\w+)\.(aws|gcp|azure)\.m\.upbound\.io$/.exec(group);
      if (upbound) return `provider-${upbound[2]}-${upbound[1]}`;
      const contrib = /^(\w+)\.m\.crossplane\.io$/.exec(group);
      return contrib ? `provider-${contrib[1]}` : undefined;
    };
    for (const cloud of CLOUDS) {
      const r = await runComposition(engine, composition(`cluster-${cloud}`), clusterXR(cloud, everything()));
      for (const o of r.resources.values()) {
        const p = providerOf(o.apiVersion.split("/")[0]);
        expect(p === "crossplane" || providers.includes(p!), `${o.apiVersion} ${o.kind}`).toBe(true);
      }
    }
  });
});

describe("the app catalogue (package/README.md)", () => {
  let catalogue: CatalogueEntry[];
  const rendered = new Map<string, Rendered>();
  beforeAll(async () => {
    catalogue = await readCatalogue(engine, ROOT);
    for (const cloud of CLOUDS) {
      const observed = cloud === "google" ? { "a-team-cluster": { status: { atProvider: { clusterIpv4Cidr: "10.0.0.0/14" } } } } : undefined;
      rendered.set(cloud, await runComposition(engine, composition(`cluster-${cloud}`), clusterXR(cloud, everything()), observed));
    }
  });

  it("lists every Release the compositions install with its chart source, pinned version and namespace", () => {
    const pins = chartPins();
    for (const [cloud, r] of rendered) {
      for (const rel of releases(r)) {
        const fp = rel.spec.forProvider;
        const entry = catalogue.find((e) => e.resource === fp.chart.name);
        expect(entry, `${cloud}: ${fp.chart.name}`).toBeDefined();
        // OCI charts are rendered as <repository>/<chart> with the tag's leading "v" dropped.
        const oci = fp.chart.url?.startsWith("oci://") === true;
        expect(entry!.source).toBe(fp.chart.repository ?? (oci ? fp.chart.url.slice(0, fp.chart.url.lastIndexOf("/")) : fp.chart.url));
        expect(oci ? entry!.version.replace(/^v/, "") : entry!.version).toBe(fp.chart.version ?? "");
        expect(entry!.namespace).toBe(fp.namespace);
        if (fp.chart.version) expect(entry!.version).toBe(pins.get(fp.chart.name));
      }
    }
    // And nothing it lists as a chart is missing from the renders.
    const installed = new Set([...rendered.values()].flatMap((r) => releases(r).map((x) => x.spec.forProvider.chart.name)));
    for (const e of catalogue.filter((x) => x.source !== "")) expect(installed.has(e.resource), e.resource).toBe(true);
  });

  it("gates each entry on an app of the XRD, and covers every app", () => {
    const xrdApps = Object.keys(parametersSchema().properties.apps.properties);
    const gated = new Set(catalogue.filter((e) => e.gate.startsWith("apps.")).map((e) => /^apps\.(\w+)\./.exec(e.gate)![1]!));
    expect([...gated].sort()).toEqual([...xrdApps].sort());
    for (const e of catalogue) if (e.gate.startsWith("apps.")) expect(xrdApps, e.gate).toContain(e.app);
    // Inline objects have a catalogue entry too: the AI Gateway's CRDs and Gateway among them.
    const inline = catalogue
      .filter((e) => e.source === "")
      .map((e) => e.resource)
      .join("\n");
    for (const kind of ["InferencePool", "InferenceObjective", "GatewayClass", "Gateway", "PodMonitor", "ClusterSecretStore", "ExternalSecret", "Application"])
      expect(inline).toContain(kind);
    const manifests = [...rendered.values()].flatMap((r) => objects(r).map((o) => o.spec.forProvider.manifest.kind as string));
    for (const kind of new Set(manifests)) expect(inline, kind).toContain(kind === "CustomResourceDefinition" ? "CRD" : kind);
  });

  it("is only output with option catalogue; the step outputs only items", async () => {
    const apps = kclSteps(composition("cluster-aws")).find((s) => s.step === "apps")!;
    const r = await runComposition(engine, composition("cluster-aws"), clusterXR("aws", { nodeSize: "small" }));
    const dcds = Object.fromEntries([...r.resources].filter(([k]) => !k.startsWith("a-team-")).map(([k, v]) => [k, { Resource: v }]));
    const docs = await engine.run({
      sources: [{ filename: "apps.k", code: apps.source }],
      options: { params: { ...apps.params, oxr: clusterXR("aws", { nodeSize: "small" }), dcds } },
    });
    expect(Object.keys(docs[0] as Obj)).toEqual(["items"]);
  });
});
