/**
 * A real OCI registry on loopback for tests and benchmarks: the CNCF distribution registry
 * (pinned in tools.json, built from its Go module) configured for token auth, a token service
 * that signs RS256 JWTs with an x5c certificate header (key and self-signed certificate made by
 * the pinned certgen), and a paging front
 * that serves `tags/list` the way Docker Hub does (sorted, `n`/`last`, `Link: rel="next"`),
 * because this registry ignores `n` and `last` and sends no Link header. Everything listens on
 * 127.0.0.1 on free ports and is stopped by `stop()` (and on process exit).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../lib/process.js";
import { ensureGoTool } from "../lib/tools.js";

const children = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const c of children) c.kill("SIGKILL");
    });
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export interface TokenServiceOptions {
  issuer: string;
  service: string;
  /** Repositories under this prefix need Basic credentials at the token service. */
  privatePrefix?: string;
  username?: string;
  password?: string;
  /** Each answer is held this long (a service across a network, not on loopback). */
  latencyMs?: number;
}

export interface TokenService {
  url: string;
  realm: string;
  requests: number;
  /** Authorization headers it was sent (to check what clients send). */
  seenAuthorization: string[];
  close(): Promise<void>;
}

export interface Signer {
  key: KeyObject;
  certDer: Buffer;
  certPath: string;
}

/** RSA key and self-signed certificate for the token signer (certgen: node:crypto cannot issue X.509). */
export async function makeSigner(dir: string): Promise<Signer> {
  const keyPath = join(dir, "token.key");
  const certPath = join(dir, "token.crt");
  const certgen = await ensureGoTool("certgen");
  execFileSync(certgen, ["self", "--out", join(dir, "token"), "--cn", "bump-test-token-issuer"], { stdio: "pipe" });
  const key = createPrivateKey(readFileSync(keyPath));
  const certDer = Buffer.from(new X509Certificate(readFileSync(certPath)).raw);
  return { key, certDer, certPath };
}

export function signToken(signer: Signer, claims: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [signer.certDer.toString("base64")] }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), signer.key);
  return `${header}.${payload}.${b64url(signature)}`;
}

export async function startTokenService(signer: Signer, options: TokenServiceOptions): Promise<TokenService> {
  const state = { requests: 0, seenAuthorization: [] as string[] };
  const server = createServer((req, res) => {
    state.requests++;
    if (options.latencyMs) setTimeout(() => answer(req, res), options.latencyMs);
    else answer(req, res);
  });
  function answer(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    const auth = req.headers.authorization;
    if (auth) state.seenAuthorization.push(auth);
    let user = "";
    if (auth?.startsWith("Basic ")) {
      const [u, ...p] = Buffer.from(auth.slice(6), "base64").toString().split(":");
      if (u !== options.username || p.join(":") !== options.password) {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ details: "wrong credentials" }));
        return;
      }
      user = u ?? "";
    }
    const access: { type: string; name: string; actions: string[] }[] = [];
    for (const scope of url.searchParams.getAll("scope")) {
      const [type, name, actions] = scope.split(":");
      if (!type || !name || actions === undefined) continue;
      if (options.privatePrefix && name.startsWith(options.privatePrefix) && !user) {
        res
          .writeHead(401, { "content-type": "application/json", "www-authenticate": 'Basic realm="bump-test"' })
          .end(JSON.stringify({ details: "credentials required" }));
        return;
      }
      access.push({ type, name, actions: actions.split(",").filter(Boolean) });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = signToken(signer, {
      iss: options.issuer,
      sub: user,
      aud: options.service,
      exp: now + 3600,
      nbf: now - 60,
      iat: now,
      jti: randomBytes(8).toString("hex"),
      access,
    });
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token, access_token: token, expires_in: 3600, issued_at: new Date().toISOString() }));
  }
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    realm: `${url}/token`,
    get requests() {
      return state.requests;
    },
    set requests(v: number) {
      state.requests = v;
    },
    get seenAuthorization() {
      return state.seenAuthorization;
    },
    close: () => closeServer(server),
  };
}

export interface RegistryProcess {
  /** 127.0.0.1:PORT */
  host: string;
  url: string;
  stop(): Promise<void>;
}

/** Starts the registry on a free loopback port, storing under dir; with auth, it wants tokens from that realm. */
export async function startDistributionRegistry(
  dir: string,
  auth?: { realm: string; service: string; issuer: string; certPath: string },
): Promise<RegistryProcess> {
  const bin = await ensureGoTool("registry");
  let lastOutput = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = join(dir, `config-${port}.yml`);
    writeFileSync(
      config,
      [
        "version: 0.1",
        "log:",
        "  level: error",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${JSON.stringify(join(dir, "storage"))}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: 127.0.0.1:${port}`,
        `  secret: ${randomBytes(16).toString("hex")}`,
        ...(auth
          ? [
              "auth:",
              "  token:",
              `    realm: ${JSON.stringify(auth.realm)}`,
              `    service: ${JSON.stringify(auth.service)}`,
              `    issuer: ${JSON.stringify(auth.issuer)}`,
              `    rootcertbundle: ${JSON.stringify(auth.certPath)}`,
            ]
          : []),
        "",
      ].join("\n"),
    );
    const child = spawn(bin, ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
    track(child);
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const r = await fetch(`${url}/v2/`);
        await r.body?.cancel();
        if (r.status === (auth ? 401 : 200)) {
          up = true;
          break;
        }
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (up) {
      return {
        host: `127.0.0.1:${port}`,
        url,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 3000).unref();
          }),
      };
    }
    child.kill("SIGKILL");
    lastOutput = output;
  }
  throw new Error(`the registry did not start on 127.0.0.1: ${lastOutput.trim().slice(-2000)}`);
}

export type Fault = (
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "malformed" }
  | { kind: "hang" }
  | { kind: "wrong-shape" }
) & {
  /** Also to requests without a token (default: only once the client has authenticated). */
  beforeAuth?: boolean;
};

export interface PagingFront {
  host: string;
  url: string;
  /** Requests it received (all paths). */
  requests: number;
  /** tags/list pages it served with status 200. */
  pages: number;
  /** Whole tag lists it asked the registry for (one per listing; the next pages are cut from it). */
  listings: number;
  /** Tags per page at most (also when the client asks for more). */
  maxPage: number;
  /** A failure to serve instead of tags/list. */
  fault: Fault | undefined;
  close(): Promise<void>;
}

/**
 * Serves the registry's API through itself; tags/list is sorted and paginated as the OCI
 * distribution spec says (n, last, Link rel="next"), everything else is passed through.
 * A listing's first page (no `last`) asks the registry for every tag and keeps them; its next
 * pages, asked with the same Authorization the registry accepted for the first, are cut from
 * that copy instead of asking the registry for the whole list again (as a paging registry
 * keeps its own listing server-side): otherwise the registry's work for one listing grows with
 * the square of its pages and the harness, not the client, dominates what benchmarks measure.
 */
export async function startPagingFront(upstream: string, maxPage: number, latencyMs = 0): Promise<PagingFront> {
  const hanging = new Set<ServerResponse>();
  /** The tags of the last first page per repository, with the Authorization it was listed with. */
  const listings = new Map<string, { authorization: string; name: string; tags: string[] }>();
  const front = {
    requests: 0,
    pages: 0,
    listings: 0,
    maxPage,
    fault: undefined as Fault | undefined,
  };
  const server = createServer((req, res) => {
    front.requests++;
    const serve = () =>
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`paging front: ${(err as Error).message}`);
      });
    if (latencyMs > 0) setTimeout(serve, latencyMs);
    else void serve();
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && !["host", "connection", "content-length"].includes(k)) headers[k] = v;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    if (m && req.method === "GET" && front.fault && (req.headers.authorization || front.fault.beforeAuth)) {
      const f = front.fault;
      if (f.kind === "hang") {
        hanging.add(res);
        res.once("close", () => hanging.delete(res));
        return;
      }
      if (f.kind === "malformed") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"name": "x", "tags": ["1.0.0", ');
        return;
      }
      if (f.kind === "wrong-shape") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: "x", tags: "1.0.0" }));
        return;
      }
      res
        .writeHead(f.status, { "content-type": "application/json", ...f.headers })
        .end(f.body ?? JSON.stringify({ errors: [{ code: "UNKNOWN", message: `injected ${f.status}` }] }));
      return;
    }
    const last = url.searchParams.get("last");
    const listed = m && req.method === "GET" && last !== null ? listings.get(m[1]!) : undefined;
    if (m && listed && req.headers.authorization && listed.authorization === req.headers.authorization) {
      servePage(res, m[1]!, url, listed.name, listed.tags);
      return;
    }
    const up = await fetch(upstream + (m ? url.pathname : url.pathname + url.search), {
      method: req.method ?? "GET",
      headers,
      ...(body ? { body } : {}),
      redirect: "manual",
    });
    const text = Buffer.from(await up.arrayBuffer());
    if (!m || up.status !== 200 || req.method !== "GET") {
      const out: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        if (!["content-length", "transfer-encoding", "connection", "content-encoding"].includes(k)) out[k] = v;
      });
      res.writeHead(up.status, out).end(text);
      return;
    }
    front.listings++;
    const data = JSON.parse(text.toString()) as { name: string; tags: string[] | null };
    const all = [...(data.tags ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (req.headers.authorization) listings.set(m[1]!, { authorization: req.headers.authorization, name: data.name, tags: all });
    servePage(res, m[1]!, url, data.name, all);
  }
  /** One page of a sorted listing: from after `last`, at most n (and maxPage) tags, Link to the next. */
  function servePage(res: ServerResponse, repository: string, url: URL, name: string, all: readonly string[]) {
    const last = url.searchParams.get("last");
    const after = last === null ? 0 : all.findIndex((t) => t > last);
    const start = after === -1 ? all.length : after;
    const asked = Number(url.searchParams.get("n") ?? "0");
    const n = asked > 0 ? Math.min(asked, front.maxPage) : front.maxPage;
    const page = all.slice(start, start + n);
    const out: Record<string, string> = { "content-type": "application/json" };
    if (start + n < all.length && page.length) out.link = `</v2/${repository}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1]!)}>; rel="next"`;
    front.pages++;
    res.writeHead(200, out).end(JSON.stringify({ name, tags: page }));
  }
  const port = await listen(server);
  const result: PagingFront = Object.assign(front, {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const r of hanging) r.destroy();
      await closeServer(server);
    },
  });
  return result;
}

export interface OciHarness {
  /** The registry as clients see it (through the paging front): 127.0.0.1:PORT. */
  host: string;
  /** The registry itself (no paging). */
  registryHost: string;
  front: PagingFront;
  tokens: TokenService;
  service: string;
  /** A token for the given scopes, straight from the token service. */
  token(scopes: string[], credentials?: { username: string; password: string }): Promise<string>;
  /** Pushes a small Helm-style chart artifact under each tag (OCI push API; tags share the blobs). */
  pushTags(repository: string, tags: readonly string[], options?: { concurrency?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface OciHarnessOptions {
  /** Tags per tags/list page of the front (default 100). */
  maxPage?: number;
  /** Every answer of the front and the token service is held this long (a registry across a network). */
  latencyMs?: number;
  privatePrefix?: string;
  username?: string;
  password?: string;
}

export async function startOciHarness(options: OciHarnessOptions = {}): Promise<OciHarness> {
  // Registry storage on tmpfs when there is one: the registry fsyncs every write.
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "bump-registry-"));
  const service = "bump-test-registry";
  const issuer = "bump-test-issuer";
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const signer = await makeSigner(dir);
    const tokens = await startTokenService(signer, {
      issuer,
      service,
      ...(options.privatePrefix ? { privatePrefix: options.privatePrefix } : {}),
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    });
    cleanups.push(() => tokens.close());
    const registry = await startDistributionRegistry(dir, { realm: tokens.realm, service, issuer, certPath: signer.certPath });
    cleanups.push(() => registry.stop());
    const front = await startPagingFront(registry.url, options.maxPage ?? 100, options.latencyMs ?? 0);
    cleanups.push(() => front.close());
    const token = async (scopes: string[], credentials?: { username: string; password: string }) => {
      const u = new URL(tokens.realm);
      u.searchParams.set("service", service);
      for (const s of scopes) u.searchParams.append("scope", s);
      const headers: Record<string, string> = credentials
        ? { authorization: "Basic " + Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64") }
        : {};
      const r = await fetch(u, { headers });
      if (r.status !== 200) throw new Error(`token service: HTTP ${r.status}`);
      return ((await r.json()) as { token: string }).token;
    };
    const pushTags = async (repository: string, tags: readonly string[], pushOptions: { concurrency?: number } = {}) => {
      const creds = options.username && options.password ? { username: options.username, password: options.password } : undefined;
      const auth = { authorization: `Bearer ${await token([`repository:${repository}:pull,push`], creds)}` };
      const config = Buffer.from(JSON.stringify({ name: repository.split("/").pop(), version: "0.0.0", apiVersion: "v2" }));
      const layer = Buffer.from(`chart content of ${repository}`);
      const descriptor = async (mediaType: string, blob: Buffer) => {
        const digest = "sha256:" + createHash("sha256").update(blob).digest("hex");
        const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: "POST", headers: auth });
        await start.body?.cancel();
        if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status}`);
        const location = new URL(start.headers.get("location")!, registry.url);
        location.searchParams.set("digest", digest);
        const put = await fetch(location, { method: "PUT", headers: { ...auth, "content-type": "application/octet-stream" }, body: blob });
        await put.body?.cancel();
        if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}`);
        return { mediaType, digest, size: blob.length };
      };
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: await descriptor("application/vnd.cncf.helm.config.v1+json", config),
        layers: [await descriptor("application/vnd.cncf.helm.chart.content.v1.tar+gzip", layer)],
      });
      const queue = [...tags];
      const worker = async () => {
        for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
          const r = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
            method: "PUT",
            headers: { ...auth, "content-type": "application/vnd.oci.image.manifest.v1+json" },
            body: manifest,
          });
          const text = await r.text();
          if (r.status !== 201) throw new Error(`push ${repository}:${tag}: HTTP ${r.status} ${text}`);
        }
      };
      await Promise.all(Array.from({ length: pushOptions.concurrency ?? 8 }, worker));
    };
    return { host: front.host, registryHost: registry.host, front, tokens, service, token, pushTags, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
