/**
 * OCI registry datasource: lists the tags of a chart repository the way Docker Hub serves them.
 * GET /v2/<repo>/tags/list -> 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`
 * -> a token from the realm (anonymous, or with CHART_REGISTRY_AUTH_<HOST> credentials)
 * -> the same request with `Authorization: Bearer`, then every `Link: <…>; rel="next"` page.
 * Returns raw tags; what counts as a version is versioning's business.
 */
import { credentialsFor, credentialsVariable, type Credentials } from "../credentials.js";
import { isLoopbackHost, oneLine, type HttpClient, type HttpResponse } from "../http.js";

export interface OciRepository {
  /** Host (and port) as written in the source: docker.io, 127.0.0.1:5000. */
  host: string;
  /** Where the API is: https://registry-1.docker.io, http://127.0.0.1:5000. */
  apiBase: string;
  /** Repository path: envoyproxy/gateway-helm. */
  repository: string;
}

export interface TagListing {
  tags: string[];
  pages: number;
  /** Tags the registry listed that are not valid OCI tags (set aside, never read as versions). */
  invalid: number;
}

export interface OciOptions {
  http: HttpClient;
  env: Readonly<Record<string, string | undefined>>;
  /** `n` asked for on each page; the registry may send fewer. */
  pageSize?: number;
  /** Pages read at most (default MAX_PAGES). */
  maxPages?: number;
}

export const MAX_PAGES = 10_000;

/** A tag as the OCI distribution spec allows it, at most 128 characters (distribution/reference: `[\w][\w.-]{0,127}`). */
export const OCI_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function parseOciSource(source: string): OciRepository {
  const m = /^oci:\/\/([^/\s]+)\/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)\/?$/.exec(source);
  if (!m) throw new Error(`not an OCI repository reference: ${source}`);
  const host = m[1]!;
  const hostname = host.replace(/:\d+$/, "");
  const apiHost = host === "docker.io" || host === "index.docker.io" ? "registry-1.docker.io" : host;
  const scheme = isLoopbackHost(hostname) ? "http" : "https";
  return { host, apiBase: `${scheme}://${apiHost}`, repository: m[2]! };
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Reads a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  let rest = m[2]!;
  const param = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/s;
  while (rest.trim() !== "") {
    const p = param.exec(rest);
    if (!p) return undefined;
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
    rest = rest.slice(p[0].length);
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

/** The next page from a `Link: <url>; rel="next"` header, resolved against the current URL. */
export function nextPage(link: string | null, current: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (!m) continue;
    const rels = m[2]!
      .split(";")
      .map((p) => p.trim())
      .filter((p) => /^rel\s*=/i.test(p))
      .flatMap((p) =>
        p
          .replace(/^rel\s*=\s*/i, "")
          .replace(/^"|"$/g, "")
          .toLowerCase()
          .split(/\s+/),
      );
    if (rels.includes("next")) return new URL(m[1]!, current).href;
  }
  return undefined;
}

export function errorDetail(res: HttpResponse): string {
  try {
    const data = JSON.parse(res.body) as { errors?: { code?: unknown; message?: unknown }[] };
    const e = data.errors?.[0];
    if (e && typeof e.code === "string") return oneLine(`${e.code}${typeof e.message === "string" ? `: ${e.message}` : ""}`);
  } catch {
    /* not JSON */
  }
  return oneLine(res.body);
}

/** Lists every tag of the repository, following the token flow and all pages. */
export async function listOciTags(source: string, options: OciOptions): Promise<TagListing> {
  const { http } = options;
  const repo = parseOciSource(source);
  const creds = credentialsFor(repo.host, options.env);
  if (creds) {
    http.addSecret(creds.password);
    http.addSecret(Buffer.from(`${creds.username}:${creds.password}`).toString("base64"));
  }
  const pageSize = options.pageSize ?? 1000;
  const what = `${repo.repository} at ${repo.host}`;
  let authorization: string | undefined;
  let url: string | undefined = `${repo.apiBase}/v2/${repo.repository}/tags/list?n=${pageSize}`;
  const seen = new Set<string>();
  const tags: string[] = [];
  let pages = 0;
  let invalid = 0;
  const maxPages = options.maxPages ?? MAX_PAGES;
  while (url) {
    if (seen.has(url))
      throw http.fail(
        `${what}: the registry's tags/list pages loop (page ${pages + 1} points back to ${new URL(url).pathname}${new URL(url).search}); cannot list its tags`,
        url,
      );
    if (pages >= maxPages) {
      throw http.fail(
        `${what}: stopped after ${maxPages} tags/list pages (${tags.length} tags read), and the registry still announces a next page; ` +
          `bump reads at most ${maxPages} pages. If the repository really has that many tags, use a mirror with fewer (CHART_SOURCE_OVERRIDES).`,
        url,
      );
    }
    seen.add(url);
    let res = await http.get(url, authorization ? { authorization } : {});
    if (res.status === 401) {
      authorization = await authorize(res, repo, creds, options, what);
      res = await http.get(url, { authorization });
      if (res.status === 401 || res.status === 403) {
        throw http.fail(
          `${what}: the registry refused the token it was given (HTTP ${res.status}: ${errorDetail(res)}). ` +
            (creds ? `Check the credentials in ${creds.variable}.` : `If the repository is private, set ${credentialsVariable(repo.host)}=<user>:<token>.`),
          url,
        );
      }
    }
    if (res.status === 404)
      throw http.fail(`${what}: no such repository (HTTP 404: ${errorDetail(res)}). Check depName in the marker, or CHART_SOURCE_OVERRIDES.`, url);
    if (res.status === 403)
      throw http.fail(`${what}: access denied (HTTP 403: ${errorDetail(res)}).${creds ? ` Check the credentials in ${creds.variable}.` : ""}`, url);
    if (res.status !== 200) throw http.fail(`${what}: unexpected HTTP ${res.status} from tags/list (${errorDetail(res)})`, url);
    pages++;
    // One by one: a spread of a huge page would overflow the call stack.
    for (const tag of parseTagList(res, what, http)) {
      if (OCI_TAG.test(tag)) tags.push(tag);
      else invalid++;
    }
    const next = nextPage(res.headers.get("link"), url);
    if (next && new URL(next).origin !== new URL(url).origin)
      throw http.fail(`${what}: the next tags/list page points to another server (${new URL(next).origin}); refusing to follow it`, url);
    url = next;
  }
  return { tags, pages, invalid };
}

function parseTagList(res: HttpResponse, what: string, http: HttpClient): string[] {
  let data: unknown;
  try {
    data = JSON.parse(res.body);
  } catch (err) {
    throw http.fail(`${what}: tags/list did not answer JSON (${(err as Error).message}; body starts ${JSON.stringify(res.body.slice(0, 80))})`, res.url);
  }
  if (!data || typeof data !== "object" || Array.isArray(data))
    throw http.fail(`${what}: tags/list answered ${oneLine(res.body)}, expected an object {"name": …, "tags": […]}`, res.url);
  const tags = (data as { tags?: unknown }).tags;
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string")) throw http.fail(`${what}: tags/list "tags" is not a list of strings`, res.url);
  return tags as string[];
}

/** Answers a 401 challenge: a Bearer token from the realm (anonymous or with credentials), or Basic credentials. */
export async function authorize(res: HttpResponse, repo: OciRepository, creds: Credentials | undefined, options: OciOptions, what: string): Promise<string> {
  const { http } = options;
  const header = res.headers.get("www-authenticate");
  const challenge = header ? parseChallenge(header) : undefined;
  const needCreds = `${what} needs credentials: set ${credentialsVariable(repo.host)}=<user>:<password-or-token>.`;
  if (!challenge) throw http.fail(`${what}: HTTP 401 without a readable WWW-Authenticate challenge (${header ?? "none"})`, res.url);
  if (challenge.scheme === "basic") {
    if (!creds) throw http.fail(needCreds, res.url);
    return "Basic " + Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
  }
  if (challenge.scheme !== "bearer") throw http.fail(`${what}: unsupported authentication scheme ${challenge.scheme}`, res.url);
  const realm = challenge.params.realm;
  if (!realm) throw http.fail(`${what}: the Bearer challenge names no realm`, res.url);
  let tokenUrl: URL;
  try {
    tokenUrl = new URL(realm);
  } catch {
    throw http.fail(`${what}: the token realm ${JSON.stringify(realm)} is not a URL`, res.url);
  }
  // Docker's token flow: the realm may be on another origin (auth.docker.io for docker.io) and
  // gets the registry's Basic credentials, but never over plain HTTP away from loopback.
  if (creds && tokenUrl.protocol !== "https:" && !(tokenUrl.protocol === "http:" && isLoopbackHost(tokenUrl.hostname))) {
    throw http.fail(
      `${what}: the registry sends clients to the token service ${tokenUrl.protocol}//${tokenUrl.host}${tokenUrl.pathname}; refusing to send the ` +
        `credentials in ${creds.variable} there: ` +
        `they travel only over https:// (plain http:// only to 127.0.0.1 and localhost)`,
      res.url,
    );
  }
  if (challenge.params.service) tokenUrl.searchParams.set("service", challenge.params.service);
  tokenUrl.searchParams.set("scope", challenge.params.scope ?? `repository:${repo.repository}:pull`);
  const headers: Record<string, string> = creds ? { authorization: "Basic " + Buffer.from(`${creds.username}:${creds.password}`).toString("base64") } : {};
  const tokenRes = await http.get(tokenUrl.href, headers);
  if (tokenRes.status === 401 || tokenRes.status === 403) {
    throw http.fail(
      creds ? `${what}: the token service ${tokenUrl.origin} refused the credentials in ${creds.variable} (HTTP ${tokenRes.status}).` : needCreds,
      tokenUrl.href,
    );
  }
  if (tokenRes.status !== 200)
    throw http.fail(
      `${what}: the token service ${tokenUrl.origin}${tokenUrl.pathname} answered HTTP ${tokenRes.status} (${oneLine(tokenRes.body)})`,
      tokenUrl.href,
    );
  let data: unknown;
  try {
    data = JSON.parse(tokenRes.body);
  } catch {
    throw http.fail(`${what}: the token service ${tokenUrl.origin}${tokenUrl.pathname} did not answer JSON`, tokenUrl.href);
  }
  const d = data as { token?: unknown; access_token?: unknown } | null;
  const token = typeof d?.token === "string" && d.token ? d.token : typeof d?.access_token === "string" ? d.access_token : undefined;
  if (!token || !/^[A-Za-z0-9._~+/=-]+$/.test(token))
    throw http.fail(
      `${what}: the token service ${tokenUrl.origin}${tokenUrl.pathname} answered without a usable token ("token" or "access_token")`,
      tokenUrl.href,
    );
  http.addSecret(token);
  return `Bearer ${token}`;
}
