/**
 * Envoy Gateway's own verdict on every gateway-helm Release of the rendered cases (the real chart
 * of the Release's version, then that version's own decoder and validation; see
 * scripts/lib/envoy-gateway/). Gathered before the rules run; eg-config reads it.
 */
import { judgeConfigs, type ConfigRequest, type Judgment } from "../envoy-gateway/oracle.js";
import type { Log } from "../tools.js";
import { chartServices, type ServicesRequest, type ServicesResult } from "../ai-gateway/chart.js";
import { AI_GATEWAY_CHART, ENVOY_GATEWAY_CHART } from "../charts.js";
import { envoyGatewayConfig } from "./envoy-gateway.js";
import { releasesOfChart, renderedCases } from "./resources.js";
import type { RenderedCase } from "../render/types.js";

export type { Judgment } from "../envoy-gateway/oracle.js";

/** Judgments by Release: key `${case}\0${resource}`. */
export type EnvoyGatewayJudgments = ReadonlyMap<string, Judgment>;

export const judgmentKey = (caseName: string, resource: string) => `${caseName}\0${resource}`;

/** Chart defaults when a Release names none: Helm installs into "default"; the release is named after the chart. */
const DEFAULT_NAMESPACE = "default";

export async function judgeEnvoyGatewayReleases(cases: readonly RenderedCase[], log?: Log): Promise<EnvoyGatewayJudgments> {
  const requests: ConfigRequest[] = [];
  for (const { case: c, result } of renderedCases(cases)) {
    for (const { resource, chart } of releasesOfChart(result, ENVOY_GATEWAY_CHART)) {
      // Values that are not a map of chart values are the model's to report; helm could not take them.
      if (envoyGatewayConfig(chart).problem !== undefined) continue;
      requests.push({
        id: judgmentKey(c.case, resource.name),
        chartVersion: chart.version,
        values: chart.hasValues ? chart.values : {},
        namespace: chart.namespace ?? DEFAULT_NAMESPACE,
        releaseName: chart.releaseName ?? ENVOY_GATEWAY_CHART,
      });
    }
  }
  return requests.length ? judgeConfigs(requests, log) : new Map();
}

/** The ai-gateway-helm chart of every Release templated with its values (key as above); unavailable where it cannot be pulled. */
export async function templateAiGatewayReleases(
  cases: readonly RenderedCase[],
  env?: Readonly<Record<string, string | undefined>>,
  log?: Log,
): Promise<ReadonlyMap<string, ServicesResult>> {
  const requests: ServicesRequest[] = [];
  for (const { case: c, result } of renderedCases(cases)) {
    for (const { resource, chart } of releasesOfChart(result, AI_GATEWAY_CHART)) {
      if (!chart.repository || !chart.name || !chart.version || !chart.namespace) continue;
      requests.push({
        id: judgmentKey(c.case, resource.name),
        repository: chart.repository,
        name: chart.name,
        version: chart.version,
        namespace: chart.namespace,
        releaseName: chart.releaseName ?? AI_GATEWAY_CHART,
        values: chart.hasValues ? chart.values : {},
      });
    }
  }
  return chartServices(requests, env, log);
}
