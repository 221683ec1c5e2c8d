/**
 * eg-extension-server with the ai-gateway-helm chart templated instead of predicted. The real
 * chart is published only on Docker Hub, which is unreachable here; the test builds a stand-in
 * chart from recorded facts (Service named by controller.fullnameOverride, default
 * ai-gateway-controller, in the release namespace; ports grpc 1063, mutating-webhook 9443,
 * http-metrics 9090 before v0.6.0), pushes it with the pinned helm into a real OCI registry on
 * 127.0.0.1 and points CHART_SOURCE_OVERRIDES at it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDistributionRegistry, type RegistryProcess } from "../../scripts/testkit/registry.js";
import { ensureGoTool } from "../../scripts/lib/tools.js";
import { judgmentKey, templateAiGatewayReleases } from "../../scripts/lib/verify/eg-judgments.js";
import { egExtensionServer, STATIC_NOTE } from "../../scripts/lib/verify/rules/eg-extension-server.js";
import { clone, context, envoyGatewayResources, get, renderedCase, run } from "../verify/fixtures.js";

const STANDIN_VERSION = "v0.5.0";
let registry: RegistryProcess;
let work: string;
let env: Record<string, string>;

/** The stand-in ai-gateway-helm chart, written from the recorded facts. */
function writeStandInChart(dir: string): void {
  mkdirSync(join(dir, "templates"), { recursive: true });
  writeFileSync(
    join(dir, "Chart.yaml"),
    `apiVersion: v2\nname: ai-gateway-helm\ndescription: stand-in built from recorded facts for tests\nversion: ${STANDIN_VERSION}\n`,
  );
  writeFileSync(
    join(dir, "values.yaml"),
    'controller:\n  nameOverride: ""\n  fullnameOverride: ai-gateway-controller\nenvoyGateway:\n  namespace: envoy-gateway-system\n',
  );
  writeFileSync(
    join(dir, "templates", "_name.tpl"),
    `{{- define "standin.fullname" -}}
{{- if .Values.controller.fullnameOverride -}}
{{- .Values.controller.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.controller.nameOverride -}}
{{- if contains $name .Release.Name -}}{{- .Release.Name | trunc 63 | trimSuffix "-" -}}{{- else -}}{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}{{- end -}}
{{- end -}}
{{- end -}}
`,
  );
  writeFileSync(
    join(dir, "templates", "service.yaml"),
    `apiVersion: v1
kind: Service
metadata:
  name: {{ include "standin.fullname" . }}
  namespace: {{ .Release.Namespace }}
spec:
  ports:
    - name: grpc
      port: 1063
    - name: mutating-webhook
      port: 9443
    - name: http-metrics
      port: 9090
`,
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "ai-chart-test-"));
  mkdirSync(join(work, "registry"));
  registry = await startDistributionRegistry(join(work, "registry"));
  const helm = await ensureGoTool("helm");
  const chartDir = join(work, "ai-gateway-helm");
  writeStandInChart(chartDir);
  execFileSync(helm, ["package", chartDir, "-d", work], { stdio: "pipe" });
  execFileSync(helm, ["push", join(work, `ai-gateway-helm-${STANDIN_VERSION}.tgz`), `oci://${registry.host}/envoyproxy`, "--plain-http"], {
    stdio: "pipe",
    env: { ...process.env, HELM_REGISTRY_CONFIG: join(work, "registry.json") },
  });
  env = { CHART_SOURCE_OVERRIDES: `oci://docker.io/=oci://${registry.host}/` };
});

afterAll(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const AI = "a-app-ai-gateway-helm";
const GW = "a-app-gateway-helm";
const forProvider = (rs: ReturnType<typeof envoyGatewayResources>, name: string) => (get(rs, name).spec as { forProvider: Record<string, any> }).forProvider;

describe("eg-extension-server with the ai-gateway-helm chart templated", () => {
  it("finds the Service the chart creates: name, namespace and the grpc port 1063", async () => {
    const c = renderedCase("eg", envoyGatewayResources());
    const out = await templateAiGatewayReleases([c], env);
    const t = out.get(judgmentKey("eg", AI))!;
    expect(t.kind).toBe("templated");
    expect(t.kind === "templated" && t.services).toEqual([
      {
        name: "ai-gateway-controller",
        namespace: "envoy-ai-gateway-system",
        ports: [
          { name: "grpc", port: 1063 },
          { name: "mutating-webhook", port: 9443 },
          { name: "http-metrics", port: 9090 },
        ],
      },
    ]);
    expect(run({ ...context([c]), aiGatewayServices: out }, [egExtensionServer])).toEqual([]);
  });

  it("a port the Service has but that is not the extension server's is caught, from the templated chart, with no static note", async () => {
    const rs = clone(envoyGatewayResources());
    forProvider(rs, GW).values.config.envoyGateway.extensionManager.service.fqdn.port = 9443;
    const c = renderedCase("eg", rs);
    const findings = run({ ...context([c]), aiGatewayServices: await templateAiGatewayReleases([c], env) }, [egExtensionServer]);
    expect(findings.map((f) => f.message)).toEqual([
      `values.config.envoyGateway.extensionManager.service.fqdn.port is 9443, but ai-gateway-controller.envoy-ai-gateway-system (${AI}, templated from ai-gateway-helm ${STANDIN_VERSION}) serves the extension on port 1063`,
    ]);
  });

  it("the chart's own naming decides the Service: a fullnameOverride the fqdn does not follow", async () => {
    const rs = clone(envoyGatewayResources());
    forProvider(rs, AI).values = { controller: { fullnameOverride: "aigw" } };
    const c = renderedCase("eg", rs);
    const [f, ...rest] = run({ ...context([c]), aiGatewayServices: await templateAiGatewayReleases([c], env) }, [egExtensionServer]);
    expect(rest).toEqual([]);
    expect(f!.message).toContain("this render installs aigw.envoy-ai-gateway-system port 1063");
    expect(f!.message).not.toContain(STATIC_NOTE);
  });

  it("without a reachable registry the rule stays static and says so", async () => {
    const rs = clone(envoyGatewayResources());
    forProvider(rs, GW).values.config.envoyGateway.extensionManager.service.fqdn.port = 9443;
    const c = renderedCase("eg", rs);
    // Nothing listens on this loopback port: the pull fails at once.
    const out = await templateAiGatewayReleases([c], { CHART_SOURCE_OVERRIDES: "oci://docker.io/=oci://127.0.0.1:9/" });
    expect(out.get(judgmentKey("eg", AI))!.kind).toBe("unavailable");
    const findings = run({ ...context([c]), aiGatewayServices: out }, [egExtensionServer]);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain("port is 9443");
    expect(findings[0]!.message.endsWith(STATIC_NOTE)).toBe(true);
  });
});
