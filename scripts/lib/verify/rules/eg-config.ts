/** Envoy Gateway's configuration in every gateway-helm Release passes Envoy Gateway's own start-up checks. */
import { ENVOY_GATEWAY_CHART } from "../data/charts.js";
import { EG_ERRORS, EXTENSION_MANAGERS_SINCE } from "../data/envoy-gateway.js";
import { envoyGatewayConfig, extensionManagers, has, managerIssues, startupError } from "../envoy-gateway.js";
import { chartSemver, releasesOfChart, renderedCases } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

/** What to do about each of Envoy Gateway's start-up errors. */
function crashHint(error: string): string {
  if (error.includes(EG_ERRORS.noHooks)) return "set extensionManager.hooks.xdsTranslator.post (or pre) to the hooks the extension server implements, e.g. [Translation, Cluster, Route] for Envoy AI Gateway";
  if (error.includes(EG_ERRORS.noService)) return "set extensionManager.service.fqdn to the extension server's Service {hostname, port}";
  if (error.includes(EG_ERRORS.noTarget) || error.includes(EG_ERRORS.manyTargets)) return "set exactly one of extensionManager.service.fqdn, ip, unix, host";
  if (error.includes("certificateRef")) return "TLS certificate references must name a core Secret (group \"\", kind Secret)";
  return "give every extensionManagers entry a unique name and valid settings, and do not set extensionManager as well";
}

export const egConfig: Rule = {
  id: "eg-config",
  description: "gateway-helm values.config.envoyGateway passes Envoy Gateway's start-up validation and suits the pinned version",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      for (const { resource, chart } of releasesOfChart(result, ENVOY_GATEWAY_CHART)) {
        const at = { case: c.case, resource: resource.name };
        const cfg = envoyGatewayConfig(chart);
        if (cfg.problem !== undefined) {
          findings.push({ ...at, message: cfg.problem, hint: "Envoy Gateway's config is read from values.config.envoyGateway; write it as a map" });
          continue;
        }
        if (!cfg.config) continue;
        const version = chartSemver(chart.version);
        const label = version ?? chart.version ?? "(unpinned)";
        const crash = startupError(cfg.config, version);
        if (crash) {
          findings.push({
            ...at,
            message: `Envoy Gateway ${label} exits at start-up with: ${crash}`,
            hint: crashHint(crash),
          });
        }
        for (const em of extensionManagers(cfg.config, version)) {
          for (const issue of managerIssues(em, version, label)) findings.push({ ...at, ...issue });
        }
        const plural = cfg.config.extensionManagers;
        if (Array.isArray(plural) && plural.length > 0 && !has(version, EXTENSION_MANAGERS_SINCE)) {
          findings.push({
            ...at,
            message: `values.config.envoyGateway.extensionManagers is ignored by Envoy Gateway ${label}: the list form exists since ${EXTENSION_MANAGERS_SINCE}`,
            hint: `use extensionManager (one extension server) or pin gateway-helm >= ${EXTENSION_MANAGERS_SINCE}`,
          });
        }
      }
    }
    return findings;
  },
};
