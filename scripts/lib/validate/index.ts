/**
 * `npm run validate`: every rendered case, every example Cluster and the package's own objects,
 * validated by the real `crossplane beta validate` against the package's XRD and the CRDs of the
 * packages the Configuration depends on (see crds.ts for where those come from).
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { KclEngine } from "../kcl/engine.js";
import { renderCases } from "../cases.js";
import { loadPackage, readXrFile } from "../render/index.js";
import type { KubeObject, LoadedPackage, RenderedCase } from "../render/types.js";
import { parseYamlFile, yamlFilesInWalkOrder } from "../xpkg/contents.js";
import { obtainSchemas, type SchemaSet, type SourceStatus } from "./crds.js";
import type { Log } from "../tools.js";
import { crankValidate, type ValidationError } from "./crank.js";
import { coverageOf, gvkOf, xrdKinds, type XrdKind } from "./schemas.js";
import { LAYOUT, ANNOTATION_RESOURCE_NAME } from "../paths.js";

/** One resource to validate and where it came from. */
export interface Target {
  /** File (relative to the root) the resource comes from: a case, an example, a package file. */
  origin: string;
  /** How a person finds the resource: "Release app-argocd" (composition resource name for composed resources). */
  label: string;
  object: KubeObject;
}

export interface ValidationFinding {
  origin: string;
  label: string;
  apiVersion: string;
  field?: string;
  message: string;
  rule: ValidationError["rule"] | "schema-source" | "render";
}

export interface Skipped {
  origin: string;
  label: string;
  apiVersion: string;
  kind: string;
  /** True for a Composition step's function input (crank checks those on the Composition's behalf). */
  nested?: boolean;
  reason: string;
}

export interface ValidationReport {
  checked: number;
  valid: number;
  findings: ValidationFinding[];
  skipped: Skipped[];
  sources: SourceStatus[];
  /** dependsOn entries nothing is known about. */
  unknown: string[];
  /** Counts by origin kind. */
  counts: { cases: number; examples: number; package: number };
}

function nameOf(o: KubeObject): string {
  return String(o.metadata?.name ?? o.metadata?.annotations?.[ANNOTATION_RESOURCE_NAME] ?? "(unnamed)");
}

/** The resources of rendered cases: the case XR with the status the pipeline wrote, and every composed resource. */
export function caseTargets(cases: readonly RenderedCase[], root: string): { targets: Target[]; findings: ValidationFinding[] } {
  const targets: Target[] = [];
  const findings: ValidationFinding[] = [];
  for (const c of cases) {
    const origin = relative(root, resolve(c.file)) || c.file;
    if (!c.result) {
      findings.push({ origin, label: `case ${c.case}`, apiVersion: "", message: `the case does not render: ${c.error ?? "unknown error"}`, rule: "render" });
      continue;
    }
    const input = readXrFile(join(root, origin)) as KubeObject;
    const status = (c.result.xr as { status?: unknown }).status;
    targets.push({
      origin,
      label: `${input.kind} ${nameOf(input)} (the case XR)`,
      object: status === undefined ? input : ({ ...input, status } as KubeObject),
    });
    for (const r of c.result.resources) targets.push({ origin, label: `${r.object.kind} ${r.name}`, object: r.object });
  }
  return { targets, findings };
}

/** Every document of the YAML files under dir (example Clusters). */
export function fileTargets(dir: string, root: string): Target[] {
  if (!existsSync(dir)) return [];
  const out: Target[] = [];
  for (const file of yamlFilesInWalkOrder(dir)) {
    const origin = relative(root, file);
    parseYamlFile(file, origin).forEach((o) => {
      const object = o as KubeObject;
      out.push({ origin, label: `${String(object.kind)} ${nameOf(object)}`, object });
    });
  }
  return out;
}

/** The package's XRDs and Compositions (validated against Crossplane's own CRDs). */
export function packageTargets(pkg: LoadedPackage, root: string): Target[] {
  return pkg.documents
    .filter((d) => !d.object.apiVersion.startsWith("meta.pkg.crossplane.io/"))
    .map((d) => ({ origin: relative(root, join(pkg.dir, d.file)), label: `${d.object.kind} ${nameOf(d.object)}`, object: d.object }));
}

export interface ValidateTargetsOptions {
  targets: readonly Target[];
  xrds: readonly XrdKind[];
  schemas: SchemaSet;
  crossplane: string;
  crossplaneImage: string;
}

/** Validates targets with crank; targets no schema covers become findings or skips. */
export async function validateTargets(options: ValidateTargetsOptions): Promise<{ valid: number; findings: ValidationFinding[]; skipped: Skipped[] }> {
  const findings: ValidationFinding[] = [];
  const skipped: Skipped[] = [];
  const checked: Target[] = [];
  const files = new Set<string>(options.xrds.map((x) => x.file));
  for (const t of options.targets) {
    if (typeof t.object?.apiVersion !== "string" || typeof t.object?.kind !== "string") {
      findings.push({
        origin: t.origin,
        label: t.label,
        apiVersion: "",
        message: "not a Kubernetes object (apiVersion and kind are required)",
        rule: "schema",
      });
      continue;
    }
    const coverage = coverageOf(t.object, options.xrds, options.schemas);
    if (coverage.kind === "error")
      findings.push({ origin: t.origin, label: t.label, apiVersion: t.object.apiVersion, message: coverage.message, rule: "schema-source" });
    else if (coverage.kind === "skip")
      skipped.push({ origin: t.origin, label: t.label, apiVersion: t.object.apiVersion, kind: t.object.kind, reason: coverage.message });
    else {
      if (coverage.kind === "crd") files.add(coverage.crd.file);
      checked.push(t);
    }
  }
  const verdicts = await crankValidate({
    crossplane: options.crossplane,
    extensions: [...files].sort(),
    resources: checked.map((t) => t.object),
    crossplaneImage: options.crossplaneImage,
  });
  let valid = 0;
  verdicts.forEach((v, i) => {
    const t = checked[i]!;
    if (v.status === "valid") valid++;
    else if (v.status === "no-schema")
      findings.push({
        origin: t.origin,
        label: t.label,
        apiVersion: t.object.apiVersion,
        message: `crossplane beta validate found no schema for ${gvkOf(t.object).kind}`,
        rule: "schema-source",
      });
    for (const e of v.errors)
      findings.push({
        origin: t.origin,
        label: t.label,
        apiVersion: t.object.apiVersion,
        ...(e.field ? { field: e.field } : {}),
        message: e.message,
        rule: e.rule,
      });
    for (const n of v.nested) {
      const apiVersion = n.gvk.split(",")[0]!.replace(/^\//, "");
      const kind = n.gvk.split("Kind=")[1] ?? n.gvk;
      const label = `${t.label}, function input ${kind}`;
      if (n.status === "no-schema") {
        const status = options.schemas.sources.find((s) => s.groups.includes(apiVersion.split("/")[0]!));
        skipped.push({
          origin: t.origin,
          label,
          apiVersion,
          kind,
          nested: true,
          reason: status?.reason ?? `no CRD for ${n.gvk} (the function's input schema is not among the obtained CRDs)`,
        });
      }
      for (const e of n.errors)
        findings.push({ origin: t.origin, label, apiVersion, ...(e.field ? { field: e.field } : {}), message: e.message, rule: e.rule });
    }
  });
  return { valid, findings, skipped };
}

export interface ValidateProjectOptions {
  root: string;
  engine: KclEngine;
  crossplane: string;
  crossplaneVersion: string;
  cacheDir: string;
  packageDir?: string;
  casesDir?: string;
  examplesDir?: string;
  refresh?: boolean;
  log?: Log;
}

export async function validateProject(options: ValidateProjectOptions): Promise<ValidationReport> {
  const root = options.root;
  const pkg = loadPackage(options.packageDir ?? join(root, LAYOUT.package));
  const schemas = await obtainSchemas({
    configuration: pkg.configuration,
    crossplaneVersion: options.crossplaneVersion,
    cacheDir: options.cacheDir,
    ...(options.refresh ? { refresh: true } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const casesDir = options.casesDir ?? join(root, LAYOUT.cases);
  const cases = existsSync(casesDir) ? await renderCases(options.engine, pkg, casesDir) : [];
  const fromCases = caseTargets(cases, root);
  const examples = fileTargets(options.examplesDir ?? join(root, "examples"), root);
  const own = packageTargets(pkg, root);
  const xrds = pkg.xrds.flatMap((x) => {
    const doc = pkg.documents.find((d) => d.object === x);
    return xrdKinds(x, join(pkg.dir, doc?.file ?? "definition.yaml"));
  });
  const result = await validateTargets({
    targets: [...own, ...examples, ...fromCases.targets],
    xrds,
    schemas,
    crossplane: options.crossplane,
    crossplaneImage: `xpkg.crossplane.io/crossplane/crossplane:${options.crossplaneVersion}`,
  });
  return {
    checked: own.length + examples.length + fromCases.targets.length,
    valid: result.valid,
    findings: [...fromCases.findings, ...result.findings],
    skipped: result.skipped,
    sources: schemas.sources,
    unknown: schemas.unknown,
    counts: { cases: cases.length, examples: examples.length, package: own.length },
  };
}

/** Lines for a person: errors first (file: resource (apiVersion): field: message), then what was skipped and why. */
export function formatReport(report: ValidationReport): { errors: string[]; summary: string[] } {
  const line = (f: ValidationFinding) =>
    `${f.origin}: ${f.label}${f.apiVersion ? ` (${f.apiVersion})` : ""}: ${f.field ? `${f.field}: ` : ""}${f.message}${f.rule === "cel" ? " [CEL rule]" : ""}`;
  // A missing schema source hits every resource of its groups: say it once, with a few examples.
  const bySource = new Map<string, ValidationFinding[]>();
  for (const f of report.findings.filter((x) => x.rule === "schema-source")) bySource.set(f.message, [...(bySource.get(f.message) ?? []), f]);
  const errors: string[] = [];
  for (const f of report.findings) {
    if (f.rule !== "schema-source") errors.push(line(f));
    else {
      const group = bySource.get(f.message);
      if (!group) continue;
      bySource.delete(f.message);
      if (group.length <= 3) errors.push(...group.map(line));
      else
        errors.push(
          `${f.message} (${group.length} resources, e.g. ${group
            .slice(0, 3)
            .map((g) => `${g.origin}: ${g.label}`)
            .join("; ")})`,
        );
    }
  }
  const summary: string[] = [];
  summary.push("schemas:");
  for (const s of report.sources) {
    const what = s.ok
      ? `${s.version}${s.verified === false ? " (checksum not verified: the checksum database has no record of it)" : ""}`
      : `not obtained: ${s.reason}`;
    summary.push(`  ${s.package.padEnd(32)} ${s.constraint ? `${s.constraint.padEnd(12)} ` : "".padEnd(13)}${what}${s.ok && s.reason ? ` (${s.reason})` : ""}`);
  }
  for (const u of report.unknown) summary.push(`  ${u}: no schema source is known; its resources cannot be validated`);
  const bySkipReason = new Map<string, Skipped[]>();
  for (const s of report.skipped) bySkipReason.set(s.reason, [...(bySkipReason.get(s.reason) ?? []), s]);
  for (const [reason, items] of bySkipReason) {
    const kinds = [...new Set(items.map((i) => `${i.apiVersion} ${i.kind}`))].sort();
    const what = items.every((i) => i.nested) ? "function inputs" : "resources";
    summary.push(`not validated (${items.length} ${what}: ${kinds.join(", ")}): ${reason}`);
  }
  const skippedResources = report.skipped.filter((s) => !s.nested).length;
  summary.push(
    `validated ${report.checked} resources (${report.counts.package} package objects, ${report.counts.examples} examples, ${report.counts.cases} rendered ` +
      `cases): ` +
      `${report.valid} valid, ${report.findings.length} errors, ${skippedResources} not validated`,
  );
  return { errors, summary };
}
