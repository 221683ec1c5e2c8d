/**
 * Replaying a Chainsaw test's asserts against a local render instead of a live control plane.
 *
 * What Chainsaw (v0.2.15, with kyverno-json's assertion trees) does, and what is reproduced here:
 * - `apply` and `patch` send the file's object as a JSON merge patch onto the live object
 *   (pkg/engine/operations/apply|patch); the API server then writes the XRD's defaults;
 * - an assert document selects its resource by apiVersion, kind and metadata.name (all of that
 *   kind in the namespace when it has no name) and must be a subset of it: every map key must be
 *   present, lists must have the same length and match element by element, scalars are equal,
 *   `{}` only requires a non-null value (kyverno-json pkg/core/assertion);
 * - `(expr)` values and keys are JMESPath over bindings: the forms dot-kubernetes's tests use are
 *   `$binding`, `'literal'`, `join('-', [..])`, and as keys `path[?name == <expr>]` filters.
 * The live world the asserts see is the render: the XR with the XRD's defaults, Crossplane's
 * spec.crossplane.compositionRef and resourceRefs (sorted as Crossplane sorts them: by
 * apiVersion + kind + name), its status, and the composed resources with their metadata.
 */
import type { KubeObject, RenderResult } from "../render/types.js";
import { isObject, jsonCopy } from "../render/yaml.js";
import { settleComposed, type Defaulter } from "./live.js";

export type Bindings = Record<string, string>;
type Json = Record<string, unknown>;

/** A composed resource's identity. */
export interface ResourceId {
  apiVersion: string;
  kind: string;
  name?: string;
}

const EXPR = /^\((.*)\)$/s;
const FILTER = /^([A-Za-z0-9_.]+)\[\?name == (.+)\]$/s;

/** Evaluates one expression of the supported forms; throws on anything else. */
export function evaluate(expr: string, bindings: Bindings): unknown {
  const e = expr.trim();
  const lit = /^'([^']*)'$/.exec(e);
  if (lit) return lit[1];
  const bound = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(e);
  if (bound) {
    const v = bindings[bound[1]!];
    if (v === undefined) throw new Error(`binding $${bound[1]} is not defined (bindings: ${Object.keys(bindings).join(", ")})`);
    return v;
  }
  const join = /^join\('([^']*)',\s*\[(.*)\]\)$/s.exec(e);
  if (join) {
    const parts = join[2]!
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    return parts.map((p) => String(evaluate(p, bindings))).join(join[1]);
  }
  throw new Error(`unsupported expression (${e}): only $binding, 'literal' and join('sep', [..]) are replayed`);
}

/**
 * Resolves every `(expr)` value to its literal and every filter key's expression to a literal,
 * so the tree no longer depends on bindings. Keys keep the form `(path[?name == 'literal'])`.
 */
export function resolveTree(value: unknown, bindings: Bindings): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveTree(v, bindings));
  if (isObject(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const m = EXPR.exec(k);
      let key = k;
      if (m) {
        const f = FILTER.exec(m[1]!.trim());
        if (!f) throw new Error(`unsupported key expression ${k}: only path[?name == <expr>] filters are replayed`);
        key = `(${f[1]}[?name == '${String(evaluate(f[2]!, bindings))}'])`;
      }
      out[key] = resolveTree(v, bindings);
    }
    return out;
  }
  if (typeof value === "string") {
    const m = EXPR.exec(value);
    if (m) return evaluate(m[1]!, bindings);
  }
  return value;
}

/** The filter key of a resolved tree, if `key` is one: the dotted path and the name it selects. */
export function filterKey(key: string): { path: string[]; name: string } | undefined {
  const m = /^\(([A-Za-z0-9_.]+)\[\?name == '([^']*)'\]\)$/.exec(key);
  return m ? { path: m[1]!.split("."), name: m[2]! } : undefined;
}

const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? "nothing" : s.length > 120 ? s.slice(0, 120) + "…" : s;
};

/** kyverno-json's assertion-tree match of a resolved tree; returns one line per mismatch. */
export function matchTree(expected: unknown, actual: unknown, path = ""): string[] {
  if (Array.isArray(expected)) {
    if (actual === null || actual === undefined) return [`${path || "."}: value is null, expected a list of ${expected.length}`];
    if (!Array.isArray(actual)) return [`${path || "."}: expected a list, got ${show(actual)}`];
    if (actual.length !== expected.length)
      return [`${path || "."}: lengths of lists don't match (expected ${expected.length}, got ${actual.length}: ${show(actual)})`];
    return expected.flatMap((e, i) => matchTree(e, actual[i], `${path}[${i}]`));
  }
  if (isObject(expected)) {
    const keys = Object.keys(expected);
    if (keys.length === 0) return actual === null || actual === undefined ? [`${path || "."}: must not be null`] : [];
    const out: string[] = [];
    for (const k of keys) {
      const f = filterKey(k);
      if (f) {
        let list: unknown = actual;
        for (const p of f.path) list = isObject(list) ? list[p] : undefined;
        const projected = Array.isArray(list) ? list.filter((x) => isObject(x) && x.name === f.name) : null;
        out.push(...matchTree(expected[k], projected, `${path}.${k}`));
      } else if (!isObject(actual) || !(k in actual)) {
        out.push(`${path}.${k}: field not found`);
      } else {
        out.push(...matchTree(expected[k], actual[k], `${path}.${k}`));
      }
    }
    return out;
  }
  return sameScalar(expected, actual) ? [] : [`${path || "."}: expected ${show(expected)}, got ${show(actual)}`];
}

function sameScalar(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b;
  return a === b;
}

/** RFC 7386 JSON merge patch, as the API server applies Chainsaw's apply and patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return jsonCopy(patch);
  const out: Json = isObject(target) ? jsonCopy(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Crossplane's order of spec.crossplane.resourceRefs: apiVersion + kind + name, as one string. */
export function sortedRefs(refs: ResourceId[]): ResourceId[] {
  const key = (r: ResourceId) => `${r.apiVersion}${r.kind}${r.name ?? ""}`;
  return [...refs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * What the asserts see after a reconcile: the XR as Crossplane writes it, then every composed
 * resource as the control plane settles it (live.ts).
 */
export function liveWorld(result: RenderResult, namespace: string, defaulter?: Defaulter): KubeObject[] {
  const xr = jsonCopy(result.observedXr);
  xr.metadata = { ...(xr.metadata ?? {}), namespace };
  const spec = (isObject(xr.spec) ? xr.spec : (xr.spec = {})) as Json;
  const crossplane = (isObject(spec.crossplane) ? spec.crossplane : (spec.crossplane = {})) as Json;
  crossplane.compositionRef = { name: result.composition };
  crossplane.compositionUpdatePolicy ??= "Automatic";
  crossplane.resourceRefs = sortedRefs(result.resources.map((r) => ({ apiVersion: r.object.apiVersion, kind: r.object.kind, name: r.object.metadata?.name })));
  if (result.xr.status !== undefined) xr.status = jsonCopy(result.xr.status);
  const composed = result.resources.map((r) => {
    const o = jsonCopy(r.object);
    o.metadata = { ...(o.metadata ?? {}), namespace };
    return o;
  });
  settleComposed(composed, defaulter);
  return [xr, ...composed];
}

/** The resource an assert document selects in the world, or undefined. */
export function selectTarget(world: readonly KubeObject[], doc: Json): KubeObject | undefined {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const name = typeof meta.name === "string" ? meta.name : undefined;
  const candidates = world.filter((o) => o.apiVersion === doc.apiVersion && o.kind === doc.kind && (name === undefined || o.metadata?.name === name));
  if (name !== undefined) return candidates[0];
  // Without a name Chainsaw lists the kind and passes when any candidate matches.
  return candidates.find((c) => matchTree(doc, c).length === 0) ?? candidates[0];
}

/** One assert document replayed: the mismatches, or a missing resource. */
export function replayAssert(world: readonly KubeObject[], doc: Json): string[] {
  const target = selectTarget(world, doc);
  if (!target) {
    const name = isObject(doc.metadata) && typeof doc.metadata.name === "string" ? ` ${doc.metadata.name}` : "";
    return [`no ${String(doc.kind)} ${String(doc.apiVersion)}${name} in the render`];
  }
  return matchTree(doc, target);
}
