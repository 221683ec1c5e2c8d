/**
 * `npm run upgrade-check`: what upgrading from an old package to the new one does to live XRs.
 * Every case (tests/cases, another cases folder, or XRs exported from a control plane) is
 * reconciled a few times with each package, as Crossplane would reconcile it, and the steady
 * states are compared per composition resource name; the XRDs are compared field by field.
 * Nothing the user owns is written (package, cases, the repository); the KCL step results go to
 * the content-addressed cache under the git-ignored .cache/render-kcl, as `npm run check`'s do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { withEngine, type KclEngine } from "../kcl/index.js";
import { CACHE_DIR, ROOT, CASES_DIR } from "../paths.js";
import { cachingEngine } from "../kcl/cache.js";
import { caseInputs } from "../cases.js";
import { localRenderer, readObservedFile, readXrFile, type Renderer } from "../render/renderer.js";
import { loadPackage } from "../render/package.js";
import { displayPath } from "../paths.js";
import type { KubeObject, LoadedPackage } from "../render/types.js";
import { isObject } from "../render/yaml.js";
import { readYamlFile } from "../yamlio.js";
import { compareCase, type ImmutableData } from "./diff.js";
import { DEFAULT_RECONCILES, loadLiveStatus, reconcile, type LiveStatusEntry, type ReconcileInput } from "./reconcile.js";
import { resolveOldPackage, type OldPackage } from "./source.js";
import type { CaseOutcome, UpgradeFinding, Summary, UpgradeReport } from "./types.js";
import { compareXrds } from "./xrd.js";

export * from "./types.js";
export { resolveOldPackage } from "./source.js";
export { formatHuman, formatJson } from "./format.js";

export const IMMUTABLE_FIELDS_FILE = join(ROOT, "data", "immutable-fields.json");

export interface UpgradeCheckOptions {
  /** --from: a git ref, a package directory or an OCI package reference. */
  from: string;
  /** The new package (default package/). */
  packageDir: string;
  /** Cases folder (default tests/cases) — or xrsFile. */
  casesDir?: string;
  /** XRs exported from a control plane (a List or a YAML stream). */
  xrsFile?: string;
  reconciles?: number;
  /** Composition resource names, XRD field paths or rule ids whose findings are acknowledged. */
  allow?: readonly string[];
  /** The repository whose refs --from names (default: the repository root). */
  repoDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  immutableFile?: string;
  liveStatusFile?: string;
}

export interface UpgradeCheckResult {
  report: UpgradeReport;
  /** --allow values that acknowledged nothing. */
  unusedAllow: string[];
  exitCode: number;
}

export function loadImmutableData(file = IMMUTABLE_FIELDS_FILE): ImmutableData {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError(`${displayPath(file)}: cannot read the immutable-fields data (${(err as Error).message})`);
  }
  const d = data as { fields?: unknown; names?: { kinds?: unknown } };
  const ok = (v: unknown, keys: string[]) => Array.isArray(v) && v.every((e) => isObject(e) && keys.every((k) => typeof e[k] === "string" && e[k] !== ""));
  if (!ok(d.fields, ["group", "kind", "path", "reason"]))
    throw new UserError(`${displayPath(file)}: "fields" must be a list of {group, kind, path, reason} (all non-empty strings)`);
  if (!ok(d.names?.kinds, ["group", "kind", "reason"]))
    throw new UserError(`${displayPath(file)}: "names.kinds" must be a list of {group, kind, reason} (all non-empty strings)`);
  return { fields: d.fields as ImmutableData["fields"], names: d.names!.kinds as ImmutableData["names"] };
}

interface Input extends ReconcileInput {
  case: string;
  /** Reading the case failed. */
  error?: string;
}

const VOLATILE_METADATA = ["managedFields", "resourceVersion", "generation", "creationTimestamp", "selfLink"];

/** XRs from a file exported with `kubectl get … -o yaml`: a List (items) or a stream of objects. */
export function readXrsFile(file: string): Input[] {
  const docs = readYamlFile(file);
  const xrs: KubeObject[] = [];
  for (const d of docs) {
    if (isObject(d) && Array.isArray(d.items) && typeof d.kind === "string" && d.kind.endsWith("List")) xrs.push(...(d.items.filter(isObject) as KubeObject[]));
    else if (isObject(d)) xrs.push(d as KubeObject);
  }
  if (xrs.length === 0)
    throw new UserError(`${displayPath(file)}: no XRs in it (expected the output of e.g. \`kubectl get clusters.devopstoolkit.ai -A -o yaml\`)`);
  const seen = new Set<string>();
  return xrs.map((x, i) => {
    const xr = JSON.parse(JSON.stringify(x)) as KubeObject;
    for (const k of VOLATILE_METADATA) delete xr.metadata?.[k];
    const name = String(xr.metadata?.name ?? `#${i + 1}`);
    let id = xr.metadata?.namespace ? `${xr.metadata.namespace}/${name}` : name;
    if (seen.has(id)) id = `${id}#${i + 1}`;
    seen.add(id);
    return { case: id, xr, source: `${displayPath(file)} (${xr.kind ?? "?"} ${id})` };
  });
}

function casesFrom(dir: string): Input[] {
  return caseInputs(dir).map((c) => {
    const source = displayPath(c.file);
    try {
      const xr = readXrFile(c.file) as KubeObject;
      const observed = c.observedFile ? readObservedFile(c.observedFile) : undefined;
      return { case: c.case, xr, source, ...(observed ? { observed, observedSource: displayPath(c.observedFile!) } : {}) };
    } catch (err) {
      if (err instanceof UserError) return { case: c.case, xr: {} as KubeObject, source, error: err.message };
      throw err;
    }
  });
}

/** An acknowledgements file: one --allow value per line; blank lines and # comments are ignored. */
export function readAllowFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`${displayPath(file)}: cannot read the acknowledgements file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return text
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "");
}

function isAllowed(f: UpgradeFinding, allow: ReadonlySet<string>): string | undefined {
  const keys = [f.rule, f.crn, f.case && f.crn ? `${f.case}/${f.crn}` : undefined, f.crn?.includes(":") ? f.crn.slice(f.crn.indexOf(":") + 1) : undefined];
  return keys.find((k) => k !== undefined && allow.has(k));
}

export function summarize(cases: readonly CaseOutcome[], findings: readonly UpgradeFinding[]): Summary {
  const count = (p: (f: UpgradeFinding) => boolean) => findings.filter(p).length;
  return {
    cases: cases.length,
    notComparable: cases.filter((c) => c.status === "not-comparable").length,
    deleted: count((f) => f.rule === "deleted"),
    breaking: count((f) => f.severity === "breaking"),
    warnings: count((f) => f.severity === "warning"),
    added: count((f) => f.rule === "added"),
    changed: count((f) => f.rule === "changed" || f.rule === "chart-version"),
    allowed: count((f) => f.allowed === true),
    failing: count((f) => f.severity === "breaking" && !f.allowed),
  };
}

/** Compares every case between the two packages (both already loaded). */
export async function comparePackages(
  renderer: Renderer,
  before: LoadedPackage,
  after: LoadedPackage,
  inputs: readonly Input[],
  options: { reconciles?: number; immutable: ImmutableData; live?: readonly LiveStatusEntry[] },
): Promise<{ cases: CaseOutcome[]; findings: UpgradeFinding[] }> {
  const reconciles = options.reconciles ?? DEFAULT_RECONCILES;
  const findings: UpgradeFinding[] = compareXrds(before, after);
  const cases = await Promise.all(
    inputs.map(async (input): Promise<{ outcome: CaseOutcome; findings: UpgradeFinding[] }> => {
      const base = { case: input.case, file: input.source };
      const notComparable = (message: string) => ({
        outcome: { ...base, status: "not-comparable" as const },
        findings: [{ rule: "not-comparable", severity: "breaking" as const, case: input.case, message }],
      });
      if (input.error) return notComparable(input.error);
      const [o, n] = await Promise.all([
        reconcile(renderer, before, input, reconciles, options.live),
        reconcile(renderer, after, input, reconciles, options.live),
      ]);
      if (o.error || !o.result) return notComparable(`the old package does not render it: ${o.error ?? "no result"}`);
      if (n.error || !n.result) return notComparable(`the new package does not render it: ${n.error ?? "no result"}`);
      return {
        outcome: {
          ...base,
          status: "compared",
          oldComposition: o.result.composition,
          newComposition: n.result.composition,
          renders: { old: o.renders, new: n.renders },
          oldResources: o.result.resources.length,
          newResources: n.result.resources.length,
        },
        findings: compareCase(input.case, o.result, n.result, options.immutable),
      };
    }),
  );
  for (const c of cases) findings.push(...c.findings);
  return { cases: cases.map((c) => c.outcome), findings };
}

export async function upgradeCheck(renderer: Renderer, options: UpgradeCheckOptions): Promise<UpgradeCheckResult> {
  if (options.casesDir && options.xrsFile) throw new UserError("pass either --cases DIR or --xrs FILE, not both");
  const reconciles = options.reconciles ?? DEFAULT_RECONCILES;
  if (!Number.isInteger(reconciles) || reconciles < 1 || reconciles > 10)
    throw new UserError(`--reconciles must be a whole number from 1 to 10, not ${reconciles}`);
  const immutable = loadImmutableData(options.immutableFile);
  const after = loadPackage(options.packageDir);
  const inputs = options.xrsFile ? readXrsFile(options.xrsFile) : casesFrom(options.casesDir ?? CASES_DIR);
  if (inputs.length === 0) throw new UserError(`${displayPath(options.casesDir ?? CASES_DIR)}: no cases (<case>.yaml files) to compare`);
  const old: OldPackage = await resolveOldPackage(options.from, { repoDir: options.repoDir ?? ROOT, env: options.env ?? process.env });
  const { cases, findings } = await comparePackages(renderer, old.pkg, after, inputs, { reconciles, immutable, live: loadLiveStatus(options.liveStatusFile) });

  const allow = new Set(options.allow ?? []);
  const used = new Set<string>();
  for (const f of findings) {
    const key = isAllowed(f, allow);
    if (key !== undefined && f.severity !== "notice") {
      f.allowed = true;
      used.add(key);
    }
  }
  const report: UpgradeReport = {
    from: { text: options.from, kind: old.kind, description: old.description },
    to: displayPath(options.packageDir),
    reconciles,
    cases,
    findings,
    summary: summarize(cases, findings),
  };
  return { report, unusedAllow: [...allow].filter((a) => !used.has(a)), exitCode: report.summary.failing > 0 ? 1 : 0 };
}

export interface CacheChoice {
  /** "on" (the default): reuse and store KCL step results in cacheDir; "off": evaluate afresh, store nothing. */
  cache?: "on" | "off";
  /** Default .cache/render-kcl (shared with `npm run check`). */
  cacheDir?: string;
}

/** What the KCL engine did for one upgrade check. */
export interface EngineWork {
  /** Step runs evaluated by KCL. */
  evaluated: number;
  /** Step runs read from the cache. */
  reused: number;
  /** Step runs answered by an identical run of the same check (both packages alike, or a fixed point). */
  shared: number;
}

/**
 * upgradeCheck over a KCL engine with the step result cache: identical step runs are evaluated
 * once per check (the old and the new package often share steps), and with cache "on" results
 * are read from and stored in cacheDir (content-addressed: a result is reused only for the same
 * program, engine version and inputs, so the cache never changes a report), then pruned.
 */
export async function upgradeCheckWithCache(engine: KclEngine, options: UpgradeCheckOptions & CacheChoice): Promise<UpgradeCheckResult & { work: EngineWork }> {
  const dir = options.cache === "off" ? undefined : (options.cacheDir ?? join(CACHE_DIR, "render-kcl"));
  const cached = cachingEngine(engine, dir);
  const result = await upgradeCheck(localRenderer(cached), options);
  cached.prune();
  const s = cached.stats;
  return { ...result, work: { evaluated: s.misses + s.uncacheable, reused: s.hits, shared: s.shared } };
}

/** upgradeCheckWithCache on the local KCL engine (two workers; started only if a step must be evaluated). */
export async function runUpgradeCheck(options: UpgradeCheckOptions & CacheChoice): Promise<UpgradeCheckResult & { work: EngineWork }> {
  return withEngine((engine) => upgradeCheckWithCache(engine, options), { workers: 2 });
}
