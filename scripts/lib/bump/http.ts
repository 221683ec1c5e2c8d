/**
 * The one way bump talks to registries: GET only, HTTPS only (plain HTTP only to 127.0.0.1 or
 * localhost), a timeout per request, bounded retries with exponential backoff for network
 * errors, timeouts and 5xx, a 429 reported at once with the registry's rate-limit headers,
 * redirects followed by hand (the same rules apply to every hop), a cap on the body size, and
 * every error message scrubbed of the secrets the client was given.
 */
import { UserError } from "../errors.js";
import { credentialsVariable } from "./credentials.js";
import { escapeControls, escapeControlsKeepLines, redactUserinfo } from "./text.js";

export interface HttpOptions {
  /** Per request, including reading the body. */
  timeoutMs: number;
  /** Retries after the first attempt (so attempts = retries + 1). */
  retries: number;
  /** First backoff; doubles on each retry. */
  backoffMs: number;
  /** Largest body read. */
  maxBytes: number;
  signal?: AbortSignal;
}

export const DEFAULT_HTTP: HttpOptions = { timeoutMs: 15_000, retries: 2, backoffMs: 500, maxBytes: 64 * 1024 * 1024 };

export interface HttpResponse {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** The body as received (for binary blobs). */
  bytes: Buffer;
}

/** A registry that could not be used; the message is complete and free of secrets. */
export class RegistryError extends UserError {
  constructor(
    message: string,
    readonly url?: string,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

/** The user pressed Ctrl-C (or the caller aborted). */
export class AbortedError extends UserError {
  constructor() {
    super("interrupted", { exitCode: 130 });
    this.name = "AbortedError";
  }
}

const RATE_LIMIT_HEADERS = [
  "ratelimit-limit",
  "ratelimit-remaining",
  "ratelimit-reset",
  "retry-after",
  "docker-ratelimit-source",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
];

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]" || hostname === "::1";
}

/** Throws unless the URL may be fetched: https, or http to loopback. */
export function checkUrlAllowed(url: URL, what = "registry"): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return;
  if (url.protocol === "http:")
    throw new RegistryError(
      `refusing to fetch ${url.origin}${url.pathname} over plain HTTP: a ${what} must use https:// (plain http:// is allowed only for 127.0.0.1 and localhost)`,
      url.href,
    );
  throw new RegistryError(`cannot fetch ${url.href}: unsupported scheme ${url.protocol} (expected https://)`, url.href);
}

export class HttpClient {
  readonly options: HttpOptions;
  /** Requests sent, every attempt and every redirect hop included. */
  requests = 0;
  private readonly secrets: string[] = [];

  constructor(options: Partial<HttpOptions> = {}) {
    this.options = { ...DEFAULT_HTTP, ...options };
  }

  /** Registers a value that must never appear in a message (passwords, tokens, auth headers). */
  addSecret(value: string): void {
    if (value.length >= 4 && !this.secrets.includes(value)) this.secrets.push(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }

  /** A RegistryError whose message is free of secrets, URL credentials and control characters. */
  fail(message: string, url?: string): RegistryError {
    return new RegistryError(escapeControlsKeepLines(redactUserinfo(this.scrub(message))), url && redactUserinfo(url));
  }

  async get(href: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    let url = new URL(href);
    let sendHeaders = { ...headers };
    for (let hop = 0; ; hop++) {
      refuseUserinfo(url);
      checkUrlAllowed(url);
      const res = await this.getOnce(url, sendHeaders);
      if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
        if (hop >= 5) throw this.fail(`too many redirects from ${href}`, href);
        const next = new URL(res.headers.get("location")!, url);
        if (next.origin !== url.origin) {
          sendHeaders = Object.fromEntries(Object.entries(sendHeaders).filter(([k]) => k.toLowerCase() !== "authorization"));
        }
        url = next;
        continue;
      }
      return res;
    }
  }

  private async getOnce(url: URL, headers: Record<string, string>): Promise<HttpResponse> {
    const { retries, backoffMs, timeoutMs } = this.options;
    const where = `${url.origin}${url.pathname}`;
    let lastProblem = "";
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await this.sleep(backoffMs * 2 ** (attempt - 1));
      this.checkAborted();
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = this.options.signal ? AbortSignal.any([timeout, this.options.signal]) : timeout;
      this.requests++;
      try {
        const res = await fetch(url, { headers: { "user-agent": "dot-cluster-bump", ...headers }, redirect: "manual", signal });
        if (res.status === 429) {
          await res.body?.cancel();
          const limits = RATE_LIMIT_HEADERS.flatMap((h) => (res.headers.get(h) ? [`${h}: ${res.headers.get(h)}`] : []));
          throw this.fail(
            `${url.host} answered 429 Too Many Requests for ${where}: its rate limit is used up ` +
              `(${limits.length ? limits.join(", ") : "no rate-limit headers sent"}). ` +
              `Wait until the limit resets, or give credentials for a higher limit (CHART_REGISTRY_AUTH_<HOST>=user:token), or use a mirror ` +
              `(CHART_SOURCE_OVERRIDES).`,
            url.href,
          );
        }
        const bytes = await this.readBody(res, where);
        const body = bytes.toString("utf8");
        if (res.status >= 500) {
          lastProblem = `HTTP ${res.status} ${res.statusText}${body.trim() ? `: ${oneLine(body)}` : ""}`;
          continue;
        }
        return { url: url.href, status: res.status, headers: res.headers, body, bytes };
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        this.checkAborted();
        // fetch could not even build the request (a bad header value, …): trying again cannot help.
        if (err instanceof TypeError && !(err as { cause?: unknown }).cause && !timeout.aborted) {
          throw this.fail(`cannot send a request to ${where}: ${err.message}`, url.href);
        }
        if (timeout.aborted) lastProblem = `no complete answer within ${timeoutMs} ms`;
        else lastProblem = describeNetworkError(err);
      }
    }
    const attempts = retries + 1;
    throw this.fail(
      `cannot get ${where}: ${lastProblem} (${attempts} attempt${attempts === 1 ? "" : "s"}). Check that the registry is up and reachable, or point ` +
        `CHART_SOURCE_OVERRIDES to a mirror.`,
      url.href,
    );
  }

  private async readBody(res: Response, where: string): Promise<Buffer> {
    const declared = Number(res.headers.get("content-length") ?? "NaN");
    if (declared > this.options.maxBytes) {
      await res.body?.cancel();
      throw this.fail(`${where} answered with ${declared} bytes, more than the ${this.options.maxBytes} this tool reads`);
    }
    if (!res.body) return Buffer.alloc(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > this.options.maxBytes) throw this.fail(`${where} answered with more than the ${this.options.maxBytes} bytes this tool reads`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw new AbortedError();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new AbortedError());
      };
      const timer = setTimeout(() => {
        this.options.signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      this.options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** External text (a body, an error message) as one short printable line. */
function oneLine(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return escapeControls(t.length > 200 ? t.slice(0, 200) + "…" : t);
}

/**
 * Credentials belong in CHART_REGISTRY_AUTH_<HOST>, never in a URL: fetch refuses such URLs, and
 * a URL is printed in many places. Refused once, without a request and without a retry.
 */
export function refuseUserinfo(url: URL, shown = url.href): void {
  if (url.username === "" && url.password === "") return;
  throw new RegistryError(
    `${escapeControls(redactUserinfo(shown))}: credentials in a registry URL are not used (they would be printed and cannot be sent safely); ` +
      `remove them from the URL and set ${credentialsVariable(url.host)}=<user>:<password-or-token> instead.`,
    redactUserinfo(shown),
  );
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code === "ECONNREFUSED") return "connection refused (nothing listens there)";
  if (cause?.code === "ENOTFOUND") return "host not found (DNS)";
  if (cause?.code === "ECONNRESET" || cause?.code === "UND_ERR_SOCKET") return "the connection was closed before an answer";
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  if (cause?.message) return cause.message;
  return (err as Error)?.message ?? String(err);
}

export { oneLine };
