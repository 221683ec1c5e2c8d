/**
 * Each rule on small in-memory renders: a complete render is clean, and each break fires exactly
 * the rule that exists for it, with Envoy Gateway's own text where it has one.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatFinding } from "../../scripts/lib/verify/format.js";
import { RULES } from "../../scripts/lib/verify/rules/index.js";
import { egConfig } from "../../scripts/lib/verify/rules/eg-config.js";
import { findPlaceholders } from "../../scripts/lib/verify/rules/pkg-placeholders.js";
import type { Finding, Rule } from "../../scripts/lib/verify/types.js";
import type { ComposedResource, KubeObject } from "../../scripts/lib/render/types.js";
import {
  clone,
  composition,
  configuration,
  context,
  DEPENDS_ON,
  envoyGatewayResources,
  get,
  K8S,
  loadedPackage,
  object,
  ref,
  release,
  renderedCase,
  run,
  usage,
} from "./fixtures.js";

/** Asserts every finding is of `rule` (and there is at least one); returns them. */
function only(findings: Finding[], rule: string): Finding[] {
  expect(findings.length, "expected findings").toBeGreaterThan(0);
  expect([...new Set(findings.map((f) => f.rule))]).toEqual([rule]);
  return findings;
}

const values = (o: KubeObject) => (o.spec as { forProvider: { values: Record<string, any> } }).forProvider.values;
const em = (o: KubeObject) => values(o).config.envoyGateway.extensionManager;
const forProvider = (o: KubeObject) => (o.spec as { forProvider: Record<string, any> }).forProvider;

function broken(edit: (rs: ComposedResource[]) => void, envoyGateway: boolean | null = true): Finding[] {
  const rs = clone(envoyGatewayResources());
  edit(rs);
  return run(context([renderedCase("eg", rs, envoyGateway)]));
}
const GW = "a-app-gateway-helm";
const AI = "a-app-ai-gateway-helm";
const CRDS = "a-app-ai-gateway-crds-helm";

describe("a complete render", () => {
  it("is clean under every rule", () => {
    expect(run(context([renderedCase("eg", envoyGatewayResources()), renderedCase("plain", envoyGatewayResources().slice(0, 1), false)]))).toEqual([]);
  });

  it("every rule has an id, a description and a severity", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z]+(-[a-z]+)+$/);
      expect(r.description.length).toBeGreaterThan(10);
      expect(["error", "warning"]).toContain(r.severity);
    }
  });
});

describe("eg-config", () => {
  it("hooks missing: Envoy Gateway's crash message verbatim", () => {
    const [f] = only(
      broken((rs) => delete em(get(rs, GW)).hooks),
      "eg-config",
    );
    expect(f!.message).toContain("registered extension has no hooks specified");
    expect(f!.message).toContain("1.7.0");
    expect(f!.resource).toBe(GW);
    expect(f!.case).toBe("eg");
  });

  it("empty post and no pre: the same crash", () => {
    const fs = only(
      broken((rs) => (em(get(rs, GW)).hooks.xdsTranslator.post = [])),
      "eg-config",
    );
    expect(fs.map((f) => f.message)).toEqual([expect.stringContaining("registered extension has no hooks specified")]);
  });

  it("an ip next to fqdn: only one target", () => {
    const fs = only(
      broken((rs) => (em(get(rs, GW)).service.ip = { address: "10.0.0.1", port: 1063 })),
      "eg-config",
    );
    expect(fs.map((f) => f.message)).toEqual([expect.stringContaining("only one backend target can be configured for the extension manager")]);
  });

  it("no service, and a service without target", () => {
    expect(
      only(
        broken((rs) => delete em(get(rs, GW)).service),
        "eg-config",
      )[0]!.message,
    ).toContain("extension service config is empty");
    expect(
      only(
        broken((rs) => (em(get(rs, GW)).service = {})),
        "eg-config",
      )[0]!.message,
    ).toContain("extension service must contain a configured target");
  });

  it("a TLS certificateRef that is not a Secret", () => {
    const fs = only(
      broken((rs) => (em(get(rs, GW)).service.tls = { certificateRef: { kind: "ConfigMap", name: "ca" } })),
      "eg-config",
    );
    expect(fs[0]!.message).toContain("unsupported extension server TLS certificateRef group/kind");
  });

  it("hook names: no Secret hook, Endpoints needs 1.8", () => {
    const fs = only(
      broken((rs) => (em(get(rs, GW)).hooks.xdsTranslator.post = ["Translation", "Secret", "Endpoints"])),
      "eg-config",
    );
    expect(fs).toHaveLength(2);
    expect(fs[0]!.message).toMatch(/post\[1\] is the string "Secret", which is not an Envoy Gateway xdsTranslator hook/);
    expect(fs[0]!.hint).toMatch(/Translation, Cluster$/);
    expect(fs[1]!.message).toMatch(/post\[2\] is Endpoints, a hook Envoy Gateway has only since 1\.8\.0; gateway-helm is pinned to 1\.7\.0/);
  });

  it("translation, backendResources and the Cluster hook on a version that predates them", () => {
    const rs = clone(envoyGatewayResources());
    forProvider(get(rs, GW)).chart.version = "v1.4.2";
    const fs = run(context([renderedCase("eg", rs)]), [egConfig]);
    expect(fs.map((f) => f.message)).toEqual([
      expect.stringMatching(/post\[1\] is Cluster, a hook Envoy Gateway has only since 1\.5\.0/),
      expect.stringMatching(/extensionManager\.hooks\.xdsTranslator\.translation is ignored by Envoy Gateway 1\.4\.2: the field exists since 1\.5\.0/),
      expect.stringMatching(/extensionManager\.backendResources is ignored by Envoy Gateway 1\.4\.2/),
    ]);
  });

  it("extensionManager and extensionManagers together (1.8) / the list form before 1.8", () => {
    const both = (version: string) => {
      const rs = clone(envoyGatewayResources());
      forProvider(get(rs, GW)).chart.version = version;
      const eg = values(get(rs, GW)).config.envoyGateway;
      eg.extensionManagers = [{ name: "ai", ...clone(eg.extensionManager) }];
      return run(context([renderedCase("eg", rs)]), [egConfig]);
    };
    expect(both("1.8.0").map((f) => f.message)).toEqual([expect.stringContaining("extensionManager and extensionManagers are mutually exclusive")]);
    expect(both("1.7.0").map((f) => f.message)).toEqual([expect.stringContaining("extensionManagers is ignored by Envoy Gateway 1.7.0")]);
  });

  it("extensionManagers entries need unique names", () => {
    const rs = clone(envoyGatewayResources());
    forProvider(get(rs, GW)).chart.version = "1.8.1";
    const eg = values(get(rs, GW)).config.envoyGateway;
    eg.extensionManagers = [
      { name: "ai", ...clone(eg.extensionManager) },
      { name: "ai", ...clone(eg.extensionManager) },
    ];
    delete eg.extensionManager;
    const fs = run(context([renderedCase("eg", rs)]), [egConfig]);
    expect(fs.map((f) => f.message)).toEqual([expect.stringContaining('extension manager at index 1: duplicate name "ai"')]);
  });

  it("fqdn hostname and port out of range", () => {
    const bad = broken((rs) => (em(get(rs, GW)).service.fqdn = { hostname: "Not_A_Host", port: 70000 }));
    const cfg = bad.filter((f) => f.rule === "eg-config").map((f) => f.message);
    expect(cfg).toEqual([
      expect.stringMatching(/fqdn\.hostname must be a DNS name of 1-253 characters, got the string "Not_A_Host"/),
      expect.stringMatching(/fqdn\.port must be a port number 0-65535, got number 70000/),
    ]);
  });

  it("values that are not maps give a finding, not a crash", () => {
    for (const [set, text] of [
      [(o: KubeObject) => (forProvider(o).values = "config: {}"), /spec\.forProvider\.values must be a map of chart values, got the string/],
      [(o: KubeObject) => (forProvider(o).values = { config: { envoyGateway: ["x"] } }), /values\.config\.envoyGateway must be a map, got a list/],
      [(o: KubeObject) => (values(o).config.envoyGateway.extensionManager = "on"), /extensionManager must be a map, got the string "on"/],
    ] as const) {
      const fs = broken((rs) => set(get(rs, GW))).filter((f) => f.rule === "eg-config");
      expect(fs.map((f) => f.message)).toContainEqual(expect.stringMatching(text));
    }
  });
});

describe("eg-extension-server", () => {
  it("the controller Release in another namespace: fqdn names a Service nothing installs", () => {
    const [f, ...rest] = only(
      broken((rs) => (forProvider(get(rs, AI)).namespace = "ai-elsewhere")),
      "eg-extension-server",
    );
    expect(rest).toEqual([]);
    expect(f!.message).toMatch(
      /hostname ai-gateway-controller\.envoy-ai-gateway-system\.svc\.cluster\.local names Service ai-gateway-controller in namespace envoy-ai-gateway-system, which nothing in this render installs; this render installs ai-gateway-controller\.ai-elsewhere port 1063/,
    );
    expect(f!.hint).toBe("point it at ai-gateway-controller.ai-elsewhere.svc.cluster.local port 1063");
  });

  it("the wrong port", () => {
    const fs = only(
      broken((rs) => (em(get(rs, GW)).service.fqdn.port = 9443)),
      "eg-extension-server",
    );
    expect(fs[0]!.message).toMatch(
      /port is 9443, but ai-gateway-controller\.envoy-ai-gateway-system \(a-app-ai-gateway-helm\) serves the extension on port 1063/,
    );
  });

  it("a controller fullnameOverride the fqdn does not follow; an empty override falls back to the release name", () => {
    expect(
      only(
        broken((rs) => (forProvider(get(rs, AI)).values = { controller: { fullnameOverride: "aigw" } })),
        "eg-extension-server",
      )[0]!.message,
    ).toMatch(/installs aigw\.envoy-ai-gateway-system port 1063/);
    expect(
      only(
        broken((rs) => (forProvider(get(rs, AI)).values = { controller: { fullnameOverride: "" } })),
        "eg-extension-server",
      )[0]!.message,
    ).toMatch(/installs ai-gateway-helm\.envoy-ai-gateway-system port 1063/);
  });

  it("AI Gateway expecting Envoy Gateway in another namespace", () => {
    const fs = only(
      broken((rs) => (forProvider(get(rs, GW)).namespace = "gateways")),
      "eg-extension-server",
    );
    expect(fs.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /expects Envoy Gateway in namespace envoy-gateway-system \(its default envoyGateway\.namespace\), but gateway-helm is installed in gateways/,
      ),
    ]);
    expect(fs[0]!.resource).toBe(AI);
  });

  it("AI Gateway installed but Envoy Gateway has no extension manager or Backend API", () => {
    expect(
      only(
        broken((rs) => delete values(get(rs, GW)).config.envoyGateway.extensionManager),
        "eg-extension-server",
      )[0]!.message,
    ).toMatch(/has no extensionManager, so Envoy Gateway never calls it/);
    expect(
      only(
        broken((rs) => delete values(get(rs, GW)).config.envoyGateway.extensionApis),
        "eg-extension-server",
      )[0]!.message,
    ).toMatch(/extensionApis\.enableBackend is not true/);
  });

  it("an extension server Service installed by an Object counts", () => {
    const fs = broken((rs) => {
      em(get(rs, GW)).service.fqdn.hostname = "ext.ext-system.svc.cluster.local";
      const svc = object("a-app-ext-service", {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "ext", namespace: "ext-system" },
        spec: { ports: [{ port: 1063 }] },
      });
      rs.push(
        { name: "a-app-ext-service", object: svc, ready: "True" },
        { name: "u", object: usage("u", ref(get(rs, "ekscluster")), ref(svc)), ready: "True" },
      );
    });
    expect(fs).toEqual([]);
  });
});

describe("eg-bundle", () => {
  it("gate on without the CRD chart", () => {
    const fs = only(
      broken(
        (rs) =>
          rs.splice(
            rs.findIndex((r) => r.name === CRDS),
            1,
          ) &&
          rs.splice(
            rs.findIndex((r) => r.name === `${CRDS}-usage`),
            1,
          ),
      ),
      "eg-bundle",
    );
    expect(fs.map((f) => f.message)).toEqual(["spec.parameters.apps.envoyGateway.enabled is true but no ai-gateway-crds-helm Release is rendered"]);
  });

  it("gate off with the bundle rendered; off without it is clean", () => {
    expect(
      only(
        broken(() => {}, false),
        "eg-bundle",
      )[0]!.message,
    ).toBe("spec.parameters.apps.envoyGateway.enabled is false but gateway-helm, ai-gateway-crds-helm, ai-gateway-helm are rendered");
    expect(run(context([renderedCase("off", envoyGatewayResources().slice(0, 1), false)]))).toEqual([]);
  });

  it("without a gate in the XR: all or nothing", () => {
    const fs = broken(
      (rs) =>
        rs.splice(
          rs.findIndex((r) => r.name === AI),
          1,
        ) &&
        rs.splice(
          rs.findIndex((r) => r.name === `${AI}-usage`),
          1,
        ),
      null,
    );
    // Without the controller, Envoy Gateway's extension server fqdn also points at nothing.
    expect(fs.map((f) => f.rule)).toEqual(["eg-extension-server", "eg-bundle"]);
    expect(fs[1]!.message).toBe("gateway-helm, ai-gateway-crds-helm are rendered without ai-gateway-helm");
  });
});

describe("eg-compat", () => {
  it("AI Gateway 0.7.0 with Envoy Gateway 1.7.0", () => {
    const fs = only(
      broken((rs) => {
        forProvider(get(rs, AI)).chart.version = "v0.7.0";
        forProvider(get(rs, CRDS)).chart.version = "v0.7.0";
      }),
      "eg-compat",
    );
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toMatch(/AI Gateway 0\.7\.0 needs Envoy Gateway >=1\.8\.0, but Envoy Gateway is 1\.7\.0/);
    expect(fs[0]!.resource).toBe(`${AI}, ${GW}`);
  });

  it("CRD chart and controller chart at different versions", () => {
    const fs = only(
      broken((rs) => (forProvider(get(rs, CRDS)).chart.version = "v0.6.0")),
      "eg-compat",
    );
    expect(fs[0]!.message).toBe("ai-gateway-crds-helm is pinned to v0.6.0 but ai-gateway-helm to v0.5.0; the controller needs the CRDs of its own release");
  });

  it("backendResources not served by the InferencePool CRD the render installs", () => {
    const oldGroup = only(
      broken((rs) => (em(get(rs, GW)).backendResources[0].group = "inference.networking.x-k8s.io")),
      "eg-compat",
    );
    expect(oldGroup[0]!.message).toMatch(
      /is InferencePool inference\.networking\.x-k8s\.io\/v1, but this render installs no CustomResourceDefinition for InferencePool in group inference\.networking\.x-k8s\.io \(it installs InferencePool\.inference\.networking\.k8s\.io from a-app-inference-pool-crd\)/,
    );
    const oldVersion = only(
      broken((rs) => (em(get(rs, GW)).backendResources[0].version = "v1alpha2")),
      "eg-compat",
    );
    expect(oldVersion[0]!.message).toMatch(/serves v1$/);
  });
});

describe("usage-coverage and usage-targets", () => {
  it("a Release without a Usage", () => {
    const fs = only(
      broken((rs) =>
        rs.splice(
          rs.findIndex((r) => r.name === `${AI}-usage`),
          1,
        ),
      ),
      "usage-coverage",
    );
    expect(fs.map((f) => f.resource)).toEqual([AI]);
    expect(fs[0]!.message).toMatch(/no Usage has this Release \(helm\.m\.crossplane\.io\/v1beta1 a-app-ai-gateway-helm\) as spec\.by/);
  });

  it("a Usage whose of names a missing resource, or the right name with the wrong kind", () => {
    const missing = only(
      broken((rs) => ((get(rs, `${AI}-usage`).spec as any).of.resourceRef.name = "a-cluster")),
      "usage-targets",
    );
    expect(missing.map((f) => [f.resource, f.message])).toEqual([
      [`${AI}-usage`, 'spec.of is Cluster eks.aws.m.upbound.io/v1beta1 "a-cluster", which this render does not have'],
    ]);
    const wrongKind = only(
      broken((rs) => ((get(rs, `${AI}-usage`).spec as any).of.kind = "NodeGroup")),
      "usage-targets",
    );
    expect(wrongKind[0]!.message).toBe(
      'spec.of is NodeGroup eks.aws.m.upbound.io/v1beta1 "a", but "a" in this render is Cluster devopstoolkit.ai/v2 (composite), Cluster eks.aws.m.upbound.io/v1beta1 (ekscluster)',
    );
  });

  it("a Usage by a missing name also leaves its resource uncovered", () => {
    const fs = broken((rs) => ((get(rs, `${AI}-usage`).spec as any).by.resourceRef.name = "nope"));
    expect(fs.map((f) => f.rule).sort()).toEqual(["usage-coverage", "usage-targets"]);
  });
});

describe("package hygiene", () => {
  it("pkg-placeholders: CLUSTER_KIND in an embedded source, once for all compositions embedding it", () => {
    const src = 'items = [{\n    kind = "CLUSTER_KIND"\n    env = [{name = "POD_NAMESPACE"}]\n    caps = ["NET_ADMIN"]\n}]\n';
    const pkg = loadedPackage({ compositions: [composition("cluster-aws", src), composition("cluster-google", src)] });
    const fs = only(
      run(context([], pkg)).filter((f) => f.rule !== "case-render"),
      "pkg-placeholders",
    );
    expect(fs.map((f) => [f.resource, f.message])).toEqual([
      ["cluster-aws,cluster-google", "composition step apps embeds a source with placeholder CLUSTER_KIND at line 2:13 of the source"],
    ]);
  });

  it("findPlaceholders: enum values and env vars are fine, leftovers are not", () => {
    const src = [
      'taint = [{effect = "NO_SCHEDULE"}]  # NO_SCHEDULE is an API enum value',
      'env = [{name = "POD_NAMESPACE", value = "$(POD_NAME)"}, {name = "X", value = "FOO_BAR=1"}]',
      "MAX_NODES = 10",
      "n = MAX_NODES",
      'doc = """',
      "  SOME_TEXT in a block",
      '"""',
      "# kind = CLUSTER_KIND",
      'name = "CLUSTER_NAME-nodes"',
      'apiVersion = "GROUP_VERSION"',
      "size = NODE_SIZE",
      "note = 'REPLACE_ME'",
      'v = "{{ .Values.x }}"',
    ].join("\n");
    expect(findPlaceholders(src).map((p) => `${p.line}:${p.column} ${p.token}`)).toEqual([
      "8:10 CLUSTER_KIND",
      "9:9 CLUSTER_NAME",
      "10:15 GROUP_VERSION",
      "11:8 NODE_SIZE",
      "12:9 REPLACE_ME",
      "13:6 {{ .Values.x }}",
    ]);
  });

  it("pkg-duplicates: two composed resources that are the same object, duplicated composition names", () => {
    const rs = clone(envoyGatewayResources());
    rs.push({ name: "a-app-gateway-helm-2", object: clone(get(rs, GW)), ready: "True" });
    const fs = only(run(context([renderedCase("eg", rs)])), "pkg-duplicates");
    expect(fs.map((f) => f.message)).toEqual([
      "2 composed resources are the same object helm.m.crossplane.io/v1beta1 Release a-app-gateway-helm; they overwrite each other",
    ]);
    const pkg = loadedPackage({ compositions: [composition("cluster-aws"), composition("cluster-aws")] });
    expect(only(run(context([renderedCase("eg", envoyGatewayResources())], pkg)), "pkg-duplicates")[0]!.message).toBe(
      "2 Compositions are named cluster-aws (in compositions.yaml, compositions.yaml)",
    );
  });

  it("pkg-dependencies: provider-helm missing from dependsOn; an unknown group; a function not listed", () => {
    const noHelm = loadedPackage({ configuration: configuration(DEPENDS_ON.filter((d) => !d.provider?.endsWith("provider-helm"))) });
    const fs = only(run(context([renderedCase("eg", envoyGatewayResources())], noHelm)), "pkg-dependencies");
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toMatch(
      /^API group helm\.m\.crossplane\.io \(Release: 3 composed resources across cases\) needs provider provider-helm, but dependsOn lists provider-kubernetes, provider-aws-eks, function-kcl, function-auto-ready$/,
    );
    const rs = clone(envoyGatewayResources());
    rs.push({ name: "x", object: { apiVersion: "example.org/v1", kind: "Thing", metadata: { name: "x" } }, ready: "True" });
    const unknown = only(run(context([renderedCase("eg", rs)])), "pkg-dependencies");
    expect(unknown.map((f) => [f.severity, f.message])).toEqual([["warning", expect.stringContaining("no known provider serves API group example.org")]]);
    const noKcl = loadedPackage({ configuration: configuration(DEPENDS_ON.filter((d) => !d.function?.endsWith("function-kcl"))) });
    expect(only(run(context([renderedCase("eg", envoyGatewayResources())], noKcl)), "pkg-dependencies")[0]!.message).toMatch(
      /calls function crossplane-contrib-function-kcl, which is not a function in dependsOn/,
    );
  });

  it("pkg-chart-versions: an unpinned chart and a version that is not semver", () => {
    const rs = clone(envoyGatewayResources());
    const extra = release("a-app-traefik", "traefik", undefined, "traefik", undefined, "https://helm.traefik.io/traefik");
    const latest = release("a-app-dapr", "dapr", "latest", "dapr-system", undefined, "https://dapr.github.io/helm-charts/");
    for (const o of [extra, latest])
      rs.push(
        { name: o.metadata!.name!, object: o, ready: "True" },
        { name: `${o.metadata!.name}-usage`, object: usage(`${o.metadata!.name}-usage`, ref(get(rs, "ekscluster")), ref(o)), ready: "True" },
      );
    const fs = only(run(context([renderedCase("eg", rs)])), "pkg-chart-versions");
    expect(fs.map((f) => [f.resource, f.message])).toEqual([
      ["a-app-traefik", "chart traefik has no version, so provider-helm installs whatever is newest"],
      ["a-app-dapr", 'chart dapr version "latest" is not a semantic version'],
    ]);
  });

  it("pkg-secrets: a bcrypt hash and a private key, with file and line", () => {
    const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const salt = [...randomBytes(53)].map((b) => alphabet[b % 64]).join("");
    const text = ["kind: Composition", `  password: "$2a$10$${salt}"`, "  key: |", "    -----BEGIN OPENSSH PRIVATE KEY-----"].join("\n");
    const fs = only(run(context([renderedCase("eg", envoyGatewayResources())], loadedPackage(), { "compositions.yaml": text })), "pkg-secrets");
    expect(fs.map((f) => [f.file, f.line, f.message])).toEqual([
      ["/pkg/compositions.yaml", 2, "bcrypt password hash literal ($2a$10$…) in the package"],
      ["/pkg/compositions.yaml", 4, "private key literal (-----BE…) in the package"],
    ]);
  });

  it("pkg-contents and case-render: no Configuration, a composition without XRD, a case that failed, no cases", () => {
    const pkg = loadedPackage({ configuration: null });
    const fs = run(context([{ case: "broken", file: "/cases/broken.yaml", error: "/cases/broken.yaml: step apps: KCL error" }], pkg));
    expect(fs.map((f) => [f.rule, f.message])).toEqual([
      ["pkg-contents", expect.stringMatching(/^\/pkg has no meta\.pkg\.crossplane\.io Configuration/)],
      ["case-render", "the case does not render: /cases/broken.yaml: step apps: KCL error"],
    ]);
    expect(run(context([])).map((f) => [f.rule, f.message])).toEqual([["case-render", "no cases in /cases, so no rendered resource was checked"]]);
  });
});

describe("runner and format", () => {
  it("a rule that throws becomes an error finding and the other rules still run", () => {
    const boom: Rule = {
      id: "boom-rule",
      description: "throws",
      severity: "warning",
      check: () => {
        throw new Error("bad shape");
      },
    };
    const fs = run(context([renderedCase("eg", envoyGatewayResources())]), [boom, ...RULES]);
    expect(fs.map((f) => [f.rule, f.severity, f.message])).toEqual([["boom-rule", "warning", "the rule stopped on unexpected input: bad shape"]]);
  });

  it("prints RULE-ID case resource: message (hint)", () => {
    expect(formatFinding({ rule: "eg-config", severity: "error", case: "eg", resource: GW, message: "m", hint: "h" })).toBe(`eg-config eg ${GW}: m (h)`);
    expect(formatFinding({ rule: "pkg-secrets", severity: "warning", file: "package/x.yaml", line: 3, message: "m" })).toBe(
      "pkg-secrets package/x.yaml:3 -: warning: m",
    );
  });

  it("K8S Objects are recognised by apiVersion and kind, not by name", () => {
    const rs = clone(envoyGatewayResources());
    const crd = get(rs, "a-app-inference-pool-crd");
    crd.metadata!.name = "something-else";
    (get(rs, "a-app-inference-pool-crd-usage").spec as any).by.resourceRef.name = "something-else";
    expect(crd.apiVersion).toBe(K8S);
    expect(run(context([renderedCase("eg", rs)]))).toEqual([]);
  });
});

describe("crd-protected-group", () => {
  const CRD = "a-app-inference-pool-crd";
  const manifest = (rs: ComposedResource[]) => (get(rs, CRD).spec as any).forProvider.manifest;

  it("a CRD in inference.networking.k8s.io without the annotation: the API server's Required error verbatim", () => {
    const fs = only(
      broken((rs) => delete manifest(rs).metadata.annotations),
      "crd-protected-group",
    );
    expect(fs.map((f) => f.resource)).toEqual([CRD]);
    expect(fs[0]!.message).toBe(
      'the API server refuses this CRD: CustomResourceDefinition.apiextensions.k8s.io "inferencepools.inference.networking.k8s.io" is invalid: metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    );
  });

  it("an annotation that is neither a URL nor 'unapproved…': the Invalid error", () => {
    const fs = only(
      broken((rs) => (manifest(rs).metadata.annotations["api-approved.kubernetes.io"] = "yes please")),
      "crd-protected-group",
    );
    expect(fs[0]!.message).toContain(
      'metadata.annotations[api-approved.kubernetes.io]: Invalid value: "yes please": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved"',
    );
  });

  it("follows IsProtectedCommunityGroup: k8s.io, kubernetes.io and their subdomains; not x-k8s.io or look-alikes", () => {
    for (const group of ["k8s.io", "inference.networking.k8s.io", "kubernetes.io", "storage.kubernetes.io"]) {
      const fs = broken((rs) => {
        const m = manifest(rs);
        m.spec.group = group;
        delete m.metadata.annotations;
      });
      // (eg-compat also fires: the InferencePool is no longer in the group Envoy Gateway expects.)
      expect(
        fs.filter((f) => f.rule === "crd-protected-group").map((f) => f.resource),
        group,
      ).toEqual([CRD]);
    }
    for (const group of ["inference.networking.x-k8s.io", "x-k8s.io", "k8s.io.example.com", "notk8s.io", "example.com"]) {
      const fs = broken((rs) => {
        const m = manifest(rs);
        m.spec.group = group;
        delete m.metadata.annotations;
      });
      expect(
        fs.filter((f) => f.rule === "crd-protected-group"),
        group,
      ).toEqual([]);
    }
  });

  it("accepts a URL with scheme and host, or a reason starting with 'unapproved'; not a bare path or an empty value", () => {
    const verdict = (value: string) =>
      broken((rs) => (manifest(rs).metadata.annotations["api-approved.kubernetes.io"] = value)).filter((f) => f.rule === "crd-protected-group").length;
    expect(verdict("https://github.com/kubernetes/enhancements/pull/1111")).toBe(0);
    expect(verdict("unapproved, experimental-only")).toBe(0);
    expect(verdict("/kubernetes/enhancements/pull/1111")).toBe(1);
    expect(verdict("https://")).toBe(1);
    expect(verdict("")).toBe(1);
  });
});
