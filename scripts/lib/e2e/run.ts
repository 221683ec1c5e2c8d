/**
 * `npm run e2e`: the Chainsaw suite of tests/e2e/ against a real control plane (etcd,
 * kube-apiserver, Crossplane core, the package, functions over mTLS, the provider simulator),
 * started for the run or reused when one is running, plus the API server's admission of every
 * provider-kubernetes Object manifest of the golden files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { APPS_FILE, extractPins } from "../bump/kclfile.js";
import { CACHE_DIR, LAYOUT } from "../paths.js";
import { down, up, type ControlPlane } from "../cluster/index.js";
import { isProcessAlive } from "../process.js";
import { installPackage, type MissingKind } from "../cluster/install.js";
import { E2E_CASES, E2E_DIR } from "./generate.js";
import { withEngine } from "../kcl/index.js";
import { loadPackage, readXrFile, type KubeObject as RenderObject } from "../render/index.js";
import { parseRenderStream } from "../render/yaml.js";
import { checkConformance, type ConformanceResult } from "./conformance.js";
import { chartCrdSources, obtainChartCrds } from "./chart-crds.js";
import { goldenManifests, judgeManifests, type AdmissionReport } from "./admission.js";
import { previousRelease } from "./previous-release.js";
import { formatRealUpgrade, runRealUpgrade, type RealUpgradeReport } from "./upgrade.js";
import { listCases } from "../cases.js";
import { localRenderer } from "../render/renderer.js";
import { UserError } from "../errors.js";
import { loadImmutableData, readXrsFile, resolveOldPackage } from "../upgrade/index.js";
import { loadLiveStatus } from "../upgrade/reconcile.js";

import type { Log } from "../tools.js";

export interface E2eOptions {
  root: string;
  chainsaw: string;
  stateDir?: string;
  log?: Log;
  /** Chainsaw tests to run at once (default 3). */
  parallel?: number;
}

export interface E2eReport {
  ok: boolean;
  reused: boolean;
  /** Control plane start-up to ready, ms (undefined when reused). */
  readyMs?: number;
  missing: MissingKind[];
  /** Kinds served by stand-in CRDs, with where they come from. */
  derived: MissingKind[];
  admission: AdmissionReport;
  chainsaw: { exitCode: number; passed: number; failed: number; output: string };
  /**
   * Cases not run here, with why: a case runs only when every kind it composes is served by the
   * provider's own CRD. A kind served by a stand-in (derived) CRD cannot show what the real API
   * server does with the composition, so its cases are listed, never counted as passed.
   */
  notRun: { case: string; reason: string }[];
  /** Per case: real Crossplane's composition against `npm run render` of the same XR and observed state. */
  conformance: ConformanceResult[];
  /** The real upgrade from the derived previous release. */
  upgrade?: RealUpgradeReport;
  durationMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ms: number, check: () => Promise<boolean | string>): Promise<void> {
  const deadline = Date.now() + ms;
  let last = "";
  for (;;) {
    const r = await check();
    if (r === true) return;
    if (typeof r === "string") last = r;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms / 1000} s (${last})`);
    await sleep(200);
  }
}

/** The Chainsaw suite, admission and conformance on one control plane, then the real upgrade on another. */
export async function runE2e(options: E2eOptions): Promise<E2eReport> {
  const suite = await runSuite(options);
  const upgrade = await runUpgradeE2e({
    root: options.root,
    ...(options.stateDir ? { stateDir: `${options.stateDir}-upgrade` } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return { ...suite, upgrade, ok: suite.ok && upgrade.ok, durationMs: suite.durationMs + upgrade.durationMs };
}

/** Cases the real upgrade runs from the derived previous release (previous-release.ts): one without apps, one with. */
export const DERIVED_UPGRADE_CASES = ["azure", "app-envoy-gateway"];

export interface UpgradeE2eOptions {
  root: string;
  /** The older package (as upgrade-check's --from); default: the previous release derived from the current package. */
  from?: string;
  /** Cases of tests/cases to create (default: DERIVED_UPGRADE_CASES, or every runnable e2e case with --from). */
  cases?: readonly string[];
  /** Clusters exported from a control plane (as upgrade-check's --xrs) instead of cases. */
  xrsFile?: string;
  /** The control plane's state folder (default: a fresh one under .cache/, removed afterwards). */
  stateDir?: string;
  log?: Log;
}

/**
 * Why a case cannot run here, or undefined: a case runs only when every kind its golden file
 * composes is served by the provider's own CRD, not by a stand-in (derived) one.
 */
function whyNotRun(root: string, name: string, derived: readonly MissingKind[]): string | undefined {
  const golden = join(root, LAYOUT.golden, `${name}.yaml`);
  const kinds = parseRenderStream(readFileSync(golden, "utf8"), golden).map((o) => `${o.apiVersion} ${o.kind}`);
  const standIn = derived.filter((d) => kinds.includes(`${d.apiVersion} ${d.kind}`));
  if (standIn.length === 0) return undefined;
  return `composes ${standIn.map((d) => `${d.apiVersion} ${d.kind}`).join(", ")}, whose CRDs are stand-ins here: ${standIn[0]!.reason}`;
}

const UPGRADE_STATE_PREFIX = "cluster-upgrade-";

/**
 * An exported XR as it is created anew: no uid, and none of what Crossplane recorded about the
 * old control plane (the revision and the composed resources it referenced there).
 */
function asNewXr(xr: RenderObject): RenderObject {
  const copy = JSON.parse(JSON.stringify(xr)) as RenderObject & { spec?: { crossplane?: Record<string, unknown> } };
  if (copy.metadata) delete copy.metadata.uid;
  delete (copy as Record<string, unknown>).status;
  const cp = copy.spec?.crossplane;
  if (cp) for (const k of ["resourceRefs", "compositionRevisionRef"]) delete cp[k];
  return copy;
}

/** A state folder for this run's own control plane; folders of runs whose process is gone are removed. */
function upgradeStateDir(): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const e of readdirSync(CACHE_DIR)) {
    const pid = Number(e.slice(UPGRADE_STATE_PREFIX.length));
    if (e.startsWith(UPGRADE_STATE_PREFIX) && pid !== process.pid && !isProcessAlive(pid)) rmSync(join(CACHE_DIR, e), { recursive: true, force: true });
  }
  return join(CACHE_DIR, `${UPGRADE_STATE_PREFIX}${process.pid}`);
}

/**
 * The real upgrade (upgrade.ts) on a control plane of its own (its Compositions are replaced,
 * which would disturb the suite's Clusters): from --from, or from the derived previous release.
 * An upgrade from a given package must also delete nothing.
 */
export async function runUpgradeE2e(options: UpgradeE2eOptions): Promise<RealUpgradeReport> {
  const log = options.log ?? (() => {});
  const after = loadPackage(join(options.root, LAYOUT.package));
  const before = options.from ? (await resolveOldPackage(options.from, { repoDir: options.root, env: process.env })).pkg : previousRelease(after);
  if (options.xrsFile && options.cases) throw new UserError("pass either --cases or --xrs FILE, not both");
  const exported = options.xrsFile ? readXrsFile(options.xrsFile).map((x) => ({ case: x.case, xr: asNewXr(x.xr) })) : undefined;
  const names = exported ? [] : (options.cases ?? (options.from ? E2E_CASES.map((c) => c.case) : DERIVED_UPGRADE_CASES));
  const unknown = names.filter(
    (n) => !existsSync(join(options.root, LAYOUT.cases, `${n}.yaml`)) || !existsSync(join(options.root, LAYOUT.golden, `${n}.yaml`)),
  );
  if (!exported && (unknown.length || names.length === 0))
    throw new UserError(
      "--cases: " +
        (unknown.length ? `no case ${unknown.join(", ")} (a case is tests/cases/<name>.yaml with its golden file tests/golden/<name>.yaml)` : "no case named") +
        `; cases: ${listCases(join(options.root, LAYOUT.cases)).join(", ")}`,
    );
  // Never a running control plane: the older package replaces the Compositions its Clusters use.
  const stateDir = options.stateDir ?? upgradeStateDir();
  if (existsSync(join(stateDir, "state.json"))) await down({ stateDir, log });
  const cp = await up({ stateDir, tied: true, log });
  try {
    log(
      cp.reused ? "real upgrade: reusing the running control plane" : `real upgrade: control plane ready in ${((cp.state.readyMs ?? 0) / 1000).toFixed(1)} s`,
    );
    const runnable = names.filter((name) => {
      const why = whyNotRun(options.root, name, cp.install?.derived ?? []);
      if (why) log(`real upgrade: not running ${name}: it ${why}`);
      return !why;
    });
    const cases = exported ?? runnable.map((name) => ({ case: name, xr: readXrFile(join(options.root, LAYOUT.cases, `${name}.yaml`)) as RenderObject }));
    return await withEngine((engine) =>
      runRealUpgrade({
        kube: cp.kube(),
        before,
        after,
        cases,
        renderer: localRenderer(engine),
        immutable: loadImmutableData(),
        live: loadLiveStatus(),
        waitFor,
        log,
        requireNoDeletions: options.from !== undefined,
      }),
    );
  } finally {
    await cp.stop();
    if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

async function runSuite(options: E2eOptions): Promise<E2eReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const cp: ControlPlane = await up({ ...(options.stateDir ? { stateDir: options.stateDir } : {}), tied: true, log });
  try {
    log(cp.reused ? "reusing the running control plane" : `control plane ready in ${((cp.state.readyMs ?? 0) / 1000).toFixed(1)} s`);
    const kube = cp.kube();
    // A reused control plane may hold an older package: apply the current one (server-side apply).
    const install = cp.reused ? await installPackage(kube, { log: () => {}, waitFor }) : cp.install;
    const pins = Object.fromEntries(extractPins(readFileSync(join(options.root, APPS_FILE), "utf8")).pins.map((p) => [p.variable, p.value]));
    log("obtaining the charts' CRDs from Go modules (cached in .cache/chart-crds/)…");
    const chartCrds = await obtainChartCrds(chartCrdSources(pins), join(CACHE_DIR, "chart-crds"));
    log("server-side dry-run of every Object manifest of the golden files…");
    const admission = await judgeManifests(kube, goldenManifests(options.root), chartCrds, waitFor);
    const derived = install?.derived ?? [];
    const notRun: { case: string; reason: string }[] = [];
    const runnable = E2E_CASES.filter((c) => {
      const reason = whyNotRun(options.root, c.case, derived);
      if (reason) notRun.push({ case: c.case, reason });
      return !reason;
    });
    log(`chainsaw test ${runnable.map((c) => `${E2E_DIR}/${c.case}`).join(" ")} …`);
    const r = await execa(
      options.chainsaw,
      ["test", ...runnable.map((c) => `${E2E_DIR}/${c.case}`), "--no-color", "--parallel", String(options.parallel ?? 3), "--assert-timeout", "2m"],
      {
        cwd: options.root,
        env: { KUBECONFIG: cp.kubeconfig },
        reject: false,
        all: true,
      },
    );
    const output = String(r.all ?? "");
    const passed = Number(/-\s*Passed\s+tests\s+(\d+)/i.exec(output)?.[1] ?? 0);
    const failed = Number(/-\s*Failed\s+tests\s+(\d+)/i.exec(output)?.[1] ?? 0);
    log("conformance: what Crossplane composed against npm run render of the same XR and observed state…");
    const pkg = loadPackage(join(options.root, LAYOUT.package));
    const conformance = await withEngine(async (engine) => {
      const out: ConformanceResult[] = [];
      for (const c of runnable)
        out.push(await checkConformance(kube, engine, pkg, c.case, readXrFile(join(options.root, LAYOUT.cases, `${c.case}.yaml`)) as RenderObject));
      return out;
    });
    const missing = install?.missing ?? [];
    const refused = admission.verdicts.filter((v) => v.outcome === "refused");
    return {
      ok:
        r.exitCode === 0 &&
        failed === 0 &&
        passed === runnable.length &&
        passed > 0 &&
        missing.length === 0 &&
        refused.length === 0 &&
        conformance.every((c) => c.ok),
      reused: cp.reused,
      ...(cp.reused ? {} : { readyMs: cp.state.readyMs }),
      missing,
      derived,
      notRun,
      admission,
      chainsaw: { exitCode: r.exitCode ?? -1, passed, failed, output },
      conformance,
      durationMs: Date.now() - started,
    };
  } finally {
    await cp.stop();
  }
}

/** The report as lines for the terminal. */
export function formatE2e(report: E2eReport, verbose = false): string[] {
  const lines: string[] = [];
  lines.push(report.reused ? "control plane: reused the running one" : `control plane: ready in ${((report.readyMs ?? 0) / 1000).toFixed(1)} s`);
  if (report.missing.length) {
    lines.push(`${report.missing.length} kind(s) the compositions compose are not served:`);
    for (const m of report.missing) lines.push(`  ${m.apiVersion} ${m.kind}: ${m.reason}`);
  }
  for (const m of report.derived) lines.push(`stand-in CRD for ${m.apiVersion} ${m.kind}: ${m.reason}`);
  const a = report.admission;
  const count = (o: string) => a.verdicts.filter((v) => v.outcome === o).length;
  lines.push(
    `admission (server-side dry-run) of ${a.verdicts.length} distinct Object manifests: ${count("admitted")} admitted, ${count("refused")} refused, ` +
      `${count("not judged")} not judged`,
  );
  for (const n of a.chartNotes) lines.push(`  chart CRDs ${n.source.chart}: ${n.ok ? n.note : `not obtained: ${n.note}`}`);
  for (const v of a.verdicts.filter((v) => v.outcome !== "admitted")) lines.push(`  ${v.outcome}: ${v.object} [${v.cases.join(", ")}]: ${v.message ?? ""}`);
  const c = report.chainsaw;
  lines.push(`chainsaw: ${c.passed} passed, ${c.failed} failed (exit code ${c.exitCode})`);
  for (const n of report.notRun) lines.push(`NOT RUN ${n.case}: ${n.reason}`);
  if (verbose || c.exitCode !== 0)
    lines.push(
      ...c.output
        .split("\n")
        .filter((l) => /ERROR|FAIL|error|---|\+\+\+|^\s*[-+] /.test(l))
        .slice(0, 200)
        .map((l) => `  | ${l}`),
    );
  for (const c of report.conformance) {
    lines.push(
      `conformance ${c.case}: ` +
        `${c.ok ? `${c.compared} composed resources and the XR status equal the render` : `${c.diffs.length} difference(s) from the render`}`,
    );
    for (const d of c.ok ? [] : c.diffs.slice(0, 20))
      lines.push(
        ...d
          .trimEnd()
          .split("\n")
          .map((l) => `  ${l}`),
      );
  }
  if (report.upgrade) lines.push(...formatRealUpgrade(report.upgrade));
  const notRun = report.notRun.length ? `; ${report.notRun.length} case(s) not run here: ${report.notRun.map((n) => n.case).join(", ")}` : "";
  lines.push(`${report.ok ? "e2e passed" : "e2e FAILED"} in ${(report.durationMs / 1000).toFixed(1)} s${notRun}`);
  return lines;
}
