/**
 * Envoy Gateway's own verdict through the real gateway-helm chart and the real validator, and what
 * verify's eg-config rule makes of it (the error quoted, the version, the values path; the model
 * with a note when the real check cannot run; --strict).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { judgeConfigs, runValidator, type ConfigRequest, type Judgment } from "../../scripts/lib/envoy-gateway/oracle.js";
import { ensureValidator } from "../../scripts/lib/envoy-gateway/validator.js";
import { judgmentKey } from "../../scripts/lib/verify/eg-judgments.js";
import { egConfig } from "../../scripts/lib/verify/rules/eg-config.js";
import { clone, context, envoyGatewayResources, get, renderedCase, run } from "../verify/fixtures.js";
import type { Json } from "./corpus.js";
import { goldenGatewayRelease } from "./shared.js";
import { parse, stringify } from "yaml";

const shipped = goldenGatewayRelease("app-envoy-gateway");
const version = shipped.version.startsWith("v") ? shipped.version : `v${shipped.version}`;
/** dot-kubernetes 714806a: gateway-helm values with an extension manager that has only backendResources. */
const SEED_VALUES = {
  config: { envoyGateway: { extensionManager: { backendResources: [{ group: "inference.networking.k8s.io", kind: "InferencePool", version: "v1" }] } } },
};
const request = (id: string, values: unknown, chartVersion = version): ConfigRequest => ({
  id,
  chartVersion,
  values,
  namespace: "envoy-gateway-system",
  releaseName: "gateway-helm",
});
const judged = (j: Judgment | undefined) => {
  if (j?.kind !== "judged") throw new Error(`not judged: ${JSON.stringify(j)}`);
  return j;
};

describe("the real chart and validator", () => {
  it("the seed system's crashing config stops Envoy Gateway with its own error; the shipped config passes", async () => {
    const out = await judgeConfigs([request("seed", SEED_VALUES), request("shipped", shipped.values)]);
    const seed = judged(out.get("seed"));
    expect(seed.version).toBe("v1.7.0");
    expect(seed.error).toBe("registered extension has no hooks specified");
    expect(seed.at).toEqual(["extensionManager"]);
    const fixed = judged(out.get("shipped"));
    expect({ error: fixed.error, decodeError: fixed.decodeError, dropped: fixed.dropped }).toEqual({ error: undefined, decodeError: undefined, dropped: [] });
    // What Envoy Gateway reads is the chart's ConfigMap: the shipped extension manager and the chart's own defaults.
    const cfg = parse(fixed.config) as Json;
    expect(cfg.extensionManager).toEqual(((shipped.values.config as Json).envoyGateway as Json).extensionManager);
    expect(cfg).toMatchObject({ apiVersion: "gateway.envoyproxy.io/v1alpha1", kind: "EnvoyGateway", provider: { type: "Kubernetes" } });
  });

  it("the chart is in the loop: a value it merges over its defaults changes Envoy Gateway's verdict", async () => {
    // gateway-helm merges config.envoyGateway over its own defaults with sprig's merge, which fills
    // empty values: provider.type "" becomes the chart's Kubernetes.
    const values = { config: { envoyGateway: { provider: { type: "" } } } };
    const viaChart = judged((await judgeConfigs([request("merged", values)])).get("merged"));
    expect((parse(viaChart.config) as { provider: { type: string } }).provider.type).toBe("Kubernetes");
    expect(viaChart.error).toBeUndefined();
    // The same values read as written (no chart) are a config Envoy Gateway refuses.
    const asWritten = stringify({ apiVersion: "gateway.envoyproxy.io/v1alpha1", kind: "EnvoyGateway", ...values.config.envoyGateway });
    const direct = (await runValidator(await ensureValidator(version, () => {}), [{ id: "raw", config: asWritten }])).get("raw")!;
    expect(direct.error).toBe("unsupported provider type");
  });

  it("reports the fields Envoy Gateway's decoder drops, and a value it cannot decode", async () => {
    const withTypo = {
      config: { envoyGateway: { extensionManager: { ...(((shipped.values.config as Json).envoyGateway as Json).extensionManager as Json), failopen: true } } },
    };
    const wrongType = { config: { envoyGateway: { logging: { level: "debug" } } } };
    const out = await judgeConfigs([request("typo", withTypo), request("type", wrongType)]);
    expect(judged(out.get("typo")).dropped).toEqual(['unknown field "extensionManager.failopen"']);
    expect(judged(out.get("typo")).error).toBeUndefined();
    expect(judged(out.get("type")).decodeError).toMatch(/cannot unmarshal string into Go struct field .*logging\.level/);
  });

  it("a chart that fails to template gives the chart's own error, for that Release only", async () => {
    const out = await judgeConfigs([request("good", shipped.values), request("bad", { config: { envoyGateway: { provider: "Kubernetes" } } })]);
    expect(judged(out.get("good")).error).toBeUndefined();
    const bad = out.get("bad")!;
    expect(bad.kind).toBe("template-error");
    expect(bad.kind === "template-error" && bad.error).toMatch(/gateway-helm\/templates\/[\w-]+\.yaml.*provider/);
  });

  it("a version the Go module proxy does not serve cannot be checked, and says why", async () => {
    const out = await judgeConfigs([request("old", shipped.values, "v1.6.7")]);
    const j = out.get("old")!;
    expect(j.kind).toBe("unavailable");
    expect(j.kind === "unavailable" && j.reason).toMatch(/github\.com\/envoyproxy\/gateway@v1\.6\.7 cannot be downloaded from the Go module proxy/);
  });

  it("without Go, a validator that is not built yet cannot be had, and says why", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      // v1.5.0 is served by the proxy but no test builds its validator.
      const out = await judgeConfigs([request("nogo", shipped.values, "v1.5.0")]);
      const j = out.get("nogo")!;
      expect(j.kind === "unavailable" && j.reason).toMatch(/Go is not available|Go is not installed|go.*not found|ENOENT/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("eg-config with Envoy Gateway's verdict", () => {
  const GW = "a-app-gateway-helm";
  const seedCase = () => {
    const rs = clone(envoyGatewayResources());
    const gw = get(rs, GW);
    (gw.spec as { forProvider: { values: unknown; chart: { version: string } } }).forProvider.values = clone(SEED_VALUES);
    (gw.spec as { forProvider: { chart: { version: string } } }).forProvider.chart.version = version;
    return renderedCase("eg", rs);
  };

  it("quotes Envoy Gateway's own error, names the version and the values path", async () => {
    const c = seedCase();
    const out = await judgeConfigs([request(judgmentKey("eg", GW), SEED_VALUES)]);
    const findings = run({ ...context([c]), envoyGateway: out }, [egConfig]);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toBe(
      "Envoy Gateway v1.7.0 exits at start-up with: registered extension has no hooks specified; caused by values.config.envoyGateway.extensionManager " +
        "(Envoy Gateway's own validation of the envoy-gateway-config ConfigMap rendered by gateway-helm v1.7.0)",
    );
    expect(findings[0]!.severity).toBe("error");
  });

  it("falls back to the model with a visible note when the real check cannot run; the note is an error only under --strict", () => {
    const c = seedCase();
    const unavailable = new Map<string, Judgment>([[judgmentKey("eg", GW), { kind: "unavailable", version, reason: "Go is not installed" }]]);
    for (const strict of [false, true]) {
      const findings = run({ ...context([c]), envoyGateway: unavailable, strict }, [egConfig]);
      const note = findings.find((f) => f.message.startsWith("Envoy Gateway's own validation could not run"))!;
      expect(note.message).toBe(
        `Envoy Gateway's own validation could not run for ${version}: Go is not installed; checked with verify's built-in model of it instead`,
      );
      expect(note.severity).toBe(strict ? "error" : "warning");
      expect(findings.find((f) => f !== note)!.message).toBe(`Envoy Gateway 1.7.0 exits at start-up with: registered extension has no hooks specified`);
    }
  });
});

describe("npm run verify", () => {
  it("the real check ran on the shipped package: no eg-config note, strict or not", () => {
    const out = execFileSync(process.execPath, ["scripts/run.mjs", "verify", "--strict", "--json"], { encoding: "utf8" });
    const report = JSON.parse(out) as { findings: { rule: string }[]; summary: { errors: number; warnings: number } };
    expect(report.findings.filter((f) => f.rule === "eg-config")).toEqual([]);
    expect(report.summary.errors).toBe(0);
  });
});
