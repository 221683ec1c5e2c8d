/**
 * Conformance of our render with real Crossplane: for a case that ran on the local control
 * plane, what Crossplane composed (names, labels, annotations, owner references, spec) and the
 * XR status and conditions it wrote must equal what `npm run render` produces for the same XR
 * with the live composed resources as observed state.
 *
 * Normalised before comparing: timestamps (lastTransitionTime), uids and resourceVersions, the
 * XR conditions the reconciler writes about itself (Synced, Responsive: no render has them), and
 * what the API server adds by itself: a composed resource's live spec is compared on the fields
 * the render sets (fields only the live object has are CRD defaults), and only the metadata
 * the render controls is compared (names, labels, annotations, owner references).
 */
import { createTwoFilesPatch } from "diff";
import type { KclEngine } from "../kcl/engine.js";
import { renderXr, type KubeObject as RenderObject, type LoadedPackage } from "../render/index.js";
import { sortKeys } from "../render/yaml.js";
import type { Kube, KubeObject } from "../cluster/kube.js";
import { ANNOTATION_RESOURCE_NAME } from "../paths.js";
import { toYamlStream } from "../yamlio.js";

export interface ConformanceResult {
  case: string;
  ok: boolean;
  /** Unified diffs (render → live), one per differing object; or why it could not compare. */
  diffs: string[];
  compared: number;
}

const ANNOTATION = ANNOTATION_RESOURCE_NAME;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => !!v && typeof v === "object" && !Array.isArray(v);

/** live restricted to the shape of want (objects: want's keys; arrays of the same length: element-wise). */
export function project(live: unknown, want: unknown): unknown {
  if (isRec(want) && isRec(live))
    return Object.fromEntries(
      Object.keys(want)
        .filter((k) => k in live)
        .map((k) => [k, project(live[k], want[k])]),
    );
  if (Array.isArray(want) && Array.isArray(live) && want.length === live.length) return live.map((x, i) => project(x, want[i]));
  return live;
}

function normOwners(refs: unknown): unknown {
  if (!Array.isArray(refs)) return refs;
  return refs.map((r: Rec) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== "uid")));
}

function normConditions(conds: unknown): unknown {
  if (!Array.isArray(conds)) return conds;
  return [...conds]
    .map((c: Rec) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== "lastTransitionTime" && k !== "observedGeneration")))
    .sort((a, b) => String(a.type).localeCompare(String(b.type)));
}

function composedView(o: Rec, shape?: Rec): Rec {
  const m = (o.metadata ?? {}) as Rec;
  const spec = shape ? project(o.spec, shape.spec) : o.spec;
  return sortKeys({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      labels: m.labels ?? {},
      annotations: m.annotations ?? {},
      ownerReferences: normOwners(m.ownerReferences) ?? [],
    },
    spec,
  }) as Rec;
}

/**
 * The XR status; conditions only of the types the render reports (Ready): Synced and Responsive
 * are written by Crossplane's reconciler about itself (reconcile errors, watch rate limiting),
 * which no render produces.
 */
function statusView(xr: Rec, types?: Set<string>): Rec {
  const status = { ...((xr.status ?? {}) as Rec) };
  const conds = Array.isArray(status.conditions) ? (status.conditions as Rec[]).filter((c) => !types || types.has(String(c.type))) : status.conditions;
  status.conditions = normConditions(conds);
  return sortKeys(status);
}

function diff(label: string, want: unknown, got: unknown): string | undefined {
  const a = toYamlStream([want]);
  const b = toYamlStream([got]);
  if (a === b) return undefined;
  return createTwoFilesPatch(`render: ${label}`, `crossplane: ${label}`, a, b, "", "", { context: 2 });
}

/** Strips a live object down to what an observed-state file holds. */
function asObserved(o: KubeObject): RenderObject {
  const m = (o.metadata ?? {}) as Rec;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}), labels: m.labels ?? {}, annotations: m.annotations ?? {} },
    ...(o.spec !== undefined ? { spec: o.spec } : {}),
    ...(o.status !== undefined ? { status: o.status } : {}),
  } as RenderObject;
}

export async function checkConformance(kube: Kube, engine: KclEngine, pkg: LoadedPackage, name: string, xrInput: RenderObject): Promise<ConformanceResult> {
  const meta = xrInput.metadata ?? {};
  const live = await kube.get(xrInput.apiVersion, xrInput.kind, meta.name!, meta.namespace);
  if (!live) return { case: name, ok: false, compared: 0, diffs: [`the ${xrInput.kind} ${meta.name} is not in the control plane`] };
  const refs = (((live.spec as Rec | undefined)?.crossplane as Rec | undefined)?.resourceRefs ?? []) as {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
  }[];
  const composed: KubeObject[] = [];
  for (const r of refs) {
    const o = await kube.get(r.apiVersion, r.kind, r.name, r.namespace ?? meta.namespace);
    if (o) composed.push({ ...o, apiVersion: r.apiVersion, kind: r.kind });
  }
  const rendered = await renderXr(engine, pkg, xrInput, { observed: composed.map(asObserved), source: `tests/cases/${name}.yaml` });
  const diffs: string[] = [];
  const liveByName = new Map(
    composed.map((o) => [String(((o.metadata ?? {}) as { annotations?: Record<string, string> }).annotations?.[ANNOTATION] ?? ""), o]),
  );
  const renderedNames = new Set<string>();
  for (const r of rendered.resources) {
    renderedNames.add(r.name);
    const l = liveByName.get(r.name);
    if (!l) {
      diffs.push(`${r.name}: rendered, but Crossplane did not compose it`);
      continue;
    }
    const want = composedView(r.object as Rec);
    const got = composedView(l as Rec, r.object as Rec);
    const d = diff(`${r.object.kind} ${r.name}`, want, got);
    if (d) diffs.push(d);
  }
  for (const n of liveByName.keys()) if (!renderedNames.has(n)) diffs.push(`${n}: composed by Crossplane, but not rendered`);
  const renderedTypes = new Set((((rendered.xr.status as Rec | undefined)?.conditions ?? []) as Rec[]).map((c) => String(c.type)));
  const d = diff(`${xrInput.kind} ${meta.name} status`, statusView(rendered.xr as Rec), statusView(live as Rec, renderedTypes));
  if (d) diffs.push(d);
  return { case: name, ok: diffs.length === 0, diffs, compared: rendered.resources.length };
}
