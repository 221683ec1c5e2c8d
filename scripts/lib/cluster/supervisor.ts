/**
 * The supervisor of a local control plane: one Node process that starts etcd, kube-apiserver
 * and Crossplane core on free 127.0.0.1 ports, serves the composition functions over mTLS,
 * installs the package and runs the provider simulator, records everything in
 * <state>/state.json, and stops it all (apiserver before etcd) when
 *  - it gets SIGTERM/SIGINT/SIGHUP (`npm run cluster -- down`),
 *  - its stdin closes and it is not detached (the process that started it ended, however: Ctrl-C,
 *    SIGKILL, a crash: the pipe closes with it),
 *  - one of its servers dies (a crashed etcd: the log's last lines go into state.json).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { freePort } from "../process.js";
import { startStandinFunctionKcl, type StandinServer } from "../render/standin-function-kcl.js";
import { createEngine } from "../kcl/index.js";
import type { KclEngine } from "../kcl/engine.js";
import { ensureGoTool, loadPins } from "../tools.js";
import { Kube, applyCrds, readYamlDocs, type KubeObject } from "./kube.js";
import { readState, writeState, type ClusterState, type ServerProcess } from "./state.js";
import { installPackage, type InstallReport } from "./install.js";
import { startSimulator, type Simulator } from "./simulator.js";

export interface SupervisorOptions {
  stateDir: string;
  detached: boolean;
  /** Install the package, serve the functions and run the simulator (default true). */
  withPackage: boolean;
}

const TOKEN = "dot-cluster-admin-token";
/** Names the Compositions' functionRefs use (the package label of each FunctionRevision). */
export const FUNCTION_KCL = "crossplane-contrib-function-kcl";
export const FUNCTION_AUTO_READY = "crossplane-contrib-function-auto-ready";

class Failure extends Error {}

interface Child {
  name: string;
  bin: string;
  proc: ChildProcess;
  log: string;
  exited?: string;
  exit: Promise<void>;
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, text: e.message }));
    req.end();
  });
}

export async function runSupervisor(options: SupervisorOptions): Promise<number> {
  const dir = options.stateDir;
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, "supervisor.log");
  const started = Date.now();
  const log = (line: string) => writeFileSync(logFile, `${new Date().toISOString()} ${line}\n`, { flag: "a" });
  const children: Child[] = [];
  const state: ClusterState = {
    phase: "starting",
    supervisorPid: process.pid,
    detached: options.detached,
    startedAt: new Date(started).toISOString(),
    kubeconfig: join(dir, "kubeconfig"),
    processes: [],
    ports: {},
  };
  const save = () => writeState(dir, state);
  const step = (s: string) => {
    state.step = s;
    log(s);
    save();
  };
  let stopping = false;
  let failure: ((err: Error) => void) | undefined;
  const failed = new Promise<never>((_, reject) => (failure = reject));
  failed.catch(() => {});

  const startChild = (name: string, bin: string, args: string[], env: Record<string, string> = {}): Child => {
    const logPath = join(dir, `${name}.log`);
    const fd = openSync(logPath, "a");
    const proc = spawn(bin, args, { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    const child: Child = { name, bin, proc, log: logPath, exit: Promise.resolve() };
    child.exit = new Promise<void>((resolve) => {
      proc.once("exit", (code, signal) => {
        child.exited = signal ?? `exit code ${code}`;
        resolve();
        if (!stopping) {
          const text = tail(logPath);
          const port = /address already in use|bind: address/i.test(text)
            ? " (a port it was given is in use by another program: start again, a new free port is chosen)"
            : "";
          failure?.(new Failure(`${name} exited unexpectedly (${child.exited})${port}; last lines of ${logPath}:\n${text}`));
        }
      });
      proc.once("error", (err) => {
        child.exited = err.message;
        resolve();
        if (!stopping) failure?.(new Failure(`${name} could not start: ${err.message}`));
      });
    });
    children.push(child);
    state.processes.push({ name, pid: proc.pid ?? -1, bin } satisfies ServerProcess);
    save();
    return child;
  };

  /** Waits until check() returns true; fails with what it waited for after timeoutMs. */
  const waitFor = async (what: string, timeoutMs: number, check: () => Promise<boolean | string>) => {
    log(`waiting for ${what} (up to ${timeoutMs / 1000} s)`);
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      const r = await Promise.race([check(), failed]);
      if (r === true) return;
      if (typeof r === "string") last = r;
      if (Date.now() > deadline) throw new Failure(`gave up waiting for ${what} after ${timeoutMs / 1000} s${last ? ` (last answer: ${last})` : ""}`);
      await Promise.race([sleep(150), failed]);
    }
  };

  let engine: KclEngine | undefined;
  let standin: StandinServer | undefined;
  let simulator: Simulator | undefined;

  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    log("stopping");
    await simulator?.stop().catch(() => {});
    const order = ["crossplane", "function-auto-ready", "kube-apiserver", "etcd"];
    const byOrder = [...children].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    for (const c of byOrder) {
      if (c.exited !== undefined) continue;
      c.proc.kill("SIGTERM");
      const t = setTimeout(() => c.proc.kill("SIGKILL"), c.name === "etcd" ? 5000 : 8000);
      await c.exit;
      clearTimeout(t);
      log(`${c.name} stopped (${c.exited})`);
    }
    await standin?.close().catch(() => {});
    await engine?.close().catch(() => {});
  };

  let exitCode = 0;
  let resolveDone: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const shutdown = (why: string) => {
    log(`shutting down: ${why}`);
    void stopAll().then(() => {
      if (state.phase !== "failed") {
        // Stopped on purpose: nothing stays behind.
        rmSync(dir, { recursive: true, force: true });
      } else {
        state.processes = [];
        save();
      }
      resolveDone();
    });
  };
  for (const s of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(s, () => shutdown(s));
  if (!options.detached) {
    process.stdin.resume();
    process.stdin.on("end", () => shutdown("the process that started the control plane ended"));
    process.stdin.on("error", () => shutdown("the process that started the control plane ended"));
  }
  failed.catch((err: Error) => {
    if (state.phase === "ready" && !stopping) {
      state.phase = "failed";
      state.error = err.message;
      save();
      exitCode = 1;
      shutdown(err.message);
    }
  });

  try {
    step("building or finding the pinned binaries");
    const toolLog = (l: string) => log(l);
    const [etcd, apiserver, crossplane, certgen] = [
      await ensureGoTool("etcd", toolLog),
      await ensureGoTool("kube-apiserver", toolLog),
      await ensureGoTool("crossplane-core", toolLog),
      await ensureGoTool("certgen", toolLog),
    ];
    const autoReady = options.withPackage ? await ensureGoTool("function-auto-ready", toolLog) : undefined;

    step("certificates (certgen)");
    const pki = join(dir, "pki");
    mkdirSync(pki, { recursive: true });
    const cg = (args: string[]) => execFileSync(certgen, args, { stdio: "pipe" });
    cg(["ca", "--out", join(pki, "ca")]);
    cg(["cert", "--ca", join(pki, "ca"), "--out", join(pki, "apiserver"), "--cn", "kube-apiserver", "--ip", "127.0.0.1", "--dns", "localhost", "--server"]);
    cg(["cert", "--ca", join(pki, "ca"), "--out", join(pki, "service-accounts"), "--cn", "service-accounts", "--server"]);
    // Crossplane core's client certificate for functions, and the functions' server certificate.
    const xpTls = join(pki, "crossplane-client");
    const fnTls = join(pki, "functions");
    for (const d of [xpTls, fnTls]) {
      mkdirSync(d, { recursive: true });
      copyFileSync(join(pki, "ca.crt"), join(d, "ca.crt"));
    }
    cg(["cert", "--ca", join(pki, "ca"), "--out", join(xpTls, "tls"), "--cn", "crossplane", "--client"]);
    cg(["cert", "--ca", join(pki, "ca"), "--out", join(fnTls, "tls"), "--cn", "functions", "--ip", "127.0.0.1", "--server", "--client"]);
    writeFileSync(join(pki, "tokens.csv"), `${TOKEN},admin,admin,system:masters\n`, { mode: 0o600 });

    const ports = {
      etcd: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort(),
      crossplaneMetrics: await freePort(),
      crossplaneHealth: await freePort(),
    };
    state.ports = ports;

    step(`etcd on 127.0.0.1:${ports.etcd}`);
    const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
    const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
    startChild("etcd", etcd, [
      "--name=default",
      `--data-dir=${join(dir, "etcd-data")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      "--listen-metrics-urls=",
      "--log-level=warn",
      "--quota-backend-bytes=1073741824",
    ]);
    await waitFor(`etcd's /health on ${etcdUrl}`, 20_000, async () => {
      const r = await httpGet(`${etcdUrl}/health`);
      return (r.status === 200 && r.text.includes('"true"')) || `HTTP ${r.status} ${r.text.slice(0, 80)}`;
    });

    step(`kube-apiserver on 127.0.0.1:${ports.apiserver}`);
    startChild(
      "kube-apiserver",
      apiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${ports.apiserver}`,
        `--tls-cert-file=${join(pki, "apiserver.crt")}`,
        `--tls-private-key-file=${join(pki, "apiserver.key")}`,
        `--token-auth-file=${join(pki, "tokens.csv")}`,
        "--authorization-mode=AlwaysAllow",
        `--service-account-key-file=${join(pki, "service-accounts.crt")}`,
        `--service-account-signing-key-file=${join(pki, "service-accounts.key")}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--v=0",
      ],
      // A soft heap limit: Go's collector works harder near it instead of letting the heap double
      // (the API server peaked at 700 MB during the e2e suite without it). Behaviour is unchanged.
      { GOMEMLIMIT: "400MiB" },
    );
    const server = `https://127.0.0.1:${ports.apiserver}`;
    state.server = server;
    const ca = readFileSync(join(pki, "ca.crt"), "utf8");
    const kube = new Kube({ server, ca, token: TOKEN });
    await waitFor(`kube-apiserver's /readyz on ${server}`, 60_000, async () => {
      try {
        const r = await kube.raw("GET", "/readyz", undefined, undefined, 3000);
        return r.status === 200 || `HTTP ${r.status}`;
      } catch (err) {
        return (err as Error).message;
      }
    });
    writeFileSync(state.kubeconfig, kubeconfig(server, ca), { mode: 0o600 });

    step("Crossplane's CRDs");
    const crdDir = crossplaneCrdDir();
    const crds = readdirSync(crdDir)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .flatMap((f) => readYamlDocs(join(crdDir, f)));
    await applyCrds(kube, crds, (what, ms, check) => waitFor(what, ms, check));
    await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "crossplane-system" } });

    step("Crossplane core");
    startChild(
      "crossplane",
      crossplane,
      [
        "core",
        "start",
        "--enable-webhooks=false",
        `--tls-client-certs-dir=${xpTls}`,
        "--package-runtime=External",
        `--xpkg-cache-dir=${join(dir, "xpkg-cache")}`,
        `--metrics-port=${ports.crossplaneMetrics}`,
        `--health-probe-port=${ports.crossplaneHealth}`,
        "--poll-interval=5s",
        "--sync-interval=30s",
        // The XR circuit breaker (100 watch events, then 1 a second) opens while the provider
        // simulator marks a Cluster's 50–110 composed resources Ready within a second or two;
        // open, it lets one reconcile through every 30 s. Real providers spread those events
        // over minutes. A larger bucket keeps the tests from waiting on it; the breaker still works.
        "--circuit-breaker-burst=1000",
      ],
      { POD_NAMESPACE: "crossplane-system", KUBECONFIG: state.kubeconfig },
    );
    await waitFor(`Crossplane core's /readyz on port ${ports.crossplaneHealth}`, 30_000, async () => {
      const r = await httpGet(`http://127.0.0.1:${ports.crossplaneHealth}/readyz`);
      return r.status === 200 || `HTTP ${r.status}`;
    });

    if (options.withPackage) {
      step("composition functions over mTLS");
      const tls = { ca: readFileSync(join(fnTls, "ca.crt")), cert: readFileSync(join(fnTls, "tls.crt")), key: readFileSync(join(fnTls, "tls.key")) };
      engine = await createEngine();
      standin = await startStandinFunctionKcl(engine, { tls });
      const autoReadyPort = await freePort();
      state.ports.functionKcl = Number(standin.target.split(":")[1]);
      state.ports.functionAutoReady = autoReadyPort;
      startChild("function-auto-ready", autoReady!, ["--tls-certs-dir", fnTls, "--address", `127.0.0.1:${autoReadyPort}`]);
      await waitFor(`function-auto-ready on 127.0.0.1:${autoReadyPort}`, 15_000, () => canConnect(autoReadyPort));
      await registerFunction(kube, FUNCTION_KCL, standin.target);
      await registerFunction(kube, FUNCTION_AUTO_READY, `127.0.0.1:${autoReadyPort}`);

      step("the package: XRD, Compositions and the providers' CRDs");
      const report: InstallReport = await installPackage(kube, { log, waitFor: (what, ms, check) => waitFor(what, ms, check) });
      writeFileSync(join(dir, "install.json"), JSON.stringify(report, null, 2) + "\n");

      step("the provider simulator");
      simulator = startSimulator(kube, report.managedKinds);
    }

    state.phase = "ready";
    state.step = undefined;
    state.readyAt = new Date().toISOString();
    state.readyMs = Date.now() - started;
    save();
    log(`ready in ${state.readyMs} ms`);
  } catch (err) {
    state.phase = "failed";
    state.error = (err as Error).message;
    save();
    log(`failed: ${state.error}`);
    exitCode = 1;
    shutdown("start-up failed");
  }
  await done;
  return exitCode;
}

function canConnect(port: number): Promise<boolean | string> {
  return import("node:net").then(
    ({ connect }) =>
      new Promise((resolve) => {
        const s = connect({ host: "127.0.0.1", port });
        s.once("connect", () => {
          s.destroy();
          resolve(true);
        });
        s.once("error", (e) => resolve(e.message));
      }),
  );
}

export function kubeconfig(server: string, ca: string): string {
  return (
    JSON.stringify(
      {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "dot-cluster-local", cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") } }],
        users: [{ name: "admin", user: { token: TOKEN } }],
        contexts: [{ name: "dot-cluster-local", context: { cluster: "dot-cluster-local", user: "admin" } }],
        "current-context": "dot-cluster-local",
      },
      null,
      2,
    ) + "\n"
  );
}

/** cluster/crds of the crossplane module the core binary was built from (in Go's module cache). */
function crossplaneCrdDir(): string {
  const version = loadPins()["crossplane-core"].version;
  const modcache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
  const dir = join(modcache, "github.com", "crossplane", "crossplane", `v2@${version}`, "cluster", "crds");
  if (!existsSync(dir)) throw new Failure(`Crossplane's CRDs are not in Go's module cache (${dir}); run \`npm run tools -- crossplane-core\``);
  return dir;
}

/**
 * A composition function without a package registry: a FunctionRevision the revision
 * controller leaves alone (paused), labelled with the function's package name, whose status
 * carries the endpoint and the capability Crossplane checks.
 */
export async function registerFunction(kube: Kube, name: string, endpoint: string): Promise<void> {
  const rev: KubeObject = {
    apiVersion: "pkg.crossplane.io/v1",
    kind: "FunctionRevision",
    metadata: { name: `${name}-local`, labels: { "pkg.crossplane.io/package": name }, annotations: { "crossplane.io/paused": "true" } },
    spec: { desiredState: "Active", image: `local/${name}:served-on-loopback`, revision: 1 },
  };
  await kube.apply(rev);
  await kube.patchStatus(rev, { endpoint, capabilities: ["composition"] });
}

export { readState };
