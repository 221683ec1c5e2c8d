/**
 * Everything the package composes is served by a provider in crossplane.yaml's dependsOn, and
 * every function its pipelines call is a function in dependsOn: otherwise installing the package
 * on a fresh control plane leaves the resources without a controller.
 */
import { CROSSPLANE_GROUPS, isKubernetesGroup, packagesForGroup } from "../data/api-groups.js";
import { compositions, dependencies, pipelineSteps } from "../package.js";
import { groupOf, renderedCases } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

export const pkgDependencies: Rule = {
  id: "pkg-dependencies",
  description: "every composed resource's API group is served by a provider in dependsOn; every pipeline function is in dependsOn",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    if (!ctx.pkg.configuration) return findings; // pkg-contents reports it
    const deps = dependencies(ctx.pkg);
    const providers = new Set(deps.filter((d) => d.type === "provider").map((d) => d.name));
    const functions = deps.filter((d) => d.type === "function");
    const listed = `dependsOn lists ${deps.length ? deps.map((d) => d.name).join(", ") : "nothing"}`;
    // One finding per group, naming the first case and resource that needs it.
    const reported = new Set<string>();
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      for (const r of result.resources) {
        const group = groupOf(r.object.apiVersion);
        if (reported.has(group) || isKubernetesGroup(group) || CROSSPLANE_GROUPS.includes(group)) continue;
        const packages = packagesForGroup(group);
        if (!packages) {
          reported.add(group);
          findings.push({
            case: c.case,
            resource: r.name,
            severity: "warning",
            message: `no known provider serves API group ${group} (${r.object.kind}), so verify cannot tell whether dependsOn covers it`,
            hint: "add the group and its provider package to scripts/lib/verify/data/api-groups.ts",
          });
        } else if (!packages.some((p) => providers.has(p))) {
          reported.add(group);
          const all = renderedCases(ctx.cases).flatMap((x) => x.result.resources.filter((o) => groupOf(o.object.apiVersion) === group));
          const kinds = [...new Set(all.map((o) => o.object.kind))].sort();
          findings.push({
            case: c.case,
            resource: r.name,
            file: ctx.pkg.documents.find((d) => d.object === ctx.pkg.configuration)?.file,
            message:
              `API group ${group} (${kinds.join(", ")}: ${all.length} composed resource${all.length > 1 ? "s" : ""} across cases) needs provider ` +
              `${packages.join(" or ")}, but ${listed}`,
            hint: `add {provider: <registry>/<org>/${packages[0]}, version: ...} to spec.dependsOn in crossplane.yaml`,
          });
        }
      }
    }
    const seenFns = new Set<string>();
    for (const comp of compositions(ctx.pkg)) {
      for (const step of pipelineSteps(comp.object)) {
        const fn = step.functionRef;
        if (!fn || seenFns.has(fn)) continue;
        seenFns.add(fn);
        if (!functions.some((d) => fn === d.name || fn.endsWith(`-${d.name}`))) {
          findings.push({
            resource: comp.name,
            file: comp.file,
            message: `pipeline step ${step.step} calls function ${fn}, which is not a function in dependsOn (${listed})`,
            hint: `add {function: <registry>/<org>/${fn.replace(/^.*?(function-)/, "$1")}, version: ...} to spec.dependsOn`,
          });
        }
      }
    }
    return findings;
  },
};
