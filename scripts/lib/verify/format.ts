/** Findings as people read them (one line each) and as tools read them (JSON). */
import type { Finding } from "./types.js";

/** `RULE-ID case resource: message (hint)`; package-wide findings show file[:line] in the case column. */
export function formatFinding(f: Finding): string {
  const where = f.case ?? (f.file !== undefined ? `${f.file}${f.line !== undefined ? `:${f.line}` : ""}` : "-");
  const resource = f.resource ?? "-";
  return `${f.rule} ${where} ${resource}: ${f.severity === "warning" ? "warning: " : ""}${f.message}${f.hint ? ` (${f.hint})` : ""}`;
}

export interface Summary {
  cases: number;
  rules: number;
  errors: number;
  warnings: number;
}

export function summarize(findings: readonly Finding[], cases: number, rules: number): Summary {
  return { cases, rules, errors: findings.filter((f) => f.severity === "error").length, warnings: findings.filter((f) => f.severity === "warning").length };
}

export function formatSummary(s: Summary): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `verify: ${plural(s.cases, "case")}, ${plural(s.rules, "rule")}: ${plural(s.errors, "error")}, ${plural(s.warnings, "warning")}`;
}

export function formatJson(report: { packageDir: string; casesDir: string; cases: readonly string[]; summary: Summary; findings: readonly Finding[] }): string {
  return JSON.stringify(report, null, 2) + "\n";
}

/**
 * A fatal error (nothing was verified: no package, no cases, a bad command line) as JSON, so a
 * tool reading stdout always gets an object: `{ "error": { message, exitCode, internal } }`.
 */
export function formatJsonError(error: { message: string; exitCode: number; internal: boolean }): string {
  return JSON.stringify({ error }, null, 2) + "\n";
}
