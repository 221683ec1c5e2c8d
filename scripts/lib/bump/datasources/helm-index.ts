/**
 * Helm HTTP repository datasource: GET <repo>/index.yaml and read `entries.<chart>[].version`.
 * Only the chart's own entries are parsed (see findChartEntries), at most MAX_CHART_ENTRIES of
 * them. The document is checked before use: lenient with fields we do not read, strict with the
 * ones we do (an entry without a string version is skipped and counted).
 */
import { parse } from "yaml";
import { credentialsFor } from "../credentials.js";
import { oneLine, type HttpClient } from "../http.js";
import { scanHelmIndex } from "./helm-index-scan.js";

export interface HelmIndexListing {
  versions: string[];
  /** Entries of the chart that had no string `version`. */
  skipped: number;
}

export interface HelmIndexOptions {
  http: HttpClient;
  env: Readonly<Record<string, string | undefined>>;
}

/** An index not in helm's block layout is parsed whole only up to this size. */
export const FULL_PARSE_LIMIT = 8 * 1024 * 1024;
/** Entries read for one chart at most. */
export const MAX_CHART_ENTRIES = 20_000;

export type ChartEntries =
  /** `document`: a small YAML document `entries: {<chart>: [...]}` cut out of the index. */
  | { kind: "block"; document: string }
  | { kind: "absent"; charts: string[] }
  | { kind: "too-many"; count: number }
  /** Not laid out as helm writes indexes (JSON, flow style, …): parse it whole. */
  | { kind: "unknown-layout" };

/** The key of a `key:` line (plain or quoted), or undefined when the line is not one. */
function keyOf(line: string): string | undefined {
  if (line.startsWith('"') || line.startsWith("'")) {
    try {
      const m = parse(line) as unknown;
      const keys = m && typeof m === "object" && !Array.isArray(m) ? Object.keys(m) : [];
      return keys.length === 1 ? keys[0] : undefined;
    } catch {
      return undefined;
    }
  }
  const m = /^([^#]*?)[ \t]*:(?:[ \t]|\r?$)/.exec(line);
  return m ? m[1] : undefined;
}

/**
 * Finds one chart's entries in an index without parsing the rest: helm writes `entries:` at the
 * top level and every chart as a key one indentation deeper, its entries below it. Large indexes
 * (hundreds of thousands of entries) are read this way with little memory; anything laid out
 * otherwise is reported as "unknown-layout".
 */
export function findChartEntries(text: string, chart: string): ChartEntries {
  const entries = /^entries:[ \t]*(?:#[^\n]*)?\r?$/m.exec(text);
  if (!entries) return { kind: "unknown-layout" };
  const start = entries.index + entries[0].length;
  const topLevel = /^[^ \t\r\n#]/gm;
  topLevel.lastIndex = start;
  const end = topLevel.exec(text)?.index ?? text.length;
  const firstChild = /^( +)([^ \t\r\n#])/gm;
  firstChild.lastIndex = start;
  const child = firstChild.exec(text);
  if (!child || child.index >= end) return { kind: "absent", charts: [] };
  if (child[2] === "-") return { kind: "unknown-layout" };
  const indent = child[1]!.length;
  // Lines at the chart indentation that are not list items: one per chart.
  const keyLine = new RegExp(`^ {${indent}}(?![ \\t#\\r\\n]|-(?:[ \\t]|\\r?$))([^\\r\\n]*)`, "gm");
  keyLine.lastIndex = child.index;
  const charts: string[] = [];
  let blockStart = -1;
  let blockEnd = end;
  for (let m = keyLine.exec(text); m && m.index < end; m = keyLine.exec(text)) {
    if (blockStart !== -1) {
      blockEnd = m.index;
      break;
    }
    const key = keyOf(m[1]!);
    if (key === undefined) return { kind: "unknown-layout" };
    if (key === chart) blockStart = m.index;
    else charts.push(key);
  }
  if (blockStart === -1) return { kind: "absent", charts: charts.sort() };
  const block = text.slice(blockStart, blockEnd);
  const firstItem = /^( *)- /m.exec(block);
  if (firstItem) {
    const items = block.match(new RegExp(`^ {${firstItem[1]!.length}}-(?:[ \\t]|\\r?$)`, "gm"))?.length ?? 0;
    if (items > MAX_CHART_ENTRIES) return { kind: "too-many", count: items };
  }
  return { kind: "block", document: `entries:\n${block}` };
}

export function indexUrl(repoUrl: string): string {
  return repoUrl.replace(/\/+$/, "") + "/index.yaml";
}

export async function listHelmVersions(repoUrl: string, chart: string, options: HelmIndexOptions): Promise<HelmIndexListing> {
  const { http } = options;
  const url = indexUrl(repoUrl);
  const host = new URL(url).host;
  const creds = credentialsFor(host, options.env);
  const headers: Record<string, string> = { accept: "application/yaml, text/yaml, */*" };
  if (creds) {
    const basic = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
    http.addSecret(creds.password);
    http.addSecret(basic);
    headers.authorization = `Basic ${basic}`;
  }
  const res = await http.get(url, headers);
  if (res.status === 404)
    throw http.fail(
      `${url}: not found (HTTP 404); registryUrl=${repoUrl} does not look like a Helm repository. Check the marker or CHART_SOURCE_OVERRIDES.`,
      url,
    );
  if (res.status === 401 || res.status === 403)
    throw http.fail(`${url}: HTTP ${res.status}; the repository needs credentials${creds ? ` (the ones in ${creds.variable} were refused)` : ""}.`, url);
  if (res.status !== 200) throw http.fail(`${url}: unexpected HTTP ${res.status} (${oneLine(res.body)})`, url);
  const found = findChartEntries(res.body, chart);
  if (found.kind === "too-many") {
    throw http.fail(
      `${url}: entries.${chart} lists ${found.count} entries, more than the ${MAX_CHART_ENTRIES} bump reads for one chart; use a mirror with fewer ` +
        `(CHART_SOURCE_OVERRIDES).`,
      url,
    );
  }
  let doc: unknown;
  if (found.kind === "block") {
    // As helm writes them, the chart's entries are read by a line scanner; else by the YAML parser.
    const scanned = scanHelmIndex(found.document, chart);
    if (scanned) return scanned;
    try {
      doc = parse(found.document, { maxAliasCount: 1000 });
    } catch (err) {
      if (res.body.length > FULL_PARSE_LIMIT) throw http.fail(`${url}: entries.${chart} is not valid YAML (${oneLine((err as Error).message)})`, url);
      doc = undefined; // e.g. an alias to an anchor outside the chart's block: read the whole (small) index below
    }
  } else if (found.kind === "absent") {
    const shown = found.charts.slice(0, 30).join(", ") + (found.charts.length > 30 ? `, … (${found.charts.length} charts)` : "");
    throw http.fail(`${url}: the repository has no chart ${chart} (it has: ${shown || "no charts"}). Check depName in the marker.`, url);
  }
  if (doc === undefined) {
    if (res.body.length > FULL_PARSE_LIMIT) {
      throw http.fail(
        `${url}: a ${(res.body.length / 1024 / 1024).toFixed(1)} MB index not laid out as helm writes it (a top-level \`entries:\` block); bump reads such ` +
          `an index only up to ${FULL_PARSE_LIMIT / 1024 / 1024} MB.`,
        url,
      );
    }
    try {
      doc = parse(res.body, { maxAliasCount: 1000 });
    } catch (err) {
      throw http.fail(`${url}: not a YAML document (${oneLine((err as Error).message)})`, url);
    }
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (!doc || typeof doc !== "object" || !entries || typeof entries !== "object" || Array.isArray(entries)) {
    throw http.fail(`${url}: not a Helm repository index (expected a mapping with \`entries\`)`, url);
  }
  const list = (entries as Record<string, unknown>)[chart];
  if (list === undefined) {
    const names = Object.keys(entries).sort();
    const shown = names.slice(0, 30).join(", ") + (names.length > 30 ? `, … (${names.length} charts)` : "");
    throw http.fail(`${url}: the repository has no chart ${chart} (it has: ${shown || "no charts"}). Check depName in the marker.`, url);
  }
  if (!Array.isArray(list)) throw http.fail(`${url}: entries.${chart} is not a list`, url);
  const versions: string[] = [];
  let skipped = 0;
  for (const entry of list) {
    const v = (entry as { version?: unknown } | null)?.version;
    if (typeof v === "string") versions.push(v);
    else skipped++;
  }
  return { versions, skipped };
}
