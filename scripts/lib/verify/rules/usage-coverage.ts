/** Every provider-helm Release and provider-kubernetes Object is the `by` of some Usage. */
import { isHelmRelease, isKubernetesObject, nameOf, renderedCases } from "../resources.js";
import { refMatches, usageRef, usagesOf } from "../usages.js";
import type { Rule, RuleFinding } from "../types.js";

export const usageCoverage: Rule = {
  id: "usage-coverage",
  description: "every Release and Object has a Usage whose spec.by names it, so what it runs in cannot be deleted first",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      const bys = usagesOf(result).flatMap((u) => usageRef(u.object, "by") ?? []);
      for (const r of result.resources) {
        if (!isHelmRelease(r.object) && !isKubernetesObject(r.object)) continue;
        if (bys.some((by) => refMatches(by, r.object))) continue;
        const name = nameOf(r.object);
        findings.push({
          case: c.case,
          resource: r.name,
          message:
            `no Usage has this ${r.object.kind} (${r.object.apiVersion}${name ? ` ${name}` : ", no metadata.name"}) as spec.by, so the cluster it is ` +
            `installed into can be deleted before it`,
          hint: name
            ? `add a Usage with spec.by {apiVersion: ${r.object.apiVersion}, kind: ${r.object.kind}, resourceRef.name: ${name}} and spec.of the cluster`
            : "give the resource a metadata.name and a Usage whose spec.by names it",
        });
      }
    }
    return findings;
  },
};
