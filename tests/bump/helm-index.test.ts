/** The Helm HTTP repository datasource against index.yaml files made by the real `helm repo index`. */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { listHelmVersions } from "../../scripts/lib/bump/datasources/helm-index.js";
import { HttpClient } from "../../scripts/lib/bump/http.js";
import { collectVersions } from "../../scripts/lib/bump/versioning.js";
import { helm, packageChart, removeTemps, serveDirectory, tempDir, writeFile, type StaticServer } from "./helpers.js";

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
    await expect(listHelmVersions(`${server.url}/charts`, "kedaa", { http: http(), env: {} })).rejects.toThrow(/has no chart kedaa \(it has: keda, keda-add-ons-http\)/);
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
    await expect(listHelmVersions(`${server.url}/charts`, "keda", { http: http(), env: {} })).rejects.toThrow(/HTTP 503 Service Unavailable: injected 503 \(3 attempts\)/);
    expect(server.requests.length - before).toBe(3);
  });
});
