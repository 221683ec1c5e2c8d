/** The Helm HTTP repository datasource against index.yaml files made by the real `helm repo index`. */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FULL_PARSE_LIMIT, listHelmVersions, MAX_CHART_ENTRIES } from "../../scripts/lib/bump/datasources/helm-index.js";
import { fakeHelmIndex } from "../../scripts/testkit/fake-helm-index.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { HttpClient } from "../../scripts/lib/bump/http.js";
import { collectVersions } from "../../scripts/lib/bump/versioning.js";
import { helm, makeRoot, packageChart, removeTemps, serveDirectory, startFakeServer, tempDir, writeFile, type StaticServer } from "./helpers.js";

const execFileAsync = promisify(execFile);

const KEDA = ["2.18.0", "2.19.0", "2.19.1", "2.20.0-rc.1"];
const HTTP_ADDON = ["0.12.2", "0.13.0"];

let server: StaticServer;
let dir: string;
const http = () => new HttpClient({ timeoutMs: 1000, retries: 2, backoffMs: 10 });

beforeAll(async () => {
  dir = tempDir("bump-index-");
  server = await serveDirectory(dir);
  await packageChart(`${dir}/charts`, "keda", KEDA);
  await packageChart(`${dir}/charts`, "keda-add-ons-http", HTTP_ADDON);
  await helm(["repo", "index", `${dir}/charts`, "--url", `${server.url}/charts`]);
});

afterAll(async () => {
  await server?.close();
  removeTemps();
});

beforeEach(() => {
  server.status = undefined;
});

describe("Helm repository index.yaml", () => {
  it("lists the versions helm indexed, per chart", async () => {
    const keda = await listHelmVersions(`${server.url}/charts`, "keda", { http: http(), env: {} });
    expect([...keda.versions].sort()).toEqual([...KEDA].sort());
    const addon = await listHelmVersions(`${server.url}/charts/`, "keda-add-ons-http", { http: http(), env: {} });
    expect([...addon.versions].sort()).toEqual([...HTTP_ADDON].sort());
    expect(server.requests.at(-1)).toBe("/charts/index.yaml");
  });

  it("passes hostile version strings through as data, and versioning sets them aside", async () => {
    const index = parse(readFileSync(`${dir}/charts/index.yaml`, "utf8")) as { entries: Record<string, Record<string, unknown>[]> };
    const hostile = ['9.9.9"\n_evil = "x', "10.0.0 # comment", "11.0.0'", "${option('x')}"];
    for (const version of hostile) index.entries.keda!.push({ ...index.entries.keda![0]!, version });
    index.entries.keda!.push({ name: "keda", description: "an entry without a version" });
    writeFile(`${dir}/hostile/index.yaml`, JSON.stringify(index));
    const listing = await listHelmVersions(`${server.url}/hostile`, "keda", { http: http(), env: {} });
    expect(listing.skipped).toBe(1);
    const set = collectVersions(listing.versions, { oci: false });
    expect(set.nonSemver.sort()).toEqual([...hostile].sort());
    expect(set.versions.map((v) => v.version).sort()).toEqual([...KEDA].sort());
  });

  it("names the charts a repository has when the marker's chart is not there", async () => {
    await expect(listHelmVersions(`${server.url}/charts`, "kedaa", { http: http(), env: {} })).rejects.toThrow(
      /has no chart kedaa \(it has: keda, keda-add-ons-http\)/,
    );
  });

  it("reports a missing index, a broken one and one of the wrong shape", async () => {
    await expect(listHelmVersions(`${server.url}/nothing-here`, "keda", { http: http(), env: {} })).rejects.toThrow(/index\.yaml: not found \(HTTP 404\)/);
    writeFile(`${dir}/broken/index.yaml`, "entries:\n  keda: [\n");
    await expect(listHelmVersions(`${server.url}/broken`, "keda", { http: http(), env: {} })).rejects.toThrow(/not a YAML document/);
    writeFile(`${dir}/shape/index.yaml`, "- just\n- a list\n");
    await expect(listHelmVersions(`${server.url}/shape`, "keda", { http: http(), env: {} })).rejects.toThrow(/not a Helm repository index/);
  });

  it("retries a 503 and then reports it", async () => {
    server.status = 503;
    const before = server.requests.length;
    await expect(listHelmVersions(`${server.url}/charts`, "keda", { http: http(), env: {} })).rejects.toThrow(
      /HTTP 503 Service Unavailable: injected 503 \(3 attempts\)/,
    );
    expect(server.requests.length - before).toBe(3);
  });
});

describe("a large index (a fake repository: helm would take minutes to index a million charts)", () => {
  it("1.2 million entries, about 50 MB: only the chart's entries are parsed, and the bump runs in a 256 MB heap", async () => {
    const versions = ["2.18.0", "99.0.0", "99.1.0", "99.2.0-rc.1"];
    const body = Buffer.from(fakeHelmIndex({ entries: 1_200_000, chart: "keda", versions }));
    expect(body.length).toBeGreaterThan(45 * 1024 * 1024);
    const f = await startFakeServer(() => ({ body, headers: { "content-type": "application/yaml" } }));
    try {
      const listing = await listHelmVersions(f.url, "keda", { http: http(), env: {} });
      expect(listing.versions).toEqual(versions);
      const missing = await listHelmVersions(f.url, "kedaa", { http: http(), env: {} }).catch((e: Error) => e);
      expect((missing as Error).message).toMatch(/has no chart kedaa \(it has: filler-000000, filler-000001, .*, … \(12001 charts\)\)/);

      // The whole command line with the heap capped: parsing the full index needed gigabytes.
      const root = makeRoot();
      const r = await execFileAsync(
        process.execPath,
        ["--max-old-space-size=256", join(ROOT, "scripts", "run.mjs"), "bump", "--root", root, "--dry-run", "keda", "*"],
        {
          env: { ...process.env, CHART_SOURCE_OVERRIDES: `https://kedacore.github.io/charts=${f.url}` },
          timeout: 120_000,
        },
      ).catch((e: { code: number; stderr: string }) => e);
      expect((r as { stderr: string }).stderr).not.toContain("heap out of memory");
      expect((r as { stdout?: string }).stdout).toMatch(/^keda: \S+ -> 99\.1\.0 /m);
    } finally {
      await f.close();
    }
  });

  it("a chart with more entries than the bound is refused, naming the bound", async () => {
    const versions = Array.from({ length: MAX_CHART_ENTRIES + 1 }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    const f = await startFakeServer(() => ({ body: fakeHelmIndex({ entries: versions.length + 50, perChart: 50, chart: "keda", versions }) }));
    try {
      await expect(listHelmVersions(f.url, "keda", { http: http(), env: {} })).rejects.toThrow(
        `entries.keda lists ${MAX_CHART_ENTRIES + 1} entries, more than the ${MAX_CHART_ENTRIES} bump reads for one chart`,
      );
    } finally {
      await f.close();
    }
  });

  it("an index not in helm's layout (JSON) is read whole when small, refused when large", async () => {
    const small = JSON.stringify({ apiVersion: "v1", entries: { keda: KEDA.map((version) => ({ name: "keda", version })) } });
    const large = JSON.stringify({
      apiVersion: "v1",
      entries: { keda: [{ name: "keda", version: "1.0.0" }], pad: [{ description: "x".repeat(FULL_PARSE_LIMIT) }] },
    });
    const f = await startFakeServer((url) => ({ body: url.pathname.startsWith("/small/") ? small : large }));
    try {
      expect((await listHelmVersions(`${f.url}/small`, "keda", { http: http(), env: {} })).versions).toEqual(KEDA);
      await expect(listHelmVersions(`${f.url}/large`, "keda", { http: http(), env: {} })).rejects.toThrow(
        /a 8\.0 MB index not laid out as helm writes it .*only up to 8 MB/,
      );
    } finally {
      await f.close();
    }
  });
});
