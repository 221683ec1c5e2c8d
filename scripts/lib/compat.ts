/**
 * Envoy AI Gateway <-> Envoy Gateway compatibility, read from data/compatibility.json (the one
 * place the table lives; `npm run bump` and `npm run verify` both ask this module).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { UserError } from "./errors.js";
import { ROOT } from "./paths.js";

export const COMPATIBILITY_FILE = "data/compatibility.json";

export interface CompatibilityRow {
  /** npm semver range of AI Gateway versions this row covers. */
  aiGateway: string;
  /** npm semver range of Envoy Gateway versions those AI Gateway versions need. */
  envoyGateway?: string;
  /** The AI Gateway versions of this row are end of life: no Envoy Gateway version is right. */
  endOfLife?: boolean;
}

export type CompatibilityStatus = "compatible" | "incompatible" | "end-of-life" | "unknown";

export interface CompatibilityVerdict {
  status: CompatibilityStatus;
  compatible: boolean;
  /** Both versions as plain semver (no leading v). */
  aiGateway: string;
  envoyGateway: string;
  /** The Envoy Gateway range the AI Gateway version needs (when the table has one). */
  needsEnvoyGateway?: string;
  /** AI Gateway series that work with this Envoy Gateway version, e.g. ["0.5.x", "0.6.x"]. */
  aiGatewayForEnvoyGateway: string[];
  /** One sentence a person can act on. */
  message: string;
}

/** Parses and checks the table; `file` is reported in errors. */
export function parseCompatibility(text: string, file = COMPATIBILITY_FILE): CompatibilityRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message}).`);
  }
  const rows = (data as { aiGateway?: unknown } | null)?.aiGateway;
  if (!Array.isArray(rows) || rows.length === 0) throw new UserError(`${file}: expected an object with a non-empty "aiGateway" list of rows.`);
  return rows.map((row: unknown, i) => {
    const r = row as Record<string, unknown> | null;
    const where = `${file}: aiGateway[${i}]`;
    if (!r || typeof r !== "object") throw new UserError(`${where}: expected an object {aiGateway, envoyGateway} or {aiGateway, endOfLife: true}.`);
    if (typeof r.aiGateway !== "string" || semver.validRange(r.aiGateway) === null)
      throw new UserError(`${where}.aiGateway: expected an npm semver range such as "0.7.x", got ${JSON.stringify(r.aiGateway)}.`);
    if (r.endOfLife === true) return { aiGateway: r.aiGateway, endOfLife: true };
    if (typeof r.envoyGateway !== "string" || semver.validRange(r.envoyGateway) === null)
      throw new UserError(`${where}.envoyGateway: expected an npm semver range such as ">=1.8.0", got ${JSON.stringify(r.envoyGateway)}.`);
    return { aiGateway: r.aiGateway, envoyGateway: r.envoyGateway };
  });
}

const cache = new Map<string, CompatibilityRow[]>();

/** The table of `root` (default: this repository). */
export function loadCompatibility(root: string = ROOT): CompatibilityRow[] {
  const path = join(root, COMPATIBILITY_FILE);
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) throw new UserError(`${path} is missing: it holds the AI Gateway <-> Envoy Gateway compatibility table.`);
  const rows = parseCompatibility(readFileSync(path, "utf8"), path);
  cache.set(path, rows);
  return rows;
}

function plain(version: string, what: string): string {
  const v = semver.valid(version.trim().replace(/^v(?=\d)/, ""));
  if (!v) throw new UserError(`${what} version ${JSON.stringify(version)} is not a semantic version (expected e.g. v1.8.0 or 1.8.0).`);
  return v;
}

const inRange = (version: string, range: string) => semver.satisfies(version, range, { includePrerelease: true });

/** The row covering an AI Gateway version, if any. */
export function rowFor(aiGateway: string, rows: readonly CompatibilityRow[] = loadCompatibility()): CompatibilityRow | undefined {
  const v = plain(aiGateway, "AI Gateway");
  return rows.find((r) => inRange(v, r.aiGateway));
}

/** The Envoy Gateway range an AI Gateway version needs (undefined: end of life or not in the table). */
export function envoyGatewayRangeFor(aiGateway: string, rows: readonly CompatibilityRow[] = loadCompatibility()): string | undefined {
  return rowFor(aiGateway, rows)?.envoyGateway;
}

/** The AI Gateway series (rows) that accept an Envoy Gateway version, newest row first. */
export function aiGatewaySeriesFor(envoyGateway: string, rows: readonly CompatibilityRow[] = loadCompatibility()): string[] {
  const v = plain(envoyGateway, "Envoy Gateway");
  return rows.filter((r) => r.envoyGateway !== undefined && inRange(v, r.envoyGateway)).map((r) => r.aiGateway);
}

/** Is this AI Gateway version right for this Envoy Gateway version? Accepts "v1.2.3" and "1.2.3". */
export function checkCompatibility(aiGateway: string, envoyGateway: string, rows: readonly CompatibilityRow[] = loadCompatibility()): CompatibilityVerdict {
  const ai = plain(aiGateway, "AI Gateway");
  const eg = plain(envoyGateway, "Envoy Gateway");
  const series = aiGatewaySeriesFor(eg, rows);
  const works = series.length
    ? `Envoy Gateway ${eg} works with AI Gateway ${series.join(", ")}`
    : `no AI Gateway series in ${COMPATIBILITY_FILE} supports Envoy Gateway ${eg}`;
  const row = rows.find((r) => inRange(ai, r.aiGateway));
  const base = { aiGateway: ai, envoyGateway: eg, aiGatewayForEnvoyGateway: series };
  if (!row) {
    return {
      ...base,
      status: "unknown",
      compatible: false,
      message:
        `AI Gateway ${ai} is not in the compatibility table ${COMPATIBILITY_FILE}; add its row (which Envoy Gateway versions it needs) from the AI ` +
        `Gateway release notes`,
    };
  }
  if (row.endOfLife || row.envoyGateway === undefined) {
    return { ...base, status: "end-of-life", compatible: false, message: `AI Gateway ${ai} is end of life (${row.aiGateway}); ${works}` };
  }
  if (inRange(eg, row.envoyGateway)) {
    return {
      ...base,
      status: "compatible",
      compatible: true,
      needsEnvoyGateway: row.envoyGateway,
      message: `AI Gateway ${ai} needs Envoy Gateway ${row.envoyGateway}; ${eg} satisfies it`,
    };
  }
  return {
    ...base,
    status: "incompatible",
    compatible: false,
    needsEnvoyGateway: row.envoyGateway,
    message: `AI Gateway ${ai} needs Envoy Gateway ${row.envoyGateway}, but Envoy Gateway is ${eg}; ${works}`,
  };
}
