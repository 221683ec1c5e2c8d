/**
 * Envoy Gateway's configuration in every gateway-helm Release passes Envoy Gateway's own start-up
 * checks. The verdict comes from Envoy Gateway itself (the Release's values templated by the real
 * gateway-helm chart of its version, the resulting envoy-gateway.yaml decoded and validated by that
 * version's own code); when that cannot run, the built-in model (../envoy-gateway.ts) judges and a
 * note says so.
 */
import { ENVOY_GATEWAY_CHART } from "../../charts.js";
import { EG_ERRORS, EXTENSION_MANAGERS_SINCE } from "../data/envoy-gateway.js";
import { judgmentKey, type Judgment } from "../eg-judgments.js";
import { decodeProblem, envoyGatewayConfig, extensionManagers, has, managerIssues, startupError } from "../envoy-gateway.js";
import { at, chartSemver, releasesOfChart, renderedCases, type Json } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

/** What to do about each of Envoy Gateway's start-up errors. */
function crashHint(error: string): string {
  if (error.includes(EG_ERRORS.noHooks))
    return (
      "set extensionManager.hooks.xdsTranslator.post (or pre) to the hooks the extension server implements, e.g. [Translation, Cluster, Route] for " +
      "Envoy AI Gateway"
    );
  if (error.includes(EG_ERRORS.noService)) return "set extensionManager.service.fqdn to the extension server's Service {hostname, port}";
  if (error.includes(EG_ERRORS.noTarget) || error.includes(EG_ERRORS.manyTargets)) return "set exactly one of extensionManager.service.fqdn, ip, unix, host";
  if (error.includes("certificateRef")) return 'TLS certificate references must name a core Secret (group "", kind Secret)';
  if (error.includes("extension manager") || error.includes(EG_ERRORS.mutuallyExclusive))
    return "give every extensionManagers entry a unique name and valid settings, and do not set extensionManager as well";
  return "fix the value named above; the message is Envoy Gateway's own";
}

const CONFIG_PATH = "values.config.envoyGateway";

/** A path of envoy-gateway.yaml as a values path, and whether the Release's values set it. */
function valuesPath(path: readonly (string | number)[], eg: Json | undefined): { path: string; fromValues: boolean } {
  let text = "";
  let node: unknown = eg;
  let fromValues = eg !== undefined;
  for (const key of path) {
    text += typeof key === "number" ? `[${key}]` : `.${key}`;
    if (fromValues) {
      node = typeof key === "number" ? (Array.isArray(node) ? node[key] : undefined) : at(node, key);
      if (node === undefined) fromValues = false;
    }
  }
  return fromValues ? { path: CONFIG_PATH + text, fromValues } : { path: text.slice(1) || "(the whole file)", fromValues };
}

/** "unknown field \"extensionManager.bogus\"" → ["extensionManager", "bogus"]. */
function droppedPath(message: string): (string | number)[] | undefined {
  const m = /unknown field "([^"]+)"/.exec(message);
  return m?.[1]?.split(".").flatMap((part) => {
    const idx = /^(.*)\[(\d+)\]$/.exec(part);
    return idx ? [idx[1]!, Number(idx[2])] : [part];
  });
}

function causedBy(path: readonly (string | number)[] | undefined, eg: Json | undefined): string {
  if (!path?.length) return "";
  const p = valuesPath(path, eg);
  return p.fromValues ? `; caused by ${p.path}` : `; caused by ${p.path} of the chart's envoy-gateway.yaml (set by the chart, not by ${CONFIG_PATH})`;
}

/** Findings from Envoy Gateway's own verdict. */
function fromEnvoyGateway(j: Extract<Judgment, { kind: "judged" }>, eg: Json | undefined): RuleFinding[] {
  const out: RuleFinding[] = [];
  const source = `Envoy Gateway's own validation of the envoy-gateway-config ConfigMap rendered by gateway-helm ${j.version}`;
  const stop = j.decodeError ?? j.error;
  if (stop !== undefined) {
    out.push({
      message:
        `Envoy Gateway ${j.version} exits at start-up with: ` +
        `${j.decodeError ? `failed to decode config file: ${j.decodeError}` : j.error}${causedBy(j.at, eg)} (${source})`,
      hint: crashHint(stop),
    });
  }
  for (const d of j.dropped) {
    const path = droppedPath(d);
    const where = path ? valuesPath(path, eg).path : CONFIG_PATH;
    out.push({
      message: `${where} is ignored by Envoy Gateway ${j.version}: its config decoder drops it (${d})`,
      hint: `remove the field, or pin a gateway-helm version that has it`,
    });
  }
  for (const w of j.warnings) out.push({ severity: "warning", message: `Envoy Gateway ${j.version} warns at start-up: ${w}` });
  return out;
}

/** The model's verdict: what the rule reports when Envoy Gateway's own code cannot run. */
export function fromModel(eg: Json, chartVersion: string | undefined): RuleFinding[] {
  const out: RuleFinding[] = [];
  const version = chartSemver(chartVersion);
  const label = version ?? chartVersion ?? "(unpinned)";
  const undecodable = decodeProblem(eg, version);
  if (undecodable) {
    out.push({
      message: `Envoy Gateway ${label} exits at start-up: it cannot decode its config: ${undecodable}`,
      hint: "write the value in the type Envoy Gateway's config API gives it",
    });
    return out;
  }
  const crash = startupError(eg, version);
  if (crash) out.push({ message: `Envoy Gateway ${label} exits at start-up with: ${crash}`, hint: crashHint(crash) });
  for (const em of extensionManagers(eg, version)) out.push(...managerIssues(em, version, label));
  const plural = eg.extensionManagers;
  if (plural !== undefined && plural !== null && !has(version, EXTENSION_MANAGERS_SINCE)) {
    out.push({
      message: `${CONFIG_PATH}.extensionManagers is ignored by Envoy Gateway ${label}: the list form exists since ${EXTENSION_MANAGERS_SINCE}`,
      hint: `use extensionManager (one extension server) or pin gateway-helm >= ${EXTENSION_MANAGERS_SINCE}`,
    });
  }
  return out;
}

export const egConfig: Rule = {
  id: "eg-config",
  description:
    "gateway-helm's envoy-gateway.yaml passes Envoy Gateway's own start-up decoding and validation at the pinned version (the real chart and validator; a " +
    "model when they cannot run)",
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
        const j = ctx.envoyGateway?.get(judgmentKey(c.case, resource.name));
        if (j?.kind === "judged") {
          for (const f of fromEnvoyGateway(j, cfg.config)) findings.push({ ...at, ...f });
          // What Envoy Gateway does not check at start-up but breaks the extension (hook names, fqdn).
          const version = chartSemver(chart.version);
          const label = version ?? chart.version ?? "(unpinned)";
          if (cfg.config)
            for (const em of extensionManagers(cfg.config, version))
              for (const i of managerIssues(em, version, label, { fieldsSince: false })) findings.push({ ...at, ...i });
          continue;
        }
        if (j?.kind === "template-error") {
          findings.push({
            ...at,
            message: `gateway-helm ${j.version} cannot be templated with this Release's values: ${j.error}`,
            hint: "fix the values helm names above; the message is the chart's own",
          });
          continue;
        }
        if (j?.kind === "unavailable") {
          findings.push({
            ...at,
            severity: ctx.strict ? "error" : "warning",
            message:
              `Envoy Gateway's own validation could not run${j.version ? ` for ${j.version}` : ""}: ${j.reason}; checked with verify's built-in ` +
              `model of it instead`,
            hint: ctx.strict
              ? "verify --strict requires the real check: make Go and the Go module proxy available"
              : "make Go and the Go module proxy available for the real check (CI runs verify --strict)",
          });
        }
        if (cfg.config) for (const f of fromModel(cfg.config, chart.version)) findings.push({ ...at, ...f });
      }
    }
    return findings;
  },
};
