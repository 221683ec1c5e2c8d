/**
 * `npm run bump`: find the pin, ask its registries, plan, apply. Returns the lines to print;
 * throws UserError for everything a person has to act on.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCompatibility, COMPATIBILITY_FILE } from "../compat.js";
import { UsageError, UserError } from "../errors.js";
import { ROOT } from "../paths.js";
import { applyPlan, interruptExitCode, recoverInterrupted, STEPS, stepLine, type ApplyResult, type Step } from "./apply.js";
import { resolveChart, type ResolvedChart } from "./datasources/index.js";
import { AbortedError, type HttpOptions } from "./http.js";
import { aliasOf, APPS_FILE, extractPins, MARKER_FORMAT, type Extracted, type Pin } from "./kclfile.js";
import { interruptedBumpNotice } from "./journal.js";
import { acquireLock } from "./lock.js";
import { applyOverrides, OVERRIDES_VARIABLE, parseOverrides } from "./overrides.js";
import { makePlan, shellArg, type Plan, type PlanRequest } from "./plan.js";
import { printable } from "./text.js";
import { parseRange } from "./versioning.js";

export interface BumpRequest {
  /** Chart name, variable (with or without _) or alias. */
  name: string;
  /** Version or npm semver range. */
  range: string;
}

/** What a single bump and `bump --all` both take. */
export interface BumpRunOptions {
  root?: string;
  dryRun?: boolean;
  /** Where CHART_SOURCE_OVERRIDES and CHART_REGISTRY_AUTH_* are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  http?: Partial<HttpOptions>;
  pageSize?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  steps?: readonly Step[];
}

export interface BumpOptions extends BumpRunOptions {
  requests: readonly BumpRequest[];
  pre?: boolean;
  allowDowngrade?: boolean;
}

export interface BumpOutcome {
  lines: string[];
  plan: Plan;
  resolved: ResolvedChart[];
  applied?: ApplyResult;
}

export function readApps(root: string): { text: string; extracted: Extracted } {
  const path = join(root, APPS_FILE);
  if (!existsSync(path)) throw new UserError(`${path} does not exist; is ${root} the repository root?`);
  const text = readFileSync(path, "utf8");
  return { text, extracted: extractPins(text) };
}

export function fileProblems(extracted: Extracted): void {
  if (extracted.problems.length === 0) return;
  throw new UserError(
    `${APPS_FILE} has chart markers bump cannot use:\n` +
      extracted.problems.map((p) => `  ${APPS_FILE}:${p.line}: ${p.message}`).join("\n") +
      `\nA pin is \`_name = "version"\` with markers directly above it:\n    ${MARKER_FORMAT.join("\n    ")}\nFix ${APPS_FILE}, then run the bump again.`,
  );
}

const names = (pin: Pin) => {
  const out = new Set<string>([pin.variable.toLowerCase(), aliasOf(pin.variable)]);
  for (const c of pin.charts) {
    out.add(c.chart.toLowerCase());
    out.add(c.depName.toLowerCase());
    out.add(c.chart.toLowerCase().replace(/-helm$/, ""));
  }
  return out;
};

function knownCharts(pins: readonly Pin[]): string {
  return pins
    .map(
      (p) =>
        `  ${aliasOf(p.variable).padEnd(18)} ${p.variable.padEnd(16)} ` +
        `${p.kind === "tarball" ? "(chart tarball URL, edit by hand)" : p.charts.map((c) => c.chart).join(", ") || "(no marker)"}`,
    )
    .join("\n");
}

/** The pin a name means: chart name, depName, variable (aiGateway or _aiGateway) or alias. */
export function findPin(pins: readonly Pin[], name: string): Pin {
  const key = name.trim().replace(/^_/, "").toLowerCase();
  const hits = pins.filter((p) => names(p).has(key));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new UsageError(`"${name}" names several pins (${hits.map((p) => `_${p.variable}`).join(", ")}); use the variable name.`);
  const near = pins.filter((p) => [...names(p)].some((n) => key.length >= 3 && (n.includes(key) || key.includes(n))));
  throw new UsageError(
    `unknown chart "${name}".${near.length ? ` Did you mean ${near.map((p) => aliasOf(p.variable)).join(" or ")}?` : ""}\n` +
      `Known charts (alias, variable, charts) in ${APPS_FILE}:\n${knownCharts(pins)}\nName a chart by its alias, variable or chart name, e.g. npm run bump ` +
      `ai-gateway 0.x`,
  );
}

function checkPinUsable(pin: Pin): void {
  if (pin.kind === "tarball") {
    throw new UserError(
      `${APPS_FILE}:${pin.line}: _${pin.variable} pins a chart tarball URL (${pin.value}); bump cannot resolve it, there is no registry to list versions ` +
        `from. Edit the URL by hand.`,
    );
  }
  if (pin.problem) throw new UserError(`${APPS_FILE}:${pin.line}: _${pin.variable}: ${pin.problem}`);
  if (pin.charts.length === 0) throw new UserError(`${APPS_FILE}:${pin.line}: _${pin.variable} has no readable marker above it.`);
}

function sourceLine(r: ResolvedChart): string {
  return printable(`${r.ref.chart} from ${r.ref.source}${r.override ? ` (read from ${r.source}, ${OVERRIDES_VARIABLE})` : ""}`);
}

export async function runBump(options: BumpOptions): Promise<BumpOutcome> {
  const root = options.root ?? ROOT;
  if (options.requests.length === 0)
    throw new UsageError("name a chart and a version or range, e.g. npm run bump ai-gateway 0.x (npm run bump -- --list shows the charts)");
  // The lock first, then what a killed bump left is put back, then kcl/apps.k is read.
  const release = options.dryRun ? () => {} : acquireLock(root);
  try {
    if (!options.dryRun) for (const line of (await recoverInterrupted(root)) ?? []) (options.log ?? (() => {}))(line);
    return await bumpLocked(options, root);
  } finally {
    release();
  }
}

/** `npm run bump -- --recover`: puts back what a killed bump left; the lines say what happened. */
export async function recoverBump(options: { root?: string } = {}): Promise<string[]> {
  const root = options.root ?? ROOT;
  const release = acquireLock(root);
  try {
    return (await recoverInterrupted(root)) ?? ["nothing to recover: no interrupted bump left a journal"];
  } finally {
    release();
  }
}

async function bumpLocked(options: BumpOptions, root: string): Promise<BumpOutcome> {
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const overrides = parseOverrides(env[OVERRIDES_VARIABLE]);
  const { text, extracted } = readApps(root);
  fileProblems(extracted);
  const asked: { pin: Pin; range: string }[] = [];
  for (const req of options.requests) {
    const pin = findPin(extracted.pins, req.name);
    checkPinUsable(pin);
    const range = parseRange(req.range);
    if (range === undefined) {
      throw new UsageError(`"${req.range}" is not a version or an npm semver range. Examples: 1.8.3, 0.x, ^0.6, ~1.7.0, '>=1.8 <2', '*' (the newest release).`);
    }
    if (asked.some((a) => a.pin === pin)) throw new UsageError(`_${pin.variable} is named twice; give one range per chart.`);
    asked.push({ pin, range });
  }
  const compatibilityRoot = existsSync(join(root, COMPATIBILITY_FILE)) ? root : ROOT;
  const compatibility = loadCompatibility(compatibilityRoot);

  // One failed lookup cancels the others; Ctrl-C cancels all.
  const lookups = new AbortController();
  const signal = options.signal ? AbortSignal.any([lookups.signal, options.signal]) : lookups.signal;
  const http: Partial<HttpOptions> = { ...options.http, signal };
  const resolvedByPin = await Promise.all(
    asked.map(({ pin }) =>
      Promise.all(
        pin.charts.map((ref) => {
          log(printable(`resolving ${ref.chart} from ${applyOverrides(ref.source, overrides).source}…`));
          return resolveChart(ref, { env, overrides, http, ...(options.pageSize ? { pageSize: options.pageSize } : {}) });
        }),
      ),
    ),
  ).catch((err: unknown) => {
    lookups.abort();
    if (err instanceof AbortedError && options.signal?.aborted)
      throw new UserError("interrupted while resolving versions; nothing was written.", { exitCode: interruptExitCode(options.signal) });
    throw err;
  });
  const requests: PlanRequest[] = asked.map((a, i) => ({ ...a, resolved: resolvedByPin[i]! }));
  const result = makePlan({ pins: extracted.pins, requests, pre: !!options.pre, allowDowngrade: !!options.allowDowngrade, compatibility });
  if (!result.ok) throw new UserError(result.refusals.join("\n"));
  const { plan } = result;
  const resolved = resolvedByPin.flat();
  const lines: string[] = [];
  for (const c of plan.changes) {
    lines.push(`${c.pin.variable}: ${c.from} -> ${c.to}${c.downgrade ? " (downgrade)" : ""}  (newest matching ${shellArg(c.range)})`);
    for (const r of c.resolved) lines.push(`  ${sourceLine(r)}`);
  }
  for (const u of plan.unchanged) lines.push(`${u.pin.variable}: already at ${u.pin.value}, the newest matching ${shellArg(u.range)}; nothing to do`);
  for (const n of plan.notes) lines.push(`note: ${n}`);
  for (const r of resolved) {
    if (r.invalidTags)
      lines.push(
        `note: ${printable(`${r.ref.chart} from ${r.location}`)}: ${r.invalidTags} tag${r.invalidTags === 1 ? "" : "s"} set aside, not valid OCI tags (at ` +
          `most 128 characters of [A-Za-z0-9_.-])`,
      );
  }
  const steps = options.steps ?? STEPS;
  const interrupted = options.dryRun ? interruptedBumpNotice(root) : undefined;
  if (interrupted) lines.push(`note: ${interrupted}`);
  if (options.dryRun || plan.changes.length === 0) {
    if (options.dryRun) {
      const would = steps.map((s) =>
        existsSync(join(root, "scripts", `${s.entry}.ts`)) ? s.name : `${s.name} (skipped: scripts/${s.entry}.ts does not exist yet)`,
      );
      lines.push(plan.changes.length ? `dry run: nothing written; a bump would write ${APPS_FILE}, then run ${would.join(", ")}` : "dry run: nothing to write");
    }
    return { lines, plan, resolved };
  }
  const applied = await applyPlan({
    root,
    basedOn: text,
    changes: plan.changes.map((c) => ({ variable: c.pin.variable, to: c.to })),
    log,
    steps,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  lines.push(`steps: ${applied.steps.map(stepLine).join(", ")}`);
  lines.push(`files changed: ${applied.changedFiles.join(", ")}`);
  return { lines, plan, resolved, applied };
}

/** `--list`: every pin, its charts and where they are read from. */
export function listCharts(options: { root?: string; env?: Readonly<Record<string, string | undefined>> } = {}): { lines: string[]; problems: number } {
  const root = options.root ?? ROOT;
  const env = options.env ?? process.env;
  const overrides = parseOverrides(env[OVERRIDES_VARIABLE]);
  const { extracted } = readApps(root);
  const rows: string[][] = [["alias", "variable", "current", "chart", "source"]];
  for (const pin of extracted.pins) {
    const alias = aliasOf(pin.variable);
    if (pin.kind === "tarball") {
      rows.push([alias, pin.variable, "(tarball)", "-", `${printable(pin.value)} (cannot resolve, edit by hand)`]);
      continue;
    }
    if (pin.charts.length === 0) {
      rows.push([alias, pin.variable, pin.value, "-", `(no marker at ${APPS_FILE}:${pin.line})`]);
      continue;
    }
    for (const c of pin.charts) {
      const o = applyOverrides(c.source, overrides);
      rows.push([alias, pin.variable, pin.value, c.chart, printable(c.source + (o.override ? ` (read from ${o.source})` : ""))]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  for (const p of extracted.problems) lines.push(`problem: ${APPS_FILE}:${p.line}: ${p.message}`);
  const pinProblems = extracted.pins.filter((p) => p.problem && p.kind !== "tarball");
  for (const p of pinProblems) lines.push(`problem: ${APPS_FILE}:${p.line}: _${p.variable}: ${p.problem}`);
  const interrupted = interruptedBumpNotice(root);
  if (interrupted) lines.push(`problem: ${interrupted}`);
  return { lines, problems: extracted.problems.length + pinProblems.length + (interrupted ? 1 : 0) };
}
