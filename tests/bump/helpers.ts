/**
 * Test helpers for the bump suite: temp checkouts copied from this repository, a stand-in step
 * runner for apply tests, real Helm chart packages and a Helm HTTP repository served from a temp
 * dir on 127.0.0.1. The OCI registry harness lives in scripts/testkit/registry.ts (the
 * benchmark uses it too).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, lstatSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ensureGoTool } from "../../scripts/lib/tools.js";
import { closeServer } from "../../scripts/testkit/registry.js";
import { copyRepo } from "../helpers/repo.js";

const execFileAsync = promisify(execFile);

const temps: string[] = [];
export function tempDir(prefix = "bump-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** What the stand-in runner does for one entry (build, check, verify). */
export interface StubStep {
  /** Files to write, relative to the root; "{{apps}}" is replaced by the current kcl/apps.k. */
  write?: Record<string, string>;
  remove?: string[];
  output?: string;
  exit?: number;
  /** Written (with the runner's pid) once the step has done its writes, then the step sleeps. */
  readyFile?: string;
  sleepMs?: number;
}

/**
 * A stand-in for scripts/run.mjs in a temp checkout: it acts out the steps described in
 * .bump-test-steps.json so apply can be tested on success, failure and interruption without the
 * whole pipeline. (The real pipeline is exercised by the "real pipeline" test.)
 */
const STUB_RUNNER = `// Stand-in for scripts/run.mjs written by tests/bump/helpers.ts.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
const [entry, ...args] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(".bump-test-steps.json", "utf8"))[entry] ?? {};
const apps = readFileSync("kcl/apps.k", "utf8");
for (const [path, content] of Object.entries(spec.write ?? {})) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content.split("{{apps}}").join(apps));
}
for (const path of spec.remove ?? []) rmSync(path, { force: true });
process.stdout.write(spec.output ?? \`stub \${entry} \${args.join(" ")}: ok\\n\`);
if (spec.readyFile) writeFileSync(spec.readyFile, String(process.pid));
if (spec.sleepMs) await new Promise((r) => setTimeout(r, spec.sleepMs));
process.exit(spec.exit ?? 0);
`;

export interface RootOptions {
  /** Stand-in steps by entry; entries without a key have no scripts/<entry>.ts (skipped). */
  steps?: Record<string, StubStep>;
  /** Replace kcl/apps.k's text. */
  apps?: (text: string) => string;
}

/** A temp checkout (tests/helpers/repo.ts): kcl/apps.k, data/compatibility.json, package/ and tests/golden/. */
export function makeRoot(options: RootOptions = {}): string {
  const root = copyRepo({ only: ["kcl/apps.k", "data/compatibility.json", "package", "tests/golden"], prefix: "bump-root-" }).root;
  temps.push(root);
  if (options.apps) writeFileSync(join(root, "kcl", "apps.k"), options.apps(readFileSync(join(root, "kcl", "apps.k"), "utf8")));
  if (options.steps) {
    mkdirSync(join(root, "scripts"), { recursive: true });
    writeFileSync(join(root, "scripts", "run.mjs"), STUB_RUNNER);
    writeFileSync(join(root, ".bump-test-steps.json"), JSON.stringify(options.steps));
    for (const entry of Object.keys(options.steps)) writeFileSync(join(root, "scripts", `${entry}.ts`), "// stand-in entry: see .bump-test-steps.json\n");
  }
  return root;
}

/** A full temp checkout of the repository's pipeline (tests/helpers/repo.ts), sharing node_modules and .tools. */
export function makeFullRoot(): string {
  const root = copyRepo({ prefix: "bump-full-" }).root;
  temps.push(root);
  return root;
}

/** Every file under the touched paths, as base64 (for byte-exact comparisons). */
export function tree(root: string, paths = ["kcl/apps.k", "package", "tests/golden"]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    if (lstatSync(abs).isDirectory()) for (const n of readdirSync(abs).sort()) walk(`${rel}/${n}`);
    else out[rel] = readFileSync(abs).toString("base64");
  };
  for (const p of paths) walk(p);
  return out;
}

export function readApps(root: string): string {
  return readFileSync(join(root, "kcl", "apps.k"), "utf8");
}

// ---- helm ----------------------------------------------------------------------------------

let helmBin: Promise<string> | undefined;
let helmHome: string | undefined;
export function helmPath(): Promise<string> {
  helmBin ??= ensureGoTool("helm", () => {});
  return helmBin;
}

/** Runs the real helm with its config, cache and data in a temp dir (never the user's). */
export async function helm(args: string[]): Promise<string> {
  helmHome ??= tempDir("bump-helm-home-");
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(helmHome, "config"),
    HELM_CACHE_HOME: join(helmHome, "cache"),
    HELM_DATA_HOME: join(helmHome, "data"),
    HELM_REGISTRY_CONFIG: join(helmHome, "registry.json"),
    HELM_REPOSITORY_CONFIG: join(helmHome, "repositories.yaml"),
  };
  try {
    const { stdout, stderr } = await execFileAsync(await helmPath(), args, { env, timeout: 60_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`helm ${args.join(" ")} failed: ${e.stderr || e.message}`);
  }
}

/** `helm package` of a minimal chart, once per version; returns the .tgz paths. */
export async function packageChart(outDir: string, name: string, versions: readonly string[]): Promise<string[]> {
  const src = tempDir("bump-chart-");
  mkdirSync(join(src, name, "templates"), { recursive: true });
  writeFileSync(join(src, name, "Chart.yaml"), `apiVersion: v2\nname: ${name}\ndescription: test chart for npm run bump\nversion: 0.1.0\n`);
  writeFileSync(
    join(src, name, "templates", "configmap.yaml"),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  version: {{ .Chart.Version | quote }}\n`,
  );
  mkdirSync(outDir, { recursive: true });
  const out: string[] = [];
  for (const v of versions) {
    const text = await helm(["package", join(src, name), "--version", v, "--destination", outDir]);
    const m = /saved it to: (.+\.tgz)/.exec(text);
    if (!m) throw new Error(`helm package did not say where it saved the chart: ${text}`);
    out.push(m[1]!.trim());
  }
  return out;
}

// ---- Helm HTTP repository on loopback -----------------------------------------------------------

export interface StaticServer {
  url: string;
  /** The directory it serves. */
  dir: string;
  requests: string[];
  /** Called before each answer (to simulate things happening meanwhile). */
  onRequest: ((req: IncomingMessage) => void | Promise<void>) | undefined;
  /** Answer this status instead of the file. */
  status: number | undefined;
  close(): Promise<void>;
}

export async function serveDirectory(dir: string): Promise<StaticServer> {
  const state: Omit<StaticServer, "url" | "close" | "dir"> = { requests: [], onRequest: undefined, status: undefined };
  const server = createServer((req, res) => {
    void (async () => {
      state.requests.push(req.url ?? "");
      await state.onRequest?.(req);
      if (state.status) {
        res.writeHead(state.status, { "content-type": "text/plain" }).end(`injected ${state.status}`);
        return;
      }
      const path = join(dir, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
      if (!path.startsWith(dir) || !existsSync(path) || lstatSync(path).isDirectory()) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": path.endsWith(".yaml") ? "application/yaml" : "application/octet-stream" }).end(readFileSync(path));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, { url, dir, close: () => closeServer(server) });
}

/** A Helm repository per prefix: charts packaged with helm, index.yaml made by `helm repo index`. */
export async function startHelmRepos(repos: Record<string, Record<string, readonly string[]>>): Promise<StaticServer> {
  const dir = tempDir("bump-helm-repo-");
  const server = await serveDirectory(dir);
  for (const [prefix, charts] of Object.entries(repos)) {
    const repoDir = join(dir, prefix);
    for (const [chart, versions] of Object.entries(charts)) await packageChart(repoDir, chart, versions);
    await helm(["repo", "index", repoDir, "--url", `${server.url}/${prefix}`]);
  }
  return server;
}

export function writeFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A port nothing listens on (it was free a moment ago). */
export { freePort as unusedPort } from "../../scripts/lib/process.js";

// ---- fake registries on loopback ---------------------------------------------------------------

export interface FakeServer {
  url: string;
  host: string;
  /** Every request: path with query, and its Authorization header. */
  requests: { url: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A fake registry: answers every request with `handler` (status, headers, body). For what a real
 * registry never does (huge pages, hostile text, endless pages, odd token realms).
 */
export async function startFakeServer(
  handler: (url: URL, req: IncomingMessage) => { status?: number; headers?: Record<string, string>; body?: string | Buffer },
): Promise<FakeServer> {
  const requests: FakeServer["requests"] = [];
  let base = "";
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", authorization: req.headers.authorization });
    const answer = handler(new URL(req.url ?? "/", base), req);
    res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers }).end(answer.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `http://${host}`;
  return { url: base, host, requests, close: () => closeServer(server) };
}
