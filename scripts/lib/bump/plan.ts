/**
 * The bump plan: from the pins of kcl/apps.k, what was asked and what the registries list, decide
 * which literal each pin gets. Pure: no I/O; refusals are returned as data.
 */
import semver from "semver";
import { checkCompatibility, type CompatibilityRow } from "../compat.js";
import type { ResolvedChart } from "./datasources/index.js";
import { aliasOf, type Pin } from "./kclfile.js";
import { compareVersions, formatLike, intersectVersions, newestVersions, selectVersion, type AvailableVersion } from "./versioning.js";
import { AI_GATEWAY_CHART, ENVOY_GATEWAY_CHART } from "../charts.js";

export interface PlanRequest {
  pin: Pin;
  /** npm semver range (already checked). */
  range: string;
  /** One per chart of the pin, in marker order. */
  resolved: ResolvedChart[];
}

export interface PlanInput {
  pins: readonly Pin[];
  requests: readonly PlanRequest[];
  pre: boolean;
  allowDowngrade: boolean;
  compatibility: readonly CompatibilityRow[];
}

export interface PlannedChange {
  pin: Pin;
  from: string;
  to: string;
  /** Plain semver of `to`. */
  version: string;
  range: string;
  resolved: ResolvedChart[];
  /** False when the registry has no tag in the pin's style (with/without v) for this version. */
  styleKept: boolean;
  downgrade: boolean;
}

export interface Plan {
  changes: PlannedChange[];
  /** Pins already at the version their range selects. */
  unchanged: { pin: Pin; version: string; range: string }[];
  /** Things the person should know (tag style changed, …). */
  notes: string[];
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; refusals: string[]; plan: Plan };

/** Quotes a shell argument when it needs it. */
export function shellArg(arg: string): string {
  return /^[A-Za-z0-9._/:@=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const chartsOf = (pin: Pin) => pin.charts.map((c) => c.chart).join(", ");

function describeNothing(req: PlanRequest, available: AvailableVersion[], pre: boolean): string {
  const where = req.resolved.map((r) => `${r.ref.chart} from ${r.location}`).join(" and ");
  const intro = req.resolved.length > 1 ? `no version present for every chart of _${req.pin.variable} (${where})` : `no version of ${where}`;
  if (available.length === 0) {
    const ignored = req.resolved
      .map((r) => `${r.ref.chart}: ${r.set.versions.length} versions, ${r.set.dev.length} dev tags and ${r.set.nonSemver.length} non-semver tags ignored`)
      .join("; ");
    return `${intro}: the registry lists no release versions (${ignored})`;
  }
  const newest = newestVersions(available, 5, { pre });
  const prereleases = pre
    ? []
    : available
        .filter((v) => semver.prerelease(v.version) !== null && semver.satisfies(v.version, req.range, { includePrerelease: true }))
        .map((v) => v.version);
  return (
    `${intro} matches ${shellArg(req.range)}; the newest available: ${newest.length ? newest.join(", ") : "none (only prereleases)"}` +
    (prereleases.length ? `; prereleases ${prereleases.slice(0, 3).join(", ")} match with --pre` : "") +
    `. Current pin: ${req.pin.value}.`
  );
}

/** Finds the pin of a chart by chart name (the gate looks at gateway-helm / ai-gateway-helm). */
function pinOfChart(pins: readonly Pin[], chart: string): Pin | undefined {
  return pins.find((p) => p.kind === "chart" && p.charts.some((c) => c.chart === chart));
}

export function makePlan(input: PlanInput): PlanResult {
  const plan: Plan = { changes: [], unchanged: [], notes: [] };
  const refusals: string[] = [];
  for (const req of input.requests) {
    const available = intersectVersions(req.resolved.map((r) => r.set));
    const chosen = selectVersion(available, req.range, { pre: input.pre });
    if (!chosen) {
      refusals.push(describeNothing(req, available, input.pre));
      continue;
    }
    const current = req.pin.value;
    const cmp = compareVersions(chosen.version, current);
    if (cmp === 0) {
      plan.unchanged.push({ pin: req.pin, version: chosen.version, range: req.range });
      continue;
    }
    if (cmp < 0 && !input.allowDowngrade) {
      refusals.push(
        `the newest version of ${chartsOf(req.pin)} matching ${shellArg(req.range)} is ${chosen.version}, older than the current pin ${current} ` +
          `(_${req.pin.variable}); ` +
          `pass --allow-downgrade to move back, or ask for a newer range.`,
      );
      continue;
    }
    const { value, styleKept } = formatLike(current, chosen);
    if (!styleKept)
      plan.notes.push(
        `_${req.pin.variable}: the registry has no ${current.startsWith("v") ? "v-prefixed" : "unprefixed"} tag for ${chosen.version}; writing ${value} as ` +
          `listed`,
      );
    plan.changes.push({
      pin: req.pin,
      from: current,
      to: value,
      version: chosen.version,
      range: req.range,
      resolved: req.resolved,
      styleKept,
      downgrade: cmp < 0,
    });
  }
  const gate = compatibilityGate(input, plan);
  if (gate) refusals.push(gate.refusal);
  return refusals.length ? { ok: false, refusals, plan } : { ok: true, plan };
}

/** The AI Gateway <-> Envoy Gateway check on the pins as they would be after the plan. */
function compatibilityGate(input: PlanInput, plan: Plan): { refusal: string } | undefined {
  const aiPin = pinOfChart(input.pins, AI_GATEWAY_CHART);
  const egPin = pinOfChart(input.pins, ENVOY_GATEWAY_CHART);
  if (!aiPin || !egPin) return undefined;
  const aiChange = plan.changes.find((c) => c.pin === aiPin);
  const egChange = plan.changes.find((c) => c.pin === egPin);
  if (!aiChange && !egChange) return undefined;
  const ai = aiChange?.to ?? aiPin.value;
  const eg = egChange?.to ?? egPin.value;
  const verdict = checkCompatibility(ai, eg, input.compatibility);
  if (verdict.compatible) return undefined;
  const aiAlias = aliasOf(aiPin.variable);
  const egAlias = aliasOf(egPin.variable);
  const aiDesc = `AI Gateway ${ai} (_${aiPin.variable}${aiChange ? `, was ${aiChange.from}` : ""})`;
  const egDesc = `Envoy Gateway ${eg} (_${egPin.variable}${egChange ? `, was ${egChange.from}` : ""})`;
  const fixes: string[] = [];
  const aiArg = aiChange ? aiChange.range : ai;
  const egArg = egChange ? egChange.range : eg;
  if (verdict.needsEnvoyGateway) {
    fixes.push(`move Envoy Gateway too:  npm run bump -- ${aiAlias} ${shellArg(aiArg)} ${egAlias} ${shellArg(verdict.needsEnvoyGateway)}`);
  }
  const series = verdict.aiGatewayForEnvoyGateway[0];
  if (series) {
    fixes.push(
      `or pick an AI Gateway this Envoy Gateway supports:  npm run bump -- ${egChange ? `${egAlias} ${shellArg(egArg)} ` : ""}${aiAlias} ${shellArg(series)}`,
    );
  }
  fixes.push("or, if the table is out of date, correct data/compatibility.json (verify reads it too), then run the bump again");
  const what =
    verdict.status === "incompatible"
      ? `${aiDesc} needs Envoy Gateway ${verdict.needsEnvoyGateway}, but ${egDesc} does not satisfy it; Envoy Gateway ${verdict.envoyGateway} needs AI ` +
        `Gateway ${verdict.aiGatewayForEnvoyGateway.length ? verdict.aiGatewayForEnvoyGateway.join(" or ") : "(no supported series)"}`
      : `${aiDesc} with ${egDesc}: ${verdict.message}`;
  return {
    refusal: `refusing a pin that breaks the AI Gateway <-> Envoy Gateway compatibility table (data/compatibility.json): ${what}.\n  ${fixes.join("\n  ")}`,
  };
}
