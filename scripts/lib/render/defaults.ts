/**
 * The defaults the API server writes into an XR from its XRD's OpenAPI schema (Kubernetes'
 * structural defaulting, which `crossplane render --xrd` applies too): a property with a
 * `default` that is absent, or null without `nullable`, gets a copy of the default; then every
 * present value is defaulted by its own schema.
 */
import type { KubeObject } from "./types.js";
import { isObject, jsonCopy } from "./yaml.js";
import { UserError } from "../errors.js";

type Schema = Record<string, unknown>;

export function applySchemaDefaults(value: unknown, schema: unknown): void {
  if (!isObject(schema)) return;
  if (isObject(value)) {
    const props = isObject(schema.properties) ? schema.properties : {};
    for (const [k, prop] of Object.entries(props)) {
      if (!isObject(prop) || prop.default === undefined) continue;
      if (!(k in value) || (value[k] === null && prop.nullable !== true)) value[k] = jsonCopy(prop.default);
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) applySchemaDefaults(v, props[k]);
      else if (isObject(schema.additionalProperties)) applySchemaDefaults(v, schema.additionalProperties);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) applySchemaDefaults(v, schema.items);
  }
}

/** The XR's schema version in the XRD (matching the XR's apiVersion), if any. */
export function xrdVersionSchema(xrd: KubeObject, xr: KubeObject): Schema | undefined {
  const spec = isObject(xrd.spec) ? xrd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  const version = versions.find((v) => isObject(v) && `${String(spec.group)}/${String(v.name)}` === xr.apiVersion);
  const schema = isObject(version) && isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
  return isObject(schema) ? schema : undefined;
}

/** A copy of the XR with the XRD's defaults applied (and spec.crossplane.compositionUpdatePolicy when the XRD sets one). */
export function defaultXr(xr: KubeObject, xrd: KubeObject | undefined): KubeObject {
  const out = jsonCopy(xr);
  if (!xrd) return out;
  const spec = isObject(xrd.spec) ? xrd.spec : {};
  const schema = xrdVersionSchema(xrd, xr);
  if (!schema) {
    const versions = (Array.isArray(spec.versions) ? spec.versions : []).map((v) => `${String(spec.group)}/${String(isObject(v) ? v.name : v)}`);
    throw new UserError(
      `apiVersion ${xr.apiVersion} is not a version of XRD ${String(xrd.metadata?.name)} (it defines ${versions.join(", ") || "no versions"})`,
    );
  }
  applySchemaDefaults(out, schema);
  // Crossplane adds spec(.crossplane).compositionUpdatePolicy to the XR's schema, defaulted from the XRD.
  const policy = spec.defaultCompositionUpdatePolicy;
  const xrSpec = out.spec;
  if (typeof policy === "string" && isObject(xrSpec)) {
    const holder = spec.scope === "LegacyCluster" ? xrSpec : xrSpec.crossplane;
    if (isObject(holder) && (holder.compositionUpdatePolicy === undefined || holder.compositionUpdatePolicy === null)) holder.compositionUpdatePolicy = policy;
  }
  return out;
}
