/** Every Usage's `of` and `by` select resources that exist in the same render, with matching apiVersion and kind. */
import { nameOf, renderedCases } from "../resources.js";
import { describeRef, referable, refMatches, usageRef, usagesOf } from "../usages.js";
import type { Rule, RuleFinding } from "../types.js";

export const usageTargets: Rule = {
  id: "usage-targets",
  description: "every Usage's spec.of and spec.by name resources of that apiVersion and kind in the same render",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      const candidates = referable(result);
      for (const u of usagesOf(result)) {
        for (const side of ["of", "by"] as const) {
          const loc = { case: c.case, resource: u.name };
          const ref = usageRef(u.object, side);
          if (!ref) {
            if (side === "by" && typeof (u.object.spec as { reason?: unknown } | undefined)?.reason === "string") continue;
            findings.push({
              ...loc,
              message: `spec.${side} is missing, so the Usage protects nothing`,
              hint: side === "by" ? "set spec.by (or spec.reason for a plain deletion block)" : "set spec.of to the resource that must not be deleted",
            });
            continue;
          }
          if (!ref.apiVersion || !ref.kind) {
            findings.push({ ...loc, message: `spec.${side} needs apiVersion and kind, got ${describeRef(ref)}` });
            continue;
          }
          if (ref.name === undefined && !ref.hasSelector) {
            findings.push({
              ...loc,
              message: `spec.${side} has neither resourceRef.name nor resourceSelector`,
              hint: "name the resource with resourceRef.name",
            });
            continue;
          }
          if (candidates.some((t) => refMatches(ref, t.object))) continue;
          const sameName = ref.name === undefined ? [] : candidates.filter((t) => nameOf(t.object) === ref.name);
          const message = sameName.length
            ? `spec.${side} is ${describeRef(ref)}, but ${JSON.stringify(ref.name)} in this render is ` +
              `${sameName.map((t) => `${t.object.kind} ${t.object.apiVersion} (${t.name})`).join(", ")}`
            : `spec.${side} is ${describeRef(ref)}, which this render does not have`;
          findings.push({
            ...loc,
            message,
            hint: "a Usage whose target does not exist protects nothing; refer to the resource's apiVersion, kind and metadata.name as rendered",
          });
        }
      }
    }
    return findings;
  },
};
