/**
 * Test helpers for the package's KCL: reads the generated package and runs a composition's KCL
 * steps with the real KCL engine through the product's function-kcl (render/function-kcl.ts:
 * its option("params"), XR status merge and output rules), on the XR with the XRD's defaults as
 * `npm run render` applies them (render/defaults.ts) unless `xrdDefaults: false`. Selection,
 * the XR schema check and Crossplane's metadata of `npm run render` are left out, so that a test
 * can feed a step any value (also ones the XRD would reject) and see the step's own answer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { APPS_FILE, extractPins } from "../../scripts/lib/bump/kclfile.js";
import type { KclEngine } from "../../scripts/lib/kcl/index.js";
import { PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { defaultXr } from "../../scripts/lib/render/defaults.js";
import type { FnState, Ready } from "../../scripts/lib/render/fn.js";
import { isKclInput, runFunctionKcl } from "../../scripts/lib/render/function-kcl.js";
import { kclSourceName } from "../../scripts/lib/render/pipeline.js";
import type { KubeObject } from "../../scripts/lib/render/types.js";
import { readYamlFile } from "../../scripts/lib/yamlio.js";

export type Obj = Record<string, any>;

export const CRN = "krm.kcl.dev/composition-resource-name";

export function readPackageFile(name: string): Obj[] {
  return readYamlFile(join(PACKAGE_DIR, name)) as Obj[];
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
    .filter((s) => isKclInput(s.input))
    .map((s) => ({ step: s.step as string, source: s.input.spec.source as string, params: (s.input.spec.params ?? {}) as Obj }));
}

export interface Rendered {
  /** The status the steps wrote to the XR. */
  status: Obj;
  /** Composed resources by composition resource name (annotation removed, as function-kcl does). */
  resources: Map<string, Obj>;
  /** Readiness per composition resource name, as function-kcl reads it from krm.kcl.dev/ready (then removed). */
  ready: Map<string, Ready>;
  /** Composition resource names per step. */
  byStep: Map<string, string[]>;
}

export interface RunOptions {
  /** Apply the XRD's defaults to the XR first, as `npm run render` does (default true). */
  xrdDefaults?: boolean;
}

/**
 * Runs every KCL step of the composition on the XR; observed maps composition resource name ->
 * observed object. A step's fatal result throws; so does a step that composes a name an earlier
 * step composed (function-kcl would silently replace it).
 */
export async function runComposition(engine: KclEngine, comp: Obj, xr: Obj, observed: Record<string, Obj> = {}, options: RunOptions = {}): Promise<Rendered> {
  const xrd = readPackageFile("definition.yaml").find((d) => d.kind === "CompositeResourceDefinition") as KubeObject | undefined;
  const oxr = options.xrdDefaults === false ? (xr as KubeObject) : defaultXr(xr as KubeObject, xrd);
  const observedState: FnState = {
    composite: { resource: oxr },
    resources: Object.fromEntries(Object.entries(observed).map(([name, resource]) => [name, { resource: resource as KubeObject }])),
  };
  let desired: FnState = { resources: {} };
  let context: Record<string, unknown> = {};
  const byStep = new Map<string, string[]>();
  for (const s of (comp.spec.pipeline as Obj[]).filter((st) => isKclInput(st.input))) {
    const before = new Set(Object.keys(desired.resources));
    const req = { observed: observedState, desired, input: s.input, context, extraResources: {}, requiredResources: {} };
    const rsp = await runFunctionKcl(engine, req, { sourceName: kclSourceName(comp.metadata.name, s.step), workDir: PACKAGE_DIR });
    const fatal = rsp.results.find((r) => r.severity === "Fatal");
    if (fatal) throw new Error(`${comp.metadata.name} step ${s.step}: ${fatal.message}`);
    const names = Object.keys(rsp.desired.resources).filter((n) => !before.has(n));
    for (const n of before) {
      if (rsp.desired.resources[n] !== desired.resources[n]) throw new Error(`${comp.metadata.name} step ${s.step}: duplicate composition resource name ${n}`);
    }
    byStep.set(s.step, names);
    desired = rsp.desired;
    context = rsp.context;
  }
  const status = (desired.composite?.resource.status ?? {}) as Obj;
  const entries = Object.entries(desired.resources);
  return {
    status,
    resources: new Map(entries.map(([k, v]) => [k, v.resource as Obj])),
    ready: new Map(entries.map(([k, v]) => [k, v.ready ?? "Unspecified"])),
    byStep,
  };
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
  return readYamlFile(join(ROOT, path))[0] as Obj;
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
