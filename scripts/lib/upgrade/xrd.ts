/**
 * The public API of the two packages: every XRD of the old package against the new one.
 * Existing XRs must stay valid and mean the same: no served version or field removed, no type
 * changed, no default changed, no enum value or label dropped, no new required field.
 */
import type { KubeObject, LoadedPackage } from "../render/types.js";
import { isObject } from "../render/yaml.js";
import { show } from "./diff.js";
import type { UpgradeFinding } from "./types.js";

type Schema = Record<string, unknown>;

function xrdKey(x: KubeObject): string {
  const spec = isObject(x.spec) ? x.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  return `${String(names.kind ?? "?")}.${String(spec.group ?? "?")}`;
}

function versions(x: KubeObject): Map<string, Schema> {
  const spec = isObject(x.spec) ? x.spec : {};
  const out = new Map<string, Schema>();
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    if (!isObject(v) || v.served === false) continue;
    const schema = isObject(v.schema) && isObject(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : {};
    out.set(String(v.name), schema);
  }
  return out;
}

const typeOf = (s: Schema): string =>
  typeof s.type === "string" ? s.type : s["x-kubernetes-int-or-string"] ? "int-or-string" : s["x-kubernetes-preserve-unknown-fields"] ? "any" : "(untyped)";

function walk(a: Schema, b: Schema, path: string, emit: (rule: string, crn: string, message: string) => void): void {
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) {
    emit("xrd-field-retyped", path, `type ${ta} → ${tb}: existing values may no longer validate`);
    return;
  }
  if (JSON.stringify(a.default) !== JSON.stringify(b.default)) {
    const what =
      a.default === undefined
        ? `gains default ${show(b.default)}`
        : b.default === undefined
          ? `loses default ${show(a.default)}`
          : `default ${show(a.default)} → ${show(b.default)}`;
    emit("xrd-default-changed", path, `${what}: XRs that leave it unset change meaning`);
  }
  if (Array.isArray(a.enum)) {
    const dropped = a.enum.filter((v) => !(Array.isArray(b.enum) ? b.enum : (a.enum as unknown[])).some((w) => JSON.stringify(w) === JSON.stringify(v)));
    if (dropped.length) emit("xrd-enum-narrowed", path, `no longer accepts ${dropped.map(show).join(", ")}`);
  }
  const reqA = new Set(Array.isArray(a.required) ? a.required.map(String) : []);
  for (const r of Array.isArray(b.required) ? b.required.map(String) : []) {
    if (!reqA.has(r)) emit("xrd-field-required", path ? `${path}.${r}` : r, `now required: XRs without it are rejected`);
  }
  const pa = isObject(a.properties) ? a.properties : {};
  const pb = isObject(b.properties) ? b.properties : {};
  for (const [k, sa] of Object.entries(pa)) {
    const p = path ? `${path}.${k}` : k;
    const sb = pb[k];
    if (!isObject(sa)) continue;
    if (!isObject(sb)) {
      if (isObject(b.additionalProperties) || b["x-kubernetes-preserve-unknown-fields"] === true) continue;
      emit("xrd-field-removed", p, `removed: XRs that set it are rejected or lose it (pruned)`);
      continue;
    }
    walk(sa, sb, p, emit);
  }
  if (isObject(a.items) && isObject(b.items)) walk(a.items, b.items, `${path}[*]`, emit);
  if (isObject(a.additionalProperties) && isObject(b.additionalProperties)) walk(a.additionalProperties, b.additionalProperties, `${path}.*`, emit);
}

export function compareXrds(before: LoadedPackage, after: LoadedPackage): UpgradeFinding[] {
  const out: UpgradeFinding[] = [];
  const newByKey = new Map(after.xrds.map((x) => [xrdKey(x), x]));
  for (const xa of before.xrds) {
    const key = xrdKey(xa);
    const xb = newByKey.get(key);
    const resource = `CompositeResourceDefinition/${String(xa.metadata?.name ?? key)}`;
    const emit = (rule: string, crn: string, message: string) => out.push({ rule, severity: "breaking", crn, resource, message });
    if (!xb) {
      emit("xrd-removed", key, `the new package does not define ${key}: every XR of it loses its composition`);
      continue;
    }
    const la = xa.metadata?.labels ?? {};
    const lb = xb.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(la)) {
      if (lb[k] !== v)
        emit(
          "xrd-label-changed",
          `metadata.labels.${k}`,
          lb[k] === undefined
            ? `label ${k}=${String(v)} dropped: tools that select the XRD by it no longer find it`
            : ["label", k, show(v), "→", show(lb[k])].join(" "),
        );
    }
    const va = versions(xa);
    const vb = versions(xb);
    for (const [name, schema] of va) {
      const other = vb.get(name);
      if (!other) {
        emit("xrd-version-removed", `${key}/${name}`, `version ${name} is no longer served: XRs stored in it cannot be read`);
        continue;
      }
      walk(schema, other, "", (rule, crn, message) => emit(rule, `${name}:${crn}`, message));
    }
  }
  return out;
}
