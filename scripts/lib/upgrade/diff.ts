/**
 * One case, old render against new render, per composition resource name: deleted, added,
 * changed (a field diff), with the changes providers cannot make in place flagged.
 */
import type { ComposedResource, KubeObject, RenderResult } from "../render/types.js";
import { isObject } from "../render/yaml.js";
import { deletionEffect, describeObject, foldGroup, keptBy } from "./effects.js";
import type { FieldChange, UpgradeFinding } from "./types.js";

export interface ImmutableField {
  group: string;
  kind: string;
  /** Dotted path, [*] for any list index. */
  path: string;
  reason: string;
}

export interface NamedKind {
  group: string;
  kind: string;
  reason: string;
}

export interface ImmutableData {
  fields: ImmutableField[];
  names: NamedKind[];
}

const EXTERNAL_NAME = "crossplane.io/external-name";

/** Every leaf that differs between a and b, as dotted paths ([i] for list items). */
export function diffValues(a: unknown, b: unknown, path = "", out: FieldChange[] = []): FieldChange[] {
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const p = path ? `${path}.${/^[\w-]+$/.test(k) ? k : JSON.stringify(k)}` : k;
      diffValues(a[k], b[k], p, out);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => diffValues(v, b[i], `${path}[${i}]`, out));
    return out;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  const change: FieldChange = { path };
  if (a !== undefined) change.old = a;
  if (b !== undefined) change.new = b;
  out.push(change);
  return out;
}

const strip = (p: string) => p.replace(/\[(\d+|\*)\]/g, "");

/** Whether the concrete change path is the immutable field, lies inside it or replaces a parent of it (list indexes ignored: a one-item list and an object
 * are alike). */
function matches(field: ImmutableField, path: string): boolean {
  const p = strip(path);
  const f = strip(field.path);
  return (
    p === f ||
    p.startsWith(f + ".") ||
    f.startsWith(p + ".") ||
    p === f + "Ref" ||
    p.startsWith(f + "Ref.") ||
    p === f + "Selector" ||
    p.startsWith(f + "Selector.")
  );
}

/** Resolves a reference (by name, or by selector labels) to the referenced resource's external name, within one render. */
export interface RefResolver {
  byName(name: string): string | undefined;
  /** The one resource with these labels (and, among several, of the kind the field names: vpcId → VPC). */
  byLabels(labels: Record<string, unknown>, field: string): string | undefined;
}

export function refResolver(result: RenderResult): RefResolver {
  const external = (o: KubeObject) => o.metadata?.annotations?.[EXTERNAL_NAME] ?? String(o.metadata?.name ?? "");
  const byName = new Map<string, string>();
  for (const r of result.resources) {
    const name = r.object.metadata?.name;
    if (typeof name === "string") byName.set(name, external(r.object));
  }
  return {
    byName: (name) => byName.get(name),
    byLabels(labels, field) {
      let hits = result.resources.filter((r) => Object.entries(labels).every(([k, v]) => r.object.metadata?.labels?.[k] === v));
      const kind = field.replace(/(Ids?|Arns?|Names?)$/, "").toLowerCase();
      if (hits.length > 1) hits = hits.filter((r) => r.object.kind.toLowerCase() === kind);
      return hits.length === 1 ? external(hits[0]!.object) : undefined;
    },
  };
}

/** The value at a dotted path (list levels collapsed: every item's value); a missing leaf set by <leaf>Ref resolves through the reference. */
function effective(o: unknown, path: string, resolve: RefResolver): unknown {
  const parts = strip(path).split(".");
  const at = (v: unknown, i: number): unknown => {
    if (Array.isArray(v)) return v.map((x) => at(x, i));
    if (i === parts.length) return v;
    if (!isObject(v)) return undefined;
    const k = parts[i]!;
    if (i === parts.length - 1 && v[k] === undefined) {
      const ref = v[k + "Ref"];
      if (isObject(ref) && typeof ref.name === "string") return resolve.byName(ref.name) ?? `(reference to ${ref.name})`;
      const sel = v[k + "Selector"];
      if (isObject(sel)) {
        const labels = isObject(sel.matchLabels) ? sel.matchLabels : {};
        return (
          resolve.byLabels(labels, k) ??
          `(selected by ${
            Object.entries(labels)
              .map(([a, b]) => `${a}=${String(b)}`)
              .join(",") || "controller reference"
          })`
        );
      }
    }
    return at(v[k], i + 1);
  };
  const out = at(o, 0);
  return Array.isArray(out) && out.length === 1 ? out[0] : out;
}

export function show(v: unknown): string {
  if (v === undefined) return "(none)";
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + "…" : s;
}

function chartVersion(o: KubeObject): string | undefined {
  const spec = isObject(o.spec) ? o.spec : {};
  const fp = isObject(spec.forProvider) ? spec.forProvider : {};
  const chart = isObject(fp.chart) ? fp.chart : {};
  return typeof chart.version === "string" ? chart.version : undefined;
}

function deleted(caseName: string, r: ComposedResource): UpgradeFinding {
  const o = r.object;
  const kept = keptBy(o);
  if (kept)
    return {
      rule: "orphaned",
      severity: "warning",
      case: caseName,
      crn: r.name,
      resource: describeObject(o),
      message: `Crossplane deletes the ${o.kind} object but ${kept}: the live resource stays, unmanaged`,
    };
  return {
    rule: "deleted",
    severity: "breaking",
    case: caseName,
    crn: r.name,
    resource: describeObject(o),
    message: `no longer composed: Crossplane ${deletionEffect(o)}`,
  };
}

/** A managed resource of a cloud provider (its name is a cloud resource's name). */
function isCloudResource(o: KubeObject): boolean {
  const group = foldGroup(o.apiVersion);
  return o.kind !== "ProviderConfig" && o.kind !== "ProviderConfigUsage" && !group.endsWith("crossplane.io");
}

function changed(
  caseName: string,
  before: ComposedResource,
  after: ComposedResource,
  data: ImmutableData,
  resolveOld: RefResolver,
  resolveNew: RefResolver,
): UpgradeFinding[] {
  const a = before.object;
  const b = after.object;
  const resource = describeObject(a);
  const base = { case: caseName, crn: before.name, resource };
  if (a.apiVersion !== b.apiVersion && a.kind !== b.kind) {
    return [
      {
        ...base,
        rule: "kind-changed",
        severity: "breaking",
        message:
          `now composes ${b.apiVersion} ${b.kind} instead of ${a.apiVersion} ${a.kind}: Crossplane stops managing the live ${a.kind} and creates a ` +
          `${b.kind} under its name`,
        changes: [{ path: "kind", old: a.kind, new: b.kind }],
      },
    ];
  }
  const changes = diffValues(a, b);
  if (changes.length === 0) return [];
  const out: UpgradeFinding[] = [];
  const group = foldGroup(a.apiVersion);
  const flagged = new Set<string>();
  const flag = (f: UpgradeFinding, paths: string[]) => {
    out.push(f);
    for (const p of paths) flagged.add(p);
  };
  const nameOld = a.metadata?.name;
  const nameNew = b.metadata?.name;
  if (nameOld !== nameNew) {
    const named = data.names.find((n) => n.group === group && n.kind === a.kind);
    flag(
      {
        ...base,
        rule: "metadata-name",
        severity: "breaking",
        message:
          `name ${show(nameOld)} → ${show(nameNew)}: Crossplane keeps the live name, so references to the new name resolve to ` +
          `nothing${named ? `; ${named.reason}, a fresh install creates another one` : ""}`,
        changes: [{ path: "metadata.name", old: nameOld, new: nameNew }],
      },
      ["metadata.name"],
    );
  }
  // The external name of a managed resource (not of ProviderConfigs, Usages or in-cluster objects):
  // the annotation, or the live metadata.name the provider defaults it to.
  const extPath = `metadata.annotations.${JSON.stringify(EXTERNAL_NAME)}`;
  if (isCloudResource(a)) {
    const extOld = a.metadata?.annotations?.[EXTERNAL_NAME] ?? nameOld;
    const extNew = b.metadata?.annotations?.[EXTERNAL_NAME] ?? nameOld;
    if (extOld !== extNew) {
      flag(
        {
          ...base,
          rule: "external-name",
          severity: "breaking",
          message: `external name ${show(extOld)} → ${show(extNew)}: the provider looks for (or creates) another ${a.kind}`,
          changes: [{ path: extPath, old: extOld, new: extNew }],
        },
        [extPath],
      );
    } else flagged.add(extPath);
  }
  for (const field of data.fields) {
    if (field.group !== group || field.kind !== a.kind) continue;
    const hits = changes.filter((c) => matches(field, c.path));
    if (hits.length === 0) continue;
    const va = effective(a, field.path, resolveOld);
    const vb = effective(b, field.path, resolveNew);
    for (const h of hits) flagged.add(h.path);
    if (JSON.stringify(va) === JSON.stringify(vb)) continue; // the same value, now set another way (e.g. through a reference)
    const where = field.path.replace(/\[\*\]/g, "");
    if (vb === undefined) {
      // No longer set: the provider late-initializes the field from the live resource, so nothing is replaced now.
      flag(
        {
          ...base,
          rule: "immutable-field",
          severity: "warning",
          message: `${where} ${show(va)} → no longer set: the provider keeps the live value; a fresh install gets the provider's default (${field.reason})`,
          changes: [{ path: field.path, old: va }],
        },
        [],
      );
      continue;
    }
    flag(
      {
        ...base,
        rule: "immutable-field",
        severity: "breaking",
        message: `${where} ${va === undefined ? "(unset: the provider's default)" : show(va)} → ${show(vb)}: ${field.reason}`,
        changes: [{ path: field.path, old: va, new: vb }],
      },
      [],
    );
  }
  if (group === "helm.crossplane.io" && a.kind === "Release") {
    const va = chartVersion(a);
    const vb = chartVersion(b);
    if (va !== vb)
      flag(
        {
          ...base,
          rule: "chart-version",
          severity: "notice",
          message: `chart version ${va ?? "(none)"} → ${vb ?? "(none)"}: the release is upgraded in place`,
          changes: [{ path: "spec.forProvider.chart.version", old: va, new: vb }],
        },
        ["spec.forProvider.chart.version"],
      );
  }
  const rest = changes.filter((c) => !flagged.has(c.path));
  if (rest.length > 0) {
    const paths = rest.map((c) => c.path);
    const list = paths.length > 3 ? `${paths.slice(0, 3).join(", ")} and ${paths.length - 3} more` : paths.join(", ");
    out.push({ ...base, rule: "changed", severity: "notice", message: `${rest.length} field${rest.length === 1 ? "" : "s"} changed: ${list}`, changes: rest });
  }
  return out;
}

/** Findings of one case. */
export function compareCase(caseName: string, before: RenderResult, after: RenderResult, data: ImmutableData): UpgradeFinding[] {
  const out: UpgradeFinding[] = [];
  if (before.composition !== after.composition) {
    out.push({
      rule: "composition-selection",
      severity: "breaking",
      case: caseName,
      message: `selects composition ${after.composition} instead of ${before.composition}: every resource is composed anew`,
    });
  }
  const newByName = new Map(after.resources.map((r) => [r.name, r]));
  const resolveOld = refResolver(before);
  const resolveNew = refResolver(after);
  const oldNames = new Set(before.resources.map((r) => r.name));
  for (const r of before.resources) {
    const n = newByName.get(r.name);
    if (!n) out.push(deleted(caseName, r));
    else out.push(...changed(caseName, r, n, data, resolveOld, resolveNew));
  }
  for (const r of after.resources) {
    if (!oldNames.has(r.name))
      out.push({
        rule: "added",
        severity: "notice",
        case: caseName,
        crn: r.name,
        resource: describeObject(r.object),
        message: `newly composed: Crossplane creates it`,
      });
  }
  return out;
}
