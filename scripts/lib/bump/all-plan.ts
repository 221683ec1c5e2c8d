/**
 * The plan of `npm run bump -- --all`: every chart pin with a registry moves to the newest
 * release its policy allows (the same major as the pin unless `major`; never a prerelease, never
 * backwards), and the AI Gateway <-> Envoy Gateway pair is planned together: the newest AI
 * Gateway that some allowed Envoy Gateway supports, with the newest such Envoy Gateway. A chart
 * that cannot reach its newest version is held back with the reason. Pure: no I/O.
 */
import semver from "semver";
import { checkCompatibility, rowFor, type CompatibilityRow } from "../compat.js";
import type { ResolvedChart } from "./datasources/index.js";
import { aliasOf, type Pin } from "./kclfile.js";
import { formatLike, intersectVersions, type AvailableVersion } from "./versioning.js";
import { AI_GATEWAY_CHART, ENVOY_GATEWAY_CHART } from "../charts.js";

/** What the registries said about one pin: its charts' versions, or why they could not be read. */
export type PinLookup = { ok: true; resolved: ResolvedChart[] } | { ok: false; failures: { chart: string; location: string; message: string }[] };

export interface AllPlanInput {
  pins: readonly Pin[];
  /** By pin variable; pins without an entry were not looked up (tarballs, pins with problems). */
  lookups: ReadonlyMap<string, PinLookup>;
  major: boolean;
  compatibility: readonly CompatibilityRow[];
}

export interface AllMove {
  pin: Pin;
  from: string;
  to: string;
  /** Plain semver of `to`. */
  version: string;
  /** The npm semver range the policy allowed. */
  policy: string;
  resolved: ResolvedChart[];
  /** Why this move goes with another one (the compatibility table), if it does. */
  partner?: string;
  /** The registry has no tag in the pin's style (with/without v) for this version. */
  styleKept: boolean;
}

export interface AllHeld {
  pin: Pin;
  /** Where the pin ends up (its current value, or a move short of the newest). */
  at: string;
  /** The newest version the policy allows. */
  newest: string;
  reason: string;
}

export interface AllSkipped {
  pin: Pin;
  reason: string;
  /** Registry failures, one per chart that could not be read. */
  failures?: { chart: string; location: string; message: string }[];
}

export interface AllPlan {
  major: boolean;
  moves: AllMove[];
  held: AllHeld[];
  /** Pins already at the newest version their policy allows. */
  current: { pin: Pin; policy: string }[];
  skipped: AllSkipped[];
  notes: string[];
}

/** The versions a pin may move to: `>=current`, below the next major unless `major`. */
export function policyRange(current: string, major: boolean): string {
  const v = semver.parse(current.replace(/^v/, ""));
  if (!v) throw new Error(`policyRange: ${current} is not a version`);
  const base = `${v.major}.${v.minor}.${v.patch}`;
  return major ? `>=${base}` : `>=${base} <${v.major + 1}.0.0`;
}

interface Option {
  /** Plain semver. */
  version: string;
  available?: AvailableVersion;
}

/** Newest first: every allowed release newer than the pin, then the pin itself. */
function optionsFor(pin: Pin, lookup: PinLookup | undefined, policy: string): Option[] {
  const current: Option = { version: pin.value.replace(/^v/, "") };
  if (!lookup?.ok) return [current];
  const range = new semver.Range(policy);
  const pinned = new semver.SemVer(current.version);
  const newer = intersectVersions(lookup.resolved.map((r) => r.set))
    .filter((v) => {
      const parsed = new semver.SemVer(v.version);
      return parsed.prerelease.length === 0 && range.test(parsed) && parsed.compare(pinned) > 0;
    })
    .map((v) => ({ version: v.version, available: v }));
  return [...newer, current];
}

const pinOfChart = (pins: readonly Pin[], chart: string) => pins.find((p) => p.kind === "chart" && !p.problem && p.charts.some((c) => c.chart === chart));

export function planAll(input: AllPlanInput): AllPlan {
  const plan: AllPlan = { major: input.major, moves: [], held: [], current: [], skipped: [], notes: [] };
  const chosen = new Map<string, { option: Option; partner?: string }>();
  const options = new Map<string, { options: Option[]; policy: string }>();

  for (const pin of input.pins) {
    if (pin.kind === "tarball") {
      plan.skipped.push({ pin, reason: `pins a chart tarball URL (${pin.value}); there is no registry to list versions from, edit it by hand` });
      continue;
    }
    if (pin.problem || pin.charts.length === 0) {
      plan.skipped.push({ pin, reason: pin.problem ?? "no readable marker above it" });
      continue;
    }
    const lookup = input.lookups.get(pin.variable);
    if (!lookup) {
      plan.skipped.push({ pin, reason: "not looked up" });
      continue;
    }
    if (!lookup.ok) plan.skipped.push({ pin, reason: "its registry could not be read; the pin stays", failures: lookup.failures });
    const policy = policyRange(pin.value, input.major);
    options.set(pin.variable, { options: optionsFor(pin, lookup, policy), policy });
  }

  // The AI Gateway <-> Envoy Gateway pair: the newest AI Gateway some allowed Envoy Gateway supports.
  const ai = pinOfChart(input.pins, AI_GATEWAY_CHART);
  const eg = pinOfChart(input.pins, ENVOY_GATEWAY_CHART);
  const aiOpts = ai && options.get(ai.variable);
  const egOpts = eg && options.get(eg.variable);
  if (ai && eg && aiOpts && egOpts) {
    // The table's Envoy Gateway range for each AI Gateway version (one Range per row, not per pair).
    const ranges = new Map<CompatibilityRow, semver.Range>();
    const needs = (ai: string) => {
      const row = rowFor(ai, input.compatibility);
      if (!row || row.endOfLife || row.envoyGateway === undefined) return undefined;
      if (!ranges.has(row)) ranges.set(row, new semver.Range(row.envoyGateway, { includePrerelease: true }));
      return ranges.get(row)!;
    };
    let pair: { a: Option; e: Option } | undefined;
    for (const a of aiOpts.options) {
      const range = needs(a.version);
      const e = range && egOpts.options.find((o) => range.test(o.version));
      if (e) {
        pair = { a, e };
        break;
      }
    }
    const aiNewest = aiOpts.options[0]!;
    const egNewest = egOpts.options[0]!;
    const egFailed = input.lookups.get(eg.variable)?.ok === false;
    const aiFailed = input.lookups.get(ai.variable)?.ok === false;
    if (!pair) {
      const verdict = checkCompatibility(ai.value, eg.value, input.compatibility);
      plan.notes.push(
        `AI Gateway ${ai.value} and Envoy Gateway ${eg.value} stay as they are: no allowed pair is in the compatibility table (data/compatibility.json); ` +
          `the current pins: ${verdict.message}`,
      );
      chosen.set(ai.variable, { option: aiOpts.options.at(-1)! });
      chosen.set(eg.variable, { option: egOpts.options.at(-1)! });
      if (aiNewest !== aiOpts.options.at(-1))
        plan.held.push({
          pin: ai,
          at: ai.value,
          newest: aiNewest.version,
          reason: "no Envoy Gateway the policy allows makes a pair the compatibility table accepts",
        });
      if (egNewest !== egOpts.options.at(-1))
        plan.held.push({
          pin: eg,
          at: eg.value,
          newest: egNewest.version,
          reason: "no AI Gateway the policy allows makes a pair the compatibility table accepts",
        });
    } else {
      const aiMoves = pair.a.available !== undefined;
      const egMoves = pair.e.available !== undefined;
      const needs = checkCompatibility(pair.a.version, pair.e.version, input.compatibility).needsEnvoyGateway;
      const needsPartner = aiMoves && egMoves && needs !== undefined && !checkCompatibility(pair.a.version, eg.value, input.compatibility).compatible;
      chosen.set(
        ai.variable,
        needsPartner
          ? { option: pair.a, partner: `needs Envoy Gateway ${needs} (data/compatibility.json): moves together with ${aliasOf(eg.variable)}` }
          : { option: pair.a },
      );
      chosen.set(
        eg.variable,
        needsPartner ? { option: pair.e, partner: `needed by AI Gateway ${pair.a.version} (Envoy Gateway ${needs})` } : { option: pair.e },
      );
      if (pair.a !== aiNewest) {
        const verdict = checkCompatibility(aiNewest.version, egNewest.version, input.compatibility);
        const egWhy = egFailed
          ? `Envoy Gateway stays at ${eg.value} (its registry could not be read)`
          : `the newest Envoy Gateway the policy allows is ${egNewest.version}${input.major ? "" : " (--major allows more)"}`;
        const why =
          verdict.status === "incompatible" ? `AI Gateway ${aiNewest.version} needs Envoy Gateway ${verdict.needsEnvoyGateway}; ${egWhy}` : verdict.message;
        plan.held.push({ pin: ai, at: pair.a.available ? pair.a.version : ai.value, newest: aiNewest.version, reason: why });
      }
      if (pair.e !== egNewest) {
        const verdict = checkCompatibility(pair.a.version, egNewest.version, input.compatibility);
        const aiWhy = aiFailed ? ` (AI Gateway stays at ${ai.value}: its registry could not be read)` : "";
        plan.held.push({ pin: eg, at: pair.e.available ? pair.e.version : eg.value, newest: egNewest.version, reason: `${verdict.message}${aiWhy}` });
      }
    }
  }

  for (const pin of input.pins) {
    const o = options.get(pin.variable);
    if (!o) continue;
    const pick = chosen.get(pin.variable) ?? { option: o.options[0]! };
    const available = pick.option.available;
    if (!available) {
      if (input.lookups.get(pin.variable)?.ok && !plan.held.some((h) => h.pin === pin)) plan.current.push({ pin, policy: o.policy });
      continue;
    }
    const { value, styleKept } = formatLike(pin.value, available);
    if (!styleKept)
      plan.notes.push(
        `_${pin.variable}: the registry has no ${pin.value.startsWith("v") ? "v-prefixed" : "unprefixed"} tag for ${available.version}; writing ${value} as ` +
          `listed`,
      );
    const resolved = (input.lookups.get(pin.variable) as { ok: true; resolved: ResolvedChart[] }).resolved;
    plan.moves.push({
      pin,
      from: pin.value,
      to: value,
      version: available.version,
      policy: o.policy,
      resolved,
      styleKept,
      ...(pick.partner ? { partner: pick.partner } : {}),
    });
  }
  // A chart held short of its newest version still moves as far as it can: say so in its pin's style.
  for (const h of plan.held) h.at = plan.moves.find((m) => m.pin === h.pin)?.to ?? h.pin.value;
  return plan;
}
