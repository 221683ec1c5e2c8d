/**
 * Obtains the CRDs that rendered resources are validated against: for every package that
 * package/crossplane.yaml depends on (and Crossplane itself), the CRD files of the package's API
 * groups, taken from its Go module at a version that satisfies the dependency's constraint.
 *
 * Cache (.cache/crds/, safe to delete): <module>@<version>/<group>/ holds that group's CRD files
 * and index.json (kind, plural, versions of each). A version the proxy refused is remembered in
 * <module>@<version>.unavailable.json so that it is not asked for again (--refresh forgets).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import type { KubeObject } from "../render/types.js";
import { parseYamlDocuments } from "../yamlio.js";
import { escapeModulePath, fetchModule } from "../gomod.js";
import { CROSSPLANE_GROUPS, MODULES, packageFor, PACKAGES, type PackageSchemas } from "./sources.js";

import type { Log } from "../tools.js";

export interface CrdFile {
  group: string;
  kind: string;
  plural: string;
  /** Served versions with a schema. */
  versions: string[];
  scope: string;
  /** Absolute path of the cached CRD file. */
  file: string;
}

export interface SourceStatus {
  /** Package name (provider-aws-eks) or "crossplane". */
  package: string;
  /** dependsOn reference and version constraint, as written. */
  reference?: string;
  constraint?: string;
  module: string;
  groups: string[];
  required: boolean;
  /** The module version the CRDs came from, when obtained. */
  version?: string;
  ok: boolean;
  /** False when the checksum database had no record of the module version. */
  verified?: boolean;
  /** Why the CRDs could not be obtained (ok false), or a note. */
  reason?: string;
}

export interface SchemaSet {
  crds: CrdFile[];
  sources: SourceStatus[];
  /** dependsOn entries no schema source is known for (functions are not listed). */
  unknown: string[];
}

export interface DependsOnEntry {
  reference: string;
  constraint: string;
  kind: "provider" | "function" | "configuration" | "package";
}

/** The dependsOn entries of a meta.pkg.crossplane.io Configuration. */
export function dependsOn(configuration: KubeObject | undefined): DependsOnEntry[] {
  const spec = (configuration?.spec ?? {}) as { dependsOn?: unknown };
  if (!Array.isArray(spec.dependsOn)) return [];
  const out: DependsOnEntry[] = [];
  for (const d of spec.dependsOn as Record<string, unknown>[]) {
    for (const kind of ["provider", "function", "configuration", "package"] as const) {
      const ref = d[kind];
      if (typeof ref === "string") {
        const apiKind = typeof d.kind === "string" ? d.kind.toLowerCase() : kind;
        out.push({
          reference: ref,
          constraint: typeof d.version === "string" ? d.version : "",
          kind: (["provider", "function", "configuration"].includes(apiKind) ? apiKind : kind) as DependsOnEntry["kind"],
        });
        break;
      }
    }
  }
  return out;
}

/** Crossplane writes constraints Masterminds-style (">= v1.2, < v2"); npm semver wants spaces for AND. */
export function toSemverRange(constraint: string): string | undefined {
  const text = constraint.trim().replace(/\s*,\s*/g, " ");
  if (text === "") return "*";
  return semver.validRange(text, { loose: true }) ?? undefined;
}

function exactVersion(constraint: string): string | undefined {
  const t = constraint.trim();
  return /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(t) && semver.valid(t.replace(/^v/, "")) ? (t.startsWith("v") ? t : `v${t}`) : undefined;
}

function moduleDir(cacheDir: string, module: string, version: string): string {
  return join(cacheDir, `${escapeModulePath(module)}@${version}`);
}

/** index.json entries: CrdFile with the file name relative to the group folder. */
type IndexEntry = CrdFile;

function readIndex(groupDir: string): CrdFile[] {
  const entries = JSON.parse(readFileSync(join(groupDir, "index.json"), "utf8")) as IndexEntry[];
  return entries.map((e) => ({ ...e, file: join(groupDir, e.file) }));
}

/** Copies one group's CRD files out of a module folder into the cache (complete or not at all). */
function cacheGroup(sourceDir: string, target: string, group: string): void {
  const tmp = `${target}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const index: IndexEntry[] = [];
  const files = existsSync(sourceDir)
    ? readdirSync(sourceDir)
        .filter((f) => f.startsWith(`${group}_`) && /\.ya?ml$/.test(f))
        .sort()
    : [];
  for (const f of files) {
    const text = readFileSync(join(sourceDir, f), "utf8");
    const crd = parseYamlDocuments(text, join(sourceDir, f), { maxAliasCount: -1 })[0] as {
      kind?: string;
      spec?: { group?: string; scope?: string; names?: { kind?: string; plural?: string }; versions?: { name: string; served?: boolean; schema?: unknown }[] };
    };
    if (crd?.kind !== "CustomResourceDefinition" || crd.spec?.group !== group || !crd.spec.names?.kind) continue;
    copyFileSync(join(sourceDir, f), join(tmp, f));
    index.push({
      group,
      file: f,
      kind: crd.spec.names.kind,
      plural: crd.spec.names.plural ?? "",
      versions: (crd.spec.versions ?? []).filter((v) => v.served !== false && v.schema).map((v) => v.name),
      scope: crd.spec.scope ?? "Namespaced",
    });
  }
  writeFileSync(join(tmp, "index.json"), JSON.stringify(index, null, 1) + "\n");
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}

/** A note for a version picked after newer candidates were refused. */
function skippedNote(refused: readonly string[]): { reason?: string } {
  return refused.length ? { reason: `newer: ${refused.join("; ")}` } : {};
}

interface Resolution {
  version?: string;
  verified?: boolean;
  reason?: string;
}

/** Finds a module version for the constraint that is cached or can be fetched, and caches the groups. */
async function resolveModule(moduleKey: string, constraint: string, groups: string[], cacheDir: string, log: Log): Promise<Resolution> {
  const source = MODULES[moduleKey]!;
  if (source.unavailable) return { reason: source.unavailable };
  const exact = exactVersion(constraint);
  let candidates: string[];
  if (exact) candidates = [exact];
  else {
    const range = toSemverRange(constraint);
    if (range === undefined) return { reason: `version constraint ${JSON.stringify(constraint)} is not a semver range` };
    candidates = source.versions.filter((v) => semver.satisfies(v.replace(/^v/, ""), range, { includePrerelease: false }));
    if (candidates.length === 0) {
      return {
        reason:
          `none of the module versions known to be served (${source.versions.join(", ") || "none"}) satisfies ${JSON.stringify(constraint)}; add one ` +
          `to MODULES in scripts/lib/validate/sources.ts`,
      };
    }
  }
  const refused: string[] = [];
  for (const version of candidates) {
    const dir = moduleDir(cacheDir, source.module, version);
    const marker = `${dir}.unavailable.json`;
    if (existsSync(marker)) {
      refused.push(`${version}: ${(JSON.parse(readFileSync(marker, "utf8")) as { reason: string }).reason}`);
      continue;
    }
    const missing = groups.filter((g) => !existsSync(join(dir, g, "index.json")));
    if (missing.length === 0) {
      const meta = join(dir, "source.json");
      const verified = existsSync(meta) ? (JSON.parse(readFileSync(meta, "utf8")) as { verified?: boolean }).verified !== false : true;
      return { version, verified, ...skippedNote(refused) };
    }
    log(`fetching ${source.module}@${version} from the Go module proxy for the CRDs of ${missing.join(", ")}…`);
    const fetched = await fetchModule(source.module, version, join(cacheDir, ".scratch"));
    if (!fetched.ok) {
      if (fetched.kind === "unavailable") {
        mkdirSync(join(dir, ".."), { recursive: true });
        writeFileSync(marker, JSON.stringify({ reason: fetched.message }) + "\n");
        refused.push(`${version}: ${fetched.message}`);
        continue;
      }
      return { reason: `${source.module}@${version} could not be fetched (${fetched.kind === "offline" ? "network unavailable? " : ""}${fetched.message})` };
    }
    try {
      mkdirSync(dir, { recursive: true });
      for (const g of missing) cacheGroup(join(fetched.dir, source.crdDir), join(dir, g), g);
      writeFileSync(join(dir, "source.json"), JSON.stringify({ module: source.module, version, verified: fetched.verified }) + "\n");
    } finally {
      fetched.cleanup();
    }
    return { version, verified: fetched.verified, ...skippedNote(refused) };
  }
  return { reason: `no version satisfying ${JSON.stringify(constraint || "any")} could be fetched: ${refused.join("; ")}` };
}

export interface ObtainOptions {
  configuration: KubeObject | undefined;
  /** Crossplane version whose CRDs to use (the pinned crossplane CLI's). */
  crossplaneVersion: string;
  cacheDir: string;
  refresh?: boolean;
  log?: Log;
}

export async function obtainSchemas(options: ObtainOptions): Promise<SchemaSet> {
  const log = options.log ?? (() => {});
  const cacheDir = options.cacheDir;
  if (options.refresh) rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });

  const wanted: { pkg: PackageSchemas; reference?: string; constraint: string }[] = [];
  const unknown: string[] = [];
  for (const dep of dependsOn(options.configuration)) {
    const pkg = packageFor(dep.reference);
    if (!pkg) {
      if (dep.kind !== "function") unknown.push(`${dep.reference} ${dep.constraint}`.trim());
      continue;
    }
    if (!wanted.some((w) => w.pkg === pkg)) wanted.push({ pkg, reference: dep.reference, constraint: dep.constraint });
    for (const name of pkg.brings ?? []) {
      const brought = PACKAGES.find((p) => p.package === name);
      if (brought && !wanted.some((w) => w.pkg === brought)) wanted.push({ pkg: brought, constraint: dep.constraint });
    }
  }

  const sources: SourceStatus[] = [];
  const crds: CrdFile[] = [];
  const collect = (module: string, version: string, groups: string[]) => {
    for (const g of groups) crds.push(...readIndex(join(moduleDir(cacheDir, module, version), g)));
  };

  // Crossplane itself: the version of the pinned CLI, which must satisfy spec.crossplane.version.
  const xp = MODULES.crossplane!;
  const xpConstraint = String(((options.configuration?.spec ?? {}) as { crossplane?: { version?: unknown } }).crossplane?.version ?? "");
  const xpResolution = await resolveModule("crossplane", options.crossplaneVersion, CROSSPLANE_GROUPS, cacheDir, log);
  const xpRange = toSemverRange(xpConstraint);
  const xpNote =
    xpRange && !semver.satisfies(options.crossplaneVersion.replace(/^v/, ""), xpRange)
      ? `the pinned crossplane ${options.crossplaneVersion} does not satisfy spec.crossplane.version ${xpConstraint}`
      : undefined;
  sources.push({
    package: "crossplane",
    constraint: xpConstraint,
    module: xp.module,
    groups: CROSSPLANE_GROUPS,
    required: true,
    ok: xpResolution.version !== undefined,
    ...(xpResolution.version ? { version: xpResolution.version, verified: xpResolution.verified } : {}),
    ...(xpResolution.reason || xpNote ? { reason: xpResolution.reason ?? xpNote } : {}),
  });
  if (xpResolution.version) collect(xp.module, xpResolution.version, CROSSPLANE_GROUPS);

  // One resolution per module and constraint, for the groups of every package it serves: a
  // provider family's packages share one module, fetched once.
  const resolutions = new Map<string, Promise<Resolution>>();
  for (const w of wanted) {
    const key = `${w.pkg.module} ${w.constraint}`;
    if (resolutions.has(key)) continue;
    const groups = wanted.filter((x) => x.pkg.module === w.pkg.module && x.constraint === w.constraint).flatMap((x) => x.pkg.groups);
    const previous = [...resolutions.values()].pop() ?? Promise.resolve({});
    resolutions.set(
      key,
      previous.then(() => resolveModule(w.pkg.module, w.constraint, groups, cacheDir, log)),
    );
  }
  for (const w of wanted) {
    const module = MODULES[w.pkg.module]!;
    const r = await resolutions.get(`${w.pkg.module} ${w.constraint}`)!;
    sources.push({
      package: w.pkg.package,
      ...(w.reference ? { reference: w.reference } : {}),
      constraint: w.constraint,
      module: module.module,
      groups: w.pkg.groups,
      required: w.pkg.required === true,
      ok: r.version !== undefined,
      ...(r.version ? { version: r.version, verified: r.verified } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    });
    if (r.version) collect(module.module, r.version, w.pkg.groups);
  }
  // Required sources the Configuration does not depend on are reported by validation (a resource
  // of their group then has no schema and names the missing dependency).
  return { crds, sources, unknown };
}
