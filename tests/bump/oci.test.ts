/**
 * The OCI datasource against a real registry (the CNCF distribution registry, pinned in tools.json, with token auth) on
 * 127.0.0.1, charts pushed with the real helm, and a paging front for Docker Hub's pagination.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { credentialsVariable } from "../../scripts/lib/bump/credentials.js";
import { listHelmVersions } from "../../scripts/lib/bump/datasources/helm-index.js";
import { listOciTags, nextPage, parseChallenge } from "../../scripts/lib/bump/datasources/oci.js";
import { HttpClient, RegistryError } from "../../scripts/lib/bump/http.js";
import { startOciHarness, type OciHarness } from "../../scripts/testkit/registry.js";
import { collectVersions } from "../../scripts/lib/bump/versioning.js";
import { helm, packageChart, removeTemps, tempDir, unusedPort } from "./helpers.js";

const USER = "bumper";
const PASSWORD = "s3cr3t-Pa55word";
const HELM_PUSHED = ["v0.7.0", "0.7.0", "0.6.1", "0.0.0-latest", "v0.0.0-latest", "0.0.0-0f3a9c1", "0.8.0-rc.1", "0.7.1+build.5"];
const PAGED = Array.from({ length: 37 }, (_, i) => `1.${Math.floor(i / 10)}.${i % 10}`);
const PAGE = 10;

let h: OciHarness;
const fast = { timeoutMs: 400, retries: 2, backoffMs: 10 };
const client = () => new HttpClient(fast);
const src = (repo: string) => `oci://${h.host}/${repo}`;

beforeAll(async () => {
  h = await startOciHarness({ maxPage: PAGE, privatePrefix: "private/", username: USER, password: PASSWORD });
  const out = tempDir("bump-oci-charts-");
  await packageChart(out, "ai-gateway-helm", HELM_PUSHED);
  for (const file of readdirSync(out).sort()) await helm(["push", join(out, file), `oci://${h.registryHost}/envoyproxy`, "--plain-http"]);
  await h.pushTags("envoyproxy/gateway-helm", PAGED);
  await h.pushTags("private/charts/secret-chart", ["1.0.0", "1.1.0"]);
});

afterAll(async () => {
  await h?.stop();
  removeTemps();
});

beforeEach(() => {
  h.front.fault = undefined;
});

describe("listing tags through the token flow", () => {
  it("reads the tags helm pushed: twins, dev tags, prereleases and _ for +", async () => {
    const { tags } = await listOciTags(src("envoyproxy/ai-gateway-helm"), { http: client(), env: {} });
    expect([...tags].sort()).toEqual(HELM_PUSHED.map((v) => v.replace("+", "_")).sort());
    const set = collectVersions(tags, { oci: true });
    expect(set.versions.map((v) => v.version)).toEqual(["0.8.0-rc.1", "0.7.1+build.5", "0.7.0", "0.6.1"]);
    expect(set.versions.find((v) => v.version === "0.7.0")!.tags).toEqual(["0.7.0", "v0.7.0"]);
    expect(set.dev).toHaveLength(3);
  });

  it("follows every Link rel=next page, with one challenge and one token", async () => {
    const frontBefore = h.front.requests;
    const tokensBefore = h.tokens.requests;
    const listingsBefore = h.front.listings;
    const http = client();
    const { tags, pages } = await listOciTags(src("envoyproxy/gateway-helm"), { http, env: {} });
    expect([...tags].sort()).toEqual([...PAGED].sort());
    expect(pages).toBe(Math.ceil(PAGED.length / PAGE));
    expect(pages).toBeGreaterThan(2);
    expect(h.tokens.requests - tokensBefore).toBe(1);
    expect(h.front.requests - frontBefore).toBe(1 + pages);
    // the front asked the registry for the whole list once; the other pages came from that listing
    expect(h.front.listings - listingsBefore).toBe(1);
    // …but only for the token the registry accepted: a next page asked with another goes to the registry
    const sorted = [...PAGED].sort();
    const next = await fetch(`${h.front.url}/v2/envoyproxy/gateway-helm/tags/list?n=${PAGE}&last=${encodeURIComponent(sorted[PAGE - 1]!)}`, {
      headers: { authorization: "Bearer not-a-token" },
    });
    await next.body?.cancel();
    expect(next.status).toBe(401);
    expect(http.requests).toBe(2 + pages);
  });

  it("asks the token service anonymously for a public repository", async () => {
    const seen = h.tokens.seenAuthorization.length;
    await listOciTags(src("envoyproxy/gateway-helm"), { http: client(), env: {} });
    expect(h.tokens.seenAuthorization.length).toBe(seen);
  });

  it("uses CHART_REGISTRY_AUTH_<HOST> for a private repository and never prints it", async () => {
    const variable = credentialsVariable(h.host);
    expect(variable).toBe(`CHART_REGISTRY_AUTH_${h.host.replace(/[.:]/g, "_")}`);
    const without = await listOciTags(src("private/charts/secret-chart"), { http: client(), env: {} }).catch((e: Error) => e);
    expect(without).toBeInstanceOf(RegistryError);
    expect((without as Error).message).toContain(`needs credentials: set ${variable}=<user>:<password-or-token>`);

    const { tags } = await listOciTags(src("private/charts/secret-chart"), { http: client(), env: { [variable]: `${USER}:${PASSWORD}` } });
    expect([...tags].sort()).toEqual(["1.0.0", "1.1.0"]);

    const wrong = `${USER}:not-${PASSWORD}`;
    const refused = await listOciTags(src("private/charts/secret-chart"), { http: client(), env: { [variable]: wrong } }).catch((e: Error) => e);
    expect((refused as Error).message).toContain(`refused the credentials in ${variable}`);
    expect((refused as Error).message).not.toContain(PASSWORD);
    expect((refused as Error).message).not.toContain(Buffer.from(wrong).toString("base64"));
  });

  it("reports an unknown repository", async () => {
    await expect(listOciTags(src("envoyproxy/no-such-chart"), { http: client(), env: {} })).rejects.toThrow(
      /no-such-chart at 127\.0\.0\.1:\d+: no such repository \(HTTP 404: NAME_UNKNOWN/,
    );
  });
});

describe("registry failures", () => {
  it("retries a 500 with backoff, then names the status", async () => {
    h.front.fault = { kind: "status", status: 500 };
    const before = h.front.requests;
    const err = await listOciTags(src("envoyproxy/gateway-helm"), { http: client(), env: {} }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /cannot get http:\/\/127\.0\.0\.1:\d+\/v2\/envoyproxy\/gateway-helm\/tags\/list: HTTP 500 Internal Server Error: .*injected 500.* \(3 attempts\)/,
    );
    expect(h.front.requests - before).toBe(1 + 3);
  });

  it("reports a 429 at once with the rate-limit headers", async () => {
    h.front.fault = {
      kind: "status",
      status: 429,
      headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600", "retry-after": "3600" },
      beforeAuth: true,
    };
    const before = h.front.requests;
    const err = await listOciTags(src("envoyproxy/gateway-helm"), { http: client(), env: {} }).catch((e: Error) => e);
    expect((err as Error).message).toContain("answered 429 Too Many Requests");
    expect((err as Error).message).toContain("ratelimit-limit: 100;w=21600, ratelimit-remaining: 0;w=21600, retry-after: 3600");
    expect(h.front.requests - before).toBe(1);
  });

  it("rejects malformed JSON and a tags list of the wrong shape", async () => {
    h.front.fault = { kind: "malformed" };
    await expect(listOciTags(src("envoyproxy/gateway-helm"), { http: client(), env: {} })).rejects.toThrow(/tags\/list did not answer JSON/);
    h.front.fault = { kind: "wrong-shape" };
    await expect(listOciTags(src("envoyproxy/gateway-helm"), { http: client(), env: {} })).rejects.toThrow(/"tags" is not a list of strings/);
  });

  it("gives up on a registry that does not answer, after its timeout and retries", async () => {
    h.front.fault = { kind: "hang" };
    await expect(listOciTags(src("envoyproxy/gateway-helm"), { http: new HttpClient({ ...fast, timeoutMs: 200, retries: 1 }), env: {} })).rejects.toThrow(
      /no complete answer within 200 ms \(2 attempts\)/,
    );
  });

  it("says when nothing listens", async () => {
    const port = await unusedPort();
    const http = client();
    await expect(listOciTags(`oci://127.0.0.1:${port}/envoyproxy/gateway-helm`, { http, env: {} })).rejects.toThrow(/connection refused .*\(3 attempts\)/);
    expect(http.requests).toBe(3);
  });

  it("refuses a token realm on plain HTTP away from loopback", async () => {
    h.front.fault = {
      kind: "status",
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="http://auth.example.com/token",service="x"' },
      beforeAuth: true,
    };
    await expect(listOciTags(src("envoyproxy/gateway-helm"), { http: client(), env: {} })).rejects.toThrow(
      /refusing to fetch http:\/\/auth\.example\.com\/token over plain HTTP/,
    );
  });

  it("refuses plain HTTP to a Helm repository away from loopback before connecting", async () => {
    const http = client();
    await expect(listHelmVersions("http://charts.example.com/stable", "x", { http, env: {} })).rejects.toThrow(/must use https:\/\//);
    expect(http.requests).toBe(0);
  });
});

describe("protocol details", () => {
  it("reads Bearer challenges with quoted commas", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:a/b:pull,push" },
    });
    expect(parseChallenge('Basic realm="x"')?.scheme).toBe("basic");
  });

  it("finds the next page among several links", () => {
    const base = "https://r.example/v2/a/tags/list?n=100";
    expect(nextPage('</v2/a/tags/list?n=100&last=1.9.9>; rel="next"', base)).toBe("https://r.example/v2/a/tags/list?n=100&last=1.9.9");
    expect(nextPage('<https://r.example/x>; rel="prev", </v2/a/tags/list?last=b>; rel="next"', base)).toBe("https://r.example/v2/a/tags/list?last=b");
    expect(nextPage('</v2/a/tags/list?last=b>; rel="prev"', base)).toBeUndefined();
    expect(nextPage(null, base)).toBeUndefined();
  });
});
