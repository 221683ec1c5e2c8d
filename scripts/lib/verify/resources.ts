/**
 * What a rendered resource *is*, decided from apiVersion, kind and chart identity only (never from
 * this repository's naming), so the rules work on any Crossplane package that composes
 * provider-helm Releases, provider-kubernetes Objects and Crossplane Usages.
 */
import semver from "semver";
import type { ComposedResource, KubeObject, RenderedCase, RenderResult } from "../render/types.js";

export type Json = Record<string, unknown>;

export const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The value at a path of keys, or undefined when any step is missing or not a map. */
export function at(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    if (!isMap(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** A short description of a value's type for messages: "a list", "the string \"x\"", "null". */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

const HELM_GROUPS = new Set(["helm.crossplane.io", "helm.m.crossplane.io"]);
const KUBERNETES_GROUPS = new Set(["kubernetes.crossplane.io", "kubernetes.m.crossplane.io"]);
const USAGE_GROUPS = new Set(["protection.crossplane.io", "apiextensions.crossplane.io"]);

/** A provider-helm Release (cluster-scoped v1 or namespaced v2 API). */
export const isHelmRelease = (o: KubeObject) => o.kind === "Release" && HELM_GROUPS.has(groupOf(o.apiVersion));
/** A provider-kubernetes Object. */
export const isKubernetesObject = (o: KubeObject) => o.kind === "Object" && KUBERNETES_GROUPS.has(groupOf(o.apiVersion));
/** A Crossplane Usage or ClusterUsage (protection.crossplane.io, or the older apiextensions one). */
export const isUsage = (o: KubeObject) => (o.kind === "Usage" || o.kind === "ClusterUsage") && USAGE_GROUPS.has(groupOf(o.apiVersion));

export const nameOf = (o: KubeObject): string | undefined => str(o.metadata?.name);

/** What a provider-helm Release installs. */
export interface HelmChart {
  /** Chart name: chart.name, or the last path element of chart.url without version and .tgz. */
  name?: string;
  repository?: string;
  url?: string;
  /** chart.version, or the version in a tarball URL (<name>-<version>.tgz). */
  version?: string;
  /** Namespace Helm installs into (spec.forProvider.namespace). */
  namespace?: string;
  /** The Helm release name: crossplane.io/external-name, else metadata.name. */
  releaseName?: string;
  /** spec.forProvider.values as written (may be absent or, in broken packages, not a map). */
  values: unknown;
  hasValues: boolean;
}

export function helmChart(release: KubeObject): HelmChart {
  const fp = at(release, "spec", "forProvider");
  const chart = at(fp, "chart");
  const url = str(at(chart, "url"));
  let name = str(at(chart, "name"));
  let version = str(at(chart, "version"));
  if (url && (!name || !version)) {
    const last =
      url
        .replace(/[?#].*$/, "")
        .split("/")
        .pop() ?? "";
    const tarball = /^(.+?)-(v?\d+\.\d+\.\d+.*)\.tgz$/.exec(last);
    if (tarball) {
      name ??= tarball[1];
      version ??= tarball[2];
    } else if (url.startsWith("oci://")) {
      const [n, tag] = last.split(":");
      name ??= n;
      if (tag) version ??= tag;
    }
  }
  const annotations = release.metadata?.annotations;
  return {
    name,
    repository: str(at(chart, "repository")),
    url,
    version,
    namespace: str(at(fp, "namespace")),
    releaseName: str(annotations?.["crossplane.io/external-name"]) ?? nameOf(release),
    values: at(fp, "values"),
    hasValues: isMap(fp) && "values" in fp,
  };
}

/** A chart version as plain semver ("v1.7.0" -> "1.7.0"), or undefined when it is not one. */
export function chartSemver(version: string | undefined): string | undefined {
  if (version === undefined) return undefined;
  return semver.valid(version.trim()) ?? undefined;
}

/** The manifest a provider-kubernetes Object applies. */
export const objectManifest = (o: KubeObject): unknown => at(o, "spec", "forProvider", "manifest");

export interface Release {
  resource: ComposedResource;
  chart: HelmChart;
}

/** Every Release of a render with its chart, in render order. */
export function releases(result: RenderResult): Release[] {
  return result.resources.filter((r) => isHelmRelease(r.object)).map((resource) => ({ resource, chart: helmChart(resource.object) }));
}

export const releasesOfChart = (result: RenderResult, chart: string) => releases(result).filter((r) => r.chart.name === chart);

/** Cases that rendered, with their result. */
export function renderedCases(cases: readonly RenderedCase[]): { case: RenderedCase; result: RenderResult }[] {
  return cases.flatMap((c) => (c.result ? [{ case: c, result: c.result }] : []));
}

/** A CustomResourceDefinition the render installs (as the manifest of an Object). */
export interface InstalledCrd {
  resource: ComposedResource;
  group: string;
  kind: string;
  versions: { name: string; served: boolean }[];
  /** metadata.name and metadata.annotations of the CRD manifest. */
  name?: string;
  annotations: Json;
}

export function installedCrds(result: RenderResult): InstalledCrd[] {
  const out: InstalledCrd[] = [];
  for (const r of result.resources) {
    if (!isKubernetesObject(r.object)) continue;
    const m = objectManifest(r.object);
    if (!isMap(m) || m.kind !== "CustomResourceDefinition" || groupOf(str(m.apiVersion) ?? "") !== "apiextensions.k8s.io") continue;
    const versions = at(m, "spec", "versions");
    out.push({
      resource: r,
      group: str(at(m, "spec", "group")) ?? "",
      kind: str(at(m, "spec", "names", "kind")) ?? "",
      versions: Array.isArray(versions) ? versions.filter(isMap).map((v) => ({ name: str(v.name) ?? "", served: v.served === true })) : [],
      name: str(at(m, "metadata", "name")),
      annotations: isMap(at(m, "metadata", "annotations")) ? (at(m, "metadata", "annotations") as Json) : {},
    });
  }
  return out;
}

/** The XR's spec as the pipeline observed it (XRD defaults applied), else as the case file declares it. */
export function caseSpec(c: RenderedCase, input: (c: RenderedCase) => KubeObject | undefined): unknown {
  const observed = at(c.result?.observedXr, "spec");
  if (isMap(observed)) return observed;
  return at(input(c), "spec");
}
