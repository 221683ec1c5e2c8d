/**
 * The upgrade facts of an older package (record.ts) checked against the current package: every
 * composition resource name the old package composed is still composed, with the same API group,
 * kind and metadata.name (Crossplane deletes a composed resource whose name is no longer desired;
 * a new metadata.name or kind is a new object), and every assert of the old package's Chainsaw
 * tests still holds, either exactly or after one of the documented EXCEPTIONS (deliberate
 * improvements, each with its reason).
 */
import type { KclEngine } from "../kcl/engine.js";
import { renderXr } from "../render/index.js";
import type { KubeObject, LoadedPackage, RenderResult } from "../render/types.js";
import { isObject, jsonCopy } from "../render/yaml.js";
import type { Defaulter } from "./live.js";
import type { FactAssert, FactState, UpgradeFacts } from "./record.js";
import { REPLAY_NAMESPACE, stateXr } from "./record.js";
import { liveWorld, replayAssert, sortedRefs, type ResourceId } from "./replay.js";

type Json = Record<string, unknown>;

/** A deliberate difference from the old package: how it changes what an assert expects, and why. */
export interface Exception {
  id: string;
  reason: string;
  /** The expectation under this exception, or undefined when it does not apply to this assert. */
  apply(expect: Json, ctx: { state: FactState; world: KubeObject[] }): Json | undefined;
}

const manifestOf = (o: Json): Json | undefined => {
  const spec = isObject(o.spec) ? o.spec : undefined;
  const fp = spec && isObject(spec.forProvider) ? spec.forProvider : undefined;
  return fp && isObject(fp.manifest) ? fp.manifest : undefined;
};
const resourceRefsOf = (o: Json): ResourceId[] | undefined => {
  const spec = isObject(o.spec) ? o.spec : undefined;
  const xp = spec && isObject(spec.crossplane) ? spec.crossplane : undefined;
  return xp && Array.isArray(xp.resourceRefs) ? (xp.resourceRefs as ResourceId[]) : undefined;
};

/** A copy of an asserted XR whose spec.crossplane.resourceRefs also lists `added`, in Crossplane's order. */
const withRefs = (expect: Json, refs: ResourceId[], added: ResourceId[]): Json => {
  const out = jsonCopy(expect);
  ((out.spec as Json).crossplane as Json).resourceRefs = sortedRefs([...refs, ...added]);
  return out;
};

export const EXCEPTIONS: readonly Exception[] = [
  {
    id: "external-secrets-v1",
    reason:
      "ClusterSecretStore and ExternalSecret manifests use external-secrets.io/v1: the pinned external-secrets chart (2.x) no longer serves v1beta1, so the " +
      "old manifests would be refused",
    apply(expect) {
      const m = manifestOf(expect);
      if (m?.apiVersion !== "external-secrets.io/v1beta1") return undefined;
      const out = jsonCopy(expect);
      manifestOf(out)!.apiVersion = "external-secrets.io/v1";
      return out;
    },
  },
  {
    id: "argocd-admin-password",
    reason:
      "the Argo CD admin password is no longer one bcrypt hash shared by every cluster: it comes from the Secret named by " +
      "apps.argocd.adminPasswordSecretRef (or Argo CD generates one)",
    apply(expect) {
      const m =
        isObject(expect.spec) && isObject(expect.spec.forProvider) && isObject(expect.spec.forProvider.values) ? expect.spec.forProvider.values : undefined;
      if (expect.kind !== "Release" || !m || !isObject(m.configs) || !("secret" in m.configs)) return undefined;
      // biome-ignore lint/suspicious/noExplicitAny: a deep copy of an asserted object, edited by path
      const out = jsonCopy(expect) as any;
      delete out.spec.forProvider.values.configs.secret;
      return out;
    },
  },
  {
    id: "usages-for-every-app",
    reason:
      "every app resource has a Usage of the cluster MR, also the namespaces and the vLLM objects dot-kubernetes left unguarded, so the cluster is not " +
      "deleted before provider-kubernetes removed them",
    apply(expect, { world }) {
      const refs = resourceRefsOf(expect);
      if (!refs || expect.kind !== world[0]?.kind) return undefined;
      const names = new Set(refs.map((r) => r.name));
      const added = world
        .slice(1)
        .filter((o) => o.kind === "Usage" && !names.has(o.metadata?.name))
        .filter((u) => {
          const by = (u.spec as { by?: { resourceRef?: { name?: unknown } } } | undefined)?.by?.resourceRef?.name;
          return typeof by === "string" && names.has(by) && refs.some((r) => r.name === by && r.kind === "Object");
        })
        .map((u) => ({ apiVersion: u.apiVersion, kind: u.kind, name: u.metadata!.name! }));
      if (added.length === 0) return undefined;
      return withRefs(expect, refs, added);
    },
  },
  {
    id: "aws-ebs-csi-policy",
    reason:
      "AWS Clusters get a RolePolicyAttachment <xr>-ebs (AmazonEBSCSIDriverPolicy on the node role): the aws-ebs-csi-driver add-on runs with the node role " +
      "and cannot attach volumes without it",
    apply(expect, { world }) {
      const refs = resourceRefsOf(expect);
      if (!refs || expect.kind !== world[0]?.kind) return undefined;
      const xr = world[0]?.metadata?.name;
      const ebs = world.find((o) => o.kind === "RolePolicyAttachment" && o.apiVersion.startsWith("iam.aws.m.upbound.io/") && o.metadata?.name === `${xr}-ebs`);
      if (!ebs || refs.some((r) => r.name === ebs.metadata!.name && r.kind === ebs.kind)) return undefined;
      return withRefs(expect, refs, [{ apiVersion: ebs.apiVersion, kind: ebs.kind, name: ebs.metadata!.name! }]);
    },
  },
];

/** How one assert fared on the current package. */
export interface AssertOutcome {
  id: string;
  /** Held as recorded; held after these exceptions; or the mismatches. */
  verdict: "held" | "held-with-exceptions" | "failed";
  exceptions: string[];
  mismatches: string[];
}

export interface StateOutcome {
  id: string;
  /** Composition resource names the old package composed and the current one does not. */
  deleted: string[];
  /** Kept names whose API group, kind or metadata.name changed: "crn: old -> new". */
  changed: string[];
  /** Set when the current package cannot render this state: its asserts count as failed. */
  error?: string;
}

export interface FactsReport {
  states: StateOutcome[];
  asserts: AssertOutcome[];
  /** Asserts that did not hold on the old package's own render (not part of the contract), and how they fare now. */
  notHeldByOld: AssertOutcome[];
}

const group = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");
const describe = (r: ResourceId | undefined) => (r ? `${r.kind}.${group(r.apiVersion) || "core"} ${r.name ?? "(no name)"}` : "nothing");

export function compareComposed(state: FactState, result: RenderResult): StateOutcome {
  const now = new Map(result.resources.map((r) => [r.name, { apiVersion: r.object.apiVersion, kind: r.object.kind, name: r.object.metadata?.name }]));
  const deleted: string[] = [];
  const changed: string[] = [];
  for (const [crn, old] of Object.entries(state.composed)) {
    const cur = now.get(crn);
    if (!cur) deleted.push(crn);
    else if (group(cur.apiVersion) !== group(old.apiVersion) || cur.kind !== old.kind || cur.name !== old.name)
      changed.push(`${crn}: ${describe(old)} -> ${describe(cur)}`);
  }
  return { id: state.id, deleted, changed };
}

export function judgeAssert(a: FactAssert, ctx: { state: FactState; world: KubeObject[] }, exceptions: readonly Exception[] = EXCEPTIONS): AssertOutcome {
  const exact = replayAssert(ctx.world, a.expect);
  if (exact.length === 0) return { id: a.id, verdict: "held", exceptions: [], mismatches: [] };
  let expect = a.expect;
  const used: string[] = [];
  for (const e of exceptions) {
    const next = e.apply(expect, ctx);
    if (next) {
      expect = next;
      used.push(e.id);
    }
  }
  const after = used.length ? replayAssert(ctx.world, expect) : exact;
  if (after.length === 0) return { id: a.id, verdict: "held-with-exceptions", exceptions: used, mismatches: [] };
  return { id: a.id, verdict: "failed", exceptions: used, mismatches: after };
}

export interface CheckOptions {
  engine: KclEngine;
  pkg: LoadedPackage;
  facts: UpgradeFacts;
  defaulter?: Defaulter;
}

/** Renders every recorded state with the current package and judges its composed names and asserts. */
export async function checkFacts(options: CheckOptions): Promise<FactsReport> {
  const report: FactsReport = { states: [], asserts: [], notHeldByOld: [] };
  for (const state of options.facts.states) {
    let result: RenderResult;
    try {
      result = await renderXr(options.engine, options.pkg, stateXr(state.xr));
    } catch (err) {
      const error = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      report.states.push({ id: state.id, deleted: Object.keys(state.composed), changed: [], error });
      for (const a of options.facts.asserts)
        if (a.state === state.id && a.oldPackage.length === 0)
          report.asserts.push({ id: a.id, verdict: "failed", exceptions: [], mismatches: [`the state does not render: ${error}`] });
      continue;
    }
    report.states.push(compareComposed(state, result));
    const world = liveWorld(result, REPLAY_NAMESPACE, options.defaulter);
    for (const a of options.facts.asserts)
      if (a.state === state.id) (a.oldPackage.length === 0 ? report.asserts : report.notHeldByOld).push(judgeAssert(a, { state, world }));
  }
  return report;
}
