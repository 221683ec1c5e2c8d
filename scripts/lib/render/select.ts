/**
 * Which Composition renders an XR, decided the way Crossplane's composite reconciler decides:
 * the XRD's enforcedCompositionRef, else the XR's compositionRef, else its compositionSelector,
 * else the XRD's defaultCompositionRef, else any compatible composition. Crossplane breaks a
 * tie between several selector matches at random; a render must be reproducible, so a tie is
 * an error here that asks for a more specific selector or a compositionRef.
 */
import { UserError } from "../errors.js";
import type { KubeObject, LoadedPackage } from "./types.js";
import { isObject } from "./yaml.js";

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
}

/** The XRD that defines the XR's kind, if the package has it. */
export function findXrd(pkg: LoadedPackage, xr: KubeObject): KubeObject | undefined {
  return pkg.xrds.find((x) => {
    const spec = isObject(x.spec) ? x.spec : {};
    const names = isObject(spec.names) ? spec.names : {};
    return spec.group === groupOf(xr.apiVersion) && names.kind === xr.kind;
  });
}

/** spec.crossplane.<field> on v2 XRs, spec.<field> on legacy ones. */
export function crossplaneField(xr: KubeObject, field: string): unknown {
  const spec = isObject(xr.spec) ? xr.spec : {};
  const cp = isObject(spec.crossplane) ? spec.crossplane : {};
  return cp[field] ?? spec[field];
}

function compatible(comp: KubeObject, xr: KubeObject): boolean {
  const spec = isObject(comp.spec) ? comp.spec : {};
  const ref = isObject(spec.compositeTypeRef) ? spec.compositeTypeRef : {};
  return ref.apiVersion === xr.apiVersion && ref.kind === xr.kind;
}

const nameOf = (o: KubeObject) => String(o.metadata?.name ?? "");
const labelsText = (labels: Record<string, unknown>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");

function describe(pkg: LoadedPackage): string {
  return pkg.compositions
    .map((c) => `${nameOf(c)}${c.metadata?.labels && Object.keys(c.metadata.labels).length ? ` [${labelsText(c.metadata.labels)}]` : ""}`)
    .join(", ");
}

/** The versions an XRD serves. */
function servedVersions(xrd: KubeObject): string[] {
  const spec = isObject(xrd.spec) ? xrd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  return versions.filter((v) => isObject(v) && v.served !== false && typeof v.name === "string").map((v) => String((v as { name: string }).name));
}

/**
 * Refuses an XR whose apiVersion or kind nothing in the package composes, naming the mismatch
 * (rather than reporting that no composition matches a selector).
 */
export function checkXrType(pkg: LoadedPackage, xr: KubeObject): void {
  if (pkg.compositions.some((c) => compatible(c, xr))) return;
  const typeText = `apiVersion ${JSON.stringify(xr.apiVersion)}, kind ${JSON.stringify(xr.kind)}`;
  const xrd = findXrd(pkg, xr);
  if (xrd) {
    const group = groupOf(xr.apiVersion);
    const served = servedVersions(xrd).map((v) => `${group}/${v}`);
    const composed = [
      ...new Set(pkg.compositions.map((c) => String((c.spec as { compositeTypeRef?: { apiVersion?: unknown } } | undefined)?.compositeTypeRef?.apiVersion))),
    ];
    const only = served.length ? ` and the package composes ${xr.kind} only at ${composed.join(", ")}` : "";
    throw new UserError(
      `the XR has ${typeText}, but the XRD ${nameOf(xrd)} serves ${xr.kind} as ${served.join(", ") || "no version"}${only}; ` +
        `set apiVersion: ${served[0] ?? "<group>/<version>"}`,
    );
  }
  const types = new Map<string, string>();
  for (const c of pkg.compositions) {
    const ref = isObject(c.spec) && isObject(c.spec.compositeTypeRef) ? c.spec.compositeTypeRef : {};
    types.set(`${String(ref.apiVersion)} ${String(ref.kind)}`, `apiVersion: ${String(ref.apiVersion)}, kind: ${String(ref.kind)}`);
  }
  const known = [...types.values()];
  throw new UserError(
    `the XR has ${typeText}, but the package composes ${known.length ? known.join("; ") : "nothing"}; fix the XR's apiVersion and ` +
      `kind${known.length === 1 ? ` (${known[0]})` : ""}`,
  );
}

export interface Selection {
  composition: KubeObject;
  /** How it was chosen, for messages: "compositionRef", "compositionSelector", "defaultCompositionRef", … */
  reason: string;
}

/** Selects the composition for xr; `explicit` (from --composition) overrides everything. */
export function selectComposition(pkg: LoadedPackage, xr: KubeObject, explicit?: string): Selection {
  const typeText = `${xr.apiVersion} ${xr.kind}`;
  const byName = (name: string, how: string): Selection => {
    const comp = pkg.compositions.find((c) => nameOf(c) === name);
    if (!comp) throw new UserError(`${how} names composition "${name}", but the package has no composition of that name (it has ${describe(pkg)})`);
    if (!compatible(comp, xr)) {
      const ref = isObject(comp.spec) && isObject(comp.spec.compositeTypeRef) ? comp.spec.compositeTypeRef : {};
      throw new UserError(`${how} names composition "${name}", which composes ${String(ref.apiVersion)} ${String(ref.kind)}, not ${typeText}`);
    }
    return { composition: comp, reason: how };
  };
  if (explicit) return byName(explicit, "--composition");
  checkXrType(pkg, xr);

  const xrd = findXrd(pkg, xr);
  const xrdSpec = xrd && isObject(xrd.spec) ? xrd.spec : {};
  const enforced = isObject(xrdSpec.enforcedCompositionRef) ? xrdSpec.enforcedCompositionRef.name : undefined;
  if (typeof enforced === "string" && enforced) return byName(enforced, `the XRD's spec.enforcedCompositionRef`);

  const ref = crossplaneField(xr, "compositionRef");
  if (isObject(ref) && typeof ref.name === "string" && ref.name) return byName(ref.name, "spec.crossplane.compositionRef");
  if (ref !== undefined && ref !== null) throw new UserError(`spec.crossplane.compositionRef has no name; set compositionRef.name to one of: ${describe(pkg)}`);

  const selector = crossplaneField(xr, "compositionSelector");
  let labels: Record<string, unknown> = {};
  let how = "any compatible composition";
  if (selector !== undefined && selector !== null) {
    if (!isObject(selector) || !isObject(selector.matchLabels))
      throw new UserError(`spec.crossplane.compositionSelector must have matchLabels (a map of label values)`);
    labels = selector.matchLabels;
    how = `spec.crossplane.compositionSelector.matchLabels {${labelsText(labels)}}`;
  } else {
    const def = isObject(xrdSpec.defaultCompositionRef) ? xrdSpec.defaultCompositionRef.name : undefined;
    if (typeof def === "string" && def) return byName(def, `the XRD's spec.defaultCompositionRef`);
  }
  const candidates = pkg.compositions.filter((c) => {
    const have = c.metadata?.labels ?? {};
    return compatible(c, xr) && Object.entries(labels).every(([k, v]) => have[k] === v);
  });
  const fix = "Add labels to the selector, set spec.crossplane.compositionRef.name, or pass --composition NAME";
  if (candidates.length === 0) {
    if (selector === undefined || selector === null)
      throw new UserError(`no composition in the package composes ${typeText}; the package has: ${describe(pkg)}`);
    throw new UserError(`no composition for ${typeText} matches ${how}; the package has: ${describe(pkg)}`);
  }
  if (candidates.length > 1) {
    const names = candidates.map(nameOf).join(", ");
    if (selector === undefined || selector === null) {
      throw new UserError(
        `the XR selects no composition (no compositionRef or compositionSelector, and the XRD has no defaultCompositionRef) and ${candidates.length} ` +
          `compositions compose ${typeText} (${names}); Crossplane would pick one at random. ${fix}`,
      );
    }
    throw new UserError(`${candidates.length} compositions match ${how} (${names}); Crossplane would pick one at random. ${fix}`);
  }
  return { composition: candidates[0]!, reason: how };
}
