/**
 * Envoy Gateway's configuration as a gateway-helm Release sets it (values.config.envoyGateway,
 * merged by the chart over its defaults into the envoy-gateway-config ConfigMap), and the checks
 * Envoy Gateway itself runs on it at start-up.
 */
import semver from "semver";
import { EG_ERRORS, EXTENSION_MANAGER_FIELDS_SINCE, EXTENSION_MANAGERS_SINCE, XDS_TRANSLATOR_HOOKS } from "./data/envoy-gateway.js";
import { at, describeValue, isMap, str, type HelmChart, type Json } from "./resources.js";

export type EnvoyGatewayConfig = { config: Json | undefined; problem?: undefined } | { config?: undefined; problem: string };

/** values.config.envoyGateway of a gateway-helm Release; a problem when values are not maps. */
export function envoyGatewayConfig(chart: HelmChart): EnvoyGatewayConfig {
  if (!chart.hasValues || chart.values === undefined || chart.values === null) return { config: undefined };
  if (!isMap(chart.values)) return { problem: `spec.forProvider.values must be a map of chart values, got ${describeValue(chart.values)}` };
  const config = chart.values.config;
  if (config === undefined || config === null) return { config: undefined };
  if (!isMap(config)) return { problem: `values.config must be a map, got ${describeValue(config)}` };
  const eg = config.envoyGateway;
  if (eg === undefined || eg === null) return { config: undefined };
  if (!isMap(eg)) return { problem: `values.config.envoyGateway must be a map, got ${describeValue(eg)}` };
  return { config: eg };
}

/** Does Envoy Gateway `version` (plain semver; undefined = unknown, assume the newest) have a feature added in `since`? */
export const has = (version: string | undefined, since: string) => version === undefined || semver.gte(version, since);

/** One extension manager as Envoy Gateway sees it, with the path it sits at under values. */
export interface ExtensionManager {
  path: string;
  /** The entry's name (extensionManagers only). */
  name?: string;
  value: unknown;
}

/** The extension managers Envoy Gateway `version` reads from the config. */
export function extensionManagers(eg: Json, version: string | undefined): ExtensionManager[] {
  const base = "values.config.envoyGateway";
  const out: ExtensionManager[] = [];
  if (eg.extensionManager !== undefined && eg.extensionManager !== null) out.push({ path: `${base}.extensionManager`, value: eg.extensionManager });
  if (has(version, EXTENSION_MANAGERS_SINCE) && Array.isArray(eg.extensionManagers)) {
    eg.extensionManagers.forEach((value, i) => out.push({ path: `${base}.extensionManagers[${i}]`, name: str(at(value, "name")), value }));
  }
  return out;
}

const nonEmptyList = (v: unknown) => Array.isArray(v) && v.length > 0;
const present = (v: unknown) => v !== undefined && v !== null;

/** Envoy Gateway's own checks of one extension manager: its error text, or undefined. */
function managerStartupError(em: unknown): string | undefined {
  if (!present(em)) return undefined;
  const xds = at(em, "hooks", "xdsTranslator");
  if (!present(at(em, "hooks")) || !present(xds)) return EG_ERRORS.noHooks;
  if (!nonEmptyList(at(xds, "pre")) && !nonEmptyList(at(xds, "post"))) return EG_ERRORS.noHooks;
  const service = at(em, "service");
  if (!present(service)) return EG_ERRORS.noService;
  const host = at(service, "host");
  const targets = [typeof host === "string" && host !== "", present(at(service, "fqdn")), present(at(service, "ip")), present(at(service, "unix"))].filter(
    Boolean,
  ).length;
  if (targets === 0) return EG_ERRORS.noTarget;
  if (targets > 1) return EG_ERRORS.manyTargets;
  const tls = at(service, "tls");
  if (present(tls)) {
    const badRef = (ref: unknown) => {
      const group = at(ref, "group");
      const kind = at(ref, "kind");
      return (present(group) && group !== "") || (present(kind) && kind !== "Secret");
    };
    if (badRef(at(tls, "certificateRef"))) return EG_ERRORS.tlsRef;
    const client = at(tls, "clientCertificateRef");
    if (present(client) && badRef(client)) return EG_ERRORS.mtlsRef;
  }
  return undefined;
}

/**
 * The error Envoy Gateway `version` stops with at start-up for this config (only the first, as
 * Envoy Gateway reports it), or undefined when it starts.
 */
export function startupError(eg: Json, version: string | undefined): string | undefined {
  const plural = has(version, EXTENSION_MANAGERS_SINCE) && Array.isArray(eg.extensionManagers) ? eg.extensionManagers : [];
  if (present(eg.extensionManager) && plural.length > 0) return EG_ERRORS.mutuallyExclusive;
  if (has(version, EXTENSION_MANAGERS_SINCE) && Array.isArray(eg.extensionManagers) && plural.length === 0) return EG_ERRORS.emptyManagers;
  if (plural.length > 0) {
    const names = new Set<string>();
    for (const [i, em] of plural.entries()) {
      const name = str(at(em, "name")) ?? "";
      if (name === "") return EG_ERRORS.nameRequired(i);
      if (names.has(name)) return EG_ERRORS.duplicateName(i, name);
      names.add(name);
      const err = managerStartupError(em);
      if (err) return EG_ERRORS.inManager(name, err);
    }
    return undefined;
  }
  return managerStartupError(eg.extensionManager);
}

type Shape = "map" | "list" | "string" | "integer" | "boolean" | "quantity";

/** The JSON shape Envoy Gateway's decoder needs for each extension manager field the model knows. */
const FIELD_SHAPES: readonly { path: readonly string[]; shape: Shape }[] = [
  { path: ["hooks"], shape: "map" },
  { path: ["hooks", "xdsTranslator"], shape: "map" },
  { path: ["hooks", "xdsTranslator", "pre"], shape: "list" },
  { path: ["hooks", "xdsTranslator", "post"], shape: "list" },
  { path: ["hooks", "xdsTranslator", "translation"], shape: "map" },
  { path: ["service"], shape: "map" },
  { path: ["service", "fqdn"], shape: "map" },
  { path: ["service", "fqdn", "hostname"], shape: "string" },
  { path: ["service", "fqdn", "port"], shape: "integer" },
  { path: ["service", "ip"], shape: "map" },
  { path: ["service", "unix"], shape: "map" },
  { path: ["service", "host"], shape: "string" },
  { path: ["service", "tls"], shape: "map" },
  { path: ["service", "tls", "certificateRef"], shape: "map" },
  { path: ["backendResources"], shape: "list" },
  { path: ["maxMessageSize"], shape: "quantity" },
  { path: ["failOpen"], shape: "boolean" },
];

/** Kubernetes' resource.Quantity text form (what Envoy Gateway's decoder accepts for maxMessageSize). */
const QUANTITY = /^[+-]?[0-9.]+([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const fits = (v: unknown, shape: Shape) =>
  shape === "map"
    ? isMap(v)
    : shape === "list"
      ? Array.isArray(v)
      : shape === "string"
        ? typeof v === "string"
        : shape === "integer"
          ? Number.isInteger(v)
          : shape === "boolean"
            ? typeof v === "boolean"
            : typeof v === "number" || (typeof v === "string" && QUANTITY.test(v));

/**
 * A value Envoy Gateway's config decoder cannot read (a field of the wrong type): Envoy Gateway
 * then exits at start-up before any validation. The first one found, with its values path.
 */
export function decodeProblem(eg: Json, version: string | undefined): string | undefined {
  for (const em of extensionManagers(eg, version)) {
    if (!isMap(em.value)) return `${em.path} must be a map, got ${describeValue(em.value)}`;
    for (const { path, shape } of FIELD_SHAPES) {
      const v = at(em.value, ...path);
      if (v !== undefined && v !== null && !fits(v, shape))
        return `${em.path}.${path.join(".")} must be ${shape === "integer" ? "an integer" : `a ${shape}`}, got ${describeValue(v)}`;
    }
  }
  return undefined;
}

export interface ConfigIssue {
  message: string;
  hint?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain of 1-253 characters, the form Envoy Gateway's schema gives fqdn.hostname. */
export function isDnsName(s: string): boolean {
  return s.length >= 1 && s.length <= 253 && s.split(".").every((l) => l.length <= 63 && DNS_LABEL.test(l));
}

const hooksFor = (version: string | undefined) => XDS_TRANSLATOR_HOOKS.filter((h) => has(version, h.since)).map((h) => h.name);

/**
 * Problems Envoy Gateway does not stop for but that break the extension: hook names the pinned
 * version does not have, fields it silently drops (unless `fieldsSince` is false: Envoy Gateway's
 * own decoder reports those), an fqdn that is not a valid DNS name or port.
 */
export function managerIssues(
  em: ExtensionManager,
  version: string | undefined,
  versionLabel: string,
  { fieldsSince = true }: { fieldsSince?: boolean } = {},
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isMap(em.value)) return [{ message: `${em.path} must be a map, got ${describeValue(em.value)}` }];
  const v = em.value;
  for (const phase of ["pre", "post"] as const) {
    const list = at(v, "hooks", "xdsTranslator", phase);
    if (!present(list)) continue;
    if (!Array.isArray(list)) {
      issues.push({ message: `${em.path}.hooks.xdsTranslator.${phase} must be a list of hook names, got ${describeValue(list)}` });
      continue;
    }
    list.forEach((hook, i) => {
      const where = `${em.path}.hooks.xdsTranslator.${phase}[${i}]`;
      const known = XDS_TRANSLATOR_HOOKS.find((h) => h.name === hook);
      if (!known) {
        issues.push({
          message: `${where} is ${describeValue(hook)}, which is not an Envoy Gateway xdsTranslator hook`,
          hint: `Envoy Gateway ${versionLabel} has ${hooksFor(version).join(", ")}`,
        });
      } else if (!has(version, known.since)) {
        issues.push({
          message: `${where} is ${known.name}, a hook Envoy Gateway has only since ${known.since}; gateway-helm is pinned to ${versionLabel}`,
          hint: `use hooks from ${hooksFor(version).join(", ")} or pin Envoy Gateway >= ${known.since}`,
        });
      }
    });
  }
  for (const field of fieldsSince ? EXTENSION_MANAGER_FIELDS_SINCE : []) {
    if (present(at(v, ...field.path)) && !has(version, field.since)) {
      issues.push({
        message: `${em.path}.${field.path.join(".")} is ignored by Envoy Gateway ${versionLabel}: the field exists since ${field.since}`,
        hint: `pin gateway-helm >= ${field.since} or drop the field`,
      });
    }
  }
  const backendResources = at(v, "backendResources");
  if (present(backendResources)) {
    if (!Array.isArray(backendResources))
      issues.push({ message: `${em.path}.backendResources must be a list of {group, kind, version}, got ${describeValue(backendResources)}` });
    else
      backendResources.forEach((r, i) => {
        if (
          !isMap(r) ||
          typeof r.kind !== "string" ||
          r.kind === "" ||
          typeof r.version !== "string" ||
          r.version === "" ||
          (present(r.group) && typeof r.group !== "string")
        ) {
          issues.push({ message: `${em.path}.backendResources[${i}] must be {group, kind, version} with kind and version set, got ${JSON.stringify(r)}` });
        }
      });
  }
  const fqdn = at(v, "service", "fqdn");
  if (present(fqdn)) {
    const hostname = at(fqdn, "hostname");
    if (typeof hostname !== "string" || !isDnsName(hostname)) {
      issues.push({ message: `${em.path}.service.fqdn.hostname must be a DNS name of 1-253 characters, got ${describeValue(hostname)}` });
    }
    const port = at(fqdn, "port");
    if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) {
      issues.push({ message: `${em.path}.service.fqdn.port must be a port number 0-65535, got ${port === undefined ? "nothing" : describeValue(port)}` });
    }
  }
  return issues;
}
