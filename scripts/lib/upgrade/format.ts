/** The report as people read it (grouped by case, one line per finding) and as tools read it (JSON). */
import type { UpgradeFinding, UpgradeReport } from "./types.js";

const LABEL: Record<string, string> = {
  deleted: "DELETED",
  orphaned: "ORPHANED",
  added: "ADDED",
  changed: "CHANGED",
  "chart-version": "CHART",
  "not-comparable": "NOT COMPARABLE",
};

const COLOURS = { red: "\x1b[31m", yellow: "\x1b[33m", green: "\x1b[32m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };

function label(f: UpgradeFinding): string {
  return LABEL[f.rule] ?? (f.severity === "breaking" ? "BREAKING" : f.rule.toUpperCase());
}

export function formatFinding(f: UpgradeFinding, colour = false): string {
  const paint = (c: keyof typeof COLOURS, s: string) => (colour ? `${COLOURS[c]}${s}${COLOURS.reset}` : s);
  const tag = f.allowed ? `${label(f)} (allowed)` : label(f);
  const what = [f.crn, f.resource && f.resource !== f.crn ? `(${f.resource})` : undefined].filter(Boolean).join(" ");
  const text = `  ${tag.padEnd(16)} ${what ? `${what}: ` : ""}${f.message} [${f.rule}]`;
  if (f.allowed) return paint("dim", text);
  if (f.severity === "breaking") return paint("red", text);
  if (f.severity === "warning") return paint("yellow", text);
  if (f.rule === "added") return paint("green", text);
  return text;
}

const ORDER = [
  "composition-selection",
  "not-comparable",
  "deleted",
  "kind-changed",
  "metadata-name",
  "external-name",
  "immutable-field",
  "orphaned",
  "chart-version",
  "changed",
  "added",
];
const rank = (f: UpgradeFinding) => (ORDER.indexOf(f.rule) === -1 ? ORDER.length : ORDER.indexOf(f.rule));

export function formatHuman(report: UpgradeReport, options: { colour?: boolean; unusedAllow?: readonly string[] } = {}): string {
  const colour = options.colour ?? false;
  const bold = (s: string) => (colour ? `${COLOURS.bold}${s}${COLOURS.reset}` : s);
  const lines: string[] = [`upgrade-check: ${report.from.description} (${report.from.kind}) → ${report.to}, ${report.reconciles} reconciles per package`];
  const pkg = report.findings.filter((f) => f.case === undefined);
  if (pkg.length) {
    lines.push(bold("package (XRD)"));
    for (const f of pkg) lines.push(formatFinding(f, colour));
  }
  for (const c of report.cases) {
    const fs = report.findings.filter((f) => f.case === c.case).sort((a, b) => rank(a) - rank(b) || (a.crn ?? "").localeCompare(b.crn ?? ""));
    const head =
      c.status === "compared"
        ? `${c.oldComposition === c.newComposition ? `composition ${c.newComposition}` : `composition ${c.oldComposition} → ${c.newComposition}`}, ` +
          `${c.oldResources} → ${c.newResources} resources`
        : "not comparable";
    lines.push(bold(`case ${c.case} (${c.file}): ${head}${fs.length ? "" : ", no differences"}`));
    for (const f of fs) lines.push(formatFinding(f, colour));
  }
  const s = report.summary;
  for (const a of options.unusedAllow ?? []) lines.push(`note: --allow ${a} acknowledged nothing`);
  lines.push(
    `${s.failing > 0 ? "upgrade-check failed" : "upgrade-check ok"}: ${s.cases} ` +
      `case${s.cases === 1 ? "" : "s"}${s.notComparable ? ` (${s.notComparable} not comparable)` : ""}: ` +
      `${s.deleted} deleted, ${s.breaking} breaking (${s.allowed} allowed), ${s.warnings} warnings, ${s.changed} changed, ${s.added} added` +
      (s.failing > 0 ? `. Fix the package, or acknowledge a finding with --allow <composition-resource-name|rule>.` : ""),
  );
  return lines.join("\n") + "\n";
}

export function formatJson(report: UpgradeReport, unusedAllow: readonly string[] = []): string {
  return JSON.stringify({ ...report, unusedAllow }, null, 2) + "\n";
}
