/**
 * What a real registry does not do, served by fake registries on 127.0.0.1: one huge tags/list
 * page, endless pages, tags the distribution spec forbids, error text with terminal escape
 * sequences, token realms elsewhere; and credentials put into URLs by the user.
 */
import { afterAll, describe, expect, it } from "vitest";
import { credentialsVariable } from "../../scripts/lib/bump/credentials.js";
import { listOciTags, MAX_PAGES } from "../../scripts/lib/bump/datasources/oci.js";
import { HttpClient, RegistryError } from "../../scripts/lib/bump/http.js";
import { listCharts, runBump } from "../../scripts/lib/bump/index.js";
import { escapeControls, printable, redactUserinfo } from "../../scripts/lib/bump/text.js";
import { collectVersions } from "../../scripts/lib/bump/versioning.js";
import { makeRoot, removeTemps, startFakeServer, type FakeServer } from "./helpers.js";

const fakes: FakeServer[] = [];
const fake = async (handler: Parameters<typeof startFakeServer>[0]) => {
  const f = await startFakeServer(handler);
  fakes.push(f);
  return f;
};
afterAll(async () => {
  for (const f of fakes) await f.close();
  removeTemps();
});

const http = () => new HttpClient({ timeoutMs: 5000, retries: 2, backoffMs: 5 });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error("expected a failure"),
    (e: Error) => e,
  );
const ESC = "\u001b";
const HOSTILE = `${ESC}]0;pwned${ESC}\\${ESC}[2J${ESC}[31mred\u0007\u009b1m\u202eevil`;
const tagsList = (tags: string[], headers: Record<string, string> = {}) => ({ body: JSON.stringify({ name: "envoyproxy/gateway-helm", tags }), headers });

describe("tags/list pages", () => {
  it("reads one page of 200,000 tags (a spread into push() overflowed the stack at ~130k)", async () => {
    const tags = Array.from({ length: 200_000 }, (_, i) => `${Math.floor(i / 1000)}.${i % 1000}.0`);
    const f = await fake(() => tagsList(tags));
    const listing = await listOciTags(`oci://${f.host}/envoyproxy/gateway-helm`, { http: http(), env: {} });
    expect(listing.tags.length).toBe(tags.length);
    expect(listing.pages).toBe(1);
    expect(collectVersions(listing.tags, { oci: true }).versions[0]!.version).toBe("199.999.0");
  });

  it("the page cap says the registry kept announcing pages; a real loop is called a loop", async () => {
    const endless = await fake((url) => {
      const page = Number(url.searchParams.get("last") ?? "0");
      return tagsList([`1.0.${page}`], { link: `</v2/envoyproxy/gateway-helm/tags/list?n=1&last=${page + 1}>; rel="next"` });
    });
    const capped = await failure(listOciTags(`oci://${endless.host}/envoyproxy/gateway-helm`, { http: http(), env: {}, maxPages: 20 }));
    expect(capped).toBeInstanceOf(RegistryError);
    expect(capped.message).toContain("stopped after 20 tags/list pages (20 tags read), and the registry still announces a next page");
    expect(capped.message).not.toContain("loop");
    expect(endless.requests.length).toBe(20);
    expect(MAX_PAGES).toBe(10_000);

    const looping = await fake(() => tagsList(["1.0.0"], { link: `</v2/envoyproxy/gateway-helm/tags/list?n=1&last=a>; rel="next"` }));
    const loop = await failure(listOciTags(`oci://${looping.host}/envoyproxy/gateway-helm`, { http: http(), env: {} }));
    expect(loop.message).toContain("the registry's tags/list pages loop (page 3 points back to /v2/envoyproxy/gateway-helm/tags/list?n=1&last=a)");
  });

  it("sets aside tags the distribution spec forbids (over 128 characters, control characters) and never picks them", async () => {
    const long = `1.8.9_${"a".repeat(200)}`;
    expect(long.length).toBe(206);
    const f = await fake(() => tagsList(["1.8.0", "v1.8.0", "v1.8.1", "1.8.1", long, `1.8.7${ESC}[2J`]));
    const listing = await listOciTags(`oci://${f.host}/envoyproxy/gateway-helm`, { http: http(), env: {} });
    expect(listing.tags.sort()).toEqual(["1.8.0", "1.8.1", "v1.8.0", "v1.8.1"]);
    expect(listing.invalid).toBe(2);

    const root = makeRoot();
    const out = await runBump({
      root,
      env: { CHART_SOURCE_OVERRIDES: `oci://docker.io/=oci://${f.host}/` },
      requests: [{ name: "envoy-gateway", range: "1.8.x" }],
      dryRun: true,
      http: { retries: 0 },
    });
    expect(out.plan.changes[0]!.to).toBe("v1.8.1");
    expect(out.lines).toContain(
      `note: gateway-helm from oci://${f.host}/envoyproxy/gateway-helm: 2 tags set aside, not valid OCI tags (at most 128 characters of [A-Za-z0-9_.-])`,
    );
  });
});

describe("text from a registry is printed with control characters escaped", () => {
  it("escapeControls makes every control visible and leaves other text alone", () => {
    expect(escapeControls(HOSTILE)).toBe("\\x1b]0;pwned\\x1b\\\\x1b[2J\\x1b[31mred\\x07\\x9b1m\\u202eevil");
    expect(escapeControls("gateway-helm 1.8.0 — ok")).toBe("gateway-helm 1.8.0 — ok");
  });

  it("an error message from the registry (JSON errors[] and a plain 5xx body)", async () => {
    const f = await fake((url) =>
      url.pathname.includes("/json/")
        ? { status: 404, body: JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: `no such thing ${HOSTILE}` }] }) }
        : { status: 503, body: `down ${HOSTILE}`, headers: { "content-type": "text/plain" } },
    );
    for (const repo of ["json/chart", "plain/chart"]) {
      const err = await failure(listOciTags(`oci://${f.host}/${repo}`, { http: http(), env: {} }));
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toContain(escapeControls(HOSTILE));
      expect(err.message).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    }
  });

  it("chart names from a Helm index", async () => {
    const index = `apiVersion: v1\nentries:\n  "${HOSTILE.replace(/\\/g, "\\\\").replace(/[\u0000-\u001f\u007f-\u009f\u202e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}":\n  - name: x\n    version: 1.0.0\n`;
    const f = await fake(() => ({ body: index, headers: { "content-type": "application/yaml" } }));
    const root = makeRoot();
    const err = await failure(
      runBump({ root, env: { CHART_SOURCE_OVERRIDES: `https://kedacore.github.io/charts=${f.url}` }, requests: [{ name: "keda", range: "*" }], dryRun: true }),
    );
    expect(err.message).toContain(`the repository has no chart keda (it has: ${escapeControls(HOSTILE)})`);
    expect(err.message).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });
});

describe("credentials in URLs", () => {
  const SECRET = "hunter2-Pa55";

  it("redactUserinfo and printable hide user:password@ wherever it appears", () => {
    expect(redactUserinfo(`read from oci://bob:${SECRET}@mirror:5000/charts and https://tok@x.io/`)).toBe(
      "read from oci://***@mirror:5000/charts and https://***@x.io/",
    );
    expect(printable(`https://bob:${SECRET}@h/${ESC}[2J`)).toBe("https://***@h/\\x1b[2J");
  });

  it("CHART_SOURCE_OVERRIDES with user:password@ is refused in one message that names the variable to use; nothing is sent or printed", async () => {
    const f = await fake(() => tagsList(["1.8.0"]));
    const env = { CHART_SOURCE_OVERRIDES: `oci://docker.io/=oci://bob:${SECRET}@${f.host}/` };
    const root = makeRoot();
    const logged: string[] = [];
    const err = await failure(runBump({ root, env, requests: [{ name: "envoy-gateway", range: "1.8.x" }], dryRun: true, log: (l) => logged.push(l) }));
    expect(err.message).toBe(
      `CHART_SOURCE_OVERRIDES: "oci://docker.io/=oci://***@${f.host}/" carries credentials in a URL; they are not used there (a source URL is printed in logs and errors). ` +
        `Remove user:password@ from the URL and set ${credentialsVariable(f.host)}=<user>:<password-or-token> for that registry instead.`,
    );
    expect(logged.join("\n")).not.toContain(SECRET);
    expect(() => listCharts({ root, env })).toThrow(/carries credentials in a URL/);
    try {
      listCharts({ root, env });
    } catch (e) {
      expect((e as Error).message).not.toContain(SECRET);
    }
    expect(f.requests).toEqual([]);
  });

  it("a marker's registryUrl with credentials: one refusal, no request, no retry; redacted in the resolving line and --list", async () => {
    const f = await fake(() => ({ body: "apiVersion: v1\nentries: {}\n" }));
    const root = makeRoot({
      apps: (t) => t.replace("registryUrl=https://kedacore.github.io/charts\n_keda", `registryUrl=http://bob:${SECRET}@${f.host}/charts\n_keda`),
    });
    const logged: string[] = [];
    const err = await failure(
      runBump({ root, env: {}, requests: [{ name: "keda", range: "*" }], dryRun: true, log: (l) => logged.push(l), http: { retries: 2, backoffMs: 5 } }),
    );
    expect(err.message).toBe(
      `http://***@${f.host}/charts: credentials in a registry URL are not used (they would be printed and cannot be sent safely); remove them from the URL and set ${credentialsVariable(f.host)}=<user>:<password-or-token> instead.`,
    );
    expect(logged).toContain(`resolving keda from http://***@${f.host}/charts…`);
    expect(f.requests).toEqual([]);
    const list = listCharts({ root, env: {} }).lines.join("\n");
    expect(list).toContain(`http://***@${f.host}/charts`);
    expect(list).not.toContain(SECRET);
  });

  it("a redirect or Link to a URL with credentials is refused without a retry", async () => {
    const f = await fake((url) =>
      url.pathname.startsWith("/v2/") ? { status: 307, headers: { location: `http://bob:${SECRET}@${url.host}/elsewhere` } } : { status: 200, body: "{}" },
    );
    const client = http();
    const err = await failure(listOciTags(`oci://${f.host}/envoyproxy/gateway-helm`, { http: client, env: {} }));
    expect(err.message).toContain(`http://***@${f.host}/elsewhere: credentials in a registry URL are not used`);
    expect(err.message).not.toContain(SECRET);
    expect(client.requests).toBe(1);
  });
});

describe("which credentials go where (Docker's token flow)", () => {
  const USER = "bob";
  const PASSWORD = "s3cr3t-token";
  const basic = "Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64");

  it("CHART_REGISTRY_AUTH_<registry host> goes as Basic to the token realm the registry names, also on another origin; the token goes to the registry", async () => {
    const tokens = await fake(() => ({ body: JSON.stringify({ token: "abc.def.ghi" }) }));
    const registry = await fake((_url, req) =>
      req.headers.authorization === "Bearer abc.def.ghi"
        ? tagsList(["1.8.0"])
        : { status: 401, headers: { "www-authenticate": `Bearer realm="${tokens.url}/token",service="fake"` }, body: "{}" },
    );
    const listing = await listOciTags(`oci://${registry.host}/envoyproxy/gateway-helm`, {
      http: http(),
      env: { [credentialsVariable(registry.host)]: `${USER}:${PASSWORD}` },
    });
    expect(listing.tags).toEqual(["1.8.0"]);
    expect(tokens.requests.map((r) => r.authorization)).toEqual([basic]);
    expect(registry.requests.map((r) => r.authorization)).toEqual([undefined, "Bearer abc.def.ghi"]);
  });

  it("never sends them to a realm over plain HTTP away from loopback", async () => {
    const registry = await fake(() => ({
      status: 401,
      headers: { "www-authenticate": `Bearer realm="http://token.example.test/token",service="fake"` },
      body: "{}",
    }));
    const client = http();
    const variable = credentialsVariable(registry.host);
    const err = await failure(listOciTags(`oci://${registry.host}/envoyproxy/gateway-helm`, { http: client, env: { [variable]: `${USER}:${PASSWORD}` } }));
    expect(err.message).toBe(
      `envoyproxy/gateway-helm at ${registry.host}: the registry sends clients to the token service http://token.example.test/token; refusing to send the credentials in ${variable} there: they travel only over https:// (plain http:// only to 127.0.0.1 and localhost)`,
    );
    expect(client.requests).toBe(1);
    // Without credentials the realm is still never asked over plain HTTP.
    const anonymous = await failure(listOciTags(`oci://${registry.host}/envoyproxy/gateway-helm`, { http: http(), env: {} }));
    expect(anonymous.message).toContain("refusing to fetch http://token.example.test/token over plain HTTP");
  });
});
