/**
 * The XR can become Ready. Crossplane marks an XR Ready only when every composed resource is
 * ready, and a composed resource is ready only when a function says so: explicitly
 * (function-kcl's `krm.kcl.dev/ready`) or, through function-auto-ready, because its observed
 * state has the condition Ready=True. A resource whose controller never writes a Ready
 * condition (a ProviderConfig: crossplane-runtime's ProviderConfig reconciler only ever sets
 * Terminating) and that nothing marks ready keeps the XR Ready=False for ever.
 *
 * Every case is checked for resources that can never be ready. A case with an observed state
 * (<case>.observed.yaml) is also checked against what it observed: a resource observed without
 * any Ready condition is named too. A resource observed Ready=False or not yet observed is not a
 * finding: it can still become ready.
 */
import { at, isMap, renderedCases, str } from "../resources.js";
import type { ComposedResource, KubeObject } from "../../render/types.js";
import type { Rule, RuleFinding } from "../types.js";
import { ANNOTATION_RESOURCE_NAME } from "../../paths.js";

const READY_ANNOTATION = "krm.kcl.dev/ready";
const CRN = ANNOTATION_RESOURCE_NAME;

/** Kinds whose controllers never write a Ready condition. */
const neverReportsReady = (o: KubeObject) => /(^|Cluster)ProviderConfig$/.test(o.kind);

function readyCondition(o: KubeObject | undefined): { status: string; reason?: string } | undefined {
  const conditions = at(o, "status", "conditions");
  if (!Array.isArray(conditions)) return undefined;
  const c = conditions.find((x) => isMap(x) && x.type === "Ready");
  return isMap(c) ? { status: String(c.status), ...(str(c.reason) ? { reason: str(c.reason)! } : {}) } : undefined;
}

/** Why this unready resource can never become ready, or undefined when it still can. */
function neverReady(r: ComposedResource, observed: KubeObject | undefined): { message: string; hint: string } | undefined {
  const what = `${r.object.kind} ${r.object.apiVersion} ${r.object.metadata?.name ?? ""}`.trimEnd();
  if (r.ready === "False")
    return {
      message: `${what} is marked not ready by the composition (${READY_ANNOTATION}: "False"), so the XR never becomes Ready`,
      hint: `drop the ${READY_ANNOTATION} annotation (function-auto-ready then follows its Ready condition) or set it to "True"`,
    };
  if (neverReportsReady(r.object))
    return {
      message:
        `${what}: ProviderConfig never reports Ready (its controller sets no Ready condition) and function-auto-ready only follows Ready, so the XR ` +
        `never becomes Ready`,
      hint: `mark it ready explicitly with the annotation ${READY_ANNOTATION}: "True"`,
    };
  if (observed && !readyCondition(observed))
    return {
      message:
        `${what} is observed without a Ready condition, and function-auto-ready only follows Ready, so the XR stays not Ready while its controller ` +
        `reports none`,
      hint: `if its controller never sets Ready, mark it ready explicitly with the annotation ${READY_ANNOTATION}: "True"`,
    };
  return undefined;
}

export const xrReady: Rule = {
  id: "xr-ready",
  description:
    "the XR can become Ready: no composed resource is left that nothing can ever mark ready (a ProviderConfig without krm.kcl.dev/ready, a resource " +
    "observed without a Ready condition)",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      const xrReady = readyCondition(result.xr);
      if (xrReady?.status === "True") continue;
      const observed = new Map<string, KubeObject>();
      for (const o of c.observed ?? []) {
        const crn = o.metadata?.annotations?.[CRN];
        if (crn) observed.set(crn, o);
      }
      const unready = result.resources.filter((r) => r.ready !== "True");
      for (const r of unready) {
        const why = neverReady(r, observed.get(r.name));
        if (why) findings.push({ case: c.case, resource: r.name, ...why });
      }
      if (unready.length === 0 && xrReady)
        findings.push({
          case: c.case,
          message: `every composed resource is ready, but the XR is Ready=${xrReady.status}: a step marks the composite itself not ready`,
          hint: "let the pipeline leave the composite's readiness unspecified once its resources are ready",
        });
    }
    return findings;
  },
};
