/**
 * `npm run bump` end to end on temp checkouts: versions from a real token-auth OCI registry and a
 * Helm repository on 127.0.0.1, sources redirected with CHART_SOURCE_OVERRIDES, apply steps run
 * by a stand-in runner (and once by the real pipeline), the command line run as `npm run bump` runs it.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { runBump, listCharts, type BumpOptions } from "../../scripts/lib/bump/index.js";
import { extractPins } from "../../scripts/lib/bump/kclfile.js";
import { lockPath } from "../../scripts/lib/bump/lock.js";
import { startOciHarness, type OciHarness } from "../../scripts/testkit/registry.js";
import { checkCompatibility } from "../../scripts/lib/compat.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { makeFullRoot, makeRoot, readApps, removeTemps, startHelmRepos, tree, unusedPort, type StaticServer, type StubStep } from "./helpers.js";

const execFileAsync = promisify(execFile);

const twins = (versions: string[]) => versions.flatMap((v) => [v, `v${v}`]);
const DEV = ["0.0.0-latest", "v0.0.0-latest", "0.0.0-4c1f9e2"];
const EG = ["1.6.0", "1.6.7", "1.7.0", "1.7.5", "1.8.0", "1.8.1", "1.8.3", "1.9.0", "1.10.0-rc.1"];
const EG_TAGS = [...twins(EG), "1.7.9", ...DEV];
const AI = ["0.4.0", "0.5.0", "0.6.0", "0.6.1", "0.7.0", "1.0.0", "1.1.0"];
const AI_TAGS = [...twins(AI), ...DEV];
const KEDA = ["2.18.0", "2.19.0", "2.19.1", "2.20.0-rc.1"];
const HOSTILE = ['9.9.9"\n_evil = "x', "10.0.0 # comment"];

let h: OciHarness;
let repo: StaticServer;
let env: Record<string, string>;

const pinValue = (text: string, variable: string) => extractPins(text).pins.find((p) => p.variable === variable)!.value;
/** The text with one declaration's literal replaced, computed independently of the splice code. */
const withPin = (text: string, variable: string, value: string) => {
  const re = new RegExp(`^(_${variable}\\s*=\\s*")[^"]*(")`, "m");
  expect(re.test(text)).toBe(true);
  return text.replace(re, `$1${value}$2`);
};
const okSteps = (): Record<string, StubStep> => ({ build: { write: { "package/compositions.yaml": "# stub build\n{{apps}}" } }, verify: {} });
const bump = (root: string, requests: BumpOptions["requests"], extra: Partial<BumpOptions> = {}) =>
  runBump({ root, env, requests, http: { timeoutMs: 2000, retries: 1, backoffMs: 10 }, ...extra });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error("expected the bump to fail"),
    (e: Error) => e,
  );

beforeAll(async () => {
  h = await startOciHarness({ maxPage: 5 });
  await h.pushTags("envoyproxy/gateway-helm", EG_TAGS);
  await h.pushTags("envoyproxy/ai-gateway-helm", AI_TAGS);
  await h.pushTags("envoyproxy/ai-gateway-crds-helm", AI_TAGS);
  repo = await startHelmRepos({ keda: { keda: KEDA, "keda-add-ons-http": ["0.12.2", "0.13.0"] }, cilium: { cilium: ["1.18.5", "1.19.0", "1.19.1"] } });
  const kedaIndex = join(repo.dir, "keda", "index.yaml");
  const index = parse(readFileSync(kedaIndex, "utf8")) as { entries: Record<string, Record<string, unknown>[]> };
  for (const version of HOSTILE) index.entries.keda!.push({ ...index.entries.keda![0]!, version });
  writeFileSync(kedaIndex, stringify(index));
  env = {
    CHART_SOURCE_OVERRIDES: `oci://docker.io/=oci://${h.host}/,https://kedacore.github.io/charts=${repo.url}/keda,https://helm.cilium.io=${repo.url}/cilium`,
  };
});

afterAll(async () => {
  await h?.stop();
  await repo?.close();
  removeTemps();
});

describe("resolving and applying", () => {
  it("moves _aiGateway within a series: only the literal changes, then the steps run", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = readApps(root);
    const current = pinValue(before, "aiGateway");
    const want = semver.maxSatisfying(AI, "0.6.x")!;
    const out = await bump(root, [{ name: "ai-gateway", range: "0.6.x" }]);
    const after = withPin(before, "aiGateway", `v${want}`);
    expect(readApps(root)).toBe(after);
    expect(readFileSync(join(root, "package", "compositions.yaml"), "utf8")).toBe(`# stub build\n${after}`);
    expect(out.lines[0]).toBe(`aiGateway: ${current} -> v${want}  (newest matching 0.6.x)`);
    expect(out.lines[1]).toBe(
      `  ai-gateway-helm from oci://docker.io/envoyproxy/ai-gateway-helm (read from oci://${h.host}/envoyproxy/ai-gateway-helm, CHART_SOURCE_OVERRIDES)`,
    );
    expect(out.lines[2]).toContain("ai-gateway-crds-helm from oci://docker.io/envoyproxy/ai-gateway-crds-helm");
    expect(out.lines.join("\n")).toMatch(/steps: build ok \([\d.]+ s\), check --update skipped \(scripts\/check\.ts does not exist yet\), verify ok/);
    expect(out.lines.at(-1)).toBe("files changed: kcl/apps.k, package/compositions.yaml");
    expect(out.resolved.every((r) => (r.pages ?? 0) > 1)).toBe(true);
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("knows a chart by alias, variable (with or without _) and chart name", async () => {
    const root = makeRoot();
    for (const name of ["ai-gateway", "aiGateway", "_aiGateway", "ai-gateway-crds-helm", "ai-gateway-helm"]) {
      const out = await bump(root, [{ name, range: "0.6.x" }], { dryRun: true });
      expect(out.plan.changes.map((c) => c.pin.variable)).toEqual(["aiGateway"]);
    }
  });

  it("--dry-run prints the plan and writes nothing", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = tree(root);
    const out = await bump(root, [{ name: "keda", range: "^2.19" }], { dryRun: true });
    expect(out.lines.at(-1)).toBe(
      "dry run: nothing written; a bump would write kcl/apps.k, then run build, check --update (skipped: scripts/check.ts does not exist yet), verify",
    );
    expect(tree(root)).toEqual(before);
    expect(existsSync(join(root, ".cache"))).toBe(false);
  });

  it("takes the newest release from a Helm index, keeps the plain style, never writes a hostile registry string", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = readApps(root);
    const out = await bump(root, [{ name: "keda", range: "*" }]);
    const want = semver.maxSatisfying(KEDA, "*")!;
    expect(readApps(root)).toBe(withPin(before, "keda", want));
    expect(readApps(root)).not.toContain("evil");
    expect(out.plan.changes[0]!.resolved[0]!.location).toBe(`${repo.url}/keda/index.yaml`);
  });

  it("keeps the v style of an OCI pin, and says so when the registry only has the other form", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = readApps(root);
    expect(pinValue(before, "envoyGateway").startsWith("v")).toBe(true);
    const patch = await bump(root, [{ name: "envoy-gateway", range: "~1.7.0" }], { dryRun: true });
    expect(patch.plan.changes[0]!.to).toBe("1.7.9");
    const out = await bump(root, [{ name: "envoy-gateway", range: "1.8.x" }]);
    expect(readApps(root)).toBe(withPin(before, "envoyGateway", `v${semver.maxSatisfying(EG, "1.8.x")}`));
    const plainOnly = await bump(root, [{ name: "envoy-gateway", range: "1.7.9" }], { dryRun: true, allowDowngrade: true });
    expect(plainOnly.lines.join("\n")).toContain("note: _envoyGateway: the registry has no v-prefixed tag for 1.7.9; writing 1.7.9 as listed");
    expect(out.lines[0]).toMatch(/^envoyGateway: v1\.7\.0 -> v1\.8\.3/);
  });

  it("lets prereleases in only with --pre or when the range names one", async () => {
    const root = makeRoot();
    const err = await failure(bump(root, [{ name: "envoy-gateway", range: "1.10.x" }], { dryRun: true }));
    expect(err.message).toContain("prereleases 1.10.0-rc.1 match with --pre");
    const pre = await bump(root, [{ name: "envoy-gateway", range: "1.10.x" }], { dryRun: true, pre: true });
    expect(pre.plan.changes[0]!.to).toBe("v1.10.0-rc.1");
    const named = await bump(root, [{ name: "envoy-gateway", range: "1.10.0-rc.1" }], { dryRun: true });
    expect(named.plan.changes[0]!.to).toBe("v1.10.0-rc.1");
  });

  it("moves back only with --allow-downgrade", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = tree(root);
    const err = await failure(bump(root, [{ name: "envoy-gateway", range: "1.6.x" }]));
    expect(err.message).toMatch(
      /the newest version of gateway-helm matching 1\.6\.x is 1\.6\.7, older than the current pin v1\.7\.0 \(_envoyGateway\); pass --allow-downgrade/,
    );
    expect(tree(root)).toEqual(before);
    const out = await bump(root, [{ name: "envoy-gateway", range: "1.6.x" }], { allowDowngrade: true });
    expect(out.lines[0]).toContain("v1.7.0 -> v1.6.7 (downgrade)");
  });
});

describe("the compatibility gate", () => {
  it("refuses ai-gateway 0.x while Envoy Gateway is 1.7.0, and the command it suggests works", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = tree(root);
    const apps = readApps(root);
    const eg = pinValue(apps, "envoyGateway");
    const ai = semver.maxSatisfying(AI, "0.x")!;
    const verdict = checkCompatibility(ai, eg);
    expect(verdict.compatible).toBe(false);
    const err = await failure(bump(root, [{ name: "ai-gateway", range: "0.x" }]));
    expect(err.message).toContain(`AI Gateway v${ai} (_aiGateway, was ${pinValue(apps, "aiGateway")}) needs Envoy Gateway ${verdict.needsEnvoyGateway}`);
    expect(err.message).toContain(
      `Envoy Gateway ${eg} (_envoyGateway) does not satisfy it; Envoy Gateway ${verdict.envoyGateway} needs AI Gateway ${verdict.aiGatewayForEnvoyGateway.join(" or ")}`,
    );
    expect(err.message).toContain("correct data/compatibility.json");
    expect(tree(root)).toEqual(before);

    const command = /npm run bump -- (.+)$/m.exec(err.message)![1]!;
    const args = command.match(/'[^']*'|\S+/g)!.map((a) => a.replace(/^'|'$/g, ""));
    const requests = [];
    for (let i = 0; i < args.length; i += 2) requests.push({ name: args[i]!, range: args[i + 1]! });
    await bump(root, requests);
    const after = readApps(root);
    expect(pinValue(after, "aiGateway")).toBe(`v${ai}`);
    expect(pinValue(after, "envoyGateway")).toBe(`v${semver.maxSatisfying(EG, verdict.needsEnvoyGateway!)}`);
    expect(checkCompatibility(pinValue(after, "aiGateway"), pinValue(after, "envoyGateway")).compatible).toBe(true);
  });

  it("--force is refused: the pin could never pass verify's eg-compat", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = tree(root);
    const r = await execFileAsync(process.execPath, [join(ROOT, "scripts", "run.mjs"), "bump", "--root", root, "ai-gateway", "0.x", "--force"], {
      env: { ...process.env, ...env },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--force is gone: a pin outside data/compatibility.json fails verify's eg-compat");
    expect(tree(root)).toEqual(before);
  });
});

describe("bad input leaves everything as it was", () => {
  it("unknown chart: lists the known ones", async () => {
    const root = makeRoot();
    const err = await failure(bump(root, [{ name: "ai-gatewy", range: "0.x" }]));
    expect(err.message).toContain('unknown chart "ai-gatewy"');
    for (const p of extractPins(readApps(root)).pins) expect(err.message).toContain(p.variable);
  });

  it("banana is not a range", async () => {
    const err = await failure(bump(makeRoot(), [{ name: "ai-gateway", range: "banana" }]));
    expect(err.message).toMatch(/"banana" is not a version or an npm semver range\. Examples: 1\.8\.3, 0\.x/);
  });

  it("a range nothing matches shows the newest versions", async () => {
    const err = await failure(bump(makeRoot(), [{ name: "cilium", range: "^2" }]));
    expect(err.message).toContain(`no version of cilium from ${repo.url}/cilium/index.yaml matches '^2'; the newest available: 1.19.1, 1.19.0, 1.18.5`);
  });

  it("a tarball pin cannot be resolved", async () => {
    const err = await failure(bump(makeRoot(), [{ name: "openfunction", range: "*" }]));
    expect(err.message).toMatch(/kcl\/apps\.k:\d+: _openfunction pins a chart tarball URL .*Edit the URL by hand\./);
  });

  it("a missing marker names the line and the marker to add", async () => {
    const root = makeRoot({ apps: (t) => t.replace(/^# renovate: datasource=helm depName=keda registryUrl=\S+\n/m, "") });
    const line =
      readApps(root)
        .split("\n")
        .findIndex((l) => l.startsWith("_keda ")) + 1;
    const err = await failure(bump(root, [{ name: "keda", range: "*" }]));
    expect(err.message).toContain(`kcl/apps.k:${line}: _keda: it has no marker above it; add one of:`);
    expect(err.message).toContain("# renovate: datasource=helm depName=<chart> registryUrl=<https://chart-repo>");
  });

  it("a malformed marker stops every bump, naming its line", async () => {
    const root = makeRoot({
      apps: (t) => t.replace(/^# renovate: datasource=helm depName=keda registryUrl=\S+$/m, "# renovate: datasource=helm depName=keda"),
    });
    const line = readApps(root).split("\n").indexOf("# renovate: datasource=helm depName=keda") + 1;
    const before = tree(root);
    const err = await failure(bump(root, [{ name: "cilium", range: "*" }]));
    expect(err.message).toContain(`kcl/apps.k:${line}: a datasource=helm marker needs registryUrl=<https://chart-repo>`);
    expect(tree(root)).toEqual(before);
    expect(listCharts({ root, env }).problems).toBeGreaterThan(0);
  });

  it("a registry that is down: clear message, nothing written", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = tree(root);
    const port = await unusedPort();
    const err = await failure(
      runBump({
        root,
        env: { CHART_SOURCE_OVERRIDES: `oci://docker.io/=oci://127.0.0.1:${port}/` },
        requests: [{ name: "envoy-gateway", range: "1.8.x" }],
        http: { retries: 1, backoffMs: 5 },
      }),
    );
    expect(err.message).toMatch(new RegExp(`cannot get http://127\\.0\\.0\\.1:${port}/v2/envoyproxy/gateway-helm/tags/list: connection refused`));
    expect(tree(root)).toEqual(before);
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("a failing step puts kcl/apps.k, package/ and tests/golden/ back byte for byte", async () => {
    const root = makeRoot({
      steps: {
        build: { write: { "package/compositions.yaml": "{{apps}}", "package/new-file.yaml": "new: true\n" }, remove: ["package/README.md"] },
        check: { write: { "tests/golden/new-case/out.yaml": "{{apps}}" } },
        verify: { exit: 1, output: "verify: rule chart-compat failed: gateway-helm is too old\n" },
      },
    });
    writeFileSync(join(root, "package", "README.md"), "readme\n");
    const before = tree(root);
    const err = await failure(bump(root, [{ name: "keda", range: "^2.19" }]));
    expect(err.message).toContain("step `verify` failed (node scripts/run.mjs verify --strict, exit code 1)");
    expect(err.message).toContain("  | verify: rule chart-compat failed: gateway-helm is too old");
    expect(err.message).toContain("restored kcl/apps.k, package/ and tests/golden/ to what they were");
    expect(tree(root)).toEqual(before);
    expect(existsSync(join(root, "tests", "golden", "new-case"))).toBe(false);
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("refuses when kcl/apps.k is edited by someone else during the bump", async () => {
    const root = makeRoot({ steps: okSteps() });
    const appsPath = join(root, "kcl", "apps.k");
    const edited = readApps(root) + "# someone else's edit\n";
    repo.onRequest = () => writeFileSync(appsPath, edited);
    try {
      const packageBefore = tree(root, ["package"]);
      const err = await failure(bump(root, [{ name: "keda", range: "^2.19" }]));
      expect(err.message).toContain("kcl/apps.k was changed by someone else while bump was resolving versions; nothing was written");
      expect(readApps(root)).toBe(edited);
      expect(tree(root, ["package"])).toEqual(packageBefore);
    } finally {
      repo.onRequest = undefined;
    }
  });

  it("one bump at a time: a live lock refuses, a stale one is taken over", async () => {
    const root = makeRoot({ steps: okSteps() });
    const before = tree(root);
    mkdirSync(join(root, ".cache"), { recursive: true });
    writeFileSync(lockPath(root), `${process.pid}\n`);
    const err = await failure(bump(root, [{ name: "keda", range: "^2.19" }]));
    expect(err.message).toContain(`another bump is running (pid ${process.pid}`);
    expect(tree(root)).toEqual(before);
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((r) => dead.once("exit", r));
    writeFileSync(lockPath(root), `${dead.pid}\n`);
    await bump(root, [{ name: "keda", range: "^2.19" }]);
    expect(pinValue(readApps(root), "keda")).toBe(semver.maxSatisfying(KEDA, "^2.19"));
    expect(existsSync(lockPath(root))).toBe(false);
  });
});

describe("the command line (node scripts/run.mjs bump, as npm run bump runs it)", () => {
  const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
    execFileAsync(process.execPath, [join(ROOT, "scripts", "run.mjs"), "bump", ...args], {
      env: { ...process.env, ...env, ...extraEnv },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it("--list prints every chart with alias, variable, current pin and source", async () => {
    const root = makeRoot();
    const r = await cli(["--list", "--root", root]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^alias\s+variable\s+current\s+chart\s+source$/);
    for (const p of extractPins(readApps(root)).pins)
      expect(r.stdout).toMatch(new RegExp(`\\s${p.variable}\\s+${p.kind === "tarball" ? "\\(tarball\\)" : p.value.replace(/\./g, "\\.")}\\s`));
    expect(r.stdout).toContain(`oci://docker.io/envoyproxy/ai-gateway-crds-helm (read from oci://${h.host}/envoyproxy/ai-gateway-crds-helm)`);
  });

  it("exit codes: 2 for a bad command line, 1 for a refusal, 0 for a dry run", async () => {
    const root = makeRoot();
    const usage = await cli(["--root", root, "ai-gateway"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing the version or range for ai-gateway");
    const refused = await cli(["--root", root, "ai-gateway", "0.x"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refusing a pin that breaks the AI Gateway <-> Envoy Gateway compatibility table");
    const dry = await cli(["--root", root, "--dry-run", "keda", "^2.19"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run: nothing written");
  });

  it("Ctrl-C during a step stops it and restores every file", async () => {
    const ready = join(makeRoot(), "ready");
    const root = makeRoot({
      steps: {
        build: { write: { "package/compositions.yaml": "half-built\n", "tests/golden/partial.yaml": "x\n" }, readyFile: ready, sleepMs: 60_000 },
        verify: {},
      },
    });
    const before = tree(root);
    const child = spawn(process.execPath, [join(ROOT, "scripts", "run.mjs"), "bump", "--root", root, "keda", "^2.19"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!existsSync(ready) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(ready)).toBe(true);
    expect(readApps(root)).not.toBe(Buffer.from(before["kcl/apps.k"]!, "base64").toString());
    child.kill("SIGINT");
    const code = await exited;
    expect(stderr).toContain("interrupted during step `build`");
    expect(code).toBe(130);
    expect(tree(root)).toEqual(before);
    expect(existsSync(lockPath(root))).toBe(false);
    const stepPid = Number(readFileSync(ready, "utf8"));
    expect(() => process.kill(stepPid, 0)).toThrow();
  });
});

describe("with the real pipeline", () => {
  it("writes the pin, regenerates package/ and the goldens, and verify passes on the result", async () => {
    const root = makeFullRoot();
    const run = (args: string[]) =>
      execFileAsync(process.execPath, [join(root, "scripts", "run.mjs"), ...args], { cwd: root, timeout: 120_000 }).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
    const before = tree(root);
    const apps = readApps(root);
    const want = `v${semver.maxSatisfying(AI, "0.6.x")}`;
    expect(pinValue(apps, "aiGateway")).not.toBe(want);
    const out = await bump(root, [{ name: "ai-gateway", range: "0.6.x" }]);
    expect(readApps(root)).toBe(withPin(apps, "aiGateway", want));
    expect(out.lines.join("\n")).toMatch(/steps: build ok \([\d.]+ s\), check --update ok \([\d.]+ s\), verify ok/);
    // The embedded apps source carries the new pin, and every golden that renders the AI Gateway changed with it.
    const changed = out.applied!.changedFiles;
    expect(changed).toEqual(expect.arrayContaining(["kcl/apps.k", "package/compositions.yaml", "package/README.md"]));
    expect(readFileSync(join(root, "package", "compositions.yaml"), "utf8")).toContain(`_aiGateway = "${want}"`);
    const goldensWithAi = Object.keys(before).filter(
      (f) => f.startsWith("tests/golden/") && Buffer.from(before[f]!, "base64").toString().includes("ai-gateway-helm"),
    );
    expect(goldensWithAi.length).toBeGreaterThan(0);
    for (const g of goldensWithAi) {
      expect(changed).toContain(g);
      // The Release carries the chart version as dot-kubernetes writes OCI charts: without the "v"
      // (quoted: it starts with a digit).
      expect(readFileSync(join(root, g), "utf8")).toContain(`version: "${want.replace(/^v/, "")}"`);
    }
    expect(await run(["build", "--check"])).toBe(0);
    expect(await run(["check"])).toBe(0);
  });
});
