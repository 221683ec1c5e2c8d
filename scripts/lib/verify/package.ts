/** What the package itself declares: compositions, their pipeline steps and embedded sources, dependencies. */
import type { KubeObject, LoadedPackage } from "../render/types.js";
import { at, groupOf, isMap, str } from "./resources.js";

export const isComposition = (o: KubeObject) => o.kind === "Composition" && groupOf(o.apiVersion) === "apiextensions.crossplane.io";

export interface PackageComposition {
  name: string;
  file: string;
  object: KubeObject;
}

/** Every Composition of the package with the file it is in. */
export function compositions(pkg: LoadedPackage): PackageComposition[] {
  return pkg.documents
    .filter((d) => isComposition(d.object))
    .map((d) => ({ name: str(d.object.metadata?.name) ?? "(unnamed)", file: d.file, object: d.object }));
}

export interface PipelineStep {
  step: string;
  functionRef?: string;
  input: unknown;
}

export function pipelineSteps(composition: KubeObject): PipelineStep[] {
  const pipeline = at(composition, "spec", "pipeline");
  if (!Array.isArray(pipeline)) return [];
  return pipeline.map((s, i) => ({ step: str(at(s, "step")) ?? `#${i}`, functionRef: str(at(s, "functionRef", "name")), input: at(s, "input") }));
}

export interface EmbeddedSource {
  composition: string;
  file: string;
  step: string;
  source: string;
}

/**
 * Program text embedded in a step's input (function-kcl's KCLRun spec.source, or any input with a
 * string spec.source), skipping references to sources elsewhere (oci://, https://, file paths).
 */
export function embeddedSources(pkg: LoadedPackage): EmbeddedSource[] {
  const out: EmbeddedSource[] = [];
  for (const c of compositions(pkg)) {
    for (const s of pipelineSteps(c.object)) {
      const source = at(s.input, "spec", "source");
      if (typeof source !== "string" || /^(oci|https?|git):\/\//.test(source.trim()) || !source.includes("\n")) continue;
      out.push({ composition: c.name, file: c.file, step: s.step, source });
    }
  }
  return out;
}

export interface Dependency {
  type: "provider" | "function" | "configuration";
  /** Full package reference as written. */
  ref: string;
  /** Last path element without tag or digest, e.g. provider-helm. */
  name: string;
}

const packageName = (ref: string) =>
  ref
    .replace(/@.*$/, "")
    .replace(/:[^/]*$/, "")
    .split("/")
    .pop() ?? ref;

/** spec.dependsOn of the Configuration, in the v1 ({provider|function|configuration: ref}) or v2 ({kind, package}) form. */
export function dependencies(pkg: LoadedPackage): Dependency[] {
  const list = at(pkg.configuration, "spec", "dependsOn");
  if (!Array.isArray(list)) return [];
  const out: Dependency[] = [];
  for (const d of list) {
    if (!isMap(d)) continue;
    for (const type of ["provider", "function", "configuration"] as const) {
      const ref = str(d[type]);
      if (ref) out.push({ type, ref, name: packageName(ref) });
    }
    const kind = str(d.kind)?.toLowerCase();
    const ref = str(d.package);
    if (ref && (kind === "provider" || kind === "function" || kind === "configuration")) out.push({ type: kind, ref, name: packageName(ref) });
  }
  return out;
}
