/**
 * Envoy Gateway, the AI Gateway CRDs and the AI Gateway controller come together or not at all:
 * the controller crash-loops without its CRDs, and Envoy Gateway configured with an extension
 * server that is not installed fails every translation. When the XR carries the gate
 * (spec.parameters.apps.envoyGateway.enabled), the bundle follows it.
 */
import { ENVOY_GATEWAY_BUNDLE, ENVOY_GATEWAY_GATE } from "../../charts.js";
import { at, caseSpec, isMap, releases, renderedCases } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

const GATE = ENVOY_GATEWAY_GATE.join(".");

export const egBundle: Rule = {
  id: "eg-bundle",
  description: `the ${ENVOY_GATEWAY_BUNDLE.join(", ")} Releases are rendered together, exactly when ${GATE} is true`,
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      const rendered = releases(result);
      const present = ENVOY_GATEWAY_BUNDLE.filter((chart) => rendered.some((r) => r.chart.name === chart));
      const missing = ENVOY_GATEWAY_BUNDLE.filter((chart) => !present.includes(chart));
      // The gate counts when the XR has the apps map at all (a missing flag means the XRD default, false).
      const spec = caseSpec(c, ctx.caseInput);
      const apps = at(spec, ...ENVOY_GATEWAY_GATE.slice(1, 3));
      const gate = isMap(apps) ? at(spec, ...ENVOY_GATEWAY_GATE.slice(1)) === true : undefined;
      const names = (charts: readonly string[]) => charts.map((chart) => rendered.find((r) => r.chart.name === chart)?.resource.name ?? chart).join(", ");
      if (gate === true && missing.length > 0) {
        findings.push({
          case: c.case,
          message: `${GATE} is true but no ${missing.join(", ")} Release is rendered`,
          hint: `install all of ${ENVOY_GATEWAY_BUNDLE.join(", ")} under the gate`,
        });
      } else if (gate === false && present.length > 0) {
        findings.push({
          case: c.case,
          resource: names(present),
          message: `${GATE} is false but ${present.join(", ")} ${present.length > 1 ? "are" : "is"} rendered`,
          hint: `install ${ENVOY_GATEWAY_BUNDLE.join(", ")} only when ${GATE} is true`,
        });
      } else if (gate === undefined && present.length > 0 && missing.length > 0) {
        findings.push({
          case: c.case,
          resource: names(present),
          message: `${present.join(", ")} ${present.length > 1 ? "are" : "is"} rendered without ${missing.join(", ")}`,
          hint: `install ${ENVOY_GATEWAY_BUNDLE.join(", ")} together`,
        });
      }
    }
    return findings;
  },
};
