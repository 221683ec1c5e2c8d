/**
 * What a control plane adds to the objects a render desires before anyone reads them back, so that
 * asserts written against a live cluster can be replayed on a render:
 * - the API server writes each CRD's OpenAPI defaults (the providers' CRDs, obtained as
 *   `npm run validate` obtains them, for the packages this repository's crossplane.yaml depends on;
 *   the old package's providers serve the same API groups); for a namespaced Upjet group
 *   (*.m.upbound.io) whose CRDs cannot be obtained (provider-gcp v2 is not a valid Go module),
 *   the two defaults every such CRD declares (as provider-aws v2.4.0's do): managementPolicies
 *   ["*"] and providerConfigRef {kind: ClusterProviderConfig, name: default};
 * - Crossplane writes spec.crossplane.compositionUpdatePolicy (the XRD's
 *   defaultCompositionUpdatePolicy, Automatic unless set);
 * - crossplane-runtime's managed reconciler sets crossplane.io/external-name to metadata.name on a
 *   managed resource (an object with spec.forProvider) that has none;
 * - a resolved name reference: `<field>Selector` matching exactly one composed resource of kind
 *   `<Field>` (roleSelector -> a Role) becomes `<field>Ref.name` and `<field>` (its external name).
 */
import type { KubeObject } from "../render/types.js";
import { applySchemaDefaults } from "../render/defaults.js";
import { isObject } from "../render/yaml.js";
import { readYamlFile } from "../yamlio.js";
import type { CrdFile } from "../validate/crds.js";

type Json = Record<string, unknown>;
export type Defaulter = (object: KubeObject) => void;

/** A defaulter from CRD files: the schema of the object's group, kind and version. */
export function crdDefaulter(crds: readonly CrdFile[]): Defaulter {
  const byKind = new Map<string, CrdFile>();
  for (const c of crds) byKind.set(`${c.group}/${c.kind}`, c);
  const schemas = new Map<string, unknown>();
  const schemaOf = (apiVersion: string, kind: string): unknown => {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const key = `${group}/${version}/${kind}`;
    if (!schemas.has(key)) {
      const file = byKind.get(`${group}/${kind}`);
      let schema: unknown;
      if (file) {
        const crd = readYamlFile(file.file, { display: file.file }).find(isObject) as Json | undefined;
        const versions = isObject(crd?.spec) && Array.isArray(crd.spec.versions) ? crd.spec.versions : [];
        const v = versions.find((x) => isObject(x) && x.name === version);
        schema = isObject(v) && isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
      }
      schemas.set(key, schema);
    }
    return schemas.get(key);
  };
  return (object) => {
    const schema = schemaOf(object.apiVersion, object.kind);
    if (schema) applySchemaDefaults(object, schema);
    else if (/\.m\.upbound\.io\//.test(object.apiVersion) && isObject(object.spec)) {
      object.spec.managementPolicies ??= ["*"];
      object.spec.providerConfigRef ??= { kind: "ClusterProviderConfig", name: "default" };
    }
  };
}

const EXTERNAL_NAME = "crossplane.io/external-name";

/** The managed-resource conventions above, on the composed resources of one render (in place). */
export function settleComposed(composed: KubeObject[], defaulter: Defaulter | undefined): void {
  for (const o of composed) {
    defaulter?.(o);
    const spec = isObject(o.spec) ? o.spec : undefined;
    if (spec && isObject(spec.forProvider) && o.metadata?.name) {
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}) };
      o.metadata.annotations[EXTERNAL_NAME] ??= o.metadata.name;
    }
  }
  for (const o of composed) {
    const fp = isObject(o.spec) && isObject(o.spec.forProvider) ? o.spec.forProvider : undefined;
    if (!fp) continue;
    for (const [key, selector] of Object.entries(fp)) {
      const field = /^(.+)Selector$/.exec(key)?.[1];
      if (!field || !isObject(selector) || fp[`${field}Ref`] !== undefined) continue;
      const kind = field[0]!.toUpperCase() + field.slice(1);
      const labels = isObject(selector.matchLabels) ? selector.matchLabels : {};
      const hits = composed.filter((t) => t.kind === kind && Object.entries(labels).every(([k, v]) => t.metadata?.labels?.[k] === v));
      if (hits.length !== 1 || !hits[0]!.metadata?.name) continue;
      fp[`${field}Ref`] = { name: hits[0]!.metadata.name };
      fp[field] = hits[0]!.metadata.annotations?.[EXTERNAL_NAME] ?? hits[0]!.metadata.name;
    }
  }
}
