/**
 * Test helpers for the package's KCL: reads the generated package, runs a composition's KCL steps
 * with the real KCL engine the way function-kcl feeds them (option("params") =
 * spec.params + oxr, dxr, ocds, dcds, ctx; `items` out; XR status merged; composition resource
 * name from krm.kcl.dev/composition-resource-name; duplicate names fatal), without the XRD
 * defaulting, selection and Crossplane metadata of `npm run render`, so that a test can feed a
 * step any value (also ones the XRD would reject) and see the step's own answer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import type { KclEngine } from "../../scripts/lib/kcl/index.js";
import { APPS_FILE, extractPins } from "../../scripts/lib/bump/kclfile.js";
import { ROOT } from "../../scripts/lib/paths.js";

export type Obj = Record<string, any>;

export const CRN = "krm.kcl.dev/composition-resource-name";

export function readPackageFile(name: string): Obj[] {
  return parseAllDocuments(readFileSync(join(ROOT, "package", name), "utf8")).map((d) => d.toJS() as Obj);
}

export function compositions(): Obj[] {
  return readPackageFile("compositions.yaml").filter((d) => d.kind === "Composition");
}

export function composition(name: string): Obj {
  const c = compositions().find((d) => d.metadata.name === name);
  if (!c) throw new Error(`package/compositions.yaml has no composition ${name}`);
  return c;
}

export interface KclStep {
  step: string;
  source: string;
  params: Obj;
}

export function kclSteps(comp: Obj): KclStep[] {
  return (comp.spec.pipeline as Obj[])
    .filter((s) => s.input?.apiVersion === "krm.kcl.dev/v1alpha1" && s.input?.kind === "KCLRun")
    .map((s) => ({ step: s.step as string, source: s.input.spec.source as string, params: (s.input.spec.params ?? {}) as Obj }));
}

export interface Rendered {
  /** The status the steps wrote to the XR. */
  status: Obj;
  /** Composed resources by composition resource name (annotation removed, as function-kcl does). */
  resources: Map<string, Obj>;
  /** Composition resource names per step. */
  byStep: Map<string, string[]>;
}

/** Runs every KCL step of the composition on the XR; observed maps composition resource name -> observed object. */
export async function runComposition(engine: KclEngine, comp: Obj, xr: Obj, observed: Record<string, Obj> = {}): Promise<Rendered> {
  const dcds: Record<string, { Resource: Obj }> = {};
  const ocds = Object.fromEntries(Object.entries(observed).map(([k, v]) => [k, { Resource: v }]));
  let status: Obj = {};
  const byStep = new Map<string, string[]>();
  for (const step of kclSteps(comp)) {
    const params = { ...step.params, oxr: xr, dxr: { apiVersion: xr.apiVersion, kind: xr.kind, status }, ocds, dcds, ctx: {} };
    const docs = await engine.run({ sources: [{ filename: `${comp.metadata.name}/${step.step}.k`, code: step.source }], options: { params } });
    const items = (docs[0] as Obj | undefined)?.items;
    if (!Array.isArray(items)) throw new Error(`${comp.metadata.name} step ${step.step}: no items`);
    const names: string[] = [];
    for (const item of items as Obj[]) {
      if (item.apiVersion === xr.apiVersion && item.kind === xr.kind) {
        status = { ...status, ...item.status };
        continue;
      }
      const annotations = { ...(item.metadata?.annotations ?? {}) };
      const name: string = annotations[CRN] ?? item.metadata?.name;
      delete annotations[CRN];
      if (dcds[name]) throw new Error(`${comp.metadata.name} step ${step.step}: duplicate composition resource name ${name}`);
      dcds[name] = { Resource: { ...item, metadata: { ...item.metadata, annotations } } };
      names.push(name);
    }
    byStep.set(step.step, names);
  }
  return { status, resources: new Map(Object.entries(dcds).map(([k, v]) => [k, v.Resource])), byStep };
}

/** A Cluster XR for a cloud with the given spec.parameters. */
export function clusterXR(provider: "aws" | "google" | "azure", parameters: Obj | undefined, name = "a-team"): Obj {
  const cluster = { aws: "eks", google: "gke", azure: "aks" }[provider];
  return {
    apiVersion: "devopstoolkit.ai/v2",
    kind: "Cluster",
    metadata: { name, namespace: "team-a" },
    spec: {
      crossplane: { compositionSelector: { matchLabels: { provider, cluster } } },
      ...(parameters === undefined ? {} : { parameters }),
    },
  };
}

export function loadYaml(path: string): Obj {
  return parse(readFileSync(join(ROOT, path), "utf8")) as Obj;
}

export const ofKind = (r: Rendered, apiVersion: string, kind: string): Obj[] =>
  [...r.resources.values()].filter((o) => o.apiVersion === apiVersion && o.kind === kind);

export const releases = (r: Rendered) => ofKind(r, "helm.m.crossplane.io/v1beta1", "Release");
export const objects = (r: Rendered) => ofKind(r, "kubernetes.m.crossplane.io/v1alpha1", "Object");
export const usages = (r: Rendered) => ofKind(r, "protection.crossplane.io/v1beta1", "Usage");
/** The Usages that guard an app resource (a Release or an Object). */
export const appUsages = (r: Rendered) => usages(r).filter((u) => u.spec.by.kind !== "ProviderConfig");
/** The Usages that keep the cluster (and its kubeconfig) until the in-cluster ProviderConfigs are gone. */
export const providerConfigUsages = (r: Rendered) => usages(r).filter((u) => u.spec.by.kind === "ProviderConfig");

export const releaseOf = (r: Rendered, chart: string): Obj | undefined => releases(r).find((o) => o.spec.forProvider.chart.name === chart);

/**
 * The chart pins of kcl/apps.k's header, read with the same reader `npm run bump` uses:
 * chart name -> version; a variable pinned by a tarball URL is returned under `_<variable>`.
 */
export function chartPins(): Map<string, string> {
  const pins = new Map<string, string>();
  for (const pin of extractPins(readFileSync(join(ROOT, APPS_FILE), "utf8")).pins) {
    if (pin.charts.length === 0) pins.set(`_${pin.variable}`, pin.value);
    for (const chart of pin.charts) pins.set(chart.chart, pin.value);
  }
  return pins;
}
