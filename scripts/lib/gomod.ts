/**
 * Go modules through the go command, the one place that runs `go mod download -json`.
 *
 * `goModDownload` downloads one module version (from GOPROXY, checked against the checksum
 * database) and returns its directory or a failure sorted into: version not served (final),
 * network trouble (try later), anything else. The toolchain installer, the crossplane protos,
 * Envoy Gateway's module and the providers' CRDs all fetch through it.
 *
 * `fetchModule` is for modules read once and thrown away (the providers' CRDs): one already in
 * the machine's module cache is used where it is; any other is downloaded into a scratch module
 * cache that the caller removes once it has copied what it needs, so that the machine's cache
 * does not grow by hundreds of megabytes of provider source.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type FetchFailure = "unavailable" | "offline" | "failed";

export type FetchOutcome = { ok: true; dir: string; verified: boolean; cleanup: () => void } | { ok: false; kind: FetchFailure; message: string };

/** Go's module cache path escaping: every upper-case letter becomes '!' + lower case. */
export function escapeModulePath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => "!" + c.toLowerCase());
}

const OFFLINE = new RegExp(
  [
    "disabled by GOPROXY=off",
    "dial tcp",
    "no such host",
    "i/o timeout",
    "connection refused",
    "network is unreachable",
    "TLS handshake timeout",
    "context deadline exceeded",
    "connection reset",
  ].join("|"),
  "i",
);

/** Sorts a go error into: version not served (final), network trouble (try later), anything else. */
export function classifyGoError(message: string): FetchFailure {
  if (OFFLINE.test(message)) return "offline";
  if (/\b(403|404|410)\b|requires go >=|not available|unknown revision|invalid version|no matching versions|not found/i.test(message)) return "unavailable";
  return "failed";
}

const isChecksumDatabaseMiss = (message: string) => /verifying .*sumdb|sumdb\/[^ ]+\/lookup\/.*(404|410)|checksum database/i.test(message);

let goModCache: string | undefined;
async function defaultModCache(): Promise<string | undefined> {
  if (goModCache !== undefined) return goModCache || undefined;
  const { execa } = await import("execa");
  const r = await execa("go", ["env", "GOMODCACHE"], { reject: false });
  goModCache = r.exitCode === 0 ? String(r.stdout).trim() : "";
  return goModCache || undefined;
}

export type GoModDownload = { ok: true; dir: string } | { ok: false; kind: FetchFailure; message: string; goMissing: boolean };

export interface GoModDownloadOptions {
  /** Added to the environment (GOFLAGS, GOMODCACHE, GONOSUMDB, …). */
  env?: Record<string, string>;
  /** Where go runs (default: the system's temporary folder, outside any module). */
  cwd?: string;
  /** Milliseconds before the download is given up (default: no limit). */
  timeout?: number;
}

/** `go mod download -json module@version`: the unpacked module's directory, or why not (go's own message, trimmed). */
export async function goModDownload(module: string, version: string, options: GoModDownloadOptions = {}): Promise<GoModDownload> {
  const failed = (message: string, goMissing = false): GoModDownload => ({ ok: false, kind: classifyGoError(message), message, goMissing });
  const { execa } = await import("execa");
  let r;
  try {
    r = await execa("go", ["mod", "download", "-json", `${module}@${version}`], {
      cwd: options.cwd ?? tmpdir(),
      reject: false,
      ...(options.env ? { env: options.env } : {}),
      ...(options.timeout ? { timeout: options.timeout } : {}),
    });
  } catch (err) {
    return failed(`cannot run go: ${(err as Error).message}`);
  }
  if (r.exitCode === undefined && /ENOENT/.test(String(r.message ?? ""))) return failed("the go command is not installed", true);
  let parsed: { Dir?: string; Error?: string } = {};
  try {
    parsed = JSON.parse(String(r.stdout)) as typeof parsed;
  } catch {
    /* reported below */
  }
  if (r.exitCode === 0 && parsed.Dir) return { ok: true, dir: parsed.Dir };
  return failed((parsed.Error ?? String(r.stderr || r.stdout)).trim() || `go mod download exited ${r.exitCode ?? `on ${r.signal ?? "an error"}`}`);
}

async function download(module: string, version: string, modCache: string, extraEnv: Record<string, string>): Promise<{ dir?: string; error?: string }> {
  const env = { GOMODCACHE: modCache, GOFLAGS: "-modcacherw", GOWORK: "off", GO111MODULE: "on", ...extraEnv };
  const r = await goModDownload(module, version, { env, timeout: 600_000 });
  if (r.ok) return { dir: r.dir };
  return { error: r.goMissing ? "the go command is not installed (needed to fetch CRDs from the Go module proxy)" : r.message };
}

export async function fetchModule(module: string, version: string, scratchDir: string): Promise<FetchOutcome> {
  const shared = await defaultModCache();
  if (shared) {
    const dir = join(shared, `${escapeModulePath(module)}@${version}`);
    if (existsSync(dir)) return { ok: true, dir, verified: true, cleanup: () => {} };
  }
  mkdirSync(scratchDir, { recursive: true });
  const modCache = join(scratchDir, `gomod-${process.pid}-${Date.now()}`);
  const cleanup = () => rmSync(modCache, { recursive: true, force: true });
  let r = await download(module, version, modCache, {});
  let verified = true;
  if (r.error && isChecksumDatabaseMiss(r.error)) {
    // The checksum database has no record of this version: take it unverified (it is schema data,
    // never executed) and say so.
    r = await download(module, version, modCache, { GONOSUMDB: module });
    verified = false;
  }
  if (r.dir) return { ok: true, dir: r.dir, verified, cleanup };
  cleanup();
  return { ok: false, kind: classifyGoError(r.error ?? ""), message: oneLine(r.error ?? "unknown error") };
}

function oneLine(s: string): string {
  const lines = s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-2).join(" / ").slice(0, 400);
}
