/**
 * Benchmark of `npm run bump -- --all --dry-run`: the 13 charts of kcl/apps.k read from loopback
 * (the three Envoy charts from the real token-auth OCI registry with paging, the ten Helm charts
 * from index.yaml files on a local HTTP server; all served from a child process), the whole plan
 * against the slowest single chart's resolution measured in the same run. The registries are
 * asked 4 at a time. Measured twice: on bare loopback, where every request is CPU work on this
 * machine's cores (the client's, the registries'), and with every answer held 10 ms, as from a
 * registry across a network, where the requests spend their time waiting as they do in use.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, ms, ratio } from "../lib/bench/stats.js";
import { runBumpAll } from "../lib/bump/all.js";
import { resolveChart } from "../lib/bump/datasources/index.js";
import { extractPins, type ChartRef } from "../lib/bump/kclfile.js";
import { parseOverrides } from "../lib/bump/overrides.js";
import { ROOT, LAYOUT } from "../lib/paths.js";

const RUNS = 11;
const WARMUP = 2;
const PAGE = 100;

/** n release versions below major.minor (patches across minors), newest last. */
function versions(major: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${major}.${Math.floor(i / 10)}.${i % 10}`);
}

const LATENCY_MS = 10;

interface Figures {
  slowest: { chart: string; ms: number };
  sum: number;
  plan: number;
  sequential: number;
  lookups: number;
  moves: number;
}

export default async function bumpAllBench(): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), "bench-bump-all-"));
  const pins = extractPins(readFileSync(join(ROOT, LAYOUT.apps), "utf8")).pins;
  const refs = pins.filter((p) => p.kind === "chart" && !p.problem).flatMap((p) => p.charts);
  const helmRefs = refs.filter((r) => r.datasource === "helm");
  try {
    mkdirSync(join(root, "kcl"));
    cpSync(join(ROOT, LAYOUT.apps), join(root, LAYOUT.apps));
    cpSync(join(ROOT, "data"), join(root, "data"), { recursive: true });
    const bare = await measureAgainst(root, refs, 0);
    const far = await measureAgainst(root, refs, LATENCY_MS);
    const lines = (f: Figures, where: string) => [
      `${where}: slowest single chart: ${f.slowest.chart}, median ${ms(f.slowest.ms)} of ${RUNS}; all ${refs.length} one after another: ${ms(f.sum)}`,
      `${where}: bump --all --dry-run (4 at a time): median ${ms(f.plan)} of ${RUNS} (registry lookups ${ms(f.lookups)}); one at a time: ${ms(f.sequential)}`,
      `${where}: plan / slowest chart: ${ratio(f.plan, f.slowest.ms)} (target < 2×); one at a time / 4 at a time: ${ratio(f.sequential, f.plan)}`,
    ];
    return [
      `${refs.length} charts (${refs.length - helmRefs.length} OCI with ${PAGE}-tag pages, ${helmRefs.length} Helm index), ${bare.moves} moves planned`,
      ...lines(bare, "loopback"),
      ...lines(far, `answers held ${LATENCY_MS} ms`),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Every single chart, the plan 4 at a time and the plan one at a time, against registries whose answers take latencyMs. */
async function measureAgainst(root: string, refs: ChartRef[], latencyMs: number): Promise<Figures> {
  const helmRefs = refs.filter((r) => r.datasource === "helm");
  const sources = [...new Set(helmRefs.map((r) => r.source))];
  const repos: Record<string, Record<string, string[]>> = {};
  helmRefs.forEach((r) => ((repos[`repo${sources.indexOf(r.source)}`] ??= {})[r.chart] = versions(1, 150)));
  // Docker Hub style: v-twins of every release plus development tags (0.0.0-<sha>).
  const dev = Array.from({ length: 200 }, (_, i) => `0.0.0-${(i * 2654435761).toString(16).padStart(8, "0").slice(-8)}`);
  const twins = (v: string[]) => v.flatMap((x) => [x, `v${x}`]);
  const oci = {
    "envoyproxy/gateway-helm": [...twins(versions(1, 100)), ...dev],
    "envoyproxy/ai-gateway-helm": [...twins(versions(0, 80)), ...dev],
    "envoyproxy/ai-gateway-crds-helm": [...twins(versions(0, 80)), ...dev],
  };
  const servers = await startServers({ oci, helm: repos, maxPage: PAGE, latencyMs });
  try {
    const env = {
      CHART_SOURCE_OVERRIDES: [
        `oci://docker.io/=oci://${servers.ociHost}/`,
        ...sources.map((s, i) => `${s.replace(/\/+$/, "")}=${servers.helmUrl}/repo${i}`),
      ].join(","),
    };
    const overrides = parseOverrides(env.CHART_SOURCE_OVERRIDES);

    // Interleaved rounds (every single chart, the plan 4 at a time, the plan one at a time), so a
    // change in machine load hits all of them alike; medians per measurement.
    const timesOf = new Map<string, number[]>();
    const time = async (key: string, fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      if (round >= WARMUP) timesOf.set(key, [...(timesOf.get(key) ?? []), performance.now() - t]);
    };
    let moves = 0;
    let round = 0;
    const lookups: number[] = [];
    for (; round < WARMUP + RUNS; round++) {
      for (const ref of refs) await time(`chart ${ref.chart}`, () => resolveChart(ref, { env, overrides }));
      await time("plan", async () => {
        const out = await runBumpAll({ root, env, dryRun: true });
        lookups.push(out.resolveMs);
        const failed = out.plan.skipped.filter((s) => s.failures);
        if (failed.length) throw new Error(`bump-all bench: registries failed: ${failed.map((f) => f.failures![0]!.message).join("; ")}`);
        moves = out.plan.moves.length;
      });
      await time("sequential", () => runBumpAll({ root, env, dryRun: true, concurrency: 1 }));
    }
    const singles = refs.map((r) => ({ chart: r.chart, ms: median(timesOf.get(`chart ${r.chart}`)!) })).sort((a, b) => b.ms - a.ms);
    return {
      slowest: singles[0]!,
      sum: singles.reduce((n, s) => n + s.ms, 0),
      plan: median(timesOf.get("plan")!),
      sequential: median(timesOf.get("sequential")!),
      lookups: median(lookups.slice(WARMUP)),
      moves,
    };
  } finally {
    await servers.stop();
  }
}

/** The registries in a child process (serve-registries.ts): their work is not the client's. */
async function startServers(spec: unknown): Promise<{ ociHost: string; helmUrl: string; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL("../testkit/serve-registries.js", import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdin.write(JSON.stringify(spec) + "\n");
  let out = "";
  const ready = await new Promise<{ ociHost: string; helmUrl: string }>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))) as { ociHost: string; helmUrl: string });
    });
    child.once("exit", (code) => reject(new Error(`bump-all bench: the registry process exited (${code}) before it was ready`)));
  });
  return {
    ...ready,
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
