/** Every Helm chart is pinned to a valid semantic version (provider-helm installs the newest chart when none is given). */
import { chartSemver, releases, renderedCases } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

export const pkgChartVersions: Rule = {
  id: "pkg-chart-versions",
  description: "every Release pins its chart to a valid semantic version",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    const seen = new Set<string>();
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      for (const { resource, chart } of releases(result)) {
        const key = `${resource.name}\0${chart.name}\0${chart.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const label = chart.name ?? chart.url ?? "(no chart name)";
        if (chart.version === undefined || chart.version.trim() === "") {
          findings.push({
            case: c.case,
            resource: resource.name,
            message: `chart ${label} has no version, so provider-helm installs whatever is newest`,
            hint: "pin spec.forProvider.chart.version (npm run bump sets it)",
          });
        } else if (!chartSemver(chart.version)) {
          findings.push({
            case: c.case,
            resource: resource.name,
            message: `chart ${label} version ${JSON.stringify(chart.version)} is not a semantic version`,
            hint: "pin an exact version such as 1.7.0 or v1.7.0",
          });
        }
      }
    }
    return findings;
  },
};
