/**
 * `npm run verify`: renders every case of a package and runs every rule over the package and the
 * rendered resources. Reads files only; never writes.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { loadCompatibility, type CompatibilityRow } from "../compat.js";
import { UserError } from "../errors.js";
import type { KclEngine } from "../kcl/engine.js";
import { caseInputs, renderCase } from "../cases.js";
import { loadPackage, localRenderer, readXrFile, type KubeObject, type LoadedPackage, type RenderedCase } from "../render/index.js";
import { displayPath } from "../paths.js";
import { isObject } from "../render/yaml.js";
import { checkXrs, formatXrViolations } from "../validate/xr.js";
import { judgeEnvoyGatewayReleases, templateAiGatewayReleases } from "./eg-judgments.js";
import { summarize, type Summary } from "./format.js";
import { RULES } from "./rules/index.js";
import { createContext, runRules } from "./runner.js";
import type { Finding, Rule } from "./types.js";

export type { Finding, Rule, RuleFinding, Severity, VerifyContext } from "./types.js";
export { RULES } from "./rules/index.js";
export { createContext, runRules } from "./runner.js";
export { formatFinding, formatJson, formatJsonError, formatSummary, summarize } from "./format.js";

export interface VerifyOptions {
  packageDir: string;
  casesDir: string;
  /** File paths in findings are shown relative to this directory (default: absolute). */
  displayRoot?: string;
  rules?: readonly Rule[];
  /** The crossplane CLI that checks the case XRs against the XRD (default: the pinned one). */
  crossplane?: string;
  compatibility?: readonly CompatibilityRow[];
  /** A check that could not run (no Go, module not served) fails verify instead of warning. */
  strict?: boolean;
  /** Ask Envoy Gateway's own chart and validator (default true); false leaves eg-config to its model. */
  envoyGateway?: boolean;
  /** Environment for chart sources (CHART_SOURCE_OVERRIDES; default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Progress of tool installs (default: stderr). */
  log?: (line: string) => void;
}

export interface VerifyReport {
  packageDir: string;
  casesDir: string;
  cases: string[];
  summary: Summary;
  findings: Finding[];
}

/**
 * Renders every case whose XR its XRD accepts; a case the API server would refuse carries the
 * violations as its error (reported by the case-render rule) and is not rendered.
 */
async function renderValidCases(engine: KclEngine, pkg: LoadedPackage, casesDir: string, crossplane?: string): Promise<RenderedCase[]> {
  const inputs = caseInputs(casesDir);
  const xrs = inputs.map((c) => {
    try {
      const xr = readXrFile(c.file);
      return isObject(xr) && typeof xr.apiVersion === "string" && typeof xr.kind === "string" ? (xr as KubeObject) : undefined;
    } catch {
      return undefined; // renderCase reports it
    }
  });
  const present = xrs.flatMap((xr, i) => (xr ? [{ xr, i }] : []));
  const violations = await checkXrs(
    pkg,
    present.map((p) => p.xr),
    crossplane ? { crossplane } : {},
  );
  const invalid = new Map(present.map((p, k) => [p.i, violations[k]!] as const).filter(([, v]) => v.length > 0));
  const renderer = localRenderer(engine);
  return Promise.all(
    inputs.map((c, i) => {
      const v = invalid.get(i);
      return v ? { case: c.case, file: displayPath(c.file), error: `${displayPath(c.file)}: ${formatXrViolations(xrs[i]!, v)}` } : renderCase(renderer, pkg, c);
    }),
  );
}

export async function verify(engine: KclEngine, options: VerifyOptions): Promise<VerifyReport> {
  const casesDir = resolve(options.casesDir);
  if (!existsSync(casesDir) || !statSync(casesDir).isDirectory()) {
    throw new UserError(`${options.casesDir}: no such cases directory (pass --cases DIR, a directory of example XRs <case>.yaml)`);
  }
  const pkg = loadPackage(options.packageDir);
  const cases = await renderValidCases(engine, pkg, casesDir, options.crossplane);
  const rules = options.rules ?? RULES;
  const envoyGateway =
    options.envoyGateway !== false && rules.some((r) => r.id === "eg-config") ? await judgeEnvoyGatewayReleases(cases, options.log) : undefined;
  const aiGatewayServices =
    options.envoyGateway !== false && rules.some((r) => r.id === "eg-extension-server")
      ? await templateAiGatewayReleases(cases, options.env, options.log)
      : undefined;
  const ctx = createContext({
    pkg,
    cases,
    casesDir,
    compatibility: options.compatibility ?? loadCompatibility(),
    envoyGateway,
    aiGatewayServices,
    strict: options.strict,
  });
  const findings = runRules(ctx, rules, options.displayRoot);
  return {
    packageDir: options.packageDir,
    casesDir: options.casesDir,
    cases: cases.map((c) => c.case),
    summary: summarize(findings, cases.length, rules.length),
    findings,
  };
}
