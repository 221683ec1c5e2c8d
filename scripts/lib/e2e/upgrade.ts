/**
 * The real upgrade: on a local control plane, an older package's XRD and Compositions are
 * installed, Clusters are created and become Ready, then the current package is applied over
 * them as the package manager updates a Configuration (same Composition names, a new revision
 * each, the XRs following it). What Crossplane really does to every composed resource (deletes,
 * creates, updates in place, leaves alone) is recorded and compared, composition resource name
 * by composition resource name, with what `npm run upgrade-check` predicts for the same XRs.
 */
import type { Kube, KubeObject, WaitFor } from "../cluster/kube.js";
import { applyDefinitionAndCompositions } from "../cluster/install.js";
import type { Renderer } from "../render/renderer.js";
import type { LoadedPackage, KubeObject as RenderObject } from "../render/types.js";
import { isObject } from "../render/yaml.js";
import { diffValues, type ImmutableData } from "../upgrade/diff.js";
import { describeObject } from "../upgrade/effects.js";
import { comparePackages } from "../upgrade/index.js";
import type { LiveStatusEntry } from "../upgrade/reconcile.js";
import type { UpgradeFinding } from "../upgrade/types.js";
import { ANNOTATION_RESOURCE_NAME } from "../paths.js";

/** What happens to one composition resource name's live object(s) across the upgrade. */
export type Effect = "deleted" | "created" | "updated" | "unchanged" | "replaced";

export interface UpgradeCaseInput {
  case: string;
  xr: RenderObject;
}

export interface CrnVerdict {
  crn: string;
  predicted: Effect;
  observed: Effect;
  /** The live object(s) before → after, and the fields that changed, for messages. */
  detail: string;
}

export interface RealUpgradeCase {
  case: string;
  /** The XR became Ready with the older package (before the upgrade) and after it. */
  readyBefore: boolean;
  readyAfter: boolean;
  /** Every composition resource name seen on either side. */
  verdicts: CrnVerdict[];
  /** Verdicts whose prediction and observation differ, and problems reaching a steady state. */
  mismatches: string[];
  counts: Record<Effect, number>;
}

export interface RealUpgradeReport {
  from: string;
  to: string;
  cases: RealUpgradeCase[];
  ok: boolean;
  /** When set, any real deletion fails the run (the upgrade must delete nothing). */
  requireNoDeletions: boolean;
  durationMs: number;
}

export interface RealUpgradeOptions {
  kube: Kube;
  before: LoadedPackage;
  after: LoadedPackage;
  cases: readonly UpgradeCaseInput[];
  renderer: Renderer;
  immutable: ImmutableData;
  live: readonly LiveStatusEntry[];
  waitFor: WaitFor;
  log: (line: string) => void;
  requireNoDeletions?: boolean;
  /** How long each Cluster may take to settle (default 2 minutes). */
  settleMs?: number;
}

const COMPOSITE_LABEL = "crossplane.io/composite";
/** Annotations written by controllers, not by the composition. */
const CONTROLLER_ANNOTATIONS = /^(crossplane\.io\/external-(create|update)-[a-z]+|kubectl\.kubernetes\.io\/)/;

export interface LiveComposed {
  uid: string;
  crn: string;
  ref: string;
  resourceVersion: string;
  deleting: boolean;
  /** What the composition controls: spec, labels, annotations. */
  view: Record<string, unknown>;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (isObject(v) ? v : {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function conditionsOf(o: KubeObject | undefined): { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[] {
  const c = rec(o?.status).conditions;
  return Array.isArray(c) ? (c as { type: string; status: string }[]) : [];
}

function liveComposed(o: KubeObject): LiveComposed {
  const md = rec(o.metadata);
  const annotations = Object.fromEntries(Object.entries(rec(md.annotations)).filter(([k]) => !CONTROLLER_ANNOTATIONS.test(k)));
  return {
    uid: String(md.uid ?? ""),
    crn: String(rec(md.annotations)[ANNOTATION_RESOURCE_NAME] ?? ""),
    ref: describeObject(o as RenderObject),
    resourceVersion: String(md.resourceVersion ?? ""),
    deleting: md.deletionTimestamp !== undefined,
    view: { labels: rec(md.labels), annotations, spec: o.spec ?? null },
  };
}

/** The kinds to look in: every kind the XR references now, plus every kind seen before. */
async function snapshot(kube: Kube, xr: KubeObject, kinds: Map<string, { apiVersion: string; kind: string }>): Promise<LiveComposed[]> {
  const refs = rec(rec(xr.spec).crossplane).resourceRefs;
  for (const r of Array.isArray(refs) ? (refs as Rec[]) : [])
    kinds.set(`${String(r.apiVersion)} ${String(r.kind)}`, { apiVersion: String(r.apiVersion), kind: String(r.kind) });
  const namespace = xr.metadata?.namespace;
  const name = String(xr.metadata?.name);
  const out: LiveComposed[] = [];
  for (const k of [...kinds.values()].sort((a, b) => `${a.apiVersion} ${a.kind}`.localeCompare(`${b.apiVersion} ${b.kind}`))) {
    const items = await kube.list(k.apiVersion, k.kind, { ...(namespace ? { namespace } : {}), labelSelector: `${COMPOSITE_LABEL}=${name}` });
    out.push(...items.map(liveComposed));
  }
  return out.sort((a, b) => a.crn.localeCompare(b.crn) || a.uid.localeCompare(b.uid));
}

/** The newest revision of a Composition (the one an XR with the Automatic update policy follows). */
async function latestRevision(kube: Kube, composition: string): Promise<string | undefined> {
  const revisions = await kube.list("apiextensions.crossplane.io/v1", "CompositionRevision", {
    labelSelector: `crossplane.io/composition-name=${composition}`,
  });
  let best: { name: string; revision: number } | undefined;
  for (const r of revisions) {
    const revision = Number(rec(r.spec).revision ?? 0);
    if (!best || revision > best.revision) best = { name: String(r.metadata?.name), revision };
  }
  return best?.name;
}

/**
 * Waits until the XR follows its Composition's newest revision, is Ready, nothing it composed is
 * being deleted, and the composed resources stay the same (uids and resourceVersions) over
 * several polls. Returns the last snapshot, or a reason it did not settle.
 */
async function settle(
  kube: Kube,
  xrInput: RenderObject,
  kinds: Map<string, { apiVersion: string; kind: string }>,
  deadlineMs: number,
  log: (line: string) => void,
): Promise<{ live: LiveComposed[]; ready: boolean; problem?: string }> {
  const started = Date.now();
  const deadline = started + deadlineMs;
  let reported = started;
  const md = xrInput.metadata ?? {};
  let stableKey = "";
  let stableFor = 0;
  let last = "";
  let live: LiveComposed[] = [];
  for (;;) {
    const xr = await kube.get(xrInput.apiVersion, xrInput.kind, String(md.name), md.namespace);
    if (xr) {
      const cp = rec(rec(xr.spec).crossplane);
      const composition = String(rec(cp.compositionRef).name ?? "");
      const revision = String(rec(cp.compositionRevisionRef).name ?? "");
      const latest = composition ? await latestRevision(kube, composition) : undefined;
      const ready = conditionsOf(xr).find((c) => c.type === "Ready");
      live = await snapshot(kube, xr, kinds);
      const deleting = live.filter((l) => l.deleting).map((l) => l.ref);
      const key = JSON.stringify(live.map((l) => [l.uid, l.resourceVersion]));
      // Synced=True and conditions of the current generation: the reconcile after the revision switch composed without error.
      const synced = conditionsOf(xr).find((c) => c.type === "Synced");
      const generation = Number(xr.metadata?.generation ?? 0);
      const current = conditionsOf(xr).every((c) => c.observedGeneration === undefined || c.observedGeneration === generation);
      const settled = ready?.status === "True" && synced?.status === "True" && current && latest !== undefined && revision === latest && deleting.length === 0;
      stableFor = settled && key === stableKey ? stableFor + 1 : 0;
      stableKey = key;
      if (stableFor >= 3) return { live, ready: true };
      last =
        `Ready=${ready?.status ?? "unset"}${ready?.status !== "True" && ready?.message ? ` (${ready.message.slice(0, 200)})` : ""}, ` +
        `Synced=${synced?.status ?? "unset"}${current ? "" : " (conditions of an older generation)"}, ` +
        `revision ${revision || "none"} (newest ${latest ?? "none"}), ${live.length} composed` +
        (deleting.length ? `, ${deleting.length} being deleted: ${deleting.slice(0, 3).join(", ")}` : "");
    } else last = "the XR does not exist";
    if (Date.now() > deadline)
      return { live, ready: false, problem: `${xrInput.kind} ${String(md.name)} did not settle within ${deadlineMs / 1000} s: ${last}` };
    if (Date.now() - reported >= 10_000) {
      reported = Date.now();
      log(`  ${xrInput.kind} ${String(md.name)} after ${Math.round((reported - started) / 1000)} s: ${last}`);
    }
    await sleep(1000);
  }
}

/** What Crossplane did to each composition resource name, from the snapshots before and after. */
export function observedEffects(before: readonly LiveComposed[], after: readonly LiveComposed[]): Map<string, { effect: Effect; detail: string }> {
  const crns = [...new Set([...before, ...after].map((l) => l.crn))].sort();
  const out = new Map<string, { effect: Effect; detail: string }>();
  for (const crn of crns) {
    const b = before.filter((l) => l.crn === crn);
    const a = after.filter((l) => l.crn === crn);
    const refs = (ls: LiveComposed[]) => ls.map((l) => l.ref).join(" + ") || "nothing";
    if (b.length === 0) out.set(crn, { effect: "created", detail: `created ${refs(a)}` });
    else if (a.length === 0) out.set(crn, { effect: "deleted", detail: `deleted ${refs(b)}` });
    else if (b.length === 1 && a.length === 1 && b[0]!.uid === a[0]!.uid) {
      const changes = diffValues(b[0]!.view, a[0]!.view).map((c) => c.path);
      out.set(
        crn,
        changes.length
          ? {
              effect: "updated",
              detail: `${a[0]!.ref} updated: ${changes.slice(0, 4).join(", ")}${changes.length > 4 ? ` and ${changes.length - 4} more` : ""}`,
            }
          : { effect: "unchanged", detail: a[0]!.ref },
      );
    } else out.set(crn, { effect: "replaced", detail: `${refs(b)} → ${refs(a)}` });
  }
  return out;
}

/** What upgrade-check's findings say happens to each composition resource name of a case. */
export function predictedEffects(findings: readonly UpgradeFinding[]): Map<string, Effect> {
  const out = new Map<string, Effect>();
  for (const f of findings) {
    if (!f.crn) continue;
    const now = out.get(f.crn);
    let effect: Effect;
    if (f.rule === "deleted" || f.rule === "orphaned") effect = "deleted";
    else if (f.rule === "added") effect = "created";
    else if (f.rule === "kind-changed") effect = "replaced";
    // The live object keeps its name (upgrade-check: "Crossplane keeps the live name"): no change of its own.
    else if (f.rule === "metadata-name") effect = now ?? "unchanged";
    else effect = "updated";
    if (now === undefined || now === "unchanged") out.set(f.crn, effect);
  }
  return out;
}

/**
 * Prediction against observation, per composition resource name (a name neither side mentions
 * is unchanged on both); with requireNoDeletions every real deletion is a mismatch too.
 */
export function compareEffects(
  predicted: ReadonlyMap<string, Effect>,
  observed: ReadonlyMap<string, { effect: Effect; detail: string }>,
  requireNoDeletions: boolean,
): { verdicts: CrnVerdict[]; mismatches: string[] } {
  const crns = [...new Set([...predicted.keys(), ...observed.keys()])].sort();
  const verdicts = crns.map((crn) => {
    const o = observed.get(crn);
    return { crn, predicted: predicted.get(crn) ?? "unchanged", observed: o?.effect ?? "unchanged", detail: o?.detail ?? "no live object on either side" };
  });
  const mismatches: string[] = [];
  for (const v of verdicts)
    if (v.predicted !== v.observed) mismatches.push(`${v.crn}: upgrade-check predicted ${v.predicted}, Crossplane ${v.observed} (${v.detail})`);
  if (requireNoDeletions)
    for (const v of verdicts.filter((v) => v.observed === "deleted" || v.observed === "replaced"))
      mismatches.push(`${v.crn}: the upgrade deleted a live resource (${v.detail})`);
  return { verdicts, mismatches };
}

const EFFECTS: Effect[] = ["deleted", "created", "updated", "unchanged", "replaced"];

export async function runRealUpgrade(options: RealUpgradeOptions): Promise<RealUpgradeReport> {
  const started = Date.now();
  const { kube, log } = options;
  const settleMs = options.settleMs ?? 120_000;
  log(`predicting the upgrade of ${options.cases.length} Cluster(s) with upgrade-check…`);
  const inputs = options.cases.map((c) => ({ case: c.case, xr: c.xr, source: `${c.case} (real upgrade)` }));
  const prediction = await comparePackages(options.renderer, options.before, options.after, inputs, { immutable: options.immutable, live: options.live });
  const notComparable = prediction.cases.filter((c) => c.status === "not-comparable").map((c) => c.case);

  log(`installing the older package (${options.before.dir}) …`);
  await applyDefinitionAndCompositions(
    kube,
    { xrds: options.before.xrds, compositions: options.before.compositions, source: options.before.dir },
    options.waitFor,
  );
  const kinds = new Map(options.cases.map((c) => [c.case, new Map<string, { apiVersion: string; kind: string }>()]));
  for (const c of options.cases) {
    const ns = c.xr.metadata?.namespace;
    if (ns) await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await kube.apply(c.xr as KubeObject);
  }
  log("waiting for the Clusters to become Ready with the older package…");
  const before = await Promise.all(options.cases.map((c) => settle(kube, c.xr, kinds.get(c.case)!, settleMs, log)));

  log(`upgrading to ${options.after.dir} …`);
  await applyDefinitionAndCompositions(
    kube,
    { xrds: options.after.xrds, compositions: options.after.compositions, source: options.after.dir },
    options.waitFor,
  );
  log("waiting for the Clusters to settle on the upgraded package…");
  const after = await Promise.all(options.cases.map((c) => settle(kube, c.xr, kinds.get(c.case)!, settleMs, log)));

  const cases: RealUpgradeCase[] = options.cases.map((c, i) => {
    const mismatches: string[] = [];
    if (notComparable.includes(c.case))
      mismatches.push(`upgrade-check could not compare it: ${prediction.findings.find((f) => f.case === c.case && f.rule === "not-comparable")?.message}`);
    if (before[i]!.problem) mismatches.push(`before the upgrade: ${before[i]!.problem}`);
    if (after[i]!.problem) mismatches.push(`after the upgrade: ${after[i]!.problem}`);
    const predicted = predictedEffects(prediction.findings.filter((f) => f.case === c.case));
    const observed = observedEffects(before[i]!.live, after[i]!.live);
    const { verdicts, mismatches: differences } = compareEffects(predicted, observed, options.requireNoDeletions === true);
    mismatches.push(...differences);
    const counts = Object.fromEntries(EFFECTS.map((e) => [e, verdicts.filter((v) => v.observed === e).length])) as Record<Effect, number>;
    return { case: c.case, readyBefore: before[i]!.ready, readyAfter: after[i]!.ready, verdicts, mismatches, counts };
  });
  return {
    from: options.before.dir,
    to: options.after.dir,
    cases,
    ok: cases.every((c) => c.mismatches.length === 0 && c.readyBefore && c.readyAfter),
    requireNoDeletions: options.requireNoDeletions === true,
    durationMs: Date.now() - started,
  };
}

export function formatRealUpgrade(report: RealUpgradeReport): string[] {
  const lines = [`real upgrade from ${report.from} to ${report.to}:`];
  for (const c of report.cases) {
    const counts = EFFECTS.filter((e) => c.counts[e] > 0)
      .map((e) => `${c.counts[e]} ${e}`)
      .join(", ");
    lines.push(
      `  ${c.case}: ${c.mismatches.length === 0 ? "as upgrade-check predicted" : `${c.mismatches.length} mismatch(es)`}: ${counts || "nothing composed"}`,
    );
    for (const m of c.mismatches.slice(0, 30)) lines.push(`    ${m}`);
  }
  lines.push(
    `${report.ok ? "real upgrade passed" : "real upgrade FAILED"} in ${(report.durationMs / 1000).toFixed(1)} s` +
      (report.requireNoDeletions ? " (no deletions allowed)" : ""),
  );
  return lines;
}
