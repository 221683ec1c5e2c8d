/**
 * `npm run bump -- envoy-gateway <version>` accepts a gateway-helm pin only after the chart and
 * Envoy Gateway's own validator of that version judged every rendered config: versions from a
 * real OCI registry on 127.0.0.1, the real pipeline (build, check --update, verify --strict).
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBump } from "../../scripts/lib/bump/index.js";
import { startOciHarness, type OciHarness } from "../../scripts/testkit/registry.js";
import { makeFullRoot, readApps, removeTemps, tree } from "../bump/helpers.js";

const execFileAsync = promisify(execFile);
let h: OciHarness;

beforeAll(async () => {
  h = await startOciHarness();
  await h.pushTags("envoyproxy/gateway-helm", ["v1.7.0", "1.7.0", "v1.8.0", "1.8.0"]);
});

afterAll(async () => {
  await h?.stop();
  removeTemps();
});

const run = (root: string, args: string[]) =>
  execFileAsync(process.execPath, [join(root, "scripts", "run.mjs"), ...args], { cwd: root, timeout: 300_000 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

const bump = (root: string, range: string) =>
  runBump({
    root,
    env: { CHART_SOURCE_OVERRIDES: `oci://docker.io/=oci://${h.host}/` },
    requests: [{ name: "envoy-gateway", range }],
    http: { timeoutMs: 5000, retries: 1, backoffMs: 10 },
  });

describe("bump envoy-gateway", () => {
  it("refuses a version whose own validator rejects the config the current version accepts, quoting its error; every file stays byte-identical", async () => {
    const root = makeFullRoot();
    // An OpenTelemetry metrics sink with protocol tcp: Envoy Gateway 1.7.0 starts with it, 1.8.0 validates sinks and refuses it.
    const apps = readApps(root).replace(
      "_gatewayValues = {config.envoyGateway = {\n",
      '_gatewayValues = {config.envoyGateway = {\n    telemetry.metrics.sinks = [{type = "OpenTelemetry", openTelemetry = {host = "otel.monitoring", port = 4317, protocol = "tcp"}}]\n',
    );
    expect(apps).not.toBe(readApps(root));
    writeFileSync(join(root, "kcl", "apps.k"), apps);
    expect((await run(root, ["build"])).code).toBe(0);
    expect((await run(root, ["check", "--update"])).code).toBe(0);
    const at170 = await run(root, ["verify", "--strict"]);
    expect(at170.out).toContain("0 errors");
    const before = tree(root);
    const err = await bump(root, "1.8.0").then(
      () => new Error("expected the bump to be refused"),
      (e: Error) => e,
    );
    expect(err.message).toContain("step `verify` failed");
    expect(err.message).toContain(
      "Envoy Gateway v1.8.0 exits at start-up with: unsupported protocol tcp for OpenTelemetry sink, only 'grpc' and 'http' are supported; caused by values.config.envoyGateway.telemetry.metrics.sinks[0]",
    );
    expect(tree(root)).toEqual(before);
    expect(readFileSync(join(root, "kcl", "apps.k"), "utf8")).toBe(apps);
  });

  it("accepts a version whose own chart and validator pass every config", async () => {
    const root = makeFullRoot();
    const out = await bump(root, "1.8.0");
    expect(out.lines.join("\n")).toMatch(/envoyGateway: v1\.7\.0 -> v1\.8\.0/);
    expect(out.lines.join("\n")).toMatch(/verify ok/);
    expect(readApps(root)).toContain('_envoyGateway = "v1.8.0"');
  });
});
