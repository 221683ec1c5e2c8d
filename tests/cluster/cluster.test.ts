// The local control plane's life cycle: nothing outlives the process that started it, a crashed
// etcd is reported and cleaned up, a stale state folder is cleaned up. Real etcd, kube-apiserver
// and Crossplane core (`--no-package`: the package and the e2e suite run in `npm run e2e`).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { up } from "../../scripts/lib/cluster/index.js";
import { readState, runs, type ClusterState } from "../../scripts/lib/cluster/state.js";
import { ROOT } from "../../scripts/lib/paths.js";

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), "cluster-test-"));
  dirs.push(d);
  return join(d, "state");
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, fn: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms / 1000} s`);
    await sleep(100);
  }
}

const alive = (s: ClusterState) => s.processes.filter((p) => runs(p.pid, p.bin)).map((p) => `${p.name} (${p.pid})`);

describe("npm run cluster", () => {
  it("leaves no process behind when the process that ran `up --foreground` is killed with SIGKILL", async () => {
    const dir = stateDir();
    const parent = spawn(process.execPath, [join(ROOT, ".build", "scripts", "cluster.js"), "up", "--foreground", "--no-package", "--state", dir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    parent.stdout.on("data", (d) => (out += d));
    parent.stderr.on("data", (d) => (out += d));
    const state = await until("the control plane to be ready and `up` to print how to use it", 120_000, () => {
      if (parent.exitCode !== null) throw new Error(`cluster up ended early: ${out}`);
      const s = readState(dir);
      return s?.phase === "ready" && out.includes("export KUBECONFIG=") ? s : undefined;
    });
    expect(state.processes.map((p) => p.name).sort()).toEqual(["crossplane", "etcd", "kube-apiserver"]);
    expect(alive(state)).toHaveLength(3);
    expect(out).toContain(`export KUBECONFIG=${join(dir, "kubeconfig")}`);
    parent.kill("SIGKILL");
    await until("every server and the supervisor to end", 40_000, () => (alive(state).length === 0 && !runs(state.supervisorPid, "node") ? true : undefined));
    expect(alive(state)).toEqual([]);
    await until("the state folder to be removed", 5_000, () => (existsSync(dir) ? undefined : true));
  }, 200_000);

  it("reports a crashed etcd with its log and stops the rest", async () => {
    const dir = stateDir();
    const cp = await up({ stateDir: dir, tied: true, withPackage: false });
    try {
      const etcd = cp.state.processes.find((p) => p.name === "etcd")!;
      process.kill(etcd.pid, "SIGKILL");
      const failed = await until("the supervisor to record the failure", 30_000, () => {
        const s = readState(dir);
        return s?.phase === "failed" && s.processes.length === 0 ? s : undefined;
      });
      expect(failed.error).toMatch(/^etcd exited unexpectedly \(SIGKILL\); last lines of .*etcd\.log/);
      await until("the other servers to end", 30_000, () => (alive(cp.state).length === 0 ? true : undefined));
    } finally {
      await cp.stop();
    }
  }, 200_000);

  it("cleans up a stale state folder (a supervisor that is gone) and starts afresh", async () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    // A supervisor pid that cannot be alive, and a leftover server record whose pid runs another program.
    const stale: ClusterState = {
      phase: "ready",
      supervisorPid: 2 ** 22 + 7,
      detached: true,
      startedAt: "2020-01-01T00:00:00Z",
      kubeconfig: join(dir, "kubeconfig"),
      processes: [{ name: "etcd", pid: process.pid, bin: "/nonexistent/etcd" }],
      ports: {},
    };
    writeFileSync(join(dir, "state.json"), JSON.stringify(stale));
    writeFileSync(join(dir, "leftover"), "x");
    const lines: string[] = [];
    const cp = await up({ stateDir: dir, tied: true, withPackage: false, log: (l) => lines.push(l) });
    try {
      expect(lines.join("\n")).toContain("removing a stale control plane state");
      expect(cp.reused).toBe(false);
      expect(existsSync(join(dir, "leftover"))).toBe(false);
      expect(readFileSync(cp.kubeconfig, "utf8")).toContain(cp.state.server!);
      const r = await cp.kube().raw("GET", "/readyz");
      expect(r.status).toBe(200);
    } finally {
      await cp.stop();
    }
    expect(alive(cp.state)).toEqual([]);
  }, 200_000);
});
