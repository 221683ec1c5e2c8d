/**
 * Helm HTTP repository datasource: GET <repo>/index.yaml and read `entries.<chart>[].version`.
 * The document is checked before use: lenient with fields we do not read, strict with the ones
 * we do (an entry without a string version is skipped and counted).
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
  if (res.status === 404) throw http.fail(`${url}: not found (HTTP 404); registryUrl=${repoUrl} does not look like a Helm repository. Check the marker or CHART_SOURCE_OVERRIDES.`, url);
  if (res.status === 401 || res.status === 403) throw http.fail(`${url}: HTTP ${res.status}; the repository needs credentials${creds ? ` (the ones in ${creds.variable} were refused)` : ""}.`, url);
  if (res.status !== 200) throw http.fail(`${url}: unexpected HTTP ${res.status} (${oneLine(res.body)})`, url);
  // Indexes as Helm writes them are read by a line scanner; anything else by the YAML parser.
  const scanned = scanHelmIndex(res.body, chart);
  if (scanned) return scanned;
  let doc: unknown;
  try {
    doc = parse(res.body, { maxAliasCount: 1000 });
  } catch (err) {
    throw http.fail(`${url}: not a YAML document (${oneLine((err as Error).message)})`, url);
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
