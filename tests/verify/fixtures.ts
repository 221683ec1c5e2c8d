/**
 * Small in-memory renders of the shapes verify reads (scripts/lib/render/types.ts), for rule unit
 * tests. Values follow the package's real shapes; each test breaks one thing in a fresh copy.
 */
import { loadCompatibility } from "../../scripts/lib/compat.js";
import type { ComposedResource, KubeObject, LoadedPackage, RenderedCase } from "../../scripts/lib/render/types.js";
import { runRules } from "../../scripts/lib/verify/runner.js";
import { RULES } from "../../scripts/lib/verify/rules/index.js";
import type { Finding, Rule, VerifyContext } from "../../scripts/lib/verify/types.js";

export const HELM = "helm.m.crossplane.io/v1beta1";
export const K8S = "kubernetes.m.crossplane.io/v1alpha1";
export const USAGE = "protection.crossplane.io/v1beta1";
export const EKS = "eks.aws.m.upbound.io/v1beta1";

export function release(
  name: string,
  chart: string,
  version: string | undefined,
  namespace: string,
  values?: unknown,
  repository = "oci://docker.io/envoyproxy",
): KubeObject {
  return {
    apiVersion: HELM,
    kind: "Release",
    metadata: { name, annotations: { "crossplane.io/external-name": chart } },
    spec: {
      forProvider: {
        chart: { name: chart, repository, ...(version === undefined ? {} : { version }) },
        namespace,
        ...(values === undefined ? {} : { values }),
      },
      rollbackLimit: 3,
    },
  };
}

export function object(name: string, manifest: unknown): KubeObject {
  return { apiVersion: K8S, kind: "Object", metadata: { name }, spec: { forProvider: { manifest } } };
}

export function usage(
  name: string,
  of: { apiVersion: string; kind: string; name: string },
  by: { apiVersion: string; kind: string; name: string },
): KubeObject {
  return {
    apiVersion: USAGE,
    kind: "Usage",
    metadata: { name },
    spec: {
      of: { apiVersion: of.apiVersion, kind: of.kind, resourceRef: { name: of.name } },
      by: { apiVersion: by.apiVersion, kind: by.kind, resourceRef: { name: by.name } },
    },
  };
}

export const ref = (o: KubeObject) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata!.name! });

export function envoyGatewayValues(): Record<string, unknown> {
  return {
    config: {
      envoyGateway: {
        extensionApis: { enableBackend: true },
        extensionManager: {
          hooks: {
            xdsTranslator: {
              translation: { listener: { includeAll: true }, route: { includeAll: true }, cluster: { includeAll: true }, secret: { includeAll: true } },
              post: ["Translation", "Cluster", "Route"],
            },
          },
          service: { fqdn: { hostname: "ai-gateway-controller.envoy-ai-gateway-system.svc.cluster.local", port: 1063 } },
          backendResources: [{ group: "inference.networking.k8s.io", kind: "InferencePool", version: "v1" }],
        },
      },
    },
  };
}

export function inferencePoolCrd(group = "inference.networking.k8s.io", versions = [{ name: "v1", served: true, storage: true }]): unknown {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `inferencepools.${group}`,
      annotations: { "api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api-inference-extension/pull/1173" },
    },
    spec: { group, names: { kind: "InferencePool", plural: "inferencepools", shortNames: ["infpool"] }, scope: "Namespaced", versions },
  };
}

/** The composed resources of an EKS cluster with the Envoy Gateway bundle on, each app guarded by a Usage. */
export function envoyGatewayResources(xr = "a"): ComposedResource[] {
  const cluster: KubeObject = { apiVersion: EKS, kind: "Cluster", metadata: { name: xr }, spec: { forProvider: { region: "us-east-1" } } };
  const apps = [
    release(`${xr}-app-gateway-helm`, "gateway-helm", "v1.7.0", "envoy-gateway-system", envoyGatewayValues()),
    release(`${xr}-app-ai-gateway-crds-helm`, "ai-gateway-crds-helm", "v0.5.0", "envoy-ai-gateway-system"),
    release(`${xr}-app-ai-gateway-helm`, "ai-gateway-helm", "v0.5.0", "envoy-ai-gateway-system"),
    object(`${xr}-app-inference-pool-crd`, inferencePoolCrd()),
  ];
  const usages = apps.map((a) => usage(`${a.metadata!.name}-usage`, ref(cluster), ref(a)));
  return [
    { name: "ekscluster", object: cluster },
    ...apps.map((o) => ({ name: o.metadata!.name!, object: o })),
    ...usages.map((o) => ({ name: o.metadata!.name!, object: o })),
  ].map((r) => ({ ...r, ready: "True" as const }));
}

/** envoyGateway null: the XR has no apps map at all (another package's XR). */
export function renderedCase(name: string, resources: ComposedResource[], envoyGateway: boolean | null = true): RenderedCase {
  const spec = { parameters: { nodeSize: "small", ...(envoyGateway === null ? {} : { apps: { envoyGateway: { enabled: envoyGateway } } }) } };
  const xr: KubeObject = { apiVersion: "devopstoolkit.ai/v2", kind: "Cluster", metadata: { name: "a", namespace: "default" }, spec };
  return {
    case: name,
    file: `/cases/${name}.yaml`,
    result: { xr, observedXr: xr, resources, composition: "cluster-aws", stream: [xr, ...resources.map((r) => r.object)], results: [] },
  };
}

export function configuration(dependsOn: unknown[] = DEPENDS_ON): KubeObject {
  return {
    apiVersion: "meta.pkg.crossplane.io/v1",
    kind: "Configuration",
    metadata: { name: "dot-cluster" },
    spec: { crossplane: { version: ">=v2.0.0" }, dependsOn },
  };
}

export const DEPENDS_ON = [
  { provider: "xpkg.crossplane.io/crossplane-contrib/provider-helm", version: ">=v1.0.0" },
  { provider: "xpkg.crossplane.io/crossplane-contrib/provider-kubernetes", version: ">=v1.0.0" },
  { provider: "xpkg.upbound.io/upbound/provider-aws-eks", version: ">=v2.0.0" },
  { function: "xpkg.crossplane.io/crossplane-contrib/function-kcl", version: ">=v0.12.0" },
  { function: "xpkg.crossplane.io/crossplane-contrib/function-auto-ready", version: ">=v0.5.0" },
];

export function composition(name: string, source = "items = []\n"): KubeObject {
  return {
    apiVersion: "apiextensions.crossplane.io/v1",
    kind: "Composition",
    metadata: { name },
    spec: {
      compositeTypeRef: { apiVersion: "devopstoolkit.ai/v2", kind: "Cluster" },
      mode: "Pipeline",
      pipeline: [
        {
          step: "apps",
          functionRef: { name: "crossplane-contrib-function-kcl" },
          input: { apiVersion: "krm.kcl.dev/v1alpha1", kind: "KCLRun", spec: { source } },
        },
        { step: "automatically-detect-ready-composed-resources", functionRef: { name: "crossplane-contrib-function-auto-ready" } },
      ],
    },
  };
}

export const XRD: KubeObject = {
  apiVersion: "apiextensions.crossplane.io/v2",
  kind: "CompositeResourceDefinition",
  metadata: { name: "clusters.devopstoolkit.ai" },
  spec: {
    group: "devopstoolkit.ai",
    names: { kind: "Cluster", plural: "clusters" },
    scope: "Namespaced",
    versions: [{ name: "v2", served: true, referenceable: true }],
  },
};

export function loadedPackage(opts: { configuration?: KubeObject | null; compositions?: KubeObject[] } = {}): LoadedPackage {
  const conf = opts.configuration === null ? undefined : (opts.configuration ?? configuration());
  const comps = opts.compositions ?? [composition("cluster-aws")];
  const documents = [
    ...(conf ? [{ file: "crossplane.yaml", object: conf }] : []),
    { file: "definition.yaml", object: XRD },
    ...comps.map((object) => ({ file: "compositions.yaml", object })),
  ];
  return { dir: "/pkg", configuration: conf, xrds: [XRD], compositions: comps, documents };
}

/** A context over in-memory objects; package files are given as text. */
export function context(cases: RenderedCase[], pkg: LoadedPackage = loadedPackage(), files: Record<string, string> = {}): VerifyContext {
  return {
    pkg,
    cases,
    casesDir: "/cases",
    compatibility: loadCompatibility(),
    readPackageFile: (f) => files[f],
    locateSource: () => undefined,
    caseInput: (c) => c.result?.xr,
  };
}

export function run(ctx: VerifyContext, rules: readonly Rule[] = RULES): Finding[] {
  return runRules(ctx, rules);
}

/** Deep copy, so each test breaks its own objects. */
export const clone = <T>(v: T): T => structuredClone(v);

/** The object of the composed resource named `name`. */
export function get(resources: ComposedResource[], name: string): KubeObject {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`test setup: no composed resource ${name}`);
  return r.object;
}
