/**
 * `npm run bump -- --all` on temp checkouts: Envoy Gateway and AI Gateway charts from the real
 * token-auth OCI registry the bump tests start, the Helm charts from index.yaml files served on
 * 127.0.0.1, one registry down (a port nothing listens on). Apply steps run by the stand-in runner
 * of helpers.ts (the real pipeline is covered by bump.test.ts's real-pipeline test).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBumpAll, type BumpAllOptions } from "../../scripts/lib/bump/all.js";
import { extractPins } from "../../scripts/lib/bump/kclfile.js";
import { lockPath } from "../../scripts/lib/bump/lock.js";
import { startHelmRepos, type HelmRepoServer } from "../../scripts/testkit/helm-repo.js";
import { startOciHarness, type OciHarness } from "../../scripts/testkit/registry.js";
import { checkCompatibility } from "../../scripts/lib/compat.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { makeFullRoot, makeRoot, readApps, removeTemps, tree, unusedPort, type StubStep } from "./helpers.js";

const execFileAsync = promisify(execFile);

const twins = (versions: string[]) => versions.flatMap((v) => [v, `v${v}`]);
const DEV = ["0.0.0-latest", "v0.0.0-latest", "0.0.0-4c1f9e2"];
const EG = ["1.6.0", "1.7.0", "1.7.5", "1.8.0", "1.8.3", "1.9.0", "1.10.0-rc.1"];
const AI = ["0.4.0", "0.5.0", "0.6.0", "0.6.1", "0.7.0", "1.0.0", "1.1.0"];
/** Helm charts by chart name: the versions their index lists. */
const HELM: Record<string, string[]> = {
  cilium: ["1.18.5", "1.19.0", "1.19.1", "2.0.0"],
  crossplane: ["2.1.4", "2.1.6", "2.2.0"],
  "argo-cd": ["9.4.1", "9.5.0", "10.0.0"],
  dapr: ["1.16.8", "1.16.9", "1.17.0-rc.1"],
  traefik: ["38.0.0", "39.0.0", "39.0.2"],
  keda: ["2.18.0", "2.19.0", "2.19.1", "2.20.0-rc.1"],
  "keda-add-ons-http": ["0.12.2", "0.13.0"],
  "kube-prometheus-stack": ["82.2.1", "83.0.0"],
  "external-secrets": ["2.0.0", "2.0.1"],
  "gpu-operator": ["v25.10.1", "v25.10.2", "v26.1.0"],
};
const STEP_NAMES = ["build", "check --update", "verify", "lint --fix --e2e"];

let h: OciHarness;
let helmRepos: HelmRepoServer;
let overrides: string[];

const pinValue = (text: string, variable: string) => extractPins(text).pins.find((p) => p.variable === variable)!.value;
/** The text with literals replaced, computed independently of the splice code. */
const withPins = (text: string, values: Record<string, string>) => {
  let out = text;
  for (const [variable, value] of Object.entries(values)) {
    const re = new RegExp(`^(_${variable}\\s*=\\s*")[^"]*(")`, "m");
    expect(re.test(out)).toBe(true);
    out = out.replace(re, `$1${value}$2`);
  }
  return out;
};
/** The newest stable version in `versions` that the same major as `current` allows. */
const newestSameMajor = (versions: string[], current: string) => {
  const plain = current.replace(/^v/, "");
  return semver.maxSatisfying(
    versions.map((v) => v.replace(/^v/, "")),
    `>=${plain} <${semver.major(plain) + 1}.0.0`,
  )!;
};
const okSteps = (): Record<string, StubStep> => ({
  build: { write: { "package/compositions.yaml": "# stub build\n{{apps}}" } },
  check: { write: { "tests/golden/aws.yaml": "# stub golden\n{{apps}}" } },
  verify: {},
  lint: { write: { "tests/e2e/aws/composed.yaml": "# stub e2e\n{{apps}}" } },
});
// The extra overrides come first: for the same FROM the first one wins.
const envWith = (...extra: string[]) => ({ CHART_SOURCE_OVERRIDES: [...extra, ...overrides].join(",") });
const bumpAll = (root: string, extra: Partial<BumpAllOptions> = {}) =>
  runBumpAll({ root, env: envWith(), http: { timeoutMs: 2000, retries: 1, backoffMs: 10 }, ...extra });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error("expected the bump to fail"),
    (e: Error) => e,
  );

beforeAll(async () => {
  h = await startOciHarness({ maxPage: 4 });
  await h.pushTags("envoyproxy/gateway-helm", [...twins(EG), ...DEV]);
  await h.pushTags("envoyproxy/ai-gateway-helm", [...twins(AI), ...DEV]);
  await h.pushTags("envoyproxy/ai-gateway-crds-helm", [...twins(AI), ...DEV]);
  // One repository per source of kcl/apps.k, holding that source's charts.
  const pins = extractPins(readFileSync(join(ROOT, "kcl", "apps.k"), "utf8")).pins;
  const repos: Record<string, Record<string, string[]>> = {};
  const sources = new Map<string, string>();
  for (const ref of pins.flatMap((p) => p.charts).filter((r) => r.datasource === "helm")) {
    const prefix = `repo${[...sources.keys()].indexOf(ref.source) === -1 ? sources.size : [...sources.keys()].indexOf(ref.source)}`;
    if (!sources.has(ref.source)) sources.set(ref.source, prefix);
    expect(HELM[ref.chart], `test data for chart ${ref.chart}`).toBeDefined();
    (repos[sources.get(ref.source)!] ??= {})[ref.chart] = HELM[ref.chart]!;
  }
  helmRepos = await startHelmRepos(repos);
  overrides = [`oci://docker.io/=oci://${h.host}/`, ...[...sources].map(([source, prefix]) => `${source.replace(/\/+$/, "")}=${helmRepos.repoUrl(prefix)}`)];
});

afterAll(async () => {
  await h?.stop();
  await helmRepos?.close();
  removeTemps();
});

describe("the plan", () => {
  it("moves every chart to its newest release of the same major, AI Gateway together with the Envoy Gateway it needs", async () => {
    const root = makeRoot();
    const apps = readApps(root);
    const before = tree(root, ["kcl/apps.k", "package", "tests/golden", "tests/e2e"]);
    const out = await bumpAll(root, { dryRun: true });
    const moves = Object.fromEntries(out.plan.moves.map((m) => [m.pin.variable, m.to]));
    const expected: Record<string, string> = {};
    for (const pin of extractPins(apps).pins) {
      if (pin.kind !== "chart") continue;
      const versions = pin.charts[0]!.datasource === "docker" ? (pin.charts[0]!.chart === "gateway-helm" ? EG : AI) : HELM[pin.charts[0]!.chart]!;
      const newest = newestSameMajor(versions, pin.value);
      if (newest !== pin.value.replace(/^v/, "")) expected[pin.variable] = (pin.value.startsWith("v") ? "v" : "") + newest;
    }
    expect(moves).toEqual(expected);
    // The AI Gateway move needs a newer Envoy Gateway: both move, and each says why.
    const ai = out.plan.moves.find((m) => m.pin.variable === "aiGateway")!;
    const eg = out.plan.moves.find((m) => m.pin.variable === "envoyGateway")!;
    expect(checkCompatibility(ai.to, pinValue(apps, "envoyGateway")).compatible).toBe(false);
    expect(checkCompatibility(ai.to, eg.to).compatible).toBe(true);
    expect(ai.partner).toMatch(/^needs Envoy Gateway >=1\.8\.0 \(data\/compatibility\.json\): moves together with envoy-gateway$/);
    expect(eg.partner).toBe(`needed by AI Gateway ${ai.version} (Envoy Gateway >=1.8.0)`);
    // Never a prerelease, never a new major without --major.
    for (const m of out.plan.moves) expect(semver.prerelease(m.version)).toBeNull();
    expect(moves.cilium).toBe("1.19.1");
    expect(out.plan.skipped.map((s) => s.pin.variable)).toEqual(["openfunction"]);
    expect(out.plan.held).toEqual([]);
    expect(tree(root, ["kcl/apps.k", "package", "tests/golden", "tests/e2e"])).toEqual(before);
    expect(existsSync(join(root, ".cache"))).toBe(false);
  });

  it("--major crosses majors: AI Gateway 1.x with the Envoy Gateway it needs, Cilium 2.x", async () => {
    const out = await bumpAll(makeRoot(), { dryRun: true, major: true });
    const moves = Object.fromEntries(out.plan.moves.map((m) => [m.pin.variable, m.to]));
    expect(moves.aiGateway).toBe(`v${semver.maxSatisfying(AI, "*")}`);
    expect(moves.cilium).toBe(semver.maxSatisfying(HELM.cilium!, "*"));
    expect(moves.nvidia).toBe("v26.1.0");
    expect(checkCompatibility(moves.aiGateway!, moves.envoyGateway!).compatible).toBe(true);
  });

  it("a registry that is down is reported and its chart stays; the others move", async () => {
    const port = await unusedPort();
    const root = makeRoot({ steps: okSteps() });
    const env = envWith(`https://charts.crossplane.io/stable=http://127.0.0.1:${port}/stable`);
    const out = await runBumpAll({ root, env, http: { timeoutMs: 2000, retries: 0, backoffMs: 5 }, dryRun: true });
    const down = out.plan.skipped.find((s) => s.pin.variable === "crossplane")!;
    expect(down.failures).toHaveLength(1);
    expect(down.failures![0]!.message).toMatch(new RegExp(`cannot get http://127\\.0\\.0\\.1:${port}/stable/index\\.yaml: connection refused`));
    expect(out.plan.moves.map((m) => m.pin.variable)).not.toContain("crossplane");
    expect(out.plan.moves.map((m) => m.pin.variable)).toEqual(expect.arrayContaining(["cilium", "keda", "aiGateway", "envoyGateway"]));

    const strict = await failure(runBumpAll({ root, env, http: { timeoutMs: 2000, retries: 0, backoffMs: 5 }, strict: true }));
    expect(strict.message).toMatch(
      /^--strict: 1 chart registry could not be read; nothing was written:\n {2}crossplane \(http:\/\/127\.0\.0\.1:\d+\/stable\): cannot get/,
    );
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("holds AI Gateway back when the Envoy Gateway it needs cannot move, and says why", async () => {
    const port = await unusedPort();
    const root = makeRoot();
    const env = envWith(`oci://docker.io/envoyproxy/gateway-helm=oci://127.0.0.1:${port}/envoyproxy/gateway-helm`);
    const out = await runBumpAll({ root, env, http: { timeoutMs: 2000, retries: 0, backoffMs: 5 }, dryRun: true });
    const eg = pinValue(readApps(root), "envoyGateway");
    const ai = out.plan.moves.find((m) => m.pin.variable === "aiGateway")!;
    // The newest AI Gateway the current Envoy Gateway supports.
    const best = AI.filter((v) => semver.satisfies(v, "<1.0.0") && checkCompatibility(v, eg).compatible).sort(semver.rcompare)[0]!;
    expect(ai.to).toBe(`v${best}`);
    expect(ai.partner).toBeUndefined();
    expect(out.plan.held).toEqual([
      expect.objectContaining({
        at: `v${best}`,
        newest: "0.7.0",
        reason: `AI Gateway 0.7.0 needs Envoy Gateway >=1.8.0; Envoy Gateway stays at ${eg} (its registry could not be read)`,
      }),
    ]);
    expect(out.plan.held[0]!.pin.variable).toBe("aiGateway");
    expect(out.plan.skipped.find((s) => s.pin.variable === "envoyGateway")!.failures![0]!.chart).toBe("gateway-helm");
  });

  it("asks the registries at most 4 at a time, and does use 4", async () => {
    helmRepos.delayMs = 60;
    helmRepos.maxInFlight = 0;
    try {
      await bumpAll(makeRoot(), { dryRun: true });
      expect(helmRepos.maxInFlight).toBe(4);
      helmRepos.maxInFlight = 0;
      await bumpAll(makeRoot(), { dryRun: true, concurrency: 2 });
      expect(helmRepos.maxInFlight).toBe(2);
    } finally {
      helmRepos.delayMs = 0;
    }
  });
});

describe("applying the plan", () => {
  it("writes every move into kcl/apps.k at once and runs each step once", async () => {
    const root = makeRoot({ steps: okSteps() });
    const apps = readApps(root);
    const out = await bumpAll(root);
    const after = withPins(apps, Object.fromEntries(out.plan.moves.map((m) => [m.pin.variable, m.to])));
    expect(out.plan.moves.length).toBeGreaterThan(5);
    expect(readApps(root)).toBe(after);
    expect(out.applied!.steps.map((s) => `${s.name} ${s.status}`)).toEqual(STEP_NAMES.map((n) => `${n} ok`));
    expect(out.applied!.changedFiles).toEqual(["kcl/apps.k", "package/compositions.yaml", "tests/e2e/aws/composed.yaml", "tests/golden/aws.yaml"]);
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("a failing step puts kcl/apps.k, package/, tests/golden/ and tests/e2e/ back byte for byte", async () => {
    const steps = okSteps();
    steps.lint = { write: { "tests/e2e/aws/composed.yaml": "{{apps}}", "tests/e2e/new/chainsaw-test.yaml": "x: 1\n" }, exit: 1, output: "FAIL e2e tests\n" };
    const root = makeRoot({ steps });
    const paths = ["kcl/apps.k", "package", "tests/golden", "tests/e2e"];
    const before = tree(root, paths);
    const err = await failure(bumpAll(root));
    expect(err.message).toContain("step `lint --fix --e2e` failed (node scripts/run.mjs lint --fix --e2e, exit code 1)");
    expect(err.message).toContain("  | FAIL e2e tests");
    expect(tree(root, paths)).toEqual(before);
    expect(existsSync(join(root, "tests", "e2e", "new"))).toBe(false);
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("nothing to move: no step runs", async () => {
    const root = makeRoot({ steps: okSteps() });
    const first = await bumpAll(root);
    expect(first.applied).toBeDefined();
    const second = await bumpAll(root);
    expect(second.plan.moves).toEqual([]);
    expect(second.applied).toBeUndefined();
    expect(second.plan.current.map((c) => c.pin.variable).sort()).toEqual(
      first.plan.moves
        .map((m) => m.pin.variable)
        .concat(first.plan.current.map((c) => c.pin.variable))
        .sort(),
    );
  });
});

describe("the command line", () => {
  const cli = (args: string[], env: Record<string, string>) =>
    execFileAsync(process.execPath, [join(ROOT, "scripts", "run.mjs"), "bump", ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it("--all --dry-run --json prints the plan for tools; --markdown for pull requests; text by default", async () => {
    const root = makeRoot();
    const before = tree(root);
    const json = await cli(["--all", "--dry-run", "--json", "--root", root], envWith());
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as {
      dryRun: boolean;
      moves: { chart: string; from: string; to: string; partner?: string }[];
      skipped: { chart: string }[];
    };
    expect(plan.dryRun).toBe(true);
    expect(plan.moves.find((m) => m.chart === "ai-gateway")).toMatchObject({
      from: "v0.5.0",
      to: "v0.7.0",
      partner: expect.stringContaining("moves together with envoy-gateway"),
    });
    expect(plan.skipped.map((s) => s.chart)).toEqual(["openfunction"]);

    const md = await cli(["--all", "--dry-run", "--markdown", "--root", root], envWith());
    expect(md.code).toBe(0);
    expect(md.stdout).toContain("- `ai-gateway` `v0.5.0` → `v0.7.0` (ai-gateway-helm, ai-gateway-crds-helm): needs Envoy Gateway >=1.8.0");

    const text = await cli(["--all", "--dry-run", "--root", root], envWith());
    expect(text.stdout).toContain("  keda 2.19.0 → 2.19.1 (keda)");
    expect(text.stdout.trim().split("\n").at(-1)).toBe(
      "dry run: nothing written; the bump would write kcl/apps.k, then run build, check --update, verify, lint --fix --e2e",
    );
    expect(tree(root)).toEqual(before);
  });

  it("rejects options that do not go with --all", async () => {
    const root = makeRoot();
    for (const [args, message] of [
      [["--all", "keda"], "--all takes no chart names"],
      [["--all", "--force"], "--force does not go with --all"],
      [["--major", "keda", "2.x"], "--major can only be used with --all"],
      [["--all", "--json", "--markdown"], "--json and --markdown: choose one"],
    ] as const) {
      const r = await cli([...args, "--root", root], envWith());
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});

describe("with the real pipeline", () => {
  it("moves the whole plan, regenerates package/, the goldens and tests/e2e/ once, and the checks pass on the result", async () => {
    const root = makeFullRoot();
    const run = (args: string[]) =>
      execFileAsync(process.execPath, [join(root, "scripts", "run.mjs"), ...args], { cwd: root, timeout: 180_000 }).then(
        () => 0,
        (e: { code: number; stdout: string; stderr: string }) => `${e.code}: ${e.stdout}${e.stderr}`,
      );
    const apps = readApps(root);
    const out = await bumpAll(root);
    expect(readApps(root)).toBe(withPins(apps, Object.fromEntries(out.plan.moves.map((m) => [m.pin.variable, m.to]))));
    expect(out.applied!.steps.map((s) => `${s.name} ${s.status}`)).toEqual(STEP_NAMES.map((n) => `${n} ok`));
    const ai = out.plan.moves.find((m) => m.pin.variable === "aiGateway")!;
    const changed = out.applied!.changedFiles;
    expect(changed).toEqual(
      expect.arrayContaining(["kcl/apps.k", "package/compositions.yaml", "tests/golden/app-envoy-gateway.yaml", "tests/e2e/app-envoy-gateway/ai-gateway.yaml"]),
    );
    // OCI charts render as dot-kubernetes wrote them: the version without the tag's "v".
    expect(readFileSync(join(root, "tests", "e2e", "app-envoy-gateway", "ai-gateway.yaml"), "utf8")).toContain(`version: ${ai.to.replace(/^v/, "")}`);
    expect(await run(["build", "--check"])).toBe(0);
    expect(await run(["check"])).toBe(0);
    expect(await run(["lint", "--e2e"])).toBe(0);
  }, 600_000);
});
