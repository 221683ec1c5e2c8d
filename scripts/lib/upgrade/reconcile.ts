/**
 * A few reconciles of one XR, as Crossplane runs them: each render's XR status and composed
 * resources are the next render's observed state. Composed resources get the name Crossplane
 * would give them (generateName plus a suffix; here a stable one derived from the composition
 * resource name, so two packages name the same resource alike). Status the caller observed
 * (a case's .observed.yaml) stays on the resource it belongs to; every other resource reports
 * what its real controller reports on a live, healthy Cluster (the state users upgrade from):
 * managed resources and Usages Ready=True and Synced=True, ProviderConfigs no condition at all
 * (crossplane-runtime's ProviderConfig reconciler never sets Ready). A reconcile whose inputs equal
 * the previous one's would render the same again, so the loop stops at a fixed point.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../paths.js";
import { displayPath } from "../paths.js";
import { foldGroup } from "./effects.js";
import { UserError } from "../errors.js";
import { KclError } from "../kcl/engine.js";
import type { Renderer } from "../render/renderer.js";
import { ANNOTATION_RESOURCE_NAME } from "../render/pipeline.js";
import type { ComposedResource, KubeObject, LoadedPackage, RenderResult } from "../render/types.js";
import { isObject, jsonCopy } from "../render/yaml.js";

export const DEFAULT_RECONCILES = 3;

export interface ReconcileInput {
  xr: KubeObject;
  /** Observed composed resources to start from (with their status). */
  observed?: KubeObject[];
  /** For messages. */
  source: string;
  observedSource?: string;
}

export interface Reconciled {
  result?: RenderResult;
  /** Renders run (fewer than asked when a fixed point came first). */
  renders: number;
  /** A render error (located as render locates it). */
  error?: string;
}

/** The suffix Crossplane's name generator would append; stable here (5 characters of [a-z0-9]). */
export function nameSuffix(crn: string): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789"; // the Kubernetes name generator's alphabet
  const hash = createHash("sha256").update(crn).digest();
  return Array.from(hash.subarray(0, 5), (b) => alphabet[b % alphabet.length]).join("");
}

const CONDITION_TIME = "2024-01-01T00:00:00Z";

export interface LiveStatusEntry {
  group: string;
  kind: string;
  fields: Record<string, unknown>;
  reason: string;
}

export const LIVE_STATUS_FILE = join(ROOT, "data", "live-status.json");

export function loadLiveStatus(file = LIVE_STATUS_FILE): LiveStatusEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError(`${displayPath(file)}: cannot read the live-status data (${(err as Error).message})`);
  }
  const list = isObject(data) ? data.atProvider : undefined;
  if (
    !Array.isArray(list) ||
    !list.every((e) => isObject(e) && typeof e.group === "string" && typeof e.kind === "string" && isObject(e.fields) && typeof e.reason === "string")
  ) {
    throw new UserError(`${displayPath(file)}: "atProvider" must be a list of {group, kind, fields, reason}`);
  }
  return list as LiveStatusEntry[];
}

/**
 * The status a resource's controller reports once it is healthy: Ready and Synced (none for a
 * ProviderConfig), and for the kinds in data/live-status.json the computed atProvider fields
 * compositions read back.
 */
export function healthyStatus(o: KubeObject, live: readonly LiveStatusEntry[] = []): Record<string, unknown> {
  if (o.kind === "ProviderConfig") return {};
  const group = foldGroup(o.apiVersion);
  const extra = live.find((e) => e.group === group && e.kind === o.kind)?.fields;
  const atProvider = extra ? jsonCopy(extra) : undefined;
  return {
    ...(atProvider ? { atProvider } : {}),
    conditions: [
      { type: "Ready", status: "True", reason: "Available", lastTransitionTime: CONDITION_TIME },
      { type: "Synced", status: "True", reason: "ReconcileSuccess", lastTransitionTime: CONDITION_TIME },
    ],
  };
}

/** A composed resource as the API server would return it: named, with the status observed for it (or a healthy one). */
function asObserved(r: ComposedResource, status: Map<string, unknown>, live: readonly LiveStatusEntry[]): KubeObject {
  const o = jsonCopy(r.object);
  const md = (o.metadata ??= {});
  if (!md.name && typeof md.generateName === "string") md.name = md.generateName + nameSuffix(r.name);
  const s = status.get(r.name);
  o.status = s !== undefined ? jsonCopy(s) : healthyStatus(o, live);
  return o;
}

/** Renders xr up to `reconciles` times with the package, feeding each result back as observed state. */
export async function reconcile(
  renderer: Renderer,
  pkg: LoadedPackage,
  input: ReconcileInput,
  reconciles = DEFAULT_RECONCILES,
  live: readonly LiveStatusEntry[] = [],
): Promise<Reconciled> {
  const status = new Map<string, unknown>();
  for (const o of input.observed ?? []) {
    const crn = o.metadata?.annotations?.[ANNOTATION_RESOURCE_NAME];
    if (crn && o.status !== undefined) status.set(crn, o.status);
  }
  let xr = input.xr;
  let observed = input.observed ?? [];
  let observedSource = input.observedSource;
  let previous = "";
  let result: RenderResult | undefined;
  let renders = 0;
  for (let i = 0; i < reconciles; i++) {
    const key = JSON.stringify([xr, observed]);
    if (key === previous) break;
    previous = key;
    try {
      result = await renderer.render(pkg, xr, { source: input.source, observed, observedMayBeGone: true, ...(observedSource ? { observedSource } : {}) });
    } catch (err) {
      if (err instanceof UserError || err instanceof KclError)
        return { renders: renders + 1, error: i === 0 ? err.message : `${err.message} (in reconcile ${i + 1}, with the observed state of reconcile ${i})` };
      throw err;
    }
    renders++;
    const next = jsonCopy(input.xr);
    if (isObject(result.xr.status)) next.status = jsonCopy(result.xr.status);
    xr = next;
    observed = result.resources.map((r) => asObserved(r, status, live));
    observedSource = `the composed resources of reconcile ${i + 1}`;
  }
  return { result, renders };
}
