/**
 * `npm run check`: regenerates the package from kcl/ in memory, renders every case against
 * it, and compares both with what is committed (package/ and tests/golden/).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { diffAgainstDisk, generatePackage, writeGenerated } from "../build.js";
import type { KclEngine } from "../kcl/engine.js";
import { ROOT, LAYOUT } from "../paths.js";
import { renderCases } from "../cases.js";
import { cachingEngine, type CachingEngine } from "../kcl/cache.js";
import { loadPackageFromFiles } from "../render/package.js";
import type { LoadedPackage, RenderedCase } from "../render/types.js";
import { compareGoldens, type GoldenReport } from "./index.js";
import { cacheYamlParses } from "../yamlio.js";

export interface CheckOptions {
  root?: string;
  update?: boolean;
  /** Reuse the results of unchanged KCL runs (package files and steps) from .cache/render-kcl and YAML parses from .cache/yaml (default true). */
  cache?: boolean;
}

export interface CheckResult {
  exitCode: number;
  /** Unified diffs, for stdout. */
  patches: string[];
  /** What happened, for stderr. */
  messages: string[];
  cases: RenderedCase[];
  golden: GoldenReport;
}

function yamlFilesUnder(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFilesUnder(p, base));
    else if (/\.ya?ml$/.test(e.name)) out.push(relative(base, p));
  }
  return out.sort();
}

function cacheNote(cache: CachingEngine | undefined): string {
  const stats = cache?.stats;
  return stats ? ` (KCL runs: ${stats.misses + stats.uncacheable} evaluated, ${stats.hits} reused from .cache/render-kcl)` : "";
}

/**
 * The package as kcl/ makes it now, in memory: the committed YAML files of package/ with the
 * generated ones replaced. Returns the generated files (path relative to root -> text) too.
 */
export async function packageFromSources(engine: KclEngine, root: string = ROOT): Promise<{ generated: Map<string, string>; pkg: LoadedPackage }> {
  const packageDir = join(root, LAYOUT.package);
  const generated = await generatePackage(engine, root);
  const files = new Map(yamlFilesUnder(packageDir).map((f) => [f, readFileSync(join(packageDir, f), "utf8")]));
  for (const [path, content] of generated) if (path.startsWith("package/") && /\.ya?ml$/.test(path)) files.set(path.slice("package/".length), content);
  return {
    generated,
    pkg: loadPackageFromFiles(
      packageDir,
      [...files].map(([file, content]) => ({ file, content })),
    ),
  };
}

export async function runCheck(engine: KclEngine, options: CheckOptions = {}): Promise<CheckResult> {
  const root = options.root ?? ROOT;
  // The cases and package files are the same on most runs: their parses come from .cache/yaml.
  const stopYamlCache = options.cache === false ? undefined : cacheYamlParses(join(root, ".cache", "yaml"));
  try {
    return await check(engine, root, options);
  } finally {
    stopYamlCache?.();
  }
}

async function check(engine: KclEngine, root: string, options: CheckOptions): Promise<CheckResult> {
  const casesDir = join(root, LAYOUT.cases);
  const goldenDir = join(root, LAYOUT.golden);
  const patches: string[] = [];
  const messages: string[] = [];
  let failed = false;

  const cache = options.cache === false ? undefined : cachingEngine(engine, join(root, ".cache", "render-kcl"), { fileRoots: [join(root, "kcl")] });
  const renderEngine = cache ?? engine;
  const { generated, pkg } = await packageFromSources(renderEngine, root);

  const drift = diffAgainstDisk(generated, root);
  if (options.update) {
    const changed = writeGenerated(generated, root);
    if (changed.length) messages.push(`wrote ${changed.join(", ")}`);
  } else if (drift.length) {
    failed = true;
    for (const d of drift) patches.push(d.patch);
    messages.push(`package/ is out of date with kcl/ (${drift.map((d) => d.path).join(", ")})`);
  }

  const cases = await renderCases(renderEngine, pkg, casesDir);
  cache?.prune();
  const golden = compareGoldens(cases, goldenDir, { update: options.update, root });
  for (const o of golden.outcomes) {
    switch (o.status) {
      case "failed":
        failed = true;
        messages.push(`FAIL ${o.error}${options.update ? ` (${o.golden} not written)` : ""}`);
        break;
      case "mismatch":
      case "missing":
        failed = true;
        patches.push(o.patch!);
        messages.push(`${o.status === "missing" ? "MISSING" : "DIFF"} ${o.golden} (actual output in ${o.golden.replace(/\.yaml$/, ".actual.yaml")})`);
        break;
      case "updated":
      case "created":
        messages.push(`${o.status} ${o.golden}`);
        break;
    }
  }
  for (const s of golden.stale) {
    if (options.update) messages.push(`removed stale ${s} (no case tests/cases/${s.split("/").pop()})`);
    else {
      failed = true;
      messages.push(`STALE ${s}: no case tests/cases/${s.split("/").pop()} renders it; delete it or run the update`);
    }
  }
  const total = cases.length;
  const bad = golden.outcomes.filter((o) => o.status !== "match" && o.status !== "updated" && o.status !== "created").length;
  if (failed && !options.update) {
    const parts = [`${bad} of ${total} cases differ or fail`];
    if (golden.stale.length) parts.push(`${golden.stale.length} golden file${golden.stale.length === 1 ? " has" : "s have"} no case`);
    if (drift.length) parts.push("package/ drifted");
    messages.push(`check failed: ${parts.join(", ")}. Review the diff; accept it with \`npm run check -- --update\`.`);
  } else if (failed) messages.push(`update incomplete: ${bad} of ${total} cases failed to render; fix them and run again.`);
  else messages.push(`${options.update ? "updated" : "ok"}: package/ matches kcl/, ${total} cases match tests/golden/${cacheNote(cache)}`);
  return { exitCode: failed ? 1 : 0, patches, messages, cases, golden };
}
