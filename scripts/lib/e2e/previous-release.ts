/**
 * A stand-in for an older release of the package, derived from the current one by stated edits,
 * so that the real upgrade (upgrade.ts) has something to upgrade from when no older package is
 * given. Each Composition of the derived package:
 *   - has no `apps` step: the older release composed no apps, so upgrading creates them;
 *   - gains a `previous-release` function-kcl step before function-auto-ready that
 *       - labels every other composed resource (sorted by composition resource name, the renamed
 *         Usage left out) with
 *         PREVIOUS_RELEASE_LABEL: upgrading removes the label, an update in place;
 *       - names the last Usage `<name>-previous`: upgrading names it differently;
 *       - composes one more provider-kubernetes Object (a ConfigMap in the workload cluster),
 *         `<xr>-previous-release-notes`: upgrading no longer composes it, so Crossplane deletes it.
 * Readiness and composition resource names are carried over, so a Cluster of the older release
 * becomes Ready as one of the current release does.
 */
import type { KubeObject, LoadedPackage } from "../render/types.js";
import { isObject, jsonCopy } from "../render/yaml.js";

export const PREVIOUS_RELEASE_LABEL = "dot-cluster.devopstoolkit.ai/previous-release";
export const PREVIOUS_RELEASE_STEP = "previous-release";
/** The step of the current package the older release did not have. */
export const DROPPED_STEP = "apps";

/** The KCL program of the previous-release step. */
export const PREVIOUS_RELEASE_KCL = `
_params = option("params")
_oxr = _params.oxr
_dcds = _params.dcds
_names = sorted([k for k in _dcds])
_usages = [k for k in _names if _dcds[k].Resource.kind == "Usage"]
_renamed = _usages[-1] if _usages else ""

_carry = lambda k: str, r: {str:} -> {str:} {
    _md = r.metadata
    _annotations = (_md.annotations or {}) | {"krm.kcl.dev/composition-resource-name" = k}
    _ready = {"krm.kcl.dev/ready" = _dcds[k].Ready} if _dcds[k].Ready in ["True", "False"] else {}
    r | {metadata = _md | {annotations = _annotations | _ready}}
}

_relabel = lambda r: {str:} -> {str:} {
    r | {metadata = r.metadata | {labels = (r.metadata.labels or {}) | {"${PREVIOUS_RELEASE_LABEL}" = "true"}}}
}

_rename = lambda r: {str:} -> {str:} {
    r | {metadata = r.metadata | {name = r.metadata.name + "-previous"}}
}

_kept = [k for k in _names if k != _renamed]
_edited = [_carry(k, _relabel(_dcds[k].Resource)) for i, k in _kept if i % 2 == 0]
_renamedItems = [_carry(_renamed, _rename(_dcds[_renamed].Resource))] if _renamed else []

_notes = {
    apiVersion = "kubernetes.m.crossplane.io/v1alpha1"
    kind = "Object"
    metadata = {
        name = _oxr.metadata.name + "-previous-release-notes"
        annotations = {
            "krm.kcl.dev/composition-resource-name" = _oxr.metadata.name + "-previous-release-notes"
            "krm.kcl.dev/ready" = "True"
        }
    }
    spec = {
        forProvider.manifest = {
            apiVersion = "v1"
            kind = "ConfigMap"
            metadata = {name = "previous-release-notes", namespace = "default"}
            data = {release = "previous"}
        }
        providerConfigRef = {kind = "ProviderConfig", name = _oxr.metadata.name}
    }
}

items = _edited + _renamedItems + [_notes]
`;

function pipelineOf(c: KubeObject): Record<string, unknown>[] {
  const spec = isObject(c.spec) ? c.spec : {};
  return Array.isArray(spec.pipeline) ? (spec.pipeline as Record<string, unknown>[]) : [];
}

/** The derived older release (the current package is not changed). */
export function previousRelease(pkg: LoadedPackage): LoadedPackage {
  const compositions = pkg.compositions.map((original) => {
    const c = jsonCopy(original);
    const steps = pipelineOf(c).filter((s) => s.step !== DROPPED_STEP);
    const kcl = steps.find((s) => isObject(s.input) && s.input.kind === "KCLRun");
    if (!kcl) throw new Error(`composition ${c.metadata?.name}: no function-kcl step to derive the previous release from`);
    const at = steps.findIndex((s) => isObject(s.functionRef) && String(s.functionRef.name).includes("auto-ready"));
    const step = {
      step: PREVIOUS_RELEASE_STEP,
      functionRef: jsonCopy(kcl.functionRef),
      input: { apiVersion: "krm.kcl.dev/v1alpha1", kind: "KCLRun", spec: { source: PREVIOUS_RELEASE_KCL } },
    };
    steps.splice(at < 0 ? steps.length : at, 0, step);
    (c.spec as Record<string, unknown>).pipeline = steps;
    return c;
  });
  const byName = new Map(compositions.map((c) => [c.metadata?.name, c]));
  return {
    ...pkg,
    dir: `${pkg.dir} (previous release, derived)`,
    compositions,
    documents: pkg.documents.map((d) =>
      d.object.kind === "Composition" && byName.has(d.object.metadata?.name) ? { ...d, object: byName.get(d.object.metadata?.name)! } : d,
    ),
  };
}
