/**
 * Which schema a resource is validated against: the package's XRDs, or a CRD obtained for a
 * package the Configuration depends on. A resource that no schema covers is either an error
 * (its group belongs to nothing the Configuration depends on, or the kind/version does not
 * exist there) or skipped with the reason its CRDs could not be obtained. Pure.
 */
import type { KubeObject } from "../render/types.js";
import type { CrdFile, SchemaSet, SourceStatus } from "./crds.js";
import { packageServing } from "./sources.js";

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

export function gvkOf(object: KubeObject): Gvk {
  const [a, b] = object.apiVersion.split("/");
  return b === undefined ? { group: "", version: a ?? "", kind: object.kind } : { group: a ?? "", version: b, kind: object.kind };
}

export type Coverage = { kind: "xrd" } | { kind: "crd"; crd: CrdFile } | { kind: "error"; message: string } | { kind: "skip"; message: string };

export interface XrdKind {
  group: string;
  kind: string;
  versions: string[];
  file: string;
}

/** The composite kinds an XRD defines (served versions). */
export function xrdKinds(xrd: KubeObject, file: string): XrdKind[] {
  const spec = (xrd.spec ?? {}) as { group?: string; names?: { kind?: string }; versions?: { name?: string; served?: boolean }[] };
  if (!spec.group || !spec.names?.kind) return [];
  const versions = (spec.versions ?? []).filter((v) => v.served !== false && v.name).map((v) => v.name!);
  return [{ group: spec.group, kind: spec.names.kind, versions, file }];
}

function describeSource(s: SourceStatus): string {
  return `${s.package}${s.version ? ` ${s.version}` : ""} (${s.module})`;
}

export function coverageOf(object: KubeObject, xrds: readonly XrdKind[], schemas: SchemaSet): Coverage {
  const { group, version, kind } = gvkOf(object);
  const xrd = xrds.find((x) => x.group === group && x.kind === kind);
  if (xrd) {
    if (xrd.versions.includes(version)) return { kind: "xrd" };
    return { kind: "error", message: `${object.apiVersion} is not served by the XRD in ${xrd.file} (it serves ${xrd.versions.join(", ") || "no version"})` };
  }
  const sameKind = schemas.crds.filter((c) => c.group === group && c.kind === kind);
  const hit = sameKind.find((c) => c.versions.includes(version));
  if (hit) return { kind: "crd", crd: hit };
  const status = schemas.sources.find((s) => s.ok && s.groups.includes(group));
  if (sameKind.length > 0) {
    return {
      kind: "error",
      message:
        `${kind} of ${group} has no version ${version}${status ? ` in ${describeSource(status)}` : ""} (it has ` +
        `${[...new Set(sameKind.flatMap((c) => c.versions))].join(", ")})`,
    };
  }
  if (status) {
    const kinds = [...new Set(schemas.crds.filter((c) => c.group === group).map((c) => c.kind))].sort();
    return {
      kind: "error",
      message:
        `${describeSource(status)} has no kind ${kind} in ` +
        `${group}${kinds.length ? ` (it has ${kinds.join(", ")})` : " (and no CRD of that group at all)"}`,
    };
  }
  const failed = schemas.sources.find((s) => !s.ok && s.groups.includes(group));
  if (failed) {
    const message = `the CRDs of ${failed.package} could not be obtained: ${failed.reason ?? "unknown reason"}`;
    return failed.required ? { kind: "error", message } : { kind: "skip", message };
  }
  const serving = packageServing(group);
  if (serving)
    return { kind: "error", message: `${group} is served by ${serving.package}, which package/crossplane.yaml does not depend on (add it to spec.dependsOn)` };
  return {
    kind: "error",
    message:
      `no package the Configuration depends on serves ${group} (a typo in apiVersion, or a missing dependsOn entry; schema sources are listed in ` +
      `scripts/lib/validate/sources.ts)`,
  };
}
