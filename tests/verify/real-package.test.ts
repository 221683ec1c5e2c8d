/**
 * verify on the real package: clean as committed, and for every rule a temporary copy of kcl/,
 * package/ and tests/cases/ broken the way the rule exists for, regenerated with the real build
 * and rendered with the real KCL engine, fires exactly that rule.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePackage, writeGenerated } from "../../scripts/lib/build.js";
import { UserError } from "../../scripts/lib/errors.js";
import { createEngine, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { verify, type Finding } from "../../scripts/lib/verify/index.js";
import { copyRepo, type RepoCopy } from "../helpers/repo.js";

const CASES_DIR = join(ROOT, "tests", "cases");
const COPIED = ["kcl", "package", "tests/cases"] as const;

let engine: KclEngine;
const temps: string[] = [];
beforeAll(async () => {
  engine = await createEngine({ workers: 2 });
});
afterAll(async () => {
  await engine.close();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

type Workspace = RepoCopy;

/** A checkout of kcl/, package/ and tests/cases (tests/helpers/repo.ts). */
function workspace(): Workspace {
  const w = copyRepo({ only: COPIED, prefix: "verify-" });
  temps.push(w.root);
  return w;
}

/** Removes the observed resources whose composition resource name matches from every case's observed state. */
function dropObserved(w: Workspace, crn: RegExp): void {
  const dir = join(w.root, "tests", "cases");
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".observed.yaml"))) {
    const docs = parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS() as { metadata?: { annotations?: Record<string, string> } });
    const kept = docs.filter((d) => !crn.test(d.metadata?.annotations?.["crossplane.io/composition-resource-name"] ?? ""));
    if (kept.length !== docs.length) writeFileSync(join(dir, f), kept.map((d) => stringify(d)).join("---\n"));
  }
}

/** Breaks a copy of the sources, regenerates its package with the real build and verifies it. */
async function verifyBroken(edit: (w: Workspace) => void): Promise<{ findings: Finding[]; root: string }> {
  const w = workspace();
  edit(w);
  writeGenerated(await generatePackage(engine, w.root), w.root);
  const report = await verify(engine, { packageDir: join(w.root, "package"), casesDir: join(w.root, "tests", "cases"), displayRoot: w.root });
  return { findings: report.findings, root: w.root };
}

/** Asserts that exactly `rule` fires (at least once) and returns its findings. */
function only(findings: Finding[], rule: string): Finding[] {
  expect(findings.map((f) => `${f.rule} ${f.case ?? f.file} ${f.resource}: ${f.message}`).filter((f) => !f.startsWith(rule + " "))).toEqual([]);
  expect(findings.length).toBeGreaterThan(0);
  return findings;
}

/** Cases whose XR enables Envoy Gateway, read from the case files themselves. */
const envoyGatewayCases = readdirSync(CASES_DIR)
  .filter((f) => f.endsWith(".yaml") && !f.endsWith(".observed.yaml") && /envoyGateway:\s*\n\s*enabled: true/.test(readFileSync(join(CASES_DIR, f), "utf8")))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();

const APPS = "kcl/apps.k";

describe("the real package", () => {
  it("passes every rule; verify writes nothing", async () => {
    const hash = () =>
      createHash("sha256")
        .update(
          readdirSync(PACKAGE_DIR)
            .map((f) => readFileSync(join(PACKAGE_DIR, f)))
            .join("\0"),
        )
        .digest("hex");
    const before = hash();
    const report = await verify(engine, { packageDir: PACKAGE_DIR, casesDir: CASES_DIR });
    expect(report.findings).toEqual([]);
    expect(report.cases.length).toBeGreaterThan(0);
    expect(envoyGatewayCases.length).toBeGreaterThan(0);
    expect(hash()).toBe(before);
  });
});

describe("each rule fires on the break it exists for", () => {
  it("eg-config: hooks dropped reproduces Envoy Gateway's crash message", async () => {
    const { findings } = await verifyBroken((w) =>
      w.replace(APPS, /\n\s*hooks\.xdsTranslator = \{\n\s*translation = \{[^}\n]*\}\n\s*post = \[[^\]\n]*\]\n\s*\}/, ""),
    );
    const fs = only(findings, "eg-config");
    expect(fs.map((f) => f.case).sort()).toEqual(envoyGatewayCases);
    for (const f of fs) expect(f.message).toContain("registered extension has no hooks specified");
  });

  it("eg-config: an empty post list", async () => {
    const { findings } = await verifyBroken((w) => w.replace(APPS, /\bpost = \["Translation"[^\]\n]*\]/, "post = []"));
    for (const f of only(findings, "eg-config")) expect(f.message).toContain("registered extension has no hooks specified");
  });

  it("eg-config: an ip next to fqdn", async () => {
    const { findings } = await verifyBroken((w) =>
      w.replace(APPS, /\n(\s*)service\.fqdn = \{/, '\n$1service.ip = {address = "10.96.0.10", port = 1063}\n$1service.fqdn = {'),
    );
    for (const f of only(findings, "eg-config")) expect(f.message).toContain("only one backend target can be configured for the extension manager");
  });

  it("crd-protected-group: the InferencePool CRD without its approval annotation is refused as the API server refuses it", async () => {
    const { findings } = await verifyBroken((w) => w.replace(APPS, /\n\s*"api-approved\.kubernetes\.io" = "[^"]*"/, ""));
    const fs = only(findings, "crd-protected-group");
    expect(fs.map((f) => f.case).sort()).toEqual(envoyGatewayCases);
    // Only the k8s.io group is protected; the x-k8s.io InferenceObjective CRD passes without it.
    for (const f of fs) {
      expect(f.resource).toMatch(/-app-inference-crd-inferencepools$/);
      expect(f.message).toContain(
        '"inferencepools.inference.networking.k8s.io" is invalid: metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation',
      );
    }
  });

  it("eg-extension-server: the controller Release moved to another namespace", async () => {
    const { findings } = await verifyBroken((w) =>
      w.replace(APPS, '_release("aiGateway", _aiGatewayValues)', '_releaseWith("aiGateway", _aiGatewayValues, {namespace = "ai-gateway-moved"})'),
    );
    const fs = only(findings, "eg-extension-server");
    expect(fs.map((f) => f.case).sort()).toEqual(envoyGatewayCases);
    for (const f of fs)
      expect(f.message).toMatch(
        /hostname ai-gateway-controller\.envoy-ai-gateway-system\.svc\.cluster\.local names Service ai-gateway-controller in namespace envoy-ai-gateway-system, which nothing in this render installs; this render installs ai-gateway-controller\.ai-gateway-moved port 1063/,
      );
  });

  it("eg-bundle: the AI Gateway CRD chart left out of the bundle", async () => {
    const { findings } = await verifyBroken((w) => {
      w.replace(APPS, /\n\s*_release\("aiGatewayCrds", \{\}\)/, "");
      // The observed-ready cases observed the chart live; a render that no longer composes it
      // would have Crossplane delete it, so it leaves their observed state too.
      dropObserved(w, /-app-ai-gateway-crds-helm(-usage)?$/);
    });
    const fs = only(findings, "eg-bundle");
    expect(fs.map((f) => f.case).sort()).toEqual(envoyGatewayCases);
    for (const f of fs) expect(f.message).toBe("spec.parameters.apps.envoyGateway.enabled is true but no ai-gateway-crds-helm Release is rendered");
  });

  it("eg-compat: AI Gateway 0.7.0 with Envoy Gateway 1.7.0", async () => {
    const { findings } = await verifyBroken((w) => {
      w.replace(APPS, /^_aiGateway = "[^"]*"/m, '_aiGateway = "v0.7.0"');
      if (!/^_envoyGateway = "v1\.7\.0"$/m.test(readFileSync(join(w.root, APPS), "utf8")))
        w.replace(APPS, /^_envoyGateway = "[^"]*"/m, '_envoyGateway = "v1.7.0"');
    });
    const fs = only(findings, "eg-compat");
    expect(fs.map((f) => f.case).sort()).toEqual(envoyGatewayCases);
    for (const f of fs) expect(f.message).toMatch(/^AI Gateway 0\.7\.0 needs Envoy Gateway >=1\.8\.0, but Envoy Gateway is 1\.7\.0/);
  });

  it("usage-coverage: one Usage removed", async () => {
    const { findings } = await verifyBroken((w) =>
      w.replace(
        APPS,
        "[_usage(r) for r in _appResources]",
        '[_usage(r) for r in _appResources if r.kind != "Release" or r.spec.forProvider.chart.name != "traefik"]',
      ),
    );
    const fs = only(findings, "usage-coverage");
    const traefikCases = readdirSync(CASES_DIR)
      .filter((f) => /traefik:\s*\n\s*enabled: true/.test(readFileSync(join(CASES_DIR, f), "utf8")))
      .map((f) => f.slice(0, -5))
      .sort();
    expect(fs.map((f) => f.case).sort()).toEqual(traefikCases);
    for (const f of fs) expect(f.message).toMatch(/^no Usage has this Release \(helm\.m\.crossplane\.io\/v1beta1 \S+-traefik\) as spec\.by/);
  });

  it("usage-targets: Usages pointing at a name that does not exist", async () => {
    const { findings } = await verifyBroken((w) =>
      w.replace(APPS, "resourceRef.name = _clusterMR.metadata.name}", 'resourceRef.name = _clusterMR.metadata.name + "-gone"}'),
    );
    const fs = only(findings, "usage-targets");
    for (const f of fs) expect(f.message).toMatch(/^spec\.of is \w+ \S+ "\S+-gone", which this render does not have$/);
  });

  it("pkg-placeholders: CLUSTER_KIND left in a source", async () => {
    const { findings, root } = await verifyBroken((w) => w.replace(APPS, /\n_envoyProxy = /, '\n_clusterKind = "CLUSTER_KIND"\n_envoyProxy = '));
    const fs = only(findings, "pkg-placeholders");
    expect(fs).toHaveLength(1);
    expect(fs[0]!.resource).toBe("cluster-aws,cluster-google,cluster-azure");
    expect(fs[0]!.message).toMatch(/^composition step apps embeds a source with placeholder CLUSTER_KIND at line \d+:\d+ of the source$/);
    // The finding points at the line of the generated package file that holds the token.
    expect(fs[0]!.file).toBe("package/compositions.yaml");
    const lines = readFileSync(join(root, "package", "compositions.yaml"), "utf8").split("\n");
    expect(lines[fs[0]!.line! - 1]).toContain('_clusterKind = "CLUSTER_KIND"');
  });

  it("pkg-dependencies: provider-helm removed from dependsOn", async () => {
    const { findings } = await verifyBroken((w) => w.replace("kcl/crossplane.k", /\n\s*_provider\([^\n]*"[^"\n]*provider-helm", "[^"]*"\)/, ""));
    const fs = only(findings, "pkg-dependencies");
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toMatch(
      /^API group helm\.m\.crossplane\.io \((\w+, )*Release(, \w+)*: \d+ composed resources across cases\) needs provider provider-helm, but dependsOn lists /,
    );
    expect(fs[0]!.message.split("dependsOn lists ")[1]).toContain("provider-kubernetes");
    expect(fs[0]!.message.split("dependsOn lists ")[1]).not.toContain("provider-helm");
  });

  it("pkg-secrets: a bcrypt hash in a source", async () => {
    const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const hash = "$2a$10$" + [...randomBytes(53)].map((b) => alphabet[b % 64]).join("");
    const { findings } = await verifyBroken((w) => w.replace(APPS, /\n_envoyProxy = /, `\n_adminPassword = "${hash}"\n_envoyProxy = `));
    const fs = only(findings, "pkg-secrets");
    expect(fs.map((f) => f.file)).toEqual(["package/compositions.yaml", "package/compositions.yaml", "package/compositions.yaml"]);
    for (const f of fs) expect(f.message).toBe("bcrypt password hash literal ($2a$10$…) in the package");
  });
});

describe("bad input", () => {
  it("gateway-helm values that are not a map: a finding, not a crash", async () => {
    const { findings } = await verifyBroken((w) =>
      w.replace(APPS, '_release("envoyGateway", _gatewayValues)', '_releaseWith("envoyGateway", {}, {values = "config: {envoyGateway: {}}"})'),
    );
    const fs = findings.filter((f) => f.rule === "eg-config");
    expect(fs.map((f) => f.case).sort()).toEqual(envoyGatewayCases);
    for (const f of fs) expect(f.message).toMatch(/^spec\.forProvider\.values must be a map of chart values, got the string "config: \{envoyGateway: \{\}\}"$/);
  });

  it("a case that fails to render: a finding naming the case file; the other cases are still checked", async () => {
    const w = workspace();
    const xr = readFileSync(join(CASES_DIR, `${envoyGatewayCases[0]}.yaml`), "utf8").replace(/nodeSize: \w+/, "nodeSize: enormous");
    writeFileSync(join(w.root, "tests", "cases", "zz-broken.yaml"), xr.replace(/^(\s*name:) \S+/m, "$1 zz-broken"));
    const report = await verify(engine, { packageDir: join(w.root, "package"), casesDir: join(w.root, "tests", "cases"), displayRoot: w.root });
    expect(report.findings.map((f) => [f.rule, f.case, f.file])).toEqual([["case-render", "zz-broken", "tests/cases/zz-broken.yaml"]]);
    expect(report.findings[0]!.message).toMatch(/^the case does not render: .*zz-broken\.yaml.*enormous/s);
    expect(report.cases.length).toBe(readdirSync(CASES_DIR).filter((f) => f.endsWith(".yaml") && !f.endsWith(".observed.yaml")).length + 1);
  });

  it("a package directory without compositions: a clear error naming the directory", async () => {
    const w = workspace();
    rmSync(join(w.root, "package", "compositions.yaml"));
    const dir = join(w.root, "package");
    const err = await verify(engine, { packageDir: dir, casesDir: join(w.root, "tests", "cases") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain("no Composition");
    expect((err as Error).message).toContain(dir);
  });
});

describe("npm run verify", () => {
  const run = (args: string[]) => execa(process.execPath, [join(ROOT, "scripts", "run.mjs"), "verify", ...args], { cwd: ROOT, reject: false });
  const mtimes = (dir: string) =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .map((f) => `${f}:${statSync(join(dir, f)).mtimeMs}`)
      .sort();

  it("is clean on our package, also as JSON", async () => {
    const r = await run(["--json"]);
    expect(r.stderr).toMatch(/verify: \d+ cases, \d+ rules: 0 errors, 0 warnings/);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as { findings: unknown[]; cases: string[]; summary: { errors: number } };
    expect(report.findings).toEqual([]);
    expect(report.summary.errors).toBe(0);
    expect(report.cases).toEqual(expect.arrayContaining(envoyGatewayCases));
  });

  it("prints RULE-ID case resource: message (hint) and exits 1 on a broken package, writing nothing", async () => {
    const { root } = await verifyBroken((w) => w.replace(APPS, /\bpost = \["Translation"[^\]\n]*\]/, "post = []"));
    const before = mtimes(root);
    const r = await run(["--package", join(root, "package"), "--cases", join(root, "tests", "cases")]);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(envoyGatewayCases.length);
    for (const l of lines)
      expect(l).toMatch(
        /^eg-config \S+ \S+: Envoy Gateway \S+ exits at start-up with: registered extension has no hooks specified; caused by values\.config\.envoyGateway\.extensionManager\S* \(Envoy Gateway's own validation .+\)$/,
      );
    expect(r.stderr).toMatch(new RegExp(`verify: \\d+ cases, \\d+ rules: ${envoyGatewayCases.length} errors, 0 warnings`));
    expect(mtimes(root)).toEqual(before);
  });

  it("rejects an unknown flag with the usage and exit code 2; a missing cases directory is a clear error", async () => {
    const bad = await run(["--frobnicate"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/usage: npm run verify/);
    const missing = await run(["--cases", "no/such/dir"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^error: no\/such\/dir: no such cases directory/m);
  });

  it("with --json prints a JSON object with the error when nothing could be verified", async () => {
    const empty = mkdtempSync(join(tmpdir(), "verify-empty-"));
    const broken = mkdtempSync(join(tmpdir(), "verify-broken-"));
    writeFileSync(join(broken, "crossplane.yaml"), "a: [\n");
    try {
      const probes: [string[], RegExp, number][] = [
        [["--package", "/nonexistent"], /\/nonexistent: no such package directory/, 1],
        [["--package", empty], /the package has no Composition/, 1],
        [["--package", broken], /crossplane\.yaml:2:1: not valid YAML/, 1],
        [["--cases", "/nonexistent"], /\/nonexistent: no such cases directory/, 1],
        [["--frobnicate"], /Unknown option '--frobnicate'/, 2],
      ];
      for (const [args, message, exitCode] of probes) {
        const r = await run([...args, "--json"]);
        expect(r.exitCode, args.join(" ")).toBe(exitCode);
        const out = JSON.parse(r.stdout) as { error: { message: string; exitCode: number; internal: boolean } };
        expect(out.error.message).toMatch(message);
        expect(out.error).toMatchObject({ exitCode, internal: false });
        expect(r.stderr).toMatch(/^error: /);
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
