// npm run upgrade-check: the old package from a git ref of a temporary repository, from a
// directory, and from an xpkg built by `npm run package` and pushed with the real
// `crossplane xpkg push` to the real local registry with token auth; mutations of the new
// package (a renamed composition resource, a dropped resource, a renamed managed resource, a
// changed XRD default) each reported exactly.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { credentialsVariable } from "../../scripts/lib/bump/credentials.js";
import { startOciHarness, type OciHarness } from "../../scripts/testkit/registry.js";
import { UserError } from "../../scripts/lib/errors.js";
import { PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { loadPackage, localRenderer, renderXr, type KubeObject } from "../../scripts/lib/render/index.js";
import { ensureGoTool } from "../../scripts/lib/tools.js";
import { formatJson, upgradeCheck, upgradeCheckWithCache, type UpgradeFinding, type UpgradeCheckOptions } from "../../scripts/lib/upgrade/index.js";
import type { KclEngine } from "../../scripts/lib/kcl/index.js";
import { toYamlStream } from "../../scripts/lib/yamlio.js";
import { copyRepo, type RepoCopy } from "../helpers/repo.js";
import { useEngine } from "../helpers/engine.js";
import { unusedPort } from "../bump/helpers.js";

const engine = useEngine({ workers: 2 });
const temps: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

const CASE = "azure-gpu";
/** A cases folder with one case, so every finding can be listed exactly. */
let casesDir: string;
let repo: RepoCopy;
/** Composition resource names (and names) of the case's resources in the unchanged package. */
let names: { resourceGroup: string; cluster: string; clusterName: string; gpuPool: string };

const CRN = "krm.kcl.dev/composition-resource-name";

/** Rewrites every function-kcl step so that its output items pass through a KCL expression over `_i` first. */
function mutateSteps(pkgDir: string, dest: string, itemsExpr: string, xrd?: (xrd: Record<string, any>) => void): string {
  mkdirSync(dest, { recursive: true });
  let touched = 0;
  for (const file of readdirSync(pkgDir).filter((f) => /\.ya?ml$/.test(f))) {
    const docs = parseAllDocuments(readFileSync(join(pkgDir, file), "utf8")).map((d) => d.toJS() as Record<string, any>);
    for (const doc of docs) {
      if (doc?.kind === "CompositeResourceDefinition" && xrd) xrd(doc);
      if (doc?.kind !== "Composition") continue;
      for (const step of doc.spec.pipeline) {
        const src = step.input?.spec?.source;
        if (typeof src !== "string" || !/^items = /m.test(src)) continue;
        step.input.spec.source =
          src.replace(/^items = /m, "_items0 = ") +
          `\n_crnOf = lambda i: any -> str {\n    i?.metadata?.annotations?["${CRN}"] or ""\n}\nitems = ${itemsExpr}\n`;
        touched++;
      }
    }
    writeFileSync(join(dest, file), toYamlStream(docs));
  }
  if (touched === 0) throw new Error("test setup: no function-kcl step assigns items at the top level");
  return dest;
}

function renameCrn(from: string, to: string): string {
  return `[(i | {metadata = i.metadata | {annotations = i.metadata.annotations | {"${CRN}" = "${to}"}}}) if _crnOf(i) == "${from}" else i for i in _items0]`;
}
function dropCrn(crn: string): string {
  return `[i for i in _items0 if _crnOf(i) != "${crn}"]`;
}
function renameResource(crn: string, name: string): string {
  return `[(i | {metadata = i.metadata | {name = "${name}"}}) if _crnOf(i) == "${crn}" else i for i in _items0]`;
}

/** What matters of a finding for exact comparison: rule, case and name. */
const key = (f: UpgradeFinding) => `${f.rule} ${f.case ?? "-"} ${f.crn ?? "-"}`;
/** Every finding but the field-change notices (changed, chart-version), which follow from the mutation. */
const listed = (fs: UpgradeFinding[]) =>
  fs
    .filter((f) => f.rule !== "changed" && f.rule !== "chart-version")
    .map(key)
    .sort();

function options(from: string, packageDir: string, extra: Partial<UpgradeCheckOptions> = {}): UpgradeCheckOptions {
  return { from, packageDir, casesDir, repoDir: repo.root, env: {}, ...extra };
}

beforeAll(async () => {
  casesDir = temp("uc-cases-");
  cpSync(join(ROOT, "tests", "cases", `${CASE}.yaml`), join(casesDir, `${CASE}.yaml`));
  repo = copyRepo();
  writeFileSync(join(repo.root, ".gitignore"), "node_modules\n.tools\n.build\n.cache\ndist\n");
  const git = (...args: string[]) => execa("git", ["-C", repo.root, "-c", "user.name=test", "-c", "user.email=test@example.com", ...args]);
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-qm", "release");
  await git("tag", "v1.0.0");
  const xr = parseAllDocuments(readFileSync(join(casesDir, `${CASE}.yaml`), "utf8"))[0]!.toJS() as KubeObject;
  const result = await renderXr(engine, loadPackage(PACKAGE_DIR), xr);
  const of = (kind: string) => {
    const r = result.resources.find((x) => x.object.kind === kind);
    if (!r) throw new Error(`test setup: the ${CASE} case composes no ${kind}`);
    return r;
  };
  names = {
    resourceGroup: of("ResourceGroup").name,
    cluster: of("KubernetesCluster").name,
    clusterName: String(of("KubernetesCluster").object.metadata?.name),
    gpuPool: of("KubernetesClusterNodePool").name,
  };
}, 120_000);

afterAll(() => {
  repo?.remove();
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("old package from a git ref of a temporary repository", () => {
  it("the same package: no findings, exit 0, three reconciles at most", async () => {
    const r = await upgradeCheck(localRenderer(engine), options("v1.0.0", join(repo.root, "package")));
    expect(r.report.from.kind).toBe("git");
    expect(r.report.findings).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.report.cases[0]!.status).toBe("compared");
    expect(r.report.cases[0]!.renders!.old).toBeGreaterThanOrEqual(2);
    expect(r.report.cases[0]!.renders!.old).toBeLessThanOrEqual(3);
  });

  it("a renamed composition resource name: the old one deleted (with what Crossplane deletes), the new one added", async () => {
    const renamed = names.resourceGroup + "-renamed";
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), renameCrn(names.resourceGroup, renamed));
    const r = await upgradeCheck(localRenderer(engine), options("HEAD", dir));
    expect(listed(r.report.findings)).toEqual([`added ${CASE} ${renamed}`, `deleted ${CASE} ${names.resourceGroup}`]);
    const deleted = r.report.findings.find((f) => f.rule === "deleted")!;
    expect(deleted.message).toContain("everything in the resource group");
    expect(r.exitCode).toBe(1);
    const allowed = await upgradeCheck(localRenderer(engine), options("HEAD", dir, { allow: [names.resourceGroup] }));
    expect(allowed.exitCode).toBe(0);
    expect(allowed.report.summary.allowed).toBe(1);
  });

  it("a dropped resource: deleted, nothing else", async () => {
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), dropCrn(names.gpuPool));
    const r = await upgradeCheck(localRenderer(engine), options("HEAD", dir));
    expect(listed(r.report.findings)).toEqual([`deleted ${CASE} ${names.gpuPool}`]);
    expect(r.report.findings[0]!.message).toContain("node pool");
    expect(r.exitCode).toBe(1);
    expect((await upgradeCheck(localRenderer(engine), options("HEAD", dir, { allow: ["deleted"] }))).exitCode).toBe(0);
  });

  it("a renamed managed resource: metadata-name on its composition resource name", async () => {
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), renameResource(names.cluster, "renamed-cluster"));
    const r = await upgradeCheck(localRenderer(engine), options("HEAD", dir));
    expect(listed(r.report.findings)).toEqual([`metadata-name ${CASE} ${names.cluster}`]);
    expect(r.report.findings.find((f) => f.rule === "metadata-name")!.changes).toEqual([
      { path: "metadata.name", old: names.clusterName, new: "renamed-cluster" },
    ]);
  });

  it("a changed XRD default: xrd-default-changed on the field, with both values", async () => {
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), "_items0", (xrd) => {
      const params = xrd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.parameters.properties;
      params.minNodeCount.default = 2;
    });
    const r = await upgradeCheck(localRenderer(engine), options("HEAD", dir));
    const version = String(loadPackage(dir).xrds[0]!.spec && (loadPackage(dir).xrds[0]!.spec as any).versions[0].name);
    expect(listed(r.report.findings)).toEqual([`xrd-default-changed - ${version}:spec.parameters.minNodeCount`]);
    expect(r.report.findings[0]!.message).toContain("1 → 2");
  });

  it("an old package whose step fails: the case is not comparable, the error located in the old package's file", async () => {
    const oldDir = mutateSteps(
      join(repo.root, "package"),
      temp("uc-old-"),
      `[i for i in _items0 if _crnOf(i) != "${names.cluster}" or _fail()]\n_fail = lambda -> bool {\n    assert False, "broken on purpose"\n    False\n}`,
    );
    const r = await upgradeCheck(localRenderer(engine), options(oldDir, join(repo.root, "package")));
    expect(r.report.cases[0]!.status).toBe("not-comparable");
    expect(listed(r.report.findings)).toEqual([`not-comparable ${CASE} -`]);
    expect(r.report.findings[0]!.message).toMatch(
      /old package does not render it: .*compositions\.yaml:\d+:\d+ \(line \d+ of the step's KCL source\).*broken on purpose/,
    );
    expect(r.exitCode).toBe(1);
  });
});

describe("observed state from a case's .observed.yaml", () => {
  it("a resource observed but not composed by the old package is garbage (Crossplane deletes it), not a render error", async () => {
    const dir = temp("uc-observed-cases-");
    for (const f of ["aws-observed.yaml", "aws-observed.observed.yaml"]) cpSync(join(ROOT, "tests", "cases", f), join(dir, f));
    const oldDir = mutateSteps(join(repo.root, "package"), temp("uc-old-"), dropCrn("eksnodegroup"));
    const r = await upgradeCheck(localRenderer(engine), { ...options(oldDir, join(repo.root, "package")), casesDir: dir });
    expect(r.report.cases[0]!.status).toBe("compared");
    expect(listed(r.report.findings)).toEqual(["added aws-observed eksnodegroup"]);
  });
});

describe("old package from a directory", () => {
  it("a package folder or a checkout holding package/", async () => {
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), dropCrn(names.gpuPool));
    for (const from of [join(repo.root, "package"), repo.root]) {
      const r = await upgradeCheck(localRenderer(engine), options(from, dir));
      expect(r.report.from.kind).toBe("directory");
      expect(listed(r.report.findings)).toEqual([`deleted ${CASE} ${names.gpuPool}`]);
    }
  });

  it("XRs exported from a control plane (a List): one case per XR, named namespace/name", async () => {
    const xr = parseAllDocuments(readFileSync(join(casesDir, `${CASE}.yaml`), "utf8"))[0]!.toJS() as KubeObject;
    const other = { ...xr, metadata: { ...xr.metadata, name: "second", managedFields: [{ manager: "kubectl" }], resourceVersion: "12" } };
    const file = join(temp("uc-xrs-"), "clusters.yaml");
    writeFileSync(file, toYamlStream([{ apiVersion: "v1", kind: "List", items: [xr, other] }]));
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), renameResource(names.cluster, "renamed-cluster"));
    const r = await upgradeCheck(localRenderer(engine), { from: join(repo.root, "package"), packageDir: dir, xrsFile: file, repoDir: repo.root, env: {} });
    const ns = String(xr.metadata?.namespace);
    expect(r.report.cases.map((c) => c.case)).toEqual([`${ns}/${String(xr.metadata?.name)}`, `${ns}/second`]);
    // Only the first XR's cluster is renamed (the mutation names its composition resource).
    expect(listed(r.report.findings)).toEqual([`metadata-name ${ns}/${String(xr.metadata?.name)} ${names.cluster}`]);
  });
});

describe("the KCL step result cache", () => {
  /** The test engine, counting the programs it evaluates. */
  const counting = () => {
    const counted = { runs: 0 };
    const wrapped: KclEngine = {
      run: (r) => {
        counted.runs++;
        return engine.run(r);
      },
      runYaml: (r) => {
        counted.runs++;
        return engine.runYaml(r);
      },
      close: async () => {},
      get description() {
        return engine.description;
      },
    };
    return { counted, engine: wrapped };
  };
  const entries = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".json"));

  it("a second run evaluates no KCL; cold, warm and --no-cache reports are byte-identical", async () => {
    const cacheDir = join(temp("uc-cache-"), "render-kcl");
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), dropCrn(names.gpuPool));
    const run = async (cache: "on" | "off") => {
      const c = counting();
      const r = await upgradeCheckWithCache(c.engine, { ...options("v1.0.0", dir), cache, cacheDir });
      return { text: formatJson(r.report, r.unusedAllow), work: r.work, runs: c.counted.runs, exitCode: r.exitCode };
    };
    const cold = await run("on");
    expect(cold.exitCode).toBe(1);
    expect(cold.runs).toBeGreaterThan(0);
    expect(cold.work).toEqual({ evaluated: cold.runs, reused: 0, shared: 0 });
    expect(entries(cacheDir).length).toBe(cold.runs);
    const warm = await run("on");
    expect(warm.runs).toBe(0);
    expect(warm.work).toEqual({ evaluated: 0, reused: cold.runs, shared: 0 });
    expect(warm.text).toBe(cold.text);
    const off = await run("off");
    expect(off.runs).toBe(cold.runs);
    expect(off.text).toBe(cold.text);
    expect(JSON.parse(cold.text).findings.map(key)).toContain(`deleted ${CASE} ${names.gpuPool}`);
  });

  it("corrupt entries are ignored and rewritten; the report does not change", async () => {
    const cacheDir = join(temp("uc-cache-"), "render-kcl");
    const opts = { ...options("v1.0.0", join(repo.root, "package")), cacheDir };
    const first = await upgradeCheckWithCache(counting().engine, opts);
    const files = entries(cacheDir).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    // Torn (a prefix), altered (one character of the JSON changed: still valid JSON), not an entry at all.
    const [torn, altered, garbage] = files.map((f) => join(cacheDir, f));
    writeFileSync(torn!, readFileSync(torn!, "utf8").slice(0, 100));
    const text = readFileSync(altered!, "utf8");
    const at = text.indexOf('"apiVersion"') + 1;
    expect(at).toBeGreaterThan(65);
    writeFileSync(altered!, text.slice(0, at) + "x" + text.slice(at + 1));
    JSON.parse(readFileSync(altered!, "utf8").slice(65)); // the alteration is valid JSON: only the checksum tells
    writeFileSync(garbage!, "{not json");
    const c = counting();
    const second = await upgradeCheckWithCache(c.engine, opts);
    expect(c.counted.runs).toBe(3);
    expect(second.work.reused).toBe(files.length - 3);
    expect(formatJson(second.report)).toBe(formatJson(first.report));
    const again = counting();
    await upgradeCheckWithCache(again.engine, opts);
    expect(again.counted.runs).toBe(0);
  });

  it("the old and the new package's identical steps are evaluated once", async () => {
    const c = counting();
    const r = await upgradeCheckWithCache(c.engine, { ...options(join(repo.root, "package"), join(repo.root, "package")), cache: "off" });
    const renders = r.report.cases[0]!.renders!;
    expect(renders.old).toBe(renders.new);
    expect(r.work.shared).toBe(c.counted.runs);
    expect(r.work).toEqual({ evaluated: c.counted.runs, reused: 0, shared: c.counted.runs });
  });
});

describe("bad --from", () => {
  it("neither a directory, nor a git ref, nor a package reference: one error naming all three", async () => {
    const err = await upgradeCheck(localRenderer(engine), options("no-such-release", join(repo.root, "package"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const m = (err as Error).message;
    expect(m).toContain("--from no-such-release: cannot find the old package");
    expect(m).toMatch(/a directory: no such directory/);
    expect(m).toMatch(/a git ref: not a git ref of the repository/);
    expect(m).toMatch(/an OCI package reference: not shaped like one/);
  });

  it("an unreachable registry: the OCI try says why, the other two tries are listed", async () => {
    const port = await unusedPort();
    const err = await upgradeCheck(localRenderer(engine), options(`127.0.0.1:${port}/nothing/here:v1.0.0`, join(repo.root, "package"), { env: {} })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/a directory: no such directory[\s\S]*a git ref: [\s\S]*an OCI package reference: cannot get .*connection refused/);
  });
});

describe("old package from an xpkg pushed to a registry with token auth", () => {
  const USER = "uc-user";
  const PASSWORD = "uc-password-1234";
  let h: OciHarness;
  let ref: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    h = await startOciHarness({ privatePrefix: "private/", username: USER, password: PASSWORD });
    const built = await repo.run("package", ["--version", "1.0.0"]);
    if (built.exitCode !== 0) throw new Error(`npm run package failed: ${String(built.all)}`);
    const xpkg = join(repo.root, "dist", readdirSync(join(repo.root, "dist")).find((f) => f.endsWith(".xpkg"))!);
    const crossplane = await ensureGoTool("crossplane");
    const dockerConfig = temp("uc-docker-");
    writeFileSync(
      join(dockerConfig, "config.json"),
      JSON.stringify({ auths: { [h.registryHost]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } } }),
    );
    ref = `${h.registryHost}/private/dot-cluster:v1.0.0`;
    const pushed = await execa(crossplane, ["xpkg", "push", "-f", xpkg, ref], {
      env: { DOCKER_CONFIG: dockerConfig, HOME: dockerConfig },
      reject: false,
      all: true,
    });
    if (pushed.exitCode !== 0) throw new Error(`crossplane xpkg push failed: ${String(pushed.all)}`);
    env = { [credentialsVariable(h.registryHost)]: `${USER}:${PASSWORD}` };
    await h.pushTags("private/a-chart", ["1.0.0"]);
  }, 600_000);

  afterAll(async () => {
    await h?.stop();
  });

  it("pulls the package layer with credentials and reports the dropped resource", async () => {
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), dropCrn(names.gpuPool));
    const r = await upgradeCheck(localRenderer(engine), options(ref, dir, { env }));
    expect(r.report.from.kind).toBe("oci");
    expect(r.report.from.description).toMatch(new RegExp(`^${h.registryHost.replace(/\./g, "\\.")}/private/dot-cluster@sha256:[a-f0-9]{64}$`));
    expect(listed(r.report.findings)).toEqual([`deleted ${CASE} ${names.gpuPool}`]);
  });

  it("oci:// and a CHART_SOURCE_OVERRIDES mirror reach the same package", async () => {
    const r = await upgradeCheck(
      localRenderer(engine),
      options("oci://registry.example.com/private/dot-cluster:v1.0.0", join(repo.root, "package"), {
        env: { ...env, CHART_SOURCE_OVERRIDES: `oci://registry.example.com/=oci://${h.registryHost}/` },
      }),
    );
    expect(r.report.from.description.startsWith(`${h.registryHost}/private/dot-cluster@sha256:`)).toBe(true);
    expect(r.report.findings).toEqual([]);
  });

  it("without credentials: the registry's refusal, naming the variable to set", async () => {
    const err = await upgradeCheck(localRenderer(engine), options(ref, join(repo.root, "package"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(credentialsVariable(h.registryHost));
  });

  it("an OCI image that is not a Crossplane package says so", async () => {
    const err = await upgradeCheck(localRenderer(engine), options(`${h.registryHost}/private/a-chart:1.0.0`, join(repo.root, "package"), { env })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/is not a Crossplane package/);
  });

  it("the command: grouped lines, exit 1 on the deletion, 0 with --allow, --json for tools; nothing written but the KCL cache", async () => {
    const dir = mutateSteps(join(repo.root, "package"), temp("uc-pkg-"), dropCrn(names.gpuPool));
    rmSync(join(repo.root, ".cache", "render-kcl"), { recursive: true, force: true });
    const status = async () => (await execa("git", ["-C", repo.root, "status", "--porcelain", "--ignored", "--untracked-files=all"])).stdout.split("\n");
    const before = await status();
    const args = ["--from", ref, "--package", dir, "--cases", casesDir];
    const off = await repo.run("upgrade-check", [...args, "--no-cache"], env);
    expect(off.exitCode).toBe(1);
    expect(await status()).toEqual(before); // --no-cache: nothing at all
    const r = await repo.run("upgrade-check", args, env);
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toBe(String(off.stdout));
    expect(String(r.stdout)).toMatch(
      new RegExp(
        `case ${CASE} \\(.*\\): composition \\S+, \\d+ → \\d+ resources\\n  DELETED +${names.gpuPool} \\(KubernetesClusterNodePool/.*\\): no longer composed: .*\\[deleted\\]`,
      ),
    );
    expect(String(r.stdout)).not.toContain("\x1b[");
    expect(String(r.stderr)).toMatch(/KCL step runs: [1-9]\d* evaluated, 0 reused from \.cache\/render-kcl/);
    // By default the step results go to the git-ignored, content-addressed cache, and only there.
    const written = (await status()).filter((l) => !before.includes(l));
    expect(written.length).toBeGreaterThan(0);
    for (const l of written) expect(l).toMatch(/^!! \.cache\/render-kcl\/[0-9a-f]{64}\.json$/);
    const allowFile = join(temp("uc-allow-"), "upgrade-allow.txt");
    writeFileSync(allowFile, `# acknowledged for this release\n${names.gpuPool}\n`);
    const ok = await repo.run("upgrade-check", [...args, "--allow-file", allowFile, "--json"], env);
    expect(ok.exitCode).toBe(0);
    expect(String(ok.stderr)).toMatch(/KCL step runs: 0 evaluated, [1-9]\d* reused from \.cache\/render-kcl/);
    const json = JSON.parse(String(ok.stdout)) as { findings: UpgradeFinding[]; summary: { failing: number; allowed: number } };
    expect(json.summary).toMatchObject({ failing: 0, allowed: 1 });
    expect(json.findings.filter((f) => f.rule === "deleted").map((f) => [f.crn, f.allowed])).toEqual([[names.gpuPool, true]]);
    expect((await status()).filter((l) => !before.includes(l))).toEqual(written);
  }, 180_000);
});

describe("the workflows' upgrade-check steps, run as GitHub runs them", () => {
  let copy: RepoCopy;
  const stepScript = (workflow: string, job: string, prefix: string): string => {
    const wf = parse(readFileSync(join(ROOT, ".github", "workflows", workflow), "utf8")) as {
      jobs: Record<string, { steps: { name: string; run?: string }[] }>;
    };
    const s = wf.jobs[job]!.steps.find((x) => x.name.startsWith(prefix));
    if (!s?.run) throw new Error(`${workflow} has no run step named "${prefix}…" in job ${job}`);
    return s.run;
  };
  const scripts = () => [
    stepScript("test.yaml", "test", "Upgrade check against the latest release"),
    stepScript("release.yaml", "release", "Refuse unacknowledged deletions"),
  ];
  const runScript = (script: string) => execa("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd: copy.root, reject: false, all: true });
  const git = (...args: string[]) => execa("git", ["-C", copy.root, "-c", "user.name=test", "-c", "user.email=test@example.com", ...args]);

  beforeAll(async () => {
    copy = copyRepo();
    writeFileSync(join(copy.root, ".gitignore"), "node_modules\n.tools\n.build\n.cache\ndist\n");
    rmSync(join(copy.root, "tests", "cases"), { recursive: true });
    cpSync(casesDir, join(copy.root, "tests", "cases"), { recursive: true });
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "first release");
  }, 120_000);
  afterAll(() => copy?.remove());

  it("no release tag before the commit: skipped with a notice", async () => {
    await git("tag", "v1.0.0");
    for (const script of scripts()) {
      const r = await runScript(script);
      expect(r.exitCode, String(r.all)).toBe(0);
      expect(String(r.all)).toMatch(/^::notice title=upgrade-check skipped::/m);
    }
  });

  it("a deletion since the tag fails both (the release is refused) until upgrade-allow.txt acknowledges it", async () => {
    const mutated = mutateSteps(join(copy.root, "package"), temp("uc-wf-pkg-"), dropCrn(names.gpuPool));
    cpSync(mutated, join(copy.root, "package"), { recursive: true });
    await git("commit", "-qam", "drop the GPU pool");
    const [test, release] = scripts();
    const t = await runScript(test!);
    expect(t.exitCode).toBe(1);
    expect(String(t.all)).toMatch(new RegExp(`DELETED +${names.gpuPool} `));
    const r = await runScript(release!);
    expect(r.exitCode).toBe(1);
    expect(String(r.all)).toMatch(/^::error title=release refused::upgrading from v1\.0\.0 /m);
    writeFileSync(join(copy.root, "upgrade-allow.txt"), `${names.gpuPool}\n`);
    for (const script of scripts()) {
      const ok = await runScript(script);
      expect(ok.exitCode, String(ok.all)).toBe(0);
      expect(String(ok.all)).toMatch(/DELETED \(allowed\)/);
    }
  }, 300_000);
});
