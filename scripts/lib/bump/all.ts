/**
 * `npm run bump -- --all`: asks every chart's registry (at most `concurrency` requests in
 * flight), plans every move together (all-plan.ts), then applies the whole plan as one change:
 * one regeneration, one golden update, one verify, one e2e regeneration; any failure puts every
 * file back. A registry that cannot be read is reported and its charts stay, unless `strict`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { COMPATIBILITY_FILE, loadCompatibility } from "../compat.js";
import { UserError } from "../errors.js";
import { ROOT } from "../paths.js";
import { applyPlan, interruptExitCode, recoverInterrupted, STEPS, stepLine, type ApplyResult, type Step } from "./apply.js";
import { resolveChart, type ResolvedChart } from "./datasources/index.js";
import { AbortedError, type HttpOptions } from "./http.js";
import { type BumpRunOptions, fileProblems, readApps } from "./index.js";
import { aliasOf, APPS_FILE, type ChartRef, type Pin } from "./kclfile.js";
import { acquireLock } from "./lock.js";
import { applyOverrides, OVERRIDES_VARIABLE, parseOverrides } from "./overrides.js";
import { planAll, type AllPlan, type PinLookup } from "./all-plan.js";
import { mapBounded } from "./pool.js";
import { printable } from "./text.js";

/** The steps of a whole-plan bump: the single-bump steps, then the e2e tests from the new goldens. */
export const ALL_STEPS: readonly Step[] = [...STEPS, { name: "lint --fix --e2e", entry: "lint", args: ["--fix", "--e2e"] }];

/** Registry requests in flight at once. */
export const DEFAULT_CONCURRENCY = 4;

export interface BumpAllOptions extends BumpRunOptions {
  /** Let pins cross to a new major version. */
  major?: boolean;
  /** A registry that cannot be read fails the whole bump (nothing is written). */
  strict?: boolean;
  concurrency?: number;
}

export interface BumpAllOutcome {
  plan: AllPlan;
  applied?: ApplyResult;
  /** Wall time of the registry lookups, ms. */
  resolveMs: number;
}

interface Lookup {
  pin: Pin;
  ref: ChartRef;
}

export async function runBumpAll(options: BumpAllOptions = {}): Promise<BumpAllOutcome> {
  const root = options.root ?? ROOT;
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const overrides = parseOverrides(env[OVERRIDES_VARIABLE]);
  // The lock first, then what a killed bump left is put back, then kcl/apps.k is read.
  const release = options.dryRun ? () => {} : acquireLock(root);
  try {
    if (!options.dryRun) for (const line of (await recoverInterrupted(root)) ?? []) log(line);
    const { text, extracted } = readApps(root);
    fileProblems(extracted);
    const compatibility = loadCompatibility(existsSync(join(root, COMPATIBILITY_FILE)) ? root : ROOT);
    const http: Partial<HttpOptions> = { ...options.http, ...(options.signal ? { signal: options.signal } : {}) };
    // OCI lookups first: each is a chain of requests (challenge, token, every tags page), so they
    // start early and the single index.yaml requests fill the other slots meanwhile.
    const work: Lookup[] = extracted.pins
      .filter((p) => p.kind === "chart" && !p.problem)
      .flatMap((pin) => pin.charts.map((ref) => ({ pin, ref })))
      .sort((a, b) => Number(a.ref.datasource !== "docker") - Number(b.ref.datasource !== "docker"));
    const started = performance.now();
    const results = await mapBounded(work, options.concurrency ?? DEFAULT_CONCURRENCY, ({ ref }) => {
      log(printable(`resolving ${ref.chart} from ${applyOverrides(ref.source, overrides).source}…`));
      return resolveChart(ref, { env, overrides, http, ...(options.pageSize ? { pageSize: options.pageSize } : {}) });
    });
    const resolveMs = performance.now() - started;
    if (options.signal?.aborted)
      throw new UserError("interrupted while resolving versions; nothing was written.", { exitCode: interruptExitCode(options.signal) });

    const resolvedBy = new Map<string, ResolvedChart[]>();
    const failedBy = new Map<string, { chart: string; location: string; message: string }[]>();
    results.forEach((r, i) => {
      const { pin, ref } = work[i]!;
      if (r.ok) {
        resolvedBy.set(pin.variable, [...(resolvedBy.get(pin.variable) ?? []), r.value]);
        return;
      }
      if (r.error instanceof AbortedError || !(r.error instanceof UserError)) throw r.error;
      const failure = { chart: ref.chart, location: printable(applyOverrides(ref.source, overrides).source), message: r.error.message };
      failedBy.set(pin.variable, [...(failedBy.get(pin.variable) ?? []), failure]);
    });
    const lookups = new Map<string, PinLookup>();
    for (const { pin } of work) {
      const failed = failedBy.get(pin.variable);
      lookups.set(pin.variable, failed ? { ok: false, failures: failed } : { ok: true, resolved: resolvedBy.get(pin.variable) ?? [] });
    }
    const failures = [...lookups.values()].flatMap((l) => (l.ok ? [] : l.failures));
    if (options.strict && failures.length) {
      throw new UserError(
        `--strict: ${failures.length} chart registr${failures.length === 1 ? "y" : "ies"} could not be read; nothing was written:\n` +
          failures.map((f) => `  ${f.chart} (${f.location}): ${f.message}`).join("\n") +
          `\nRun again without --strict to move the other charts and leave these as they are.`,
      );
    }
    const plan = planAll({ pins: extracted.pins, lookups, major: !!options.major, compatibility });
    if (options.dryRun || plan.moves.length === 0) return { plan, resolveMs };
    const applied = await applyPlan({
      root,
      basedOn: text,
      changes: plan.moves.map((m) => ({ variable: m.pin.variable, to: m.to })),
      log,
      steps: options.steps ?? ALL_STEPS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { plan, applied, resolveMs };
  } finally {
    release();
  }
}

const chartsOf = (pin: Pin) => pin.charts.map((c) => c.chart).join(", ");

/** The plan for people: one line per pin, grouped. */
export function formatAllPlan(outcome: BumpAllOutcome, options: { dryRun?: boolean; markdown?: boolean } = {}): string[] {
  const { plan, applied } = outcome;
  const md = !!options.markdown;
  const code = (s: string) => (md ? `\`${s}\`` : s);
  const item = (s: string) => (md ? `- ${s}` : `  ${s}`);
  const head = (s: string) => (md ? `\n**${s}**\n` : `${s}:`);
  const lines: string[] = [];
  const policy = plan.major ? "newest release, any major (--major)" : "newest release of the same major";
  lines.push(md ? `## Chart updates (${policy})` : `bump --all: ${policy}; prereleases never`);
  if (plan.moves.length) {
    lines.push(head("moves"));
    for (const m of plan.moves)
      lines.push(item(`${code(aliasOf(m.pin.variable))} ${code(m.from)} → ${code(m.to)} (${chartsOf(m.pin)})${m.partner ? `: ${m.partner}` : ""}`));
  }
  if (plan.held.length) {
    lines.push(head("held back"));
    for (const h of plan.held) lines.push(item(`${code(aliasOf(h.pin.variable))} at ${code(h.at)}, newest allowed ${code(h.newest)}: ${h.reason}`));
  }
  const failed = plan.skipped.filter((s) => s.failures);
  if (failed.length) {
    lines.push(head("registry failed (skipped)"));
    for (const s of failed)
      for (const f of s.failures!)
        lines.push(item(`${code(aliasOf(s.pin.variable))} stays at ${code(s.pin.value)}: ${f.chart} from ${f.location}: ${f.message.split("\n")[0]}`));
  }
  const other = plan.skipped.filter((s) => !s.failures);
  if (other.length) {
    lines.push(head("not managed by bump"));
    for (const s of other) lines.push(item(`${code(aliasOf(s.pin.variable))}: ${s.reason.split("\n")[0]}`));
  }
  if (plan.current.length)
    lines.push(
      md
        ? `\nUp to date: ${plan.current.map((c) => `${code(aliasOf(c.pin.variable))} ${code(c.pin.value)}`).join(", ")}.`
        : `up to date: ${plan.current.map((c) => `${aliasOf(c.pin.variable)} ${c.pin.value}`).join(", ")}`,
    );
  for (const n of plan.notes) lines.push(md ? `\nNote: ${n}` : `note: ${n}`);
  if (plan.moves.length === 0) lines.push(md ? "\nNo chart moves." : "nothing to move");
  else if (options.dryRun && !md)
    lines.push(`dry run: nothing written; the bump would write ${APPS_FILE}, then run ${ALL_STEPS.map((s) => s.name).join(", ")}`);
  if (applied) {
    lines.push(md ? `\nSteps: ${applied.steps.map((s) => `${s.name} ${s.status}`).join(", ")}.` : `steps: ${applied.steps.map(stepLine).join(", ")}`);
    if (!md) lines.push(`files changed: ${applied.changedFiles.join(", ")}`);
  }
  return lines;
}

/** The plan for tools (`--json`). */
export function allPlanJson(outcome: BumpAllOutcome, options: { dryRun?: boolean } = {}): unknown {
  const { plan, applied } = outcome;
  const pinInfo = (pin: Pin) => ({ chart: aliasOf(pin.variable), variable: pin.variable, charts: pin.charts.map((c) => c.chart), current: pin.value });
  return {
    major: plan.major,
    dryRun: !!options.dryRun,
    moves: plan.moves.map((m) => ({
      ...pinInfo(m.pin),
      from: m.from,
      to: m.to,
      version: m.version,
      policy: m.policy,
      ...(m.partner ? { partner: m.partner } : {}),
    })),
    held: plan.held.map((h) => ({ ...pinInfo(h.pin), at: h.at, newest: h.newest, reason: h.reason })),
    upToDate: plan.current.map((c) => ({ ...pinInfo(c.pin), policy: c.policy })),
    skipped: plan.skipped.map((s) => ({ ...pinInfo(s.pin), reason: s.reason, ...(s.failures ? { failures: s.failures } : {}) })),
    notes: plan.notes,
    ...(applied
      ? { applied: { steps: applied.steps.map((s) => ({ name: s.name, status: s.status, ms: Math.round(s.ms) })), changedFiles: applied.changedFiles } }
      : {}),
  };
}
