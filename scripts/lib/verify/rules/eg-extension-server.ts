/**
 * Envoy Gateway's extension server is one the same render installs: service.fqdn names the AI
 * Gateway controller's Service (or a Service an Object creates) in the namespace it is installed
 * in, on its extension-server port; and the AI Gateway chart expects Envoy Gateway where the
 * gateway-helm Release installs it.
 */
import { AI_GATEWAY_CHART, AI_GATEWAY_CONTROLLER, ENVOY_GATEWAY_CHART } from "../../charts.js";
import { envoyGatewayConfig, extensionManagers } from "../envoy-gateway.js";
import { at, chartSemver, isKubernetesObject, isMap, objectManifest, releasesOfChart, renderedCases, str, type HelmChart, type Release } from "../resources.js";
import type { RenderResult } from "../../render/types.js";
import type { Rule, RuleFinding } from "../types.js";
import type { ChartService } from "../../ai-gateway/chart.js";
import { judgmentKey } from "../eg-judgments.js";

/** A Service the render installs, as far as the render shows it. */
interface InstalledService {
  name: string;
  namespace: string;
  ports: number[];
  /** Composition resource name of what installs it. */
  from: string;
}

const trunc63 = (s: string) => s.slice(0, 63).replace(/-+$/, "");

/** The controller Service the ai-gateway-helm chart creates (its controller.fullname template). */
export function aiGatewayControllerService(chart: HelmChart): { name?: string; port: number } {
  const values = isMap(chart.values) ? chart.values : {};
  const override = at(values, "controller", "fullnameOverride");
  let name: string | undefined;
  if (override === undefined) name = AI_GATEWAY_CONTROLLER.fullnameOverride;
  else if (typeof override === "string" && override !== "") name = trunc63(override);
  else if (chart.releaseName) {
    const base = str(at(values, "controller", "nameOverride")) || chart.name || AI_GATEWAY_CHART;
    name = trunc63(chart.releaseName.includes(base) ? chart.releaseName : `${chart.releaseName}-${base}`);
  }
  const ports = at(values, "controller", "service", "ports");
  const grpc = Array.isArray(ports) ? ports.find((p) => at(p, "name") === AI_GATEWAY_CONTROLLER.extensionServerPortName) : undefined;
  const port = at(grpc, "port");
  return { name, port: typeof port === "number" ? port : AI_GATEWAY_CONTROLLER.extensionServerPort };
}

/**
 * The Services the render installs. An ai-gateway-helm Release whose chart was templated (`templated`
 * gives its Services) contributes what the chart really creates, with the extension-server port
 * (named grpc) when the Service has one; otherwise the Service recorded chart facts predict.
 */
function installedServices(
  result: RenderResult,
  aiGateways: Release[],
  templated: (r: Release) => ChartService[] | undefined = () => undefined,
): InstalledService[] {
  const out: InstalledService[] = [];
  for (const release of aiGateways) {
    const { resource, chart } = release;
    const real = templated(release);
    if (real) {
      for (const s of real) {
        const grpc = s.ports.filter((p) => p.name === AI_GATEWAY_CONTROLLER.extensionServerPortName);
        out.push({
          name: s.name,
          namespace: s.namespace,
          ports: (grpc.length ? grpc : s.ports).map((p) => p.port),
          from: `${resource.name}, templated from ${chart.name ?? AI_GATEWAY_CHART} ${chart.version ?? ""}`.trimEnd(),
        });
      }
      continue;
    }
    const svc = aiGatewayControllerService(chart);
    if (svc.name && chart.namespace) out.push({ name: svc.name, namespace: chart.namespace, ports: [svc.port], from: resource.name });
  }
  for (const r of result.resources) {
    if (!isKubernetesObject(r.object)) continue;
    const m = objectManifest(r.object);
    if (!isMap(m) || m.kind !== "Service" || m.apiVersion !== "v1") continue;
    const name = str(at(m, "metadata", "name"));
    const ports = at(m, "spec", "ports");
    if (name) {
      out.push({
        name,
        namespace: str(at(m, "metadata", "namespace")) ?? "default",
        ports: Array.isArray(ports) ? ports.map((p) => at(p, "port")).filter((p): p is number => typeof p === "number") : [],
        from: r.name,
      });
    }
  }
  return out;
}

/** <service>.<namespace>[.svc[.<cluster domain>]] -> service and namespace. */
export function parseServiceHostname(hostname: string): { service: string; namespace: string } | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)(?:\.svc(?:\.[a-z0-9.-]+)?)?$/.exec(hostname);
  return m ? { service: m[1]!, namespace: m[2]! } : undefined;
}

const describe = (s: InstalledService) => `${s.name}.${s.namespace} port ${s.ports.join("/") || "?"} (${s.from})`;

/**
 * The ai-gateway-helm chart is published only to Docker Hub's OCI registry (its Go module is not
 * served by the Go module proxy), so the Service it creates is derived from recorded chart facts
 * (scripts/lib/verify/data/charts.ts, aiGatewayControllerService) rather than by templating the chart.
 */
export const STATIC_NOTE = "[static check: the ai-gateway-helm Service is derived from recorded chart facts; the chart could not be templated]";

export const egExtensionServer: Rule = {
  id: "eg-extension-server",
  description:
    "Envoy Gateway's extension server fqdn is a Service the same render installs (the ai-gateway-helm chart templated when its registry is reachable, else " +
    "recorded chart facts, said on each finding), and AI Gateway expects Envoy Gateway in its namespace",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      const gateways = releasesOfChart(result, ENVOY_GATEWAY_CHART);
      const aiGateways = releasesOfChart(result, AI_GATEWAY_CHART);
      const templated = (r: Release) => {
        const t = ctx.aiGatewayServices?.get(judgmentKey(c.case, r.resource.name));
        return t?.kind === "templated" ? t.services : undefined;
      };
      const services = installedServices(result, aiGateways, templated);
      const isStatic = aiGateways.some((r) => templated(r) === undefined);
      const before = findings.length;
      for (const { resource, chart } of gateways) {
        const loc = { case: c.case, resource: resource.name };
        const cfg = envoyGatewayConfig(chart);
        if (cfg.problem !== undefined) continue; // eg-config reports it
        const managers = cfg.config ? extensionManagers(cfg.config, chartSemver(chart.version)) : [];
        if (aiGateways.length > 0 && managers.length === 0) {
          findings.push({
            ...loc,
            message:
              `the render installs the AI Gateway controller (${aiGateways.map((a) => a.resource.name).join(", ")}) but Envoy Gateway's config has ` +
              `no extensionManager, so Envoy Gateway never calls it`,
            hint: "set values.config.envoyGateway.extensionManager with hooks and service.fqdn pointing at the controller's Service, port 1063",
          });
        }
        if (aiGateways.length > 0 && cfg.config && at(cfg.config, "extensionApis", "enableBackend") !== true) {
          findings.push({
            ...loc,
            message: "values.config.envoyGateway.extensionApis.enableBackend is not true, but AI Gateway routes to Envoy Gateway Backend resources",
            hint: "set extensionApis.enableBackend: true",
          });
        }
        for (const em of managers) {
          const fqdn = at(em.value, "service", "fqdn");
          const hostname = at(fqdn, "hostname");
          const port = at(fqdn, "port");
          if (typeof hostname !== "string") continue; // eg-config reports a missing or invalid fqdn
          const where = `${em.path}.service.fqdn`;
          const expected = services.length
            ? `this render installs ${services.map(describe).join(", ")}`
            : "this render installs no Service that could serve it (no ai-gateway-helm Release, no Service Object)";
          const parsed = parseServiceHostname(hostname);
          if (!parsed) {
            findings.push({
              ...loc,
              message: `${where}.hostname ${hostname} is not a Kubernetes Service name (<service>.<namespace>.svc.cluster.local); ${expected}`,
            });
            continue;
          }
          const target = services.find((s) => s.name === parsed.service && s.namespace === parsed.namespace);
          if (!target) {
            const first = services[0];
            findings.push({
              ...loc,
              message:
                `${where}.hostname ${hostname} names Service ${parsed.service} in namespace ${parsed.namespace}, which nothing in this render ` +
                `installs; ${expected}`,
              hint: first
                ? `point it at ${first.name}.${first.namespace}.svc.cluster.local port ${first.ports[0] ?? AI_GATEWAY_CONTROLLER.extensionServerPort}`
                : "install the extension server in the same composition",
            });
          } else if (typeof port === "number" && !target.ports.includes(port)) {
            findings.push({
              ...loc,
              message:
                `${where}.port is ${port}, but ${target.name}.${target.namespace} (${target.from}) serves the extension on port ` + `${target.ports.join("/")}`,
              hint: `set ${where}.port: ${target.ports[0]}`,
            });
          }
        }
      }
      for (const { resource, chart } of aiGateways) {
        if (gateways.length === 0) continue; // eg-bundle reports a missing gateway-helm
        const values = isMap(chart.values) ? chart.values : {};
        const set = at(values, "envoyGateway", "namespace");
        const expects = typeof set === "string" && set !== "" ? set : AI_GATEWAY_CONTROLLER.envoyGatewayNamespace;
        const namespaces = gateways.map((g) => g.chart.namespace ?? "(no namespace)");
        if (!namespaces.includes(expects)) {
          findings.push({
            case: c.case,
            resource: resource.name,
            message:
              `the AI Gateway chart expects Envoy Gateway in namespace ` +
              `${expects}${set === undefined ? " (its default envoyGateway.namespace)" : ""}, but gateway-helm is installed in ${namespaces.join(", ")}`,
            hint: `set values.envoyGateway.namespace: ${namespaces[0]} on the ai-gateway-helm Release`,
          });
        }
      }
      // Said on every finding that rests on recorded facts instead of the chart itself.
      if (isStatic || aiGateways.length === 0)
        for (let i = before; i < findings.length; i++) findings[i] = { ...findings[i]!, message: `${findings[i]!.message} ${STATIC_NOTE}` };
    }
    return findings;
  },
};
