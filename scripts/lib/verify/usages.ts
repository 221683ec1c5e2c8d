/** Crossplane Usages in a render and the resources their `of` and `by` refer to. */
import type { ComposedResource, KubeObject, RenderResult } from "../render/types.js";
import { at, isMap, isUsage, nameOf, str } from "./resources.js";

export interface UsageRef {
  apiVersion?: string;
  kind?: string;
  /** resourceRef.name */
  name?: string;
  /** resourceSelector.matchLabels */
  matchLabels?: Record<string, string>;
  hasSelector: boolean;
}

export function usageRef(usage: KubeObject, side: "of" | "by"): UsageRef | undefined {
  const ref = at(usage, "spec", side);
  if (!isMap(ref)) return undefined;
  const labels = at(ref, "resourceSelector", "matchLabels");
  return {
    apiVersion: str(ref.apiVersion),
    kind: str(ref.kind),
    name: str(at(ref, "resourceRef", "name")),
    matchLabels: isMap(labels) ? (Object.fromEntries(Object.entries(labels).filter(([, v]) => typeof v === "string")) as Record<string, string>) : undefined,
    hasSelector: isMap(at(ref, "resourceSelector")),
  };
}

/** Does the reference select this object (same apiVersion and kind, and its name or labels)? */
export function refMatches(ref: UsageRef, o: KubeObject): boolean {
  if (ref.apiVersion !== o.apiVersion || ref.kind !== o.kind) return false;
  if (ref.name !== undefined) return nameOf(o) === ref.name;
  if (ref.matchLabels) {
    const labels = o.metadata?.labels ?? {};
    return Object.entries(ref.matchLabels).every(([k, v]) => labels[k] === v);
  }
  return false;
}

export const usagesOf = (result: RenderResult): ComposedResource[] => result.resources.filter((r) => isUsage(r.object));

/** Everything a Usage in this render can refer to: the composed resources and the XR itself. */
export const referable = (result: RenderResult): { name: string; object: KubeObject }[] => [{ name: "composite", object: result.xr }, ...result.resources];

export function describeRef(ref: UsageRef): string {
  const what = `${ref.kind ?? "(no kind)"} ${ref.apiVersion ?? "(no apiVersion)"}`;
  if (ref.name !== undefined) return `${what} ${JSON.stringify(ref.name)}`;
  if (ref.matchLabels) return `${what} with labels ${JSON.stringify(ref.matchLabels)}`;
  return what;
}
