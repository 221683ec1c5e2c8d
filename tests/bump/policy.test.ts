import { readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { aiGatewaySeriesFor, checkCompatibility, envoyGatewayRangeFor, loadCompatibility, parseCompatibility } from "../../scripts/lib/compat.js";
import type { ResolvedChart } from "../../scripts/lib/bump/datasources/index.js";
import { extractPins } from "../../scripts/lib/bump/kclfile.js";
import { applyOverrides, parseOverrides } from "../../scripts/lib/bump/overrides.js";
import { makePlan } from "../../scripts/lib/bump/plan.js";
import { collectVersions, formatLike, intersectVersions, parseRange, selectVersion } from "../../scripts/lib/bump/versioning.js";
import { ROOT } from "../../scripts/lib/paths.js";

describe("reading registry tags", () => {
  const set = collectVersions(
    [
      "v0.7.0",
      "0.7.0",
      "0.6.1",
      "v0.6.1",
      "0.7.1_build.5",
      "0.8.0-rc.1",
      "0.0.0-latest",
      "v0.0.0-latest",
      "0.0.0-0f3a9c1",
      "latest",
      "0.7",
      "sha-0f3a9c1",
      'v1.0.0"',
      "1.0.0 ",
      "01.0.0",
    ],
    { oci: true },
  );

  it("merges v-twins into one version and keeps both forms", () => {
    const v070 = set.versions.filter((v) => v.version === "0.7.0");
    expect(v070).toHaveLength(1);
    expect(v070[0]!.tags.sort()).toEqual(["0.7.0", "v0.7.0"]);
  });

  it("reads Helm's _ as + (build metadata)", () => {
    expect(set.versions.map((v) => v.version)).toContain("0.7.1+build.5");
  });

  it("sets dev tags and non-semver tags aside", () => {
    expect(set.dev.sort()).toEqual(["0.0.0-0f3a9c1", "0.0.0-latest", "v0.0.0-latest"]);
    expect(set.nonSemver.sort()).toEqual(['v1.0.0"', "0.7", "01.0.0", "1.0.0 ", "latest", "sha-0f3a9c1"].sort());
    for (const v of set.versions) expect(semver.valid(v.version)).toBe(v.version.replace(/\+.*$/, ""));
  });

  it("lists newest first", () => {
    const versions = set.versions.map((v) => v.version);
    expect(versions).toEqual([...versions].sort((a, b) => semver.rcompare(a, b)));
  });

  it("does not read _ as + outside OCI", () => {
    expect(collectVersions(["1.0.0_1"], { oci: false }).nonSemver).toEqual(["1.0.0_1"]);
  });
});

describe("choosing a version", () => {
  const available = collectVersions(["0.4.0", "0.5.0", "0.6.0", "0.6.1", "0.7.0", "0.8.0-rc.1", "1.0.0", "1.1.0"], { oci: false }).versions;
  const pick = (range: string, pre = false) => selectVersion(available, range, { pre })?.version;

  it("takes the newest release a range allows", () => {
    expect(pick("0.x")).toBe("0.7.0");
    expect(pick("^0.6")).toBe("0.6.1");
    expect(pick("~0.6.0")).toBe("0.6.1");
    expect(pick(">=0.5 <1")).toBe("0.7.0");
    expect(pick("0.6.0")).toBe("0.6.0");
    expect(pick("*")).toBe("1.1.0");
    expect(pick("2.x")).toBeUndefined();
  });

  it("leaves prereleases out unless --pre or the range names one", () => {
    expect(pick("0.8.x")).toBeUndefined();
    expect(pick("0.8.x", true)).toBe("0.8.0-rc.1");
    expect(pick(">=0.8.0-rc.0 <0.9")).toBe("0.8.0-rc.1");
  });

  it("accepts npm semver ranges and rejects the rest", () => {
    for (const r of ["1.8.3", "0.x", "^0.6", "~1.7.0", ">=1.8 <2", "*", "v1.8.3"]) expect(parseRange(r)).toBe(r);
    for (const r of ["banana", "", "1.8.3\n2", '1.0.0"', ">=>1"]) expect(parseRange(r)).toBeUndefined();
  });

  it("writes the pin's own style when the registry has it", () => {
    const twins = collectVersions(["v1.8.3", "1.8.3"], { oci: true }).versions[0]!;
    expect(formatLike("v1.7.0", twins)).toEqual({ value: "v1.8.3", styleKept: true });
    expect(formatLike("1.7.0", twins)).toEqual({ value: "1.8.3", styleKept: true });
    const plainOnly = collectVersions(["1.7.9"], { oci: true }).versions[0]!;
    expect(formatLike("v1.7.0", plainOnly)).toEqual({ value: "1.7.9", styleKept: false });
  });

  it("keeps only versions every chart of a pin has", () => {
    const a = collectVersions(["v0.6.0", "0.6.0", "v0.7.0"], { oci: true });
    const b = collectVersions(["v0.6.0", "0.7.0"], { oci: true });
    expect(intersectVersions([a, b])).toEqual([
      { version: "0.7.0", tags: ["v0.7.0"] },
      { version: "0.6.0", tags: ["v0.6.0"] },
    ]);
  });
});

describe("the AI Gateway <-> Envoy Gateway table", () => {
  it("says what each AI Gateway series needs", () => {
    expect(envoyGatewayRangeFor("v1.1.0")).toBe(">=1.8.1");
    expect(envoyGatewayRangeFor("1.0.2")).toBe(">=1.8.1");
    expect(envoyGatewayRangeFor("v0.7.0")).toBe(">=1.8.0");
    expect(envoyGatewayRangeFor("0.6.3")).toBe(">=1.7.0");
    expect(envoyGatewayRangeFor("v0.5.0")).toBe(">=1.6.0");
    expect(envoyGatewayRangeFor("0.4.0")).toBe(">=1.5.0");
  });

  it("judges pairs", () => {
    expect(checkCompatibility("v0.7.0", "v1.7.0")).toMatchObject({ status: "incompatible", compatible: false, needsEnvoyGateway: ">=1.8.0" });
    expect(checkCompatibility("v0.7.0", "v1.8.0").compatible).toBe(true);
    expect(checkCompatibility("1.0.0", "1.8.0").status).toBe("incompatible");
    expect(checkCompatibility("1.0.0", "1.8.1").compatible).toBe(true);
    expect(checkCompatibility("v0.5.0", "v1.7.0").compatible).toBe(true);
    expect(checkCompatibility("v0.3.0", "v1.9.0").status).toBe("end-of-life");
    expect(checkCompatibility("v1.2.0", "v1.9.0").status).toBe("unknown");
    expect(checkCompatibility("0.8.0-rc.1", "1.9.0").status).toBe("unknown");
  });

  it("says which AI Gateway series an Envoy Gateway version takes", () => {
    expect(aiGatewaySeriesFor("v1.7.0")).toEqual(["0.6.x", "0.5.x", "0.4.x"]);
    expect(aiGatewaySeriesFor("1.8.0")).toEqual(["0.7.x", "0.6.x", "0.5.x", "0.4.x"]);
    expect(checkCompatibility("v0.7.0", "v1.7.0").message).toMatch(
      /needs Envoy Gateway >=1\.8\.0, but Envoy Gateway is 1\.7\.0; Envoy Gateway 1\.7\.0 works with AI Gateway 0\.6\.x, 0\.5\.x, 0\.4\.x/,
    );
  });

  it("rejects a malformed table with the file and row", () => {
    expect(() => parseCompatibility("{", "t.json")).toThrow(/t\.json: not valid JSON/);
    expect(() => parseCompatibility('{"aiGateway": [{"aiGateway": "0.7.x", "envoyGateway": "soon"}]}', "t.json")).toThrow(
      /t\.json: aiGateway\[0\]\.envoyGateway/,
    );
    expect(() => parseCompatibility('{"aiGateway": []}', "t.json")).toThrow(/non-empty/);
    expect(loadCompatibility().length).toBeGreaterThan(0);
  });
});

describe("CHART_SOURCE_OVERRIDES", () => {
  it("maps the longest matching prefix at a path boundary", () => {
    const o = parseOverrides(
      " oci://docker.io/=oci://127.0.0.1:5000/ , oci://docker.io/envoyproxy/gateway-helm=oci://127.0.0.1:6000/eg,https://helm.cilium.io=http://127.0.0.1:8080/cilium",
    );
    expect(applyOverrides("oci://docker.io/envoyproxy/ai-gateway-helm", o).source).toBe("oci://127.0.0.1:5000/envoyproxy/ai-gateway-helm");
    expect(applyOverrides("oci://docker.io/envoyproxy/gateway-helm", o).source).toBe("oci://127.0.0.1:6000/eg");
    expect(applyOverrides("https://helm.cilium.io", o).source).toBe("http://127.0.0.1:8080/cilium");
    expect(applyOverrides("https://helm.cilium.io.example.com", o).override).toBeUndefined();
    expect(applyOverrides("https://charts.crossplane.io/stable", o)).toEqual({ source: "https://charts.crossplane.io/stable" });
  });

  it("rejects entries that are not FROM=TO URLs of the same kind", () => {
    expect(parseOverrides(undefined)).toEqual([]);
    expect(() => parseOverrides("oci://docker.io/")).toThrow(/CHART_SOURCE_OVERRIDES: "oci:\/\/docker.io\/" is not FROM=TO/);
    expect(() => parseOverrides("docker.io=127.0.0.1")).toThrow(/must be URLs/);
    expect(() => parseOverrides("oci://docker.io/=http://127.0.0.1:8080")).toThrow(/same kind/);
  });
});

describe("the plan", () => {
  const apps = readFileSync(join(ROOT, "kcl", "apps.k"), "utf8");
  const { pins } = extractPins(apps);
  const pinOf = (v: string) => pins.find((p) => p.variable === v)!;
  const resolved = (variable: string, tags: string[]): ResolvedChart[] =>
    pinOf(variable).charts.map((ref) => ({ ref, source: ref.source, location: ref.source, set: collectVersions(tags, { oci: true }), requests: 3, ms: 1 }));
  const aiTags = ["v0.5.0", "0.5.0", "v0.6.0", "0.6.0", "v0.6.1", "0.6.1", "v0.7.0", "0.7.0", "0.0.0-latest", "v0.8.0-rc.1"];
  const egTags = ["v1.7.0", "1.7.0", "v1.8.3", "1.8.3", "v1.6.7", "1.6.7"];
  const compatibility = loadCompatibility();
  const base = { pins, pre: false, allowDowngrade: false, compatibility };
  const eg = pinOf("envoyGateway").value;
  const ai = pinOf("aiGateway").value;

  it("refuses an AI Gateway the pinned Envoy Gateway cannot run, saying what each side needs and how to fix it", () => {
    expect(checkCompatibility("0.7.0", eg).compatible).toBe(false);
    const r = makePlan({ ...base, requests: [{ pin: pinOf("aiGateway"), range: "0.x", resolved: resolved("aiGateway", aiTags) }] });
    expect(r.ok).toBe(false);
    const msg = r.ok ? "" : r.refusals.join("\n");
    expect(msg).toContain(`AI Gateway v0.7.0 (_aiGateway, was ${ai}) needs Envoy Gateway >=1.8.0`);
    expect(msg).toContain(`Envoy Gateway ${eg}`);
    expect(msg).toContain("npm run bump -- ai-gateway 0.x envoy-gateway '>=1.8.0'");
    expect(msg).toContain("npm run bump -- ai-gateway 0.6.x");
    expect(msg).toContain("correct data/compatibility.json");
    expect(msg).not.toContain("--force");
  });

  it("accepts both moved together", () => {
    const r = makePlan({
      ...base,
      requests: [
        { pin: pinOf("aiGateway"), range: "0.x", resolved: resolved("aiGateway", aiTags) },
        { pin: pinOf("envoyGateway"), range: ">=1.8.0", resolved: resolved("envoyGateway", egTags) },
      ],
    });
    expect(r.ok).toBe(true);
    expect(r.plan.changes.map((c) => `${c.pin.variable}=${c.to}`)).toEqual(["aiGateway=v0.7.0", "envoyGateway=v1.8.3"]);
  });

  it("refuses a downgrade unless allowed, and reports an unchanged pin", () => {
    const down = makePlan({ ...base, requests: [{ pin: pinOf("envoyGateway"), range: "1.6.x", resolved: resolved("envoyGateway", egTags) }] });
    expect(down.ok ? "" : down.refusals[0]).toMatch(/older than the current pin .*--allow-downgrade/);
    const allowed = makePlan({
      ...base,
      allowDowngrade: true,
      requests: [{ pin: pinOf("envoyGateway"), range: "1.6.x", resolved: resolved("envoyGateway", egTags) }],
    });
    expect(allowed.ok && allowed.plan.changes[0]).toMatchObject({ to: "v1.6.7", downgrade: true });
    const same = makePlan({ ...base, requests: [{ pin: pinOf("envoyGateway"), range: eg, resolved: resolved("envoyGateway", egTags) }] });
    expect(same.ok && same.plan.unchanged.length).toBe(1);
  });

  it("explains a range nothing matches with the newest versions and the --pre hint", () => {
    const r = makePlan({ ...base, requests: [{ pin: pinOf("aiGateway"), range: "0.8.x", resolved: resolved("aiGateway", aiTags) }] });
    const msg = r.ok ? "" : r.refusals[0]!;
    expect(msg).toMatch(/no version present for every chart of _aiGateway/);
    expect(msg).toContain("the newest available: 0.7.0, 0.6.1, 0.6.0, 0.5.0");
    expect(msg).toContain("prereleases 0.8.0-rc.1 match with --pre");
  });
});
