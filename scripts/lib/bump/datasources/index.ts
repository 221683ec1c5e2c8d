/** Picks the datasource for a chart reference and returns its versions, sources overridden. */
import type { ChartRef } from "../kclfile.js";
import { HttpClient, refuseUserinfo, type HttpOptions } from "../http.js";
import { applyOverrides, type SourceOverride } from "../overrides.js";
import { collectVersions, type VersionSet } from "../versioning.js";
import { listHelmVersions, indexUrl } from "./helm-index.js";
import { listOciTags } from "./oci.js";

export interface ResolvedChart {
  ref: ChartRef;
  /** The source actually read (after CHART_SOURCE_OVERRIDES). */
  source: string;
  /** What was fetched: the index.yaml URL or the OCI repository. */
  location: string;
  override?: SourceOverride;
  set: VersionSet;
  /** HTTP requests made (token and redirects included). */
  requests: number;
  /** tags/list pages read (OCI). */
  pages?: number;
  /** Tags set aside because they are not valid OCI tags (longer than 128 characters, …). */
  invalidTags?: number;
  ms: number;
}

export interface ResolveContext {
  env: Readonly<Record<string, string | undefined>>;
  overrides: readonly SourceOverride[];
  http?: Partial<HttpOptions>;
  pageSize?: number;
}

export async function resolveChart(ref: ChartRef, ctx: ResolveContext): Promise<ResolvedChart> {
  const started = performance.now();
  const { source, override } = applyOverrides(ref.source, ctx.overrides);
  try {
    refuseUserinfo(new URL(source.replace(/^oci:/, "https:")), source);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // not a URL: the datasource reports it
  }
  const http = new HttpClient(ctx.http);
  const base = { ref, source, ...(override ? { override } : {}) };
  if (source.startsWith("oci://")) {
    const listing = await listOciTags(`${source.replace(/\/+$/, "")}`, { http, env: ctx.env, ...(ctx.pageSize ? { pageSize: ctx.pageSize } : {}) });
    return {
      ...base,
      location: source,
      set: collectVersions(listing.tags, { oci: true }),
      requests: http.requests,
      pages: listing.pages,
      ...(listing.invalid ? { invalidTags: listing.invalid } : {}),
      ms: performance.now() - started,
    };
  }
  const listing = await listHelmVersions(source, ref.chart, { http, env: ctx.env });
  return {
    ...base,
    location: indexUrl(source),
    set: collectVersions(listing.versions, { oci: false }),
    requests: http.requests,
    ms: performance.now() - started,
  };
}
