/**
 * Golden files: every case's render compared with tests/golden/<case>.yaml, like the
 * TypeScript compiler's baselines and Go's -update convention. A mismatch gives a unified
 * diff and writes <case>.actual.yaml beside the golden; `update` accepts the new output
 * (never for a case whose render failed); goldens without a case are reported as stale.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { createTwoFilesPatch } from "diff";
import { readIfExists, writeFileAtomic, writeFilesTogether } from "../fsutil.js";
import { toYamlDocs } from "../render/yaml.js";
import type { RenderedCase } from "../render/types.js";

export const GOLDEN_SUFFIX = ".yaml";
export const ACTUAL_SUFFIX = ".actual.yaml";

export interface GoldenOutcome {
  case: string;
  golden: string;
  status: "match" | "mismatch" | "missing" | "failed" | "updated" | "created";
  /** Unified diff (mismatch, missing). */
  patch?: string;
  /** The render error (failed). */
  error?: string;
}

export interface GoldenReport {
  outcomes: GoldenOutcome[];
  /** Golden files with no case (relative to root); removed when updating. */
  stale: string[];
  /** Files written (relative to root). */
  written: string[];
  ok: boolean;
}

/** The golden text of a rendered case. */
export function goldenText(c: RenderedCase): string | undefined {
  return c.result ? toYamlDocs(c.result.stream) : undefined;
}

/**
 * Compares rendered cases with goldenDir. Without update: writes <case>.actual.yaml for each
 * mismatch and removes stale .actual files of cases that match. With update: rewrites the
 * goldens of cases that rendered, removes stale goldens.
 */
export function compareGoldens(cases: readonly RenderedCase[], goldenDir: string, options: { update?: boolean; root?: string } = {}): GoldenReport {
  const root = options.root ?? process.cwd();
  const rel = (p: string) => relative(root, p) || ".";
  const outcomes: GoldenOutcome[] = [];
  const toWrite = new Map<string, string>();
  const written: string[] = [];
  for (const c of cases) {
    const goldenPath = join(goldenDir, c.case + GOLDEN_SUFFIX);
    const actualPath = join(goldenDir, c.case + ACTUAL_SUFFIX);
    const golden = rel(goldenPath);
    const actual = goldenText(c);
    if (actual === undefined) {
      outcomes.push({ case: c.case, golden, status: "failed", error: c.error ?? "render failed" });
      continue;
    }
    const expected = readIfExists(goldenPath);
    if (expected === actual) {
      outcomes.push({ case: c.case, golden, status: "match" });
      if (existsSync(actualPath)) rmSync(actualPath, { force: true });
      continue;
    }
    if (options.update) {
      toWrite.set(goldenPath, actual);
      outcomes.push({ case: c.case, golden, status: expected === undefined ? "created" : "updated" });
      if (existsSync(actualPath)) rmSync(actualPath, { force: true });
      continue;
    }
    const patch = createTwoFilesPatch(`a/${golden}`, `b/${golden}`, expected ?? "", actual, expected === undefined ? "(missing)" : "golden", "rendered now");
    outcomes.push({ case: c.case, golden, status: expected === undefined ? "missing" : "mismatch", patch });
    writeFileAtomic(actualPath, actual);
    written.push(rel(actualPath));
  }
  const names = new Set(cases.map((c) => c.case));
  const stale = existsSync(goldenDir)
    ? readdirSync(goldenDir)
        .filter((f) => f.endsWith(GOLDEN_SUFFIX) && !f.endsWith(ACTUAL_SUFFIX) && !names.has(f.slice(0, -GOLDEN_SUFFIX.length)))
        .sort()
        .map((f) => rel(join(goldenDir, f)))
    : [];
  if (options.update) {
    written.push(...writeFilesTogether(toWrite).map(rel));
    for (const s of stale) {
      rmSync(join(root, s), { force: true });
      rmSync(join(root, s.slice(0, -GOLDEN_SUFFIX.length) + ACTUAL_SUFFIX), { force: true });
    }
  }
  const ok = outcomes.every((o) => o.status === "match" || o.status === "updated" || o.status === "created") && (options.update || stale.length === 0);
  return { outcomes, stale, written, ok };
}
