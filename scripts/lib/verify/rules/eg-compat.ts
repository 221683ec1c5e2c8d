/**
 * The pinned AI Gateway and Envoy Gateway versions work together (the table in
 * data/compatibility.json via scripts/lib/compat.ts), the CRD chart matches the controller, and
 * every backendResources entry Envoy Gateway watches is served by a CRD the render installs.
 */
import { checkCompatibility } from "../../compat.js";
import { AI_GATEWAY_CHART, AI_GATEWAY_CRDS_CHART, ENVOY_GATEWAY_CHART } from "../../charts.js";
import { envoyGatewayConfig, extensionManagers } from "../envoy-gateway.js";
import { at, chartSemver, installedCrds, isMap, releasesOfChart, renderedCases, str } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

export const egCompat: Rule = {
  id: "eg-compat",
  description: "AI Gateway and Envoy Gateway versions are compatible, CRD chart = controller chart version, backendResources are served by an installed CRD",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      const gateways = releasesOfChart(result, ENVOY_GATEWAY_CHART);
      const aiGateways = releasesOfChart(result, AI_GATEWAY_CHART);
      for (const ai of aiGateways) {
        const aiVersion = chartSemver(ai.chart.version);
        if (!aiVersion) continue; // pkg-chart-versions reports it
        for (const gw of gateways) {
          const egVersion = chartSemver(gw.chart.version);
          if (!egVersion) continue;
          const verdict = checkCompatibility(aiVersion, egVersion, ctx.compatibility);
          if (!verdict.compatible) {
            findings.push({
              case: c.case,
              resource: `${ai.resource.name}, ${gw.resource.name}`,
              message: verdict.message,
              hint: verdict.needsEnvoyGateway
                ? `pin gateway-helm to a version in ${verdict.needsEnvoyGateway}, or AI Gateway to one of ` +
                  `${verdict.aiGatewayForEnvoyGateway.join(", ") || "none"}`
                : "pin a supported AI Gateway version",
            });
          }
        }
        for (const crds of releasesOfChart(result, AI_GATEWAY_CRDS_CHART)) {
          const crdVersion = chartSemver(crds.chart.version);
          if (crdVersion && crdVersion !== aiVersion) {
            findings.push({
              case: c.case,
              resource: `${crds.resource.name}, ${ai.resource.name}`,
              message:
                `${AI_GATEWAY_CRDS_CHART} is pinned to ${crds.chart.version} but ${AI_GATEWAY_CHART} to ${ai.chart.version}; the controller needs ` +
                `the CRDs of its own release`,
              hint: "pin both charts to the same version",
            });
          }
        }
      }
      const crds = installedCrds(result);
      for (const gw of gateways) {
        const cfg = envoyGatewayConfig(gw.chart);
        if (!cfg.config) continue;
        for (const em of extensionManagers(cfg.config, chartSemver(gw.chart.version))) {
          const list = at(em.value, "backendResources");
          if (!Array.isArray(list)) continue;
          list.forEach((entry, i) => {
            if (!isMap(entry)) return;
            const group = str(entry.group) ?? "";
            const kind = str(entry.kind);
            const version = str(entry.version);
            if (!kind || !version) return; // eg-config reports incomplete entries
            const gv = `${group ? group + "/" : ""}${version}`;
            const where = `${em.path}.backendResources[${i}]`;
            const forKind = crds.filter((d) => d.kind === kind);
            const match = forKind.find((d) => d.group === group);
            if (!match) {
              findings.push({
                case: c.case,
                resource: gw.resource.name,
                message:
                  `${where} is ${kind} ${gv}, but this render installs no CustomResourceDefinition for ${kind} in group ${group || "(core)"}` +
                  (forKind.length ? ` (it installs ${forKind.map((d) => `${d.kind}.${d.group} from ${d.resource.name}`).join(", ")})` : ""),
                hint: forKind.length ? `set group ${forKind[0]!.group} and a version it serves` : `install the ${kind} CRD in the same composition`,
              });
            } else if (!match.versions.some((v) => v.name === version && v.served)) {
              const served = match.versions.filter((v) => v.served).map((v) => v.name);
              findings.push({
                case: c.case,
                resource: gw.resource.name,
                message:
                  `${where} is ${kind} ${gv}, but the ${kind}.${group} CRD this render installs (${match.resource.name}) serves ` +
                  `${served.join(", ") || "no version"}`,
                hint: served.length ? `set version ${served[served.length - 1]}` : "serve the version in the CRD",
              });
            }
          });
        }
      }
    }
    return findings;
  },
};
