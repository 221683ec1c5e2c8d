/**
 * Control plane benchmark (warm binaries): time from nothing to a ready control plane, bare
 * (etcd, kube-apiserver, Crossplane core) and with the package, functions and provider
 * simulator (what `npm run e2e` starts); then one whole `npm run e2e` run (the real upgrade's share
 * shown) with the peak memory of
 * all its processes (the sum of their RSS, sampled from /proc). Budgets: ready < 15 s, e2e
 * < 3 min, peak < 1.5 GB.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { up } from "../lib/cluster/index.js";
import { runE2e } from "../lib/e2e/run.js";
import { ROOT } from "../lib/paths.js";
import { ensureGoTool } from "../lib/tools.js";

/** Sum of the RSS (bytes) of this process and all its descendants. */
export function treeRss(root = process.pid): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const status = readFileSync(`/proc/${e}/status`, "utf8");
      parent.set(Number(e), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      rss.set(Number(e), Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024);
    } catch {
      /* ended meanwhile */
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (p === root) return true;
    return false;
  };
  let sum = 0;
  for (const [pid, r] of rss) if (inTree(pid)) sum += r;
  return sum;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

async function readyTime(withPackage: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "bench-cluster-"));
  try {
    const t = Date.now();
    const cp = await up({ stateDir: join(dir, "state"), tied: true, withPackage });
    const elapsed = Date.now() - t;
    await cp.stop();
    return elapsed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<string[]> {
  const chainsaw = await ensureGoTool("chainsaw");
  for (const t of ["etcd", "kube-apiserver", "crossplane-core", "function-auto-ready", "certgen"] as const) await ensureGoTool(t);
  const bare: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < 2; i++) {
    bare.push(await readyTime(false));
    full.push(await readyTime(true));
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const dir = mkdtempSync(join(tmpdir(), "bench-e2e-"));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRss())), 500);
  const t = Date.now();
  let ok = false;
  let upgradeMs = 0;
  try {
    const report = await runE2e({ root: ROOT, chainsaw, stateDir: join(dir, "state") });
    ok = report.ok;
    upgradeMs = report.upgrade?.durationMs ?? 0;
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
  }
  const e2e = Date.now() - t;
  return [
    `control plane ready, bare (etcd, kube-apiserver, Crossplane core): ${s(med(bare))} (median of ${bare.length})`,
    `control plane ready, with package, functions and simulator:      ${s(med(full))} (${(med(full) / med(bare)).toFixed(2)}× bare; budget 15 s)`,
    `npm run e2e (own control plane, ${ok ? "passed" : "FAILED"}):                       ${s(e2e)} (budget 180 s)`,
    `  of which the real upgrade (its own control plane):               ${s(upgradeMs)} (${((100 * upgradeMs) / e2e).toFixed(0)}%)`,
    `peak memory of all e2e processes:                                 ${mb(peak)} (budget 1536 MB)`,
  ];
}
